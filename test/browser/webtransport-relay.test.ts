// The WebTransport relay (examples/webtransport-relay, Deno's HTTP/3 server)
// with a real browser: Chromium opens the demo page with ?transport=webtransport,
// pins the relay's short-lived ECDSA certificate by hash, and its DtlsStream
// completes DTLS through the relay to our listen() echo server and to
// `openssl s_server -dtls1_2`, each datagram carried as one WebTransport
// datagram and one UDP datagram.
import assert from 'node:assert/strict';
import { test } from './runner.ts';
import { WEBTRANSPORT_ARGS } from './chromium.ts';
import { startDemo } from '../../demo/browser/server.ts';
import { bindUdp } from '../../src/adapters/node.ts';
import { assertLadder, ladderText, openPage, screenshot, sendMessage, startOpensslServer, waitConnected, waitReceived } from './demo.ts';

// Deno compiles the relay's TypeScript on its first start: allow for it.
const LIMIT = { timeout: 60_000 };
/** What Chromium allows in one WebTransport datagram on loopback (PEERS.md). */
const CHROMIUM_MAX_DATAGRAM = 1211;

test("WebTransport relay: the page completes DTLS through Deno's HTTP/3 relay to our echo server, and echoes", LIMIT, async (t) => {
  const log: string[] = [];
  const demo = await startDemo({ port: 0, webtransport: {}, log: (l) => log.push(l) });
  t.after(() => demo.close());
  assert.ok(demo.webtransport, 'the demo started the WebTransport relay');
  const page = await openPage(t, demo, { path: '?transport=webtransport', args: WEBTRANSPORT_ARGS });
  const d = await waitConnected(page);

  assert.equal(d.transport, 'webtransport');
  assert.ok(d.mtu! <= CHROMIUM_MAX_DATAGRAM, `the DTLS mtu ${d.mtu} fits a WebTransport datagram`);
  assert.equal(d.info?.version, 'DTLS 1.2');
  assert.match(d.info!.cipherSuite, /^TLS_ECDHE_ECDSA_WITH_/);
  assert.equal(d.info?.peerFingerprint, demo.fingerprint, 'the page verified our DTLS server, not the relay');
  assert.notEqual(demo.webtransport.fingerprint, demo.fingerprint, 'the relay has its own certificate');
  assertLadder(await ladderText(page), true);
  assert.match(await ladderText(page), /WebTransport session to https:\/\/127\.0\.0\.1:\d+\/dtls/);

  // The relay's UDP socket takes datagrams from the DTLS server only: a stranger's are dropped, not relayed to the page.
  const relayPort = Number(/session #1 ⇄ udp:\/\/\S+ from udp port (\d+)/.exec(log.join('\n'))?.[1]);
  assert.ok(relayPort > 0, log.join('\n'));
  const stranger = await bindUdp({ address: '127.0.0.1' });
  t.after(() => new Promise<void>((resolve) => stranger.close(() => resolve())));
  for (let i = 0; i < 3; i++)
    await new Promise<void>((resolve, reject) => stranger.send(Buffer.from('not from the server'), relayPort, '127.0.0.1', (e) => (e ? reject(e) : resolve())));

  const texts = ['hello over HTTP/3', 'one datagram each way'];
  for (const [i, text] of texts.entries()) {
    await sendMessage(page, text);
    await waitReceived(page, i + 1);
  }
  assert.deepEqual((await waitReceived(page, 2)).slice(0, 2), texts);
  // Both hops were used: the relay opened a UDP session to our server, which accepted the page's handshake from it.
  assert.ok(
    log.some((l) => l.startsWith(`dtls: 127.0.0.1:${relayPort} connected`)),
    `our server saw the relay's UDP port ${relayPort}:\n${log.join('\n')}`,
  );
  await page.locator('#text').fill('');
  await screenshot(page, 'demo-webtransport.png', false);

  // Closing the page's side ends the relay's session and its UDP socket.
  await page.evaluate(() => document.querySelector<HTMLSelectElement>('#transport')!.dispatchEvent(new Event('change')));
  const deadline = Date.now() + 15_000;
  // Deno reports the session's end at the QUIC idle timeout (10 s) at the latest.
  while (!log.some((l) => /relay: session #1 closed after \d+ datagrams to the server, \d+ back/.test(l))) {
    assert.ok(Date.now() < deadline, `the relay closed session #1:\n${log.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const counts = /session #1 closed after (\d+) datagrams to the server, (\d+) back/.exec(log.join('\n'))!;
  assert.ok(Number(counts[1]) >= 5 && Number(counts[2]) >= 5, `the relay carried the handshake and the echoes: ${counts[0]}`);
  assert.ok(
    log.some((l) => /relay: session #1 closed after .*, 3 from other addresses dropped$/.test(l)),
    `the stranger's datagrams were dropped:\n${log.join('\n')}`,
  );
});

test('WebTransport relay: the page completes DTLS through the relay to openssl s_server -dtls1_2; each side reads what the other sent', LIMIT, async (t) => {
  const openssl = await startOpensslServer(t);
  const demo = await startDemo({ port: 0, target: { host: '127.0.0.1', port: openssl.port }, fingerprint: openssl.fingerprint, webtransport: {} });
  t.after(() => demo.close());
  const page = await openPage(t, demo, { path: '?transport=webtransport', args: WEBTRANSPORT_ARGS });
  const d = await waitConnected(page);
  assert.equal(d.transport, 'webtransport');
  assert.equal(d.info?.version, 'DTLS 1.2');
  assert.equal(d.info?.peerFingerprint, openssl.fingerprint);
  assertLadder(await ladderText(page), true); // s_server always sends a HelloVerifyRequest

  await sendMessage(page, 'hello openssl, over WebTransport');
  await openssl.printed('hello openssl, over WebTransport');
  openssl.type('hello page, from s_server');
  const received = await waitReceived(page, 1);
  assert.equal(received[0]!.trim(), 'hello page, from s_server');
});
