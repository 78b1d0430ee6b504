// listen() with DTLS 1.2 connection IDs (RFC 9146 6): the server routes a
// tls12_cid datagram by its CID, whatever address it comes from, and moves
// the peer only when a record of it authenticates and is the newest yet
// (stats.migrations), exactly as for DTLS 1.3. First on an in-memory socket
// with the real core and the real cookie gate (deterministic), then over real
// UDP on loopback. Forged and replayed datagrams from a third address move
// nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { Connection } from '../../src/connection.ts';
import { resolveOptions } from '../../src/options.ts';
import { ManualClock } from '../../src/stream/clock.ts';
import { cert, dec, enc, memoryNet, realServer, until } from '../stream/memory-server.ts';
import { generateCertificate, listen } from '../../src/index.ts';
import { createConnection } from '../../src/core.ts';
import { bindUdp, nodeUdpSocket } from '../../src/adapters/node.ts';
import { Driver, waitFor } from '../dtls13/udp-driver.ts';

test('in memory: a 1.2 client with a CID moves to another address and keeps its connection; forged and replayed datagrams move nothing', async () => {
  const net = memoryNet();
  const clock = new ManualClock();
  const { server, serving } = realServer(net, clock, { versions: ['1.2'], connectionId: 8 });
  const conn = new Connection(resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [cert.fingerprint] }, connectionId: 4, clock }));
  const received: string[] = [];
  const sent: Uint8Array[] = [];
  let from = { address: '10.0.0.1', port: 4000 };
  const flush = () => {
    for (let d = conn.pollTransmit(); d; d = conn.pollTransmit()) {
      sent.push(d);
      net.send(d, from.address, from.port);
    }
    for (let p = conn.pollReceived(); p; p = conn.pollReceived()) received.push(dec(p));
  };
  const deliver = (d: Uint8Array) => {
    conn.handleDatagram(clock.now(), d);
    flush();
  };
  net.routes.set('10.0.0.1|4000', deliver);
  net.routes.set('10.0.0.2|5000', deliver);
  try {
    conn.start(clock.now());
    flush();
    await until(() => conn.state === 'connected', 'the handshake');
    assert.equal(conn.handshakeInfo?.version, 'DTLS 1.2');
    assert.equal(conn.connectionIds?.peer?.length, 8, 'the server drew an 8-byte CID');
    conn.send(clock.now(), enc('one'));
    flush();
    await until(() => received.includes('one'), 'the first echo');
    assert.deepEqual(server.addresses, [{ address: '10.0.0.1', port: 4000 }]);

    // A NAT rebinding: the same client, another address and port.
    from = { address: '10.0.0.2', port: 5000 };
    conn.send(clock.now(), enc('two'));
    flush();
    await until(() => received.includes('two'), 'the echo at the new address');
    assert.equal(server.stats.migrations, 1);
    assert.deepEqual(server.addresses, [{ address: '10.0.0.2', port: 5000 }]);
    assert.equal(server.size, 1, 'the same connection, not a new one');

    // From a third address: a forged record under the live CID, and a replay of a genuine datagram.
    const genuine = sent[sent.length - 1]!;
    assert.equal(genuine[0], 25);
    const forged = genuine.slice();
    forged[forged.length - 1] ^= 1;
    net.send(forged, '10.0.0.3', 6000);
    net.send(genuine, '10.0.0.3', 6000);
    await until(() => (server.stats.droppedRecords.auth_failed ?? 0) + (server.stats.droppedRecords.replay ?? 0) >= 2, 'both dropped');
    assert.equal(server.stats.migrations, 1, 'not moved');
    assert.deepEqual(server.addresses, [{ address: '10.0.0.2', port: 5000 }]);
    assert.equal(net.sent.filter((d) => d.address === '10.0.0.3').length, 0, 'nothing sent to the third address');
    conn.send(clock.now(), enc('three'));
    flush();
    await until(() => received.includes('three'), 'the echo still at the second address');
    assert.deepEqual(received, ['one', 'two', 'three']);
  } finally {
    await server.close();
    await serving;
  }
});

test(
  'real UDP on loopback: listen() keeps a DTLS 1.2 client whose port changes, by its CID; a forged and a replayed datagram move nothing',
  { timeout: 30_000 },
  async () => {
    const certificate = generateCertificate();
    const serverSocket = await bindUdp({ address: '127.0.0.1', port: 0 });
    const server = listen(nodeUdpSocket(serverSocket), { certificate, versions: ['1.2'], connectionId: 8 });
    const remotes: { address: string; port: number }[] = [];
    const serving = (async () => {
      for await (const c of server) {
        remotes.push(c.remote!);
        c.inbound.readable.pipeTo(c.outbound.writable).catch(() => {});
      }
    })();
    const sockets: Socket[] = [serverSocket];
    const conn = createConnection({ role: 'client', versions: ['1.3', '1.2'], verify: { fingerprints: [certificate.fingerprint] }, connectionId: 4 });
    const client = new Driver(conn, serverSocket.address().port);
    try {
      const a = await bindUdp({ address: '127.0.0.1' });
      sockets.push(a);
      client.attach(a);
      conn.start(Date.now());
      client.flush();
      await waitFor('the handshake', () => conn.state === 'connected');
      assert.equal(conn.handshakeInfo?.version, 'DTLS 1.2', 'a 1.3+1.2 client fell back to the 1.2 server, CIDs on');
      assert.equal(conn.connectionIds?.peer?.length, 8);
      client.send('one');
      await waitFor('the first echo', () => client.received.includes('one'));

      a.close();
      sockets.splice(sockets.indexOf(a), 1);
      const b = await bindUdp({ address: '127.0.0.1' });
      sockets.push(b);
      client.attach(b);
      client.send('two');
      await waitFor('the echo at the new port', () => client.received.includes('two'));
      assert.equal(server.stats.migrations, 1);
      assert.deepEqual(server.addresses, [{ address: '127.0.0.1', port: b.address().port }]);
      assert.equal(remotes[0]?.port, b.address().port, "the server's DtlsStream.remote follows");
      assert.equal(server.size, 1);

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
      client.send('three');
      await waitFor('the echo still at the second port', () => client.received.includes('three'));
      assert.deepEqual(client.received, ['one', 'two', 'three']);
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
