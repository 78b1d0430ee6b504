// The browser demo (demo/browser): Chromium loads the page, whose DtlsStream
// (bundled with esbuild) is the DTLS client, carried over a WebSocket to the
// relay and on over UDP: to our own echo server, and to `openssl s_server
// -dtls1_2`. Screenshots are kept under test-results/browser-demo/; the first
// one is also written to docs/browser-demo.png for the README when that file is
// missing or UPDATE_SCREENSHOT=1.
import { test } from './runner.ts';
import assert from 'node:assert/strict';
import { startDemo } from '../../demo/browser/server.ts';
import { assertLadder, ladderText, openPage, screenshot, sendMessage, startOpensslServer, waitConnected, type PageDemo } from './demo.ts';

const LIMIT = { timeout: 30_000 };

test(
  'browser demo: the page is a DTLS client of our echo server through the WebSocket relay, shows the ladder and what was negotiated, and echoes',
  LIMIT,
  async (t) => {
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
      await page.waitForFunction(
        (n) => (window as unknown as { demo: PageDemo }).demo.received.length >= n,
        1 + ['hello over DTLS', 'datagrams, encrypted'].indexOf(text),
        { timeout: 5000 },
      );
    }
    const after = await page.evaluate(() => (window as unknown as { demo: PageDemo }).demo);
    assert.deepEqual(after.received, ['hello over DTLS', 'datagrams, encrypted']);
    assert.equal(await page.locator('.bubble.in').count(), 2);
    assert.ok(demo.relay.counts.toServer >= 5 && demo.relay.counts.toBrowser >= 5, `the relay carried the datagrams (${JSON.stringify(demo.relay.counts)})`);
    assert.ok(
      log.some((l) => /dtls: .* connected \(TLS_ECDHE_ECDSA/.test(l)),
      log.join('\n'),
    );
    await page.locator('#text').fill('');
    await page.locator('#text').blur();
    await screenshot(page, 'demo-echo-server.png', true);
  },
);

test(
  'browser demo: the page completes a handshake with openssl s_server -dtls1_2 through the relay, and s_server prints what the page sent',
  LIMIT,
  async (t) => {
    const openssl = await startOpensslServer(t);
    const demo = await startDemo({ port: 0, target: { host: '127.0.0.1', port: openssl.port }, fingerprint: openssl.fingerprint });
    t.after(() => demo.close());
    const page = await openPage(t, demo);
    const d = await waitConnected(page);
    assert.equal(d.info?.version, 'DTLS 1.2');
    assert.match(d.info!.cipherSuite, /^TLS_ECDHE_ECDSA_WITH_/);
    assert.equal(d.info?.peerFingerprint, demo.fingerprint);
    assert.equal((await page.textContent('#suite'))?.trim(), d.info!.cipherSuite);
    assertLadder(await ladderText(page), true); // s_server always sends a HelloVerifyRequest

    await sendMessage(page, 'hello openssl, from a browser tab');
    await openssl.printed('hello openssl, from a browser tab');
    await screenshot(page, 'demo-openssl.png', false);
  },
);
