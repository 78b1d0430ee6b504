// The browser demo (demo/browser): Chromium loads the page, whose DtlsStream
// (bundled with esbuild) is the DTLS client, carried over a WebSocket to the
// relay and on over UDP: to our own echo server, and to `openssl s_server
// -dtls1_2`. Screenshots are kept under test-results/browser-demo/; the first
// one is also written to docs/browser-demo.png for the README when that file is
// missing or UPDATE_SCREENSHOT=1.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, withTimeout } from './harness.ts';
import config from '../../playwright.config.ts';
import { startDemo, type Demo } from '../../demo/browser/server.ts';
import { bindUdp } from '../../src/adapters/node.ts';
import { fingerprint } from '../../src/index.ts';

const LIMIT = { timeout: 30_000 };
const RESULTS = 'test-results/browser-demo';

interface PageDemo {
  state: string;
  info: { version: string; cipherSuite: string; group: string; peerFingerprint: string; extendedMasterSecret: boolean } | undefined;
  sent: string[];
  received: string[];
  error: string | undefined;
}

async function openPage(t: TestContext, demo: Demo): Promise<Page> {
  const browser = await chromium.launch({ ...config.use.launchOptions, args: [...CHROMIUM_ARGS] });
  t.after(() => withTimeout(browser.close(), 5000, 'browser.close').catch(() => {}));
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(() => assert.deepEqual(errors, [], 'no uncaught errors in the page'));
  await page.goto(demo.url);
  return page;
}

async function waitConnected(page: Page): Promise<PageDemo> {
  await page.waitForFunction(() => {
    const d = (window as unknown as { demo?: PageDemo }).demo;
    return d && (d.state === 'connected' || d.state === 'failed');
  }, undefined, { timeout: 15_000 });
  const d = await page.evaluate(() => (window as unknown as { demo: PageDemo }).demo);
  assert.equal(d.state, 'connected', `the page connected (error: ${d.error})`);
  return d;
}

const ladderText = (page: Page): Promise<string> => page.evaluate(() => (window as unknown as { demo: { ladder(): string } }).demo.ladder());

async function sendMessage(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#send');
}

function assertLadder(ladder: string, helloVerify: boolean): void {
  const order = ['ClientHello', ...(helloVerify ? ['HelloVerifyRequest', 'ClientHello'] : []), 'ServerHello', 'Certificate', 'ServerKeyExchange', 'ServerHelloDone', 'ClientKeyExchange', 'ChangeCipherSpec', 'Finished', 'ChangeCipherSpec', 'Finished', 'handshake complete'];
  let at = 0;
  for (const what of order) {
    const next = ladder.indexOf(what, at);
    assert.ok(next >= 0, `the ladder shows ${what} after position ${at}:\n${ladder}`);
    at = next + what.length;
  }
  assert.match(ladder, /Flight 1/);
  assert.match(ladder, /Flight 6/);
}

async function screenshot(page: Page, name: string, alsoDocs: boolean): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, name);
  await page.screenshot({ path, fullPage: true });
  // The README's screenshot is written once (or again with UPDATE_SCREENSHOT=1), not on every run.
  if (alsoDocs && (!existsSync('docs/browser-demo.png') || process.env.UPDATE_SCREENSHOT === '1')) {
    mkdirSync('docs', { recursive: true });
    copyFileSync(path, 'docs/browser-demo.png');
  }
}

test('browser demo: the page is a DTLS client of our echo server through the WebSocket relay, shows the ladder and what was negotiated, and echoes', LIMIT, async (t) => {
  const log: string[] = [];
  const demo = await startDemo({ port: 0, log: (l) => log.push(l) });
  t.after(() => demo.close());
  const page = await openPage(t, demo);
  const d = await waitConnected(page);

  assert.equal(d.info?.version, 'DTLS 1.2');
  assert.match(d.info!.cipherSuite, /^TLS_ECDHE_ECDSA_WITH_/);
  assert.equal(d.info?.peerFingerprint, demo.fingerprint, 'the page verified our certificate');
  assert.equal(d.info?.extendedMasterSecret, true);
  assert.equal((await page.textContent('#suite'))?.trim(), d.info!.cipherSuite, 'the negotiated suite is on the page');
  assert.match((await page.textContent('#status')) ?? '', /connected/);
  assertLadder(await ladderText(page), true); // listen() sends a HelloVerifyRequest

  for (const text of ['hello over DTLS', 'datagrams, encrypted']) {
    await sendMessage(page, text);
    await page.waitForFunction((n) => (window as unknown as { demo: PageDemo }).demo.received.length >= n, 1 + ['hello over DTLS', 'datagrams, encrypted'].indexOf(text), { timeout: 5000 });
  }
  const after = await page.evaluate(() => (window as unknown as { demo: PageDemo }).demo);
  assert.deepEqual(after.received, ['hello over DTLS', 'datagrams, encrypted']);
  assert.equal(await page.locator('.bubble.in').count(), 2);
  assert.ok(demo.relay.counts.toServer >= 5 && demo.relay.counts.toBrowser >= 5, `the relay carried the datagrams (${JSON.stringify(demo.relay.counts)})`);
  assert.ok(log.some((l) => /dtls: .* connected \(TLS_ECDHE_ECDSA/.test(l)), log.join('\n'));
  await page.locator('#text').fill('');
  await page.locator('#text').blur();
  await screenshot(page, 'demo-echo-server.png', true);
});

test('browser demo: the page completes a handshake with openssl s_server -dtls1_2 through the relay, and s_server prints what the page sent', LIMIT, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dtls-demo-openssl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  await new Promise<void>((resolve, reject) => {
    const p = spawn('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-days', '2', '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`openssl req exited ${code}`))));
  });
  const pem = readFileSync(certPath, 'utf8');
  const der = new Uint8Array(Buffer.from(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END/.exec(pem)![1]!.replace(/\s+/g, ''), 'base64'));

  // A free UDP port for s_server.
  const probe = await bindUdp({ address: '127.0.0.1' });
  const port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  // stdin stays an open pipe: s_server quits at EOF on stdin.
  const server = spawn('openssl', ['s_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`, '-cert', certPath, '-key', keyPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  const pid = server.pid!;
  t.after(() => {
    if (server.exitCode === null) process.kill(pid, 'SIGKILL');
  });
  let out = '';
  server.stdout.on('data', (c: Buffer) => (out += c.toString()));
  server.stderr.on('data', (c: Buffer) => (out += c.toString()));
  await withTimeout(
    new Promise<void>((resolve) => {
      const check = (): void => void (/ACCEPT/.test(out) && resolve());
      server.stdout.on('data', check);
      check();
    }),
    5000,
    's_server ACCEPT',
  );

  const demo = await startDemo({ port: 0, target: { host: '127.0.0.1', port }, fingerprint: fingerprint(der) });
  t.after(() => demo.close());
  const page = await openPage(t, demo);
  const d = await waitConnected(page);
  assert.equal(d.info?.version, 'DTLS 1.2');
  assert.match(d.info!.cipherSuite, /^TLS_ECDHE_ECDSA_WITH_/);
  assert.equal(d.info?.peerFingerprint, demo.fingerprint);
  assert.equal((await page.textContent('#suite'))?.trim(), d.info!.cipherSuite);
  assertLadder(await ladderText(page), true); // s_server always sends a HelloVerifyRequest

  await sendMessage(page, 'hello openssl, from a browser tab');
  await withTimeout(
    new Promise<void>((resolve) => {
      const check = (): void => void (out.includes('hello openssl, from a browser tab') && resolve());
      server.stdout.on('data', check);
      check();
    }),
    5000,
    's_server printing the message',
  );
  await screenshot(page, 'demo-openssl.png', false);
});
