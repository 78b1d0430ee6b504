// What the browser demo tests share: opening the demo page in Chromium,
// reading its state, sending from it, and an `openssl s_server -dtls1_2` to
// relay to (it cannot echo: it prints what it receives and sends its stdin).
import { opensslCertificate } from '../openssl-cert.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { withTimeout } from './harness.ts';
import { CHROMIUM_ARGS, launchOptions } from './chromium.ts';
import type { TestContext } from './runner.ts';
import type { Demo } from '../../demo/browser/server.ts';
import { bindUdp } from '../../src/adapters/node.ts';
import { fingerprint } from '../../src/index.ts';

const RESULTS = 'test-results/browser-demo';

export interface PageDemo {
  state: string;
  transport: 'websocket' | 'webtransport';
  mtu: number | undefined;
  info: { version: string; cipherSuite: string; group: string; peerFingerprint: string; extendedMasterSecret: boolean } | undefined;
  sent: string[];
  received: string[];
  error: string | undefined;
}

/** The demo page at `path` (e.g. '?transport=webtransport') in a new Chromium; uncaught page errors fail the test. */
export async function openPage(t: TestContext, demo: Demo, opts: { path?: string; args?: readonly string[] } = {}): Promise<Page> {
  const browser = await chromium.launch(launchOptions(opts.args ?? CHROMIUM_ARGS));
  t.after(() => withTimeout(browser.close(), 5000, 'browser.close').catch(() => {}));
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(() => assert.deepEqual(errors, [], 'no uncaught errors in the page'));
  await page.goto(demo.url + (opts.path ?? ''));
  return page;
}

export const pageDemo = (page: Page): Promise<PageDemo> => page.evaluate(() => (window as unknown as { demo: PageDemo }).demo);

export async function waitConnected(page: Page): Promise<PageDemo> {
  await page.waitForFunction(
    () => {
      const d = (window as unknown as { demo?: PageDemo }).demo;
      return d && (d.state === 'connected' || d.state === 'failed');
    },
    undefined,
    { timeout: 15_000 },
  );
  const d = await pageDemo(page);
  assert.equal(d.state, 'connected', `the page connected (error: ${d.error})`);
  return d;
}

/** Waits until the page has received `n` messages. */
export async function waitReceived(page: Page, n: number, ms = 5000): Promise<string[]> {
  await page.waitForFunction((k) => (window as unknown as { demo: PageDemo }).demo.received.length >= k, n, { timeout: ms });
  return (await pageDemo(page)).received;
}

export const ladderText = (page: Page): Promise<string> => page.evaluate(() => (window as unknown as { demo: { ladder(): string } }).demo.ladder());

export async function sendMessage(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#send');
}

export function assertLadder(ladder: string, helloVerify: boolean): void {
  const order = [
    'ClientHello',
    ...(helloVerify ? ['HelloVerifyRequest', 'ClientHello'] : []),
    'ServerHello',
    'Certificate',
    'ServerKeyExchange',
    'ServerHelloDone',
    'ClientKeyExchange',
    'ChangeCipherSpec',
    'Finished',
    'ChangeCipherSpec',
    'Finished',
    'handshake complete',
  ];
  let at = 0;
  for (const what of order) {
    const next = ladder.indexOf(what, at);
    assert.ok(next >= 0, `the ladder shows ${what} after position ${at}:\n${ladder}`);
    at = next + what.length;
  }
  assert.match(ladder, /Flight 1/);
  assert.match(ladder, /Flight 6/);
}

export async function screenshot(page: Page, name: string, alsoDocs: boolean): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, name);
  await page.screenshot({ path, fullPage: true });
  // The README's screenshot is written once (or again with UPDATE_SCREENSHOT=1), not on every run.
  if (alsoDocs && (!existsSync('docs/browser-demo.png') || process.env.UPDATE_SCREENSHOT === '1')) {
    mkdirSync('docs', { recursive: true });
    copyFileSync(path, 'docs/browser-demo.png');
  }
}

export interface OpensslServer {
  port: number;
  /** Its certificate's fingerprint, for the page to verify. */
  fingerprint: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Waits until its output includes `text`. */
  printed(text: string, ms?: number): Promise<void>;
  /** A line on its stdin: s_server sends it to the connected client as application data. */
  type(line: string): void;
}

/** `openssl s_server -dtls1_2` on a free 127.0.0.1 port with a fresh P-256 certificate, stopped by PID in t.after. */
export async function startOpensslServer(t: TestContext): Promise<OpensslServer> {
  const dir = mkdtempSync(join(tmpdir(), 'dtls-demo-openssl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { certPath, keyPath } = opensslCertificate(dir);
  const pem = readFileSync(certPath, 'utf8');
  const der = new Uint8Array(Buffer.from(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END/.exec(pem)![1]!.replace(/\s+/g, ''), 'base64'));

  // A free UDP port for s_server.
  const probe = await bindUdp({ address: '127.0.0.1' });
  const port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  // stdin stays an open pipe: s_server quits at EOF on stdin.
  const server = spawn('openssl', ['s_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`, '-cert', certPath, '-key', keyPath], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = server.pid!;
  t.after(() => {
    if (server.exitCode === null) process.kill(pid, 'SIGKILL');
  });
  let out = '';
  server.stdout.on('data', (c: Buffer) => (out += c.toString()));
  server.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const printed = (text: string, ms = 5000): Promise<void> =>
    withTimeout(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (!out.includes(text)) return;
          server.stdout.off('data', check);
          resolve();
        };
        server.stdout.on('data', check);
        check();
      }),
      ms,
      `s_server printing ${JSON.stringify(text)}`,
    );
  await printed('ACCEPT');
  return { port, fingerprint: fingerprint(der), output: () => out, printed, type: (line) => void server.stdin.write(`${line}\n`) };
}
