// listen() hands each peer's datagrams straight between the socket and the
// connection (no inbound.writable / outbound.readable per peer): the streams
// the server does not use come locked if asked for, close() still waits until
// close_notify is on the socket, a socket that fails to send closes the peer,
// and a DtlsStream's streams first asked for after its end are already ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { DtlsError } from '../../src/errors.ts';
import { ManualClock } from '../../src/stream/clock.ts';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { listen } from '../../src/stream/server.ts';
import type { Datagram } from '../../src/adapters/types.ts';
import { ContentType } from '../../src/wire/types.ts';
import { cert, clientOptions, echoOnce, memoryNet, noop, realServer, streamClient, until } from './memory-server.ts';

test('an accepted connection: the streams the server carries come locked, data flows, close() resolves once close_notify is on the socket', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, accepted } = realServer(net, clock);
  const client = streamClient(net, clock, '127.0.0.1', 4000);
  await client.handshake;
  await until(() => accepted.length === 1, 'the connection offered');
  const dtls = accepted[0]!;
  assert.equal(dtls.outbound.readable.locked, true);
  assert.equal(dtls.inbound.writable.locked, true);
  assert.equal(dtls.outbound.readable, dtls.outbound.readable, 'the same stream each time');
  assert.equal(await echoOnce(client, 'hello'), 'hello');

  const before = net.sent.length;
  await dtls.close();
  const after = net.sent.slice(before).filter((d) => d.port === 4000);
  assert.ok(after.length >= 1, 'something sent on close');
  assert.equal(after.at(-1)!.data[0], ContentType.alert, 'close_notify (an alert record) was written before close() resolved');
  await until(() => server.size === 0, 'the peer removed');
  await client.closed;
  await server.close();
});

test('a socket that fails to send closes the peer whose datagram it could not send', async () => {
  const clock = new ManualClock();
  let ctl!: ReadableStreamDefaultController<Datagram>;
  const routes = new Map<number, (d: Uint8Array) => void>();
  let failPort = -1;
  const socket = {
    readable: new ReadableStream<Datagram>({ start: (c) => void (ctl = c) }),
    writable: new WritableStream<Datagram>(
      {
        write: (d) => {
          if (d.port === failPort) throw new Error('EHOSTUNREACH');
          routes.get(d.port)?.(d.data);
        },
      },
      new CountQueuingStrategy({ highWaterMark: 64 }),
    ),
  };
  const server = listen(socket, { clock, certificate: cert });
  const accepted: DtlsStream[] = [];
  void (async () => {
    for await (const c of server) accepted.push(c);
  })();
  const clients = [5000, 5001].map((port) => {
    const dtls = DtlsStream.fromConnection(new Connection(clientOptions), { clock });
    const w = dtls.inbound.writable.getWriter();
    routes.set(port, (d) => void w.write(d).catch(noop));
    void dtls.outbound.readable.pipeTo(new WritableStream({ write: (data) => ctl.enqueue({ data, address: '127.0.0.1', port }) })).catch(noop);
    return dtls;
  });
  await Promise.all(clients.map((c) => c.handshake));
  await until(() => accepted.length === 2, 'both offered');
  failPort = 5000;
  const w = accepted[0]!.outbound.writable.getWriter();
  await w.write(new TextEncoder().encode('lost')).catch(noop);
  await until(() => accepted[0]!.state === 'closed' || accepted[0]!.state === 'failed', 'the peer whose send failed closed');
  await accepted[0]!.closed.catch(noop);
  await until(() => server.size <= 1, 'that peer removed');
  ctl.close();
  await server.close();
});

test('streams first asked for after the end are already ended: inbound.readable done (or errored), outbound.writable refusing', async () => {
  const clock = new ManualClock();
  // Closed before any use: nothing was made, nothing sent.
  const idle = DtlsStream.fromConnection(new Connection(clientOptions), { clock });
  await idle.close();
  assert.deepEqual(await idle.inbound.readable.getReader().read(), { done: true, value: undefined });
  await assert.rejects(idle.outbound.writable.getWriter().write(new Uint8Array(1)), (e: unknown) => e instanceof DtlsError && e.code === 'closed');

  // Failed: the handshake times out with nobody answering; inbound.readable, asked for afterwards, is errored with the same error.
  const lonely = DtlsStream.fromConnection(new Connection({ ...clientOptions, handshakeTimeout: 1000 }), { clock });
  void lonely.outbound.readable.pipeTo(new WritableStream()).catch(noop);
  await until(() => lonely.state === 'handshaking', 'started');
  clock.advance(2000);
  await lonely.handshake.catch(noop);
  assert.equal(lonely.state, 'failed');
  await assert.rejects(lonely.inbound.readable.getReader().read(), (e: unknown) => e instanceof DtlsError && e.code === 'handshake_timeout');
  await assert.rejects(lonely.outbound.writable.getWriter().write(new Uint8Array(1)), (e: unknown) => e instanceof DtlsError && e.code === 'handshake_timeout');
});
