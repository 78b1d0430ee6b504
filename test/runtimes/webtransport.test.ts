// WebTransport's datagrams are already a DatagramDuplex; webTransportDuplex()
// only picks the writable and an mtu that fits. Node has no WebTransport, so a
// stand-in with the same shape (Uint8Array streams and maxDatagramSize, which
// drops larger datagrams as browsers do) carries a real handshake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webTransportDuplex, type WebTransportDatagramsLike } from '../../src/adapters/webtransport.ts';
import { connect, DtlsStream, generateCertificate } from '../../src/index.ts';

/** One direction of datagrams that silently drops anything over `max` bytes, as WebTransport does. */
function lane(max: number, dropped: number[]): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform: (chunk, c) => (chunk.byteLength > max ? void dropped.push(chunk.byteLength) : c.enqueue(chunk)),
  });
}

test('connect() over WebTransport-shaped datagrams with the mtu from webTransportDuplex()', { timeout: 15_000 }, async () => {
  const max = 600;
  const dropped: number[] = [];
  const up = lane(max, dropped);
  const down = lane(max, dropped);
  const datagrams: WebTransportDatagramsLike = { readable: down.readable, writable: up.writable, maxDatagramSize: max };
  const certificate = generateCertificate();
  const server = new DtlsStream({ role: 'server', certificate, mtu: max });
  void up.readable.pipeTo(server.inbound.writable).catch(() => {});
  void server.outbound.readable.pipeTo(down.writable).catch(() => {});
  void server.inbound.readable.pipeTo(server.outbound.writable).catch(() => {}); // echo

  const { duplex, mtu } = webTransportDuplex({ datagrams });
  assert.equal(mtu, 600);
  assert.equal(duplex.readable, datagrams.readable, 'the streams are used as they are');
  const dtls = await connect(duplex, { mtu, verify: { fingerprints: [certificate.fingerprint] } });
  const w = dtls.outbound.writable.getWriter();
  const r = dtls.inbound.readable.getReader();
  await w.write(new TextEncoder().encode('over webtransport'));
  assert.equal(new TextDecoder().decode((await r.read()).value), 'over webtransport');
  assert.deepEqual(dropped, [], 'no datagram exceeded maxDatagramSize');
  w.releaseLock();
  r.releaseLock();
  await dtls.close();
  await server.closed;
});

test('webTransportDuplex prefers createWritable(), caps the mtu, refuses tiny datagrams', () => {
  const made = new WritableStream<Uint8Array>();
  const old = new WritableStream<Uint8Array>();
  const readable = new ReadableStream<Uint8Array>();
  const a = webTransportDuplex({ datagrams: { readable, writable: old, createWritable: () => made, maxDatagramSize: 1400 } });
  assert.equal(a.duplex.writable, made);
  assert.equal(a.mtu, 1200);
  assert.equal(webTransportDuplex({ datagrams: { readable, writable: old } }, 1000).mtu, 1000);
  assert.equal(webTransportDuplex({ datagrams: { readable, writable: old, maxDatagramSize: 1100 } }).duplex.writable, old);
  assert.equal(webTransportDuplex({ datagrams: { readable, writable: old, maxDatagramSize: 1100 } }).mtu, 1100);
  assert.throws(() => webTransportDuplex({ datagrams: { readable, writable: old, maxDatagramSize: 100 } }), RangeError);
  assert.throws(() => webTransportDuplex({ datagrams: { readable } }), TypeError);
});
