// The Node dgram adapter over real loopback UDP (127.0.0.1 only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { bindUdp, nodeUdpConnected, nodeUdpSocket } from '../../src/adapters/node.ts';
import { connect } from '../../src/stream/connect.ts';
import { listen } from '../../src/stream/server.ts';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { FakeConnection, HELLO, VERIFY, text } from './fake-connection.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const port = (s: Socket): number => s.address().port;
const closeSocket = (s: Socket): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

test('nodeUdpSocket and nodeUdpConnected carry datagrams both ways, filter strangers, and end when the socket closes', async () => {
  const [server, client, stranger] = await Promise.all([
    bindUdp({ address: '127.0.0.1' }),
    bindUdp({ address: '127.0.0.1' }),
    bindUdp({ address: '127.0.0.1' }),
  ]);
  const s = nodeUdpSocket(server);
  const c = nodeUdpConnected(client, '127.0.0.1', port(server));
  const sr = s.readable.getReader();
  const cr = c.readable.getReader();
  const cw = c.writable.getWriter();
  const sw = s.writable.getWriter();

  await cw.write(enc('hello server'));
  const got = (await sr.read()).value!;
  assert.equal(text(got.data), 'hello server');
  assert.equal(got.address, '127.0.0.1');
  assert.equal(got.port, port(client));
  assert.ok(got.data instanceof Uint8Array && !Buffer.isBuffer(got.data));

  // Someone else writing to the client is ignored; the server's reply arrives.
  await new Promise<void>((resolve) => stranger.send(enc('spoof'), port(client), '127.0.0.1', () => resolve()));
  await sw.write({ data: enc('hello client'), address: got.address, port: got.port });
  assert.equal(text((await cr.read()).value!), 'hello client');

  await Promise.all([closeSocket(server), closeSocket(client), closeSocket(stranger)]);
  assert.equal((await sr.read()).done, true);
  assert.equal((await cr.read()).done, true);
  await assert.rejects(sw.write({ data: enc('x'), address: '127.0.0.1', port: 9 }));
});

test('nodeUdpSocket drops and counts datagrams while its reader is behind', async () => {
  const [a, b] = await Promise.all([bindUdp({ address: '127.0.0.1' }), bindUdp({ address: '127.0.0.1' })]);
  const s = nodeUdpSocket(a, { highWaterMark: 2 });
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => b.send(Uint8Array.of(i), port(a), '127.0.0.1', () => r()));
  // Nobody reads until all five arrived: two are queued, three dropped.
  for (let i = 0; i < 100 && s.dropped < 3; i++) await new Promise((res) => setTimeout(res, 10));
  assert.equal(s.dropped, 3);
  const r = s.readable.getReader();
  assert.equal((await r.read()).value!.data[0], 0);
  assert.equal((await r.read()).value!.data[0], 1);
  r.releaseLock();
  await s.readable.cancel(); // detaches only: the socket stays usable
  await new Promise<void>((res) => a.send(Uint8Array.of(1), port(b), '127.0.0.1', () => res()));
  await Promise.all([closeSocket(a), closeSocket(b)]);
});

test('nodeUdpConnected resolves a host name once', async () => {
  const [a, b] = await Promise.all([bindUdp({ address: '127.0.0.1' }), bindUdp({ address: '127.0.0.1' })]);
  const s = nodeUdpSocket(a);
  const c = nodeUdpConnected(b, 'localhost', port(a));
  await c.writable.getWriter().write(enc('by name'));
  const got = (await s.readable.getReader().read()).value!;
  assert.equal(text(got.data), 'by name');
  await s.writable.getWriter().write({ data: enc('back'), address: got.address, port: got.port });
  assert.equal(text((await c.readable.getReader().read()).value!), 'back');
  await Promise.all([closeSocket(a), closeSocket(b)]);
});

test('connect() and listen() over loopback UDP (fake connections and gate)', async () => {
  const [serverSock, clientSock] = await Promise.all([bindUdp({ address: '127.0.0.1' }), bindUdp({ address: '127.0.0.1' })]);
  const server = listen(
    nodeUdpSocket(serverSock),
    {},
    {
      createConnection: () => new FakeConnection('server'),
      cookieGate: {
        check: (d) => (d[0] !== HELLO ? { action: 'drop' } : d[1] === 42 ? { action: 'accept' } : { action: 'reply', datagram: Uint8Array.of(VERIFY, 42) }),
      },
    },
  );
  const accepted = (async () => {
    for await (const conn of server) void conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
  })();
  const dtls: DtlsStream = await connect(
    nodeUdpConnected(clientSock, '127.0.0.1', port(serverSock)),
    {},
    {
      createConnection: () => new FakeConnection('client'),
    },
  );
  const w = dtls.outbound.writable.getWriter();
  const r = dtls.inbound.readable.getReader();
  await w.write(enc('echo me'));
  assert.equal(text((await r.read()).value!), 'echo me');
  assert.equal(server.size, 1);
  await dtls.close();
  for (let i = 0; i < 50 && server.size > 0; i++) await new Promise((res) => setTimeout(res, 5));
  assert.equal(server.size, 0, 'the server saw close_notify');
  await server.close();
  await accepted;
  await Promise.all([closeSocket(serverSock), closeSocket(clientSock)]);
});
