// Resumption through listen() (RFC 8446 2.2, 4.2.11.2; RFC 9147 5.1): the
// stateless gate answers every first 1.3 ClientHello with a HelloRetryRequest
// cookie, so the resumed ClientHello is the second one and its binder covers
// message_hash and the HRR. The server's ticket key is the one listen() made.
// Real UDP on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, generateCertificate, listen, type DtlsStream } from '../../src/index.ts';
import { bindUdp, nodeUdpConnected, nodeUdpSocket } from '../../src/adapters/node.ts';
import { echoOnce } from '../stream/echo-once.ts';

test('listen() with DTLS 1.3: a session from the first connection resumes the second through the HelloRetryRequest cookie', { timeout: 30_000 }, async () => {
  const certificate = generateCertificate();
  const serverSocket = await bindUdp({ address: '127.0.0.1', port: 0 });
  const server = listen(nodeUdpSocket(serverSocket), { certificate, versions: ['1.3'] });
  const serving = (async () => {
    for await (const conn of server) conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
  })();
  const port = serverSocket.address().port;
  const clients: DtlsStream[] = [];
  const sockets = [serverSocket];
  const dial = async (extra: { onSession?: (s: Uint8Array) => void; session?: Uint8Array }) => {
    const socket = await bindUdp({ address: '127.0.0.1' });
    sockets.push(socket);
    const c = await connect(nodeUdpConnected(socket, '127.0.0.1', port), {
      verify: { fingerprints: [certificate.fingerprint] },
      versions: ['1.3'],
      ...extra,
    });
    clients.push(c);
    return c;
  };
  try {
    let gotSession!: (s: Uint8Array) => void;
    const session = new Promise<Uint8Array>((resolve) => (gotSession = resolve));
    const first = await dial({ onSession: (s) => gotSession(s) });
    const info1 = await first.handshake;
    assert.equal(info1.resumed, false);
    // The ticket follows the handshake; the echo keeps the connection busy until it is in.
    assert.equal(await echoOnce(first, 'one'), 'one');
    const bytes = await session;
    await first.close();

    const before = server.stats.cookieReplies;
    const second = await dial({ session: bytes });
    const info2 = await second.handshake;
    assert.equal(info2.version, 'DTLS 1.3');
    assert.equal(info2.resumed, true);
    assert.ok(server.stats.cookieReplies > before, 'the resumed ClientHello came after a stateless HelloRetryRequest');
    assert.equal(info2.peerFingerprint, info1.peerFingerprint);
    assert.equal(await echoOnce(second, 'two'), 'two');
    await second.close();
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
    await server.close();
    await serving;
    for (const so of sockets) so.close();
  }
});
