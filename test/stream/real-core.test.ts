// The stream layer over the real Connection and cookie gate (the public entry),
// on loopback UDP with real timers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { DtlsStream, connect, listen } from '../../src/stream/index.ts';
import { bindUdp, nodeUdpConnected, nodeUdpSocket } from '../../src/adapters/node.ts';
import { DtlsError } from '../../src/errors.ts';
import { certs } from '../handshake/helpers.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const closeSocket = (s: Socket): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

test('connect() to listen() over loopback UDP with the real core: cookie, handshake, echo, close', async () => {
  const { server: cert } = certs();
  const [serverSock, clientSock] = await Promise.all([bindUdp({ address: '127.0.0.1' }), bindUdp({ address: '127.0.0.1' })]);
  const server = listen(nodeUdpSocket(serverSock), { certificate: cert });
  const serving = (async () => {
    for await (const conn of server) void conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
  })();
  const dtls = await connect(nodeUdpConnected(clientSock, '127.0.0.1', serverSock.address().port), {
    verify: { fingerprints: [cert.fingerprint] },
  });
  assert.equal(dtls.info?.version, 'DTLS 1.3', 'the defaults on both sides');
  assert.equal(dtls.info?.peerFingerprint, cert.fingerprint);
  const w = dtls.outbound.writable.getWriter();
  const r = dtls.inbound.readable.getReader();
  await w.write(enc('hello over DTLS'));
  assert.equal(dec((await r.read()).value!), 'hello over DTLS');
  assert.equal(dtls.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 60).length, 60);
  await dtls.close();
  for (let i = 0; i < 100 && server.size > 0; i++) await new Promise((res) => setTimeout(res, 5));
  assert.equal(server.size, 0, 'the server saw close_notify');
  await server.close();
  await serving;
  await Promise.all([serverSock, clientSock].map(closeSocket));
});

test('a DtlsStream pair with the real core, in memory, verifying a wrong fingerprint fails typed', async () => {
  const { server: cert, client: other } = certs();
  const client = new DtlsStream({ role: 'client', verify: { fingerprints: [other.fingerprint] } });
  const server = new DtlsStream({ role: 'server', certificate: cert });
  void client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
  void server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
  await assert.rejects(client.handshake, (e) => e instanceof DtlsError);
  await assert.rejects(server.handshake, (e) => e instanceof DtlsError && e.fromPeer);
  assert.equal(client.state, 'failed');
  assert.equal(server.state, 'failed');
});

test('a loopback handshake through the cookie exchange needs no retransmission', async () => {
  const { server: cert } = certs();
  const [serverSock, clientSock] = await Promise.all([bindUdp({ address: '127.0.0.1' }), bindUdp({ address: '127.0.0.1' })]);
  // A timer far above any loopback round trip, even on a loaded machine: a retransmission
  // here can only come from the protocol (e.g. answering a replayed flight), not from time.
  const retransmit = { initial: 10_000, adaptive: false };
  const server = listen(nodeUdpSocket(serverSock), { certificate: cert, retransmit });
  try {
    const dtls = await connect(nodeUdpConnected(clientSock, '127.0.0.1', serverSock.address().port), {
      verify: { fingerprints: [cert.fingerprint] },
      retransmit,
    });
    assert.equal(dtls.stats.retransmits, 0);
    assert.deepEqual(dtls.stats.dropped, {});
    await dtls.close();
  } finally {
    await server.close();
    await Promise.all([serverSock, clientSock].map(closeSocket));
  }
});

test('listen(): accepted connections carry the peer address; failed handshakes are reported as handshakeerror', async () => {
  const { server: cert, client: other } = certs();
  const [serverSock, goodSock, badSock] = await Promise.all([
    bindUdp({ address: '127.0.0.1' }),
    bindUdp({ address: '127.0.0.1' }),
    bindUdp({ address: '127.0.0.1' }),
  ]);
  const server = listen(nodeUdpSocket(serverSock), { certificate: cert, requestClientCertificate: 'require', verify: { fingerprints: [other.fingerprint] } });
  const errors: { port: number; error: unknown }[] = [];
  server.addEventListener('handshakeerror', (e) => errors.push((e as CustomEvent).detail));
  try {
    const port = serverSock.address().port;
    // A client without a certificate is refused; one with the pinned certificate gets in. In DTLS 1.3 the
    // client is done when it sends its Finished, before the server reads its (empty) Certificate: the
    // server's alert then ends the connection it has.
    const refused = connect(nodeUdpConnected(badSock, '127.0.0.1', port), { verify: { fingerprints: [cert.fingerprint] } }).then((d) => d.closed);
    await assert.rejects(refused, (e) => e instanceof DtlsError);
    const good = await connect(nodeUdpConnected(goodSock, '127.0.0.1', port), { verify: { fingerprints: [cert.fingerprint] }, certificate: other });
    const reader = server.connections.getReader();
    const accepted = (await reader.read()).value!;
    reader.releaseLock();
    assert.deepEqual(accepted.remote, { address: '127.0.0.1', port: goodSock.address().port });
    for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.port, badSock.address().port);
    await good.close();
  } finally {
    await server.close();
    await Promise.all([serverSock, goodSock, badSock].map(closeSocket));
  }
});

test('connect(): a transport that fails before the handshake rejects with its cause', async () => {
  const boom = new Error('ENOTFOUND example.invalid');
  const duplex = {
    readable: new ReadableStream<Uint8Array>({ start: (c) => c.error(boom) }),
    writable: new WritableStream<Uint8Array>(),
  };
  await assert.rejects(
    connect(duplex, { verify: 'insecure' }),
    (e: unknown) => e instanceof DtlsError && e.code === 'closed' && /ENOTFOUND/.test(e.message) && e.cause === boom,
  );
});

test('DtlsStream.abort(alert): the peer fails with that alert, our streams error with code aborted, and misuse rejects', async () => {
  const { server: cert } = certs();
  const client = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] } });
  const server = new DtlsStream({ role: 'server', certificate: cert });
  const c2s = client.outbound.readable.pipeTo(server.inbound.writable);
  const s2c = server.outbound.readable.pipeTo(client.inbound.writable);
  await Promise.all([client.handshake, server.handshake]);
  await assert.rejects(server.abort('close_notify'), RangeError, 'close_notify is close()');
  assert.equal(server.state, 'connected', 'a refused call changes nothing');

  const reading = client.inbound.readable.getReader().read();
  await server.abort('access_denied');
  assert.equal(server.state, 'failed');
  await assert.rejects(server.closed, (e) => e instanceof DtlsError && e.code === 'aborted' && e.alert === 49 && !e.fromPeer);
  await assert.rejects(reading, (e) => e instanceof DtlsError && e.code === 'peer_alert' && e.alert === 49 && e.fromPeer);
  assert.equal(client.state, 'failed');
  await server.abort('internal_error'); // after the end: nothing
  await assert.rejects(server.closed, (e) => e instanceof DtlsError && e.alert === 49, 'still the first abort');
  await Promise.allSettled([c2s, s2c]);

  const never = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] } });
  await never.abort('user_canceled');
  assert.equal(never.state, 'failed', 'a stream never used ends at once, sending nothing');
});
