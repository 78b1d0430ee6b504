// listen() with DTLS 1.3 connection IDs over real UDP on loopback: a client
// (the sans-IO core, driven here over raw sockets) completes the handshake
// from one socket, then closes it and goes on from another, as a NAT
// rebinding would make it: the server finds the connection by its CID, moves
// the peer once a record authenticates, and data flows both ways. A forged
// datagram under the same CID and a replayed genuine one, from a third
// address, move nothing (RFC 9146 6, RFC 9147 9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { Driver, waitFor } from './udp-driver.ts';
import { connect, generateCertificate, listen, type DtlsStream } from '../../src/index.ts';
import { createConnection } from '../../src/core.ts';
import { bindUdp, nodeUdpConnected, nodeUdpSocket } from '../../src/adapters/node.ts';

test(
  'listen() with connectionId keeps a client whose address changes; forged and replayed datagrams from elsewhere move nothing',
  { timeout: 30_000 },
  async () => {
    const certificate = generateCertificate();
    const serverSocket = await bindUdp({ address: '127.0.0.1', port: 0 });
    const server = listen(nodeUdpSocket(serverSocket), { certificate, versions: ['1.3'], connectionId: 8 });
    const remotes: { address: string; port: number }[] = [];
    const accepted: DtlsStream[] = [];
    const serving = (async () => {
      for await (const conn of server) {
        accepted.push(conn);
        remotes.push(conn.remote!);
        conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
      }
    })();
    const sockets: Socket[] = [serverSocket];
    const conn = createConnection({ role: 'client', versions: ['1.3'], verify: { fingerprints: [certificate.fingerprint] }, connectionId: 4 });
    const client = new Driver(conn, serverSocket.address().port);
    try {
      const a = await bindUdp({ address: '127.0.0.1' });
      sockets.push(a);
      client.attach(a);
      conn.start(Date.now());
      client.flush();
      await waitFor('the handshake', () => conn.state === 'connected');
      assert.equal(conn.handshakeInfo?.version, 'DTLS 1.3');
      assert.equal(conn.connectionIds?.peer?.length, 8, 'the server drew an 8-byte CID');
      client.send('one');
      await waitFor('the first echo', () => client.received.includes('one'));
      assert.deepEqual(server.addresses, [{ address: '127.0.0.1', port: a.address().port }]);
      // The client gives the server a spare CID; it stays on the first until the path changes.
      conn.issueConnectionIds!(Date.now(), 1, 'spare');
      client.flush();
      const [firstCid, spareCid] = conn.connectionIds!.local;
      await waitFor('the spare acknowledged', () => conn.pollTimeout() === undefined);
      client.send('one more');
      await waitFor('an echo on the first path', () => client.received.includes('one more'));
      const echoed = () => client.inbound[client.inbound.length - 1]!;
      assert.deepEqual(echoed().subarray(1, 5), firstCid, 'the server still uses the first CID on the first path');

      // The client's address changes: its first socket is gone, the next datagrams come from another port.
      a.close();
      sockets.splice(sockets.indexOf(a), 1);
      const b = await bindUdp({ address: '127.0.0.1' });
      sockets.push(b);
      client.attach(b);
      client.send('two');
      await waitFor('the echo at the new address', () => client.received.includes('two'));
      assert.equal(server.stats.migrations, 1);
      assert.deepEqual(server.addresses, [{ address: '127.0.0.1', port: b.address().port }]);
      assert.equal(remotes[0]?.port, b.address().port, "the server's DtlsStream.remote follows");
      assert.equal(server.size, 1, 'the same connection, not a new one');

      // From a third address: a forged record under the live CID, and a replay of a genuine datagram.
      const c = await bindUdp({ address: '127.0.0.1' });
      sockets.push(c);
      const genuine = client.sent[client.sent.length - 1]!;
      const forged = genuine.slice();
      forged[forged.length - 1] ^= 1;
      const port = serverSocket.address().port;
      const dropsBefore = (server.stats.droppedRecords.auth_failed ?? 0) + (server.stats.droppedRecords.replay ?? 0);
      c.send(forged, port, '127.0.0.1');
      c.send(genuine, port, '127.0.0.1');
      await waitFor('both dropped', () => (server.stats.droppedRecords.auth_failed ?? 0) + (server.stats.droppedRecords.replay ?? 0) >= dropsBefore + 2);
      assert.equal(server.stats.migrations, 1, 'not moved');
      assert.deepEqual(server.addresses, [{ address: '127.0.0.1', port: b.address().port }]);
      client.send('three');
      await waitFor('the echo still at the second address', () => client.received.includes('three'));
      assert.deepEqual(client.received, ['one', 'one more', 'two', 'three']);
      // Sealed after the move: on the new path the server uses the spare CID (RFC 9147 9).
      assert.deepEqual(echoed().subarray(1, 5), spareCid);

      // The server's stream gives the client a new CID to use at once; the table follows it.
      const served = accepted[0]!;
      assert.equal(served.connectionIds?.local.length, 1);
      const old = conn.connectionIds!.peer!;
      served.issueConnectionIds(1, 'immediate');
      await waitFor('the new CID in use', () => !conn.connectionIds!.peer!.every((x, i) => x === old[i]));
      assert.deepEqual(conn.connectionIds!.peer, served.connectionIds!.local[1]);
      client.send('four');
      await waitFor('the echo under the new CID', () => client.received.includes('four'));
    } finally {
      client.stop();
      conn.close(Date.now());
      client.flush();
      await server.close();
      await serving;
      for (const so of sockets) so.close();
    }
  },
);

test('listen(): connectionId is a length, not bytes', async () => {
  const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
  try {
    assert.throws(() => listen(nodeUdpSocket(socket), { versions: ['1.3'], connectionId: Uint8Array.of(1, 2, 3) }), RangeError);
  } finally {
    socket.close();
  }
});

test('connect() and listen() with connectionId: CIDs both ways through the streams, spares asked for and switched to', { timeout: 30_000 }, async () => {
  const certificate = generateCertificate();
  const serverSocket = await bindUdp({ address: '127.0.0.1', port: 0 });
  const server = listen(nodeUdpSocket(serverSocket), { certificate, versions: ['1.3'], connectionId: 6 });
  const serving = (async () => {
    for await (const conn of server) conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
  })();
  const socket = await bindUdp({ address: '127.0.0.1' });
  const c = await connect(nodeUdpConnected(socket, '127.0.0.1', serverSocket.address().port), {
    verify: { fingerprints: [certificate.fingerprint] },
    versions: ['1.3'],
    connectionId: 3,
  });
  try {
    assert.equal(c.connectionIds?.local[0]?.length, 3);
    assert.equal(c.connectionIds?.peer?.length, 6);
    const w = c.outbound.writable.getWriter();
    const r = c.inbound.readable.getReader();
    await w.write(new TextEncoder().encode('a'));
    assert.equal(new TextDecoder().decode((await r.read()).value), 'a');
    c.requestConnectionIds(2);
    assert.throws(() => c.requestConnectionIds(1), TypeError, 'one request at a time');
    await waitFor('the spares', () => c.connectionIds?.spares === 2);
    assert.equal(c.switchConnectionId(), true);
    await w.write(new TextEncoder().encode('b'));
    assert.equal(new TextDecoder().decode((await r.read()).value), 'b');
    assert.equal(c.connectionIds?.spares, 1);
    w.releaseLock();
    r.releaseLock();
  } finally {
    await c.close();
    await server.close();
    await serving;
    socket.close();
    serverSocket.close();
  }
});
