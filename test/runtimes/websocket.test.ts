// webSocketDuplex on Node with the `ws` package's client: DTLS through a
// WebSocket relay to our UDP server (handshake, echo, close), and the adapter's
// own behaviour (message framing, close, backpressure) with a stand-in socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import WebSocket from 'ws';
import { webSocketDuplex, type WebSocketLike } from '../../src/adapters/websocket.ts';
import { bindUdp, nodeUdpSocket } from '../../src/adapters/node.ts';
import { connect, listen, generateCertificate, type DtlsStream } from '../../src/index.ts';
import { startRelay } from './relay.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const closeSocket = (s: Socket): Promise<void> => new Promise((resolve) => s.close(() => resolve()));
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

test('DTLS over a WebSocket (ws client) relayed to our UDP server: handshake, echo, close', { timeout: 20_000 }, async (t) => {
  const certificate = generateCertificate();
  const udp = await bindUdp({ address: '127.0.0.1' });
  t.after(() => closeSocket(udp).catch(() => {}));
  const server = listen(nodeUdpSocket(udp), { certificate });
  const accepted: DtlsStream[] = [];
  const serving = (async () => {
    for await (const conn of server) {
      accepted.push(conn);
      void conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
    }
  })();
  const relay = await startRelay(udp.address().port);
  t.after(() => relay.close());

  const ws = new WebSocket(relay.url);
  t.after(() => ws.terminate());
  const duplex = webSocketDuplex(ws); // still connecting: writes wait for 'open'
  const dtls = await connect(duplex, { verify: { fingerprints: [certificate.fingerprint] } });
  assert.equal(dtls.info?.version, 'DTLS 1.3');
  assert.equal(dtls.info?.peerFingerprint, certificate.fingerprint);

  const w = dtls.outbound.writable.getWriter();
  const r = dtls.inbound.readable.getReader();
  const secret = 'plaintext the relay must never see';
  await w.write(enc(secret));
  assert.equal(dec((await r.read()).value!), secret);
  await w.write(enc('second'));
  assert.equal(dec((await r.read()).value!), 'second');
  assert.ok(relay.counts.up >= 4 && relay.counts.down >= 4, JSON.stringify(relay.counts));
  assert.ok(!relay.carried.some((d) => contains(d, enc(secret))), 'the relay saw only ciphertext');

  w.releaseLock();
  r.releaseLock();
  await dtls.close();
  for (let i = 0; i < 200 && server.size > 0; i++) await tick(5);
  assert.equal(server.size, 0, 'the server got close_notify through the relay');
  assert.equal(accepted.length, 1);
  assert.equal(ws.readyState, WebSocket.OPEN, 'closing the DTLS connection leaves the WebSocket open');
  ws.close();
  await server.close();
  await serving;
});

test('the ws client: binary messages in order, text dropped and counted, readable ends when the socket closes', { timeout: 10_000 }, async (t) => {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  t.after(() => new Promise<void>((r) => wss.close(() => r())));
  wss.on('connection', (peer) => {
    peer.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) return;
      peer.send('a text frame, not a datagram');
      peer.send(Buffer.concat([Buffer.from('re:'), data]));
      if (data.toString() === 'bye') peer.close();
    });
  });
  const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
  t.after(() => ws.terminate());
  const d = webSocketDuplex(ws);
  assert.equal(ws.binaryType, 'arraybuffer');
  const w = d.writable.getWriter();
  const r = d.readable.getReader();
  await w.write(enc('one'));
  await w.write(enc('two').subarray(1)); // a view: only its bytes are sent
  await w.write(enc('bye'));
  const got: string[] = [];
  for (;;) {
    const { value, done } = await r.read();
    if (done) break;
    assert.ok(value instanceof Uint8Array && !Buffer.isBuffer(value));
    got.push(dec(value));
  }
  assert.deepEqual(got, ['re:one', 're:wo', 're:bye']);
  assert.equal(d.dropped, 3);
  await assert.rejects(w.write(enc('late')), /closing or closed/);
});

/** A stand-in WebSocket to drive the adapter's edge cases. */
class FakeSocket extends EventTarget implements WebSocketLike {
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  sent: Uint8Array[] = [];
  closeCalls = 0;
  send(data: Uint8Array<ArrayBuffer>): void {
    const bytes = data;
    this.sent.push(bytes.slice());
    this.bufferedAmount += bytes.byteLength;
  }
  close(): void {
    this.closeCalls++;
    this.readyState = 2;
  }
  fire(type: string, data?: unknown): void {
    if (type === 'open') this.readyState = 1;
    if (type === 'close') this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event(type), { data }));
  }
}

test('writes wait for open and while bufferedAmount is over the limit; closing the writable leaves the socket open', { timeout: 10_000 }, async () => {
  const ws = new FakeSocket();
  const d = webSocketDuplex(ws, { maxBufferedAmount: 4, pollInterval: 1 });
  const w = d.writable.getWriter();
  const first = w.write(Uint8Array.of(1, 2, 3, 4, 5));
  await tick(5);
  assert.equal(ws.sent.length, 0, 'nothing is sent before open');
  ws.fire('open');
  await first;
  assert.equal(ws.sent.length, 1);
  let secondDone = false;
  const second = w.write(Uint8Array.of(6)).then(() => void (secondDone = true));
  await tick(10);
  assert.equal(secondDone, false, 'bufferedAmount 5 > 4: the write waits');
  ws.bufferedAmount = 0; // the socket drained
  await second;
  assert.deepEqual(
    ws.sent.map((b) => [...b]),
    [[1, 2, 3, 4, 5], [6]],
  );
  await w.close();
  assert.equal(ws.closeCalls, 0, 'closing the writable closes nothing else');

  // A Blob message (an implementation that ignored binaryType) keeps its place.
  const r = d.readable.getReader();
  ws.fire('message', new Blob([Uint8Array.of(7)]));
  ws.fire('message', Uint8Array.of(8).buffer);
  assert.deepEqual([...(await r.read()).value!], [7]);
  assert.deepEqual([...(await r.read()).value!], [8]);
  ws.fire('close');
  assert.equal((await r.read()).done, true);
});

test('closeSocket: true closes the socket with the writable; a socket that closes before opening fails the write', async () => {
  const ws = new FakeSocket();
  ws.readyState = 1;
  const d = webSocketDuplex(ws, { closeSocket: true });
  await d.writable.getWriter().close();
  assert.equal(ws.closeCalls, 1);

  const ws2 = new FakeSocket();
  const w2 = webSocketDuplex(ws2).writable.getWriter();
  const p = w2.write(Uint8Array.of(1));
  ws2.fire('close');
  await assert.rejects(p, /closed/);

  const ws3 = new FakeSocket();
  ws3.readyState = 3;
  const r3 = webSocketDuplex(ws3).readable.getReader();
  assert.equal((await r3.read()).done, true, 'an already closed socket gives an ended readable');
  assert.throws(() => webSocketDuplex(new FakeSocket(), { highWaterMark: 0 }), RangeError);
});

test('the readable drops and counts messages beyond highWaterMark while nobody reads', async () => {
  const ws = new FakeSocket();
  ws.readyState = 1;
  const d = webSocketDuplex(ws, { highWaterMark: 2 });
  for (let i = 0; i < 5; i++) ws.fire('message', Uint8Array.of(i).buffer);
  await tick();
  assert.equal(d.dropped, 3);
  const r = d.readable.getReader();
  assert.deepEqual([...(await r.read()).value!], [0]);
  assert.deepEqual([...(await r.read()).value!], [1]);
  await r.cancel(); // detaches only
  assert.equal(ws.closeCalls, 0);
});

test(
  'a relay that refuses the connection: connect() rejects, the write fails with the socket error, nothing is thrown unhandled',
  { timeout: 10_000 },
  async (t) => {
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((r) => probe.close(() => r()));
    const ws = new WebSocket(`ws://127.0.0.1:${port}`); // nobody listens: ECONNREFUSED
    t.after(() => ws.terminate());
    const d = webSocketDuplex(ws);
    const write = d.writable.getWriter().write(Uint8Array.of(1));
    await assert.rejects(write, (e: Error) => /closed before it opened/.test(e.message) && /ECONNREFUSED/.test(e.message));
    assert.equal((await d.readable.getReader().read()).done, true);
    const ws2 = new WebSocket(`ws://127.0.0.1:${port}`);
    t.after(() => ws2.terminate());
    await assert.rejects(connect(webSocketDuplex(ws2), { verify: 'insecure', handshakeTimeout: 5000 }));
  },
);
