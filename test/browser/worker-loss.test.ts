// The lossy-network demo page (demo/browser/worker.html): a DTLS client and a
// DTLS server both inside one Web Worker in Chromium, over a MessageChannel
// that loses the first flight 4 and random datagrams from a fixed seed. Only
// the retransmission timer, on the worker's event loop, gets them connected.
import { test } from './runner.ts';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { withTimeout } from './harness.ts';
import { launchOptions } from './chromium.ts';
import { startDemo } from '../../demo/browser/server.ts';

interface WorkerDemoState {
  done: boolean;
  ok: boolean;
  connected: { client: boolean; server: boolean };
  retransmits: { side: 'client' | 'server'; flight: number; reason: string }[];
  lost: { from: 'client' | 'server'; why: string; detail: string }[];
  error: string | undefined;
}

test(
  'browser worker demo: client and server in a Web Worker over a lossy MessageChannel both connect, through timer-driven retransmissions',
  { timeout: 30_000 },
  async (t) => {
    const demo = await startDemo({ port: 0 });
    t.after(() => demo.close());
    const browser = await chromium.launch(launchOptions());
    t.after(() => withTimeout(browser.close(), 5000, 'browser.close').catch(() => {}));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${demo.url}worker.html?seed=7&loss=20`);
    await page.waitForFunction(() => (window as unknown as { workerDemo?: WorkerDemoState }).workerDemo?.done === true, undefined, { timeout: 25_000 });
    const s = await page.evaluate(() => (window as unknown as { workerDemo: WorkerDemoState }).workerDemo);
    const ladder = await page.evaluate(() => (window as unknown as { workerDemo: { ladder(): string } }).workerDemo.ladder());

    assert.equal(s.ok, true, `the run succeeded (${s.error})\n${ladder}`);
    assert.deepEqual(s.connected, { client: true, server: true }, 'both sides connected');
    assert.ok(
      s.lost.some((l) => l.from === 'server' && l.why === 'flight 4' && /ServerHello/.test(l.detail)),
      `the first flight 4 was lost (${JSON.stringify(s.lost)})`,
    );
    assert.ok(s.retransmits.length > 0, 'retransmit events happened');
    assert.ok(
      s.retransmits.some((r) => r.reason === 'timeout'),
      `a retransmission timer fired (${JSON.stringify(s.retransmits)})`,
    );
    assert.ok(
      s.retransmits.some((r) => r.side === 'server' && r.flight === 4),
      `the server sent flight 4 again (${JSON.stringify(s.retransmits)})`,
    );
    assert.match(ladder, /flight 4 resent/);
    assert.match(ladder, /client connected/);
    assert.match(ladder, /server connected/);
    assert.match(ladder, /HELLO FROM INSIDE A WORKER/, 'the echo came back');
    assert.deepEqual(errors, []);

    mkdirSync('test-results/browser-demo', { recursive: true });
    await page.screenshot({ path: 'test-results/browser-demo/worker-loss.png', fullPage: true });
  },
);
