// listen() with DTLS 1.3 (RFC 9147 5.1): the stateless gate answers a 1.3
// ClientHello with a HelloRetryRequest whose cookie the server keeps no state
// for, and the connection that the returning ClientHello opens completes 1.3;
// a 1.2-only client still gets a HelloVerifyRequest and DTLS 1.2, the
// ServerHello marked with the downgrade sentinel. Real UDP on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, generateCertificate, listen, type DtlsStream } from '../../src/index.ts';
import { bindUdp, nodeUdpConnected, nodeUdpSocket } from '../../src/adapters/node.ts';
import { echoOnce } from '../stream/echo-once.ts';

test(
  'listen() with versions 1.3 and 1.2: a 1.3 client through the HelloRetryRequest cookie, a 1.2 client through HelloVerifyRequest',
  { timeout: 30_000 },
  async () => {
    const certificate = generateCertificate();
    const serverSocket = await bindUdp({ address: '127.0.0.1', port: 0 });
    const server = listen(nodeUdpSocket(serverSocket), { certificate, versions: ['1.3', '1.2'] });
    const serving = (async () => {
      for await (const conn of server) conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
    })();
    const port = serverSocket.address().port;
    const clients: DtlsStream[] = [];
    const sockets = [serverSocket];
    const dial = async (versions: ('1.2' | '1.3')[]) => {
      const socket = await bindUdp({ address: '127.0.0.1' });
      sockets.push(socket);
      const c = await connect(nodeUdpConnected(socket, '127.0.0.1', port), { verify: { fingerprints: [certificate.fingerprint] }, versions });
      clients.push(c);
      return c;
    };
    try {
      for (const versions of [['1.3'], ['1.3', '1.2']] as ('1.2' | '1.3')[][]) {
        const before = server.stats.cookieReplies;
        const c = await dial(versions);
        assert.equal((await c.handshake).version, 'DTLS 1.3', `client ${versions}`);
        // One HelloRetryRequest per ClientHello1 (a retransmitted ClientHello1 on a busy machine draws another).
        assert.ok(server.stats.cookieReplies > before, 'a stateless HelloRetryRequest');
        assert.equal(await echoOnce(c, `echo ${versions}`), `echo ${versions}`);
        await c.close();
      }
      const c12 = await dial(['1.2']);
      assert.equal((await c12.handshake).version, 'DTLS 1.2');
      assert.equal(await echoOnce(c12, 'echo 1.2'), 'echo 1.2');
      await c12.close();
    } finally {
      await Promise.allSettled(clients.map((c) => c.close()));
      await server.close();
      await serving;
      // The sockets are ours to close (the streams do not own them): otherwise they hold the process open.
      for (const so of sockets) so.close();
    }
  },
);

test(
  'listen(): a 1.3 ClientHello in fragments (X25519MLKEM768 share; MTU 256) is reassembled by the gate and completes DTLS 1.3, not 1.2',
  { timeout: 30_000 },
  async () => {
    const certificate = generateCertificate();
    const serverSocket = await bindUdp({ address: '127.0.0.1', port: 0 });
    const server = listen(nodeUdpSocket(serverSocket), { certificate, versions: ['1.3', '1.2'], groups: ['X25519MLKEM768', 'x25519', 'secp256r1'] });
    const serving = (async () => {
      for await (const conn of server) conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
    })();
    const port = serverSocket.address().port;
    const clients: DtlsStream[] = [];
    const sockets = [serverSocket];
    try {
      const cases: { name: string; groups?: string[]; mtu?: number }[] = [
        { name: 'X25519MLKEM768', groups: ['X25519MLKEM768'] },
        { name: 'mtu 256', mtu: 256 },
        { name: 'X25519MLKEM768 at mtu 256', groups: ['X25519MLKEM768'], mtu: 256 },
      ];
      for (const k of cases) {
        const socket = await bindUdp({ address: '127.0.0.1' });
        sockets.push(socket);
        const held = server.stats.heldFragments;
        const c = await connect(nodeUdpConnected(socket, '127.0.0.1', port), {
          verify: { fingerprints: [certificate.fingerprint] },
          versions: ['1.3', '1.2'],
          ...(k.groups ? { groups: k.groups as never } : {}),
          ...(k.mtu ? { mtu: k.mtu } : {}),
        });
        clients.push(c);
        const info = await c.handshake;
        assert.equal(info.version, 'DTLS 1.3', k.name);
        if (k.groups) assert.equal(info.group, 'X25519MLKEM768', k.name);
        assert.ok(server.stats.heldFragments > held, `${k.name}: the gate held pieces of the ClientHello`);
        assert.equal(await echoOnce(c, `echo ${k.name}`), `echo ${k.name}`);
        await c.close();
      }
    } finally {
      await Promise.allSettled(clients.map((c) => c.close()));
      await server.close();
      await serving;
      for (const so of sockets) so.close();
    }
  },
);
