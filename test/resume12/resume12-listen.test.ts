// DTLS 1.2 resumption through listen(): the stateless gate answers each
// first ClientHello with a HelloVerifyRequest (RFC 6347 4.2.1), so the
// ClientHello with the ticket that resumes is the second one. Both a
// 1.2-only client and a 1.3+1.2 client (against a 1.2-only listen()) resume;
// the ticket key is the one listen() made. Real UDP on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, generateCertificate, listen, type DtlsStream } from '../../src/index.ts';
import { bindUdp, nodeUdpConnected, nodeUdpSocket } from '../../src/adapters/node.ts';
import { echoOnce } from '../stream/echo-once.ts';

for (const clientVersions of [['1.2'], ['1.3', '1.2']] as ('1.2' | '1.3')[][]) {
  test(
    `listen() DTLS 1.2, client ${clientVersions.join('+')}: the session of the first connection resumes the second after the cookie exchange`,
    { timeout: 30_000 },
    async () => {
      const certificate = generateCertificate();
      const serverSocket = await bindUdp({ address: '127.0.0.1', port: 0 });
      const server = listen(nodeUdpSocket(serverSocket), { certificate, versions: ['1.2'] });
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
          versions: clientVersions,
          ...extra,
        });
        clients.push(c);
        return c;
      };
      try {
        const sessions: Uint8Array[] = [];
        const first = await dial({ onSession: (s) => sessions.push(s) });
        const info1 = await first.handshake;
        assert.equal(info1.resumed, false);
        assert.equal(info1.version, 'DTLS 1.2');
        assert.equal(sessions.length, 1, 'the ticket came in the handshake');
        assert.equal(await echoOnce(first, 'one'), 'one');
        await first.close();

        const before = server.stats.cookieReplies;
        const second = await dial({ session: sessions[0]! });
        const info2 = await second.handshake;
        assert.equal(info2.resumed, true);
        assert.ok(server.stats.cookieReplies > before, 'the resumed ClientHello came after a HelloVerifyRequest');
        assert.equal(info2.peerFingerprint, info1.peerFingerprint);
        assert.equal(await echoOnce(second, 'two'), 'two');
        await second.close();
      } finally {
        await Promise.allSettled(clients.map((c) => c.close()));
        await server.close();
        await serving;
        for (const so of sockets) so.close();
      }
    },
  );
}
