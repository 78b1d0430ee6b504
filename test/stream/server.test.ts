import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/stream/clock.ts';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { listen, type ListenHooks, type ListenOptions } from '../../src/stream/server.ts';
import type { CookieGateLike } from '../../src/stream/defaults.ts';
import type { Datagram } from '../../src/adapters/types.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { BOOM, FakeConnection, HELLO, VERIFY, settle, text } from './fake-connection.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A datagram socket in memory; what the server sends is routed to fake clients by address|port. */
function fakeSocket() {
  let ctl!: ReadableStreamDefaultController<Datagram>;
  const state = { cancelled: false };
  const readable = new ReadableStream<Datagram>({
    start: (c) => void (ctl = c),
    cancel: () => void (state.cancelled = true),
  });
  const sent: Datagram[] = [];
  const routes = new Map<string, (d: Uint8Array) => void>();
  const writable = new WritableStream<Datagram>({
    write: (d) => {
      sent.push(d);
      routes.get(`${d.address}|${d.port}`)?.(d.data);
    },
  });
  return { socket: { readable, writable }, deliver: (d: Datagram) => ctl.enqueue(d), end: () => ctl.close(), sent, routes, state };
}

/** Accepts a HELLO carrying cookie 42, answers any other HELLO with VERIFY 42. */
function fakeGate(peers: string[] = []): CookieGateLike {
  return {
    check(d, peer) {
      peers.push(peer);
      if (d[0] !== HELLO) return { action: 'drop' };
      if (d[1] === 42) return { action: 'accept' };
      return { action: 'reply', datagram: Uint8Array.of(VERIFY, 42) };
    },
  };
}

function setup(options: ListenOptions = {}, hooks: Partial<ListenHooks> = {}) {
  const clock = new ManualClock();
  const net = fakeSocket();
  const given: DtlsOptions[] = [];
  const conns: FakeConnection[] = [];
  const gatePeers: string[] = [];
  const server = listen(
    net.socket,
    { clock, ...options },
    {
      createConnection: (o) => {
        given.push(o);
        const c = new FakeConnection('server');
        conns.push(c);
        return c;
      },
      cookieGate: fakeGate(gatePeers),
      ...hooks,
    },
  );
  /** A fake client at address:port, talking to the server through the fake socket. */
  const peer = (address: string, port: number) => {
    const dtls = DtlsStream.fromConnection(new FakeConnection('client'), { clock });
    const w = dtls.inbound.writable.getWriter();
    net.routes.set(`${address}|${port}`, (d) => void w.write(d).catch(() => {}));
    void dtls.outbound.readable.pipeTo(new WritableStream({ write: (data) => net.deliver({ data, address, port }) })).catch(() => {});
    return dtls;
  };
  return { clock, net, server, peer, given, conns, gatePeers };
}

/** Echoes every accepted connection. */
async function echo(server: AsyncIterable<DtlsStream>): Promise<void> {
  for await (const conn of server) void conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
}

async function roundTrip(dtls: DtlsStream, message: string): Promise<string> {
  const w = dtls.outbound.writable.getWriter();
  await w.write(enc(message));
  w.releaseLock();
  const r = dtls.inbound.readable.getReader();
  const { value } = await r.read();
  r.releaseLock();
  return text(value!);
}

test('peers pass the cookie exchange, get their own connection and are offered once connected (IPv4 and IPv6)', async () => {
  const { server, peer, given, conns, gatePeers, net, clock } = setup();
  const echoing = echo(server);
  const a = peer('127.0.0.1', 5000);
  const b = peer('::1', 5000);
  await Promise.all([a.handshake, b.handshake]);
  assert.equal(server.size, 2);
  assert.deepEqual(server.addresses, [
    { address: '127.0.0.1', port: 5000 },
    { address: '::1', port: 5000 },
  ]);
  assert.deepEqual(gatePeers, ['127.0.0.1|5000', '::1|5000', '127.0.0.1|5000', '::1|5000']);
  assert.equal(server.stats.cookieReplies, 2);
  assert.equal(net.sent.filter((d) => d.data[0] === VERIFY).length, 2);
  assert.deepEqual(
    given.map((o) => [o.role, o.requireCookie, o.clock === clock]),
    [
      ['server', false, true],
      ['server', false, true],
    ],
  );
  // Each connection was fed the cookie-bearing hello first.
  assert.deepEqual(conns[0]!.seen[0], Uint8Array.of(HELLO, 42));
  assert.equal(await roundTrip(a, 'from a'), 'from a');
  assert.equal(await roundTrip(b, 'from b'), 'from b');
  await server.close();
  await echoing;
});

test('maxConnections: further new peers are dropped and counted until a slot frees up', async () => {
  const { server, peer } = setup({ maxConnections: 1 });
  const echoing = echo(server);
  const a = peer('10.0.0.1', 1);
  await a.handshake;
  const b = peer('10.0.0.2', 2);
  await settle();
  assert.equal(server.size, 1);
  assert.ok(server.stats.droppedOverCapacity >= 1);
  assert.equal(b.state, 'handshaking');
  await a.close();
  await settle();
  assert.equal(server.size, 0);
  const c = peer('10.0.0.3', 3);
  await c.handshake;
  assert.equal(server.size, 1);
  await b.close();
  await server.close();
  await echoing;
});

test("one peer's failure removes only that peer", async () => {
  const { server, peer, net, conns } = setup();
  const echoing = echo(server);
  const a = peer('192.0.2.1', 1000);
  const b = peer('192.0.2.2', 1000);
  await Promise.all([a.handshake, b.handshake]);
  net.deliver({ data: Uint8Array.of(BOOM), address: '192.0.2.1', port: 1000 });
  await settle();
  assert.equal(conns[0]!.state, 'failed');
  assert.equal(server.size, 1);
  assert.equal(await roundTrip(b, 'still here'), 'still here');
  await assert.rejects(a.closed); // it got the fatal alert
  await server.close();
  await echoing;
});

test('server.close() sends close_notify to every peer, ends connections and stops reading the socket', async () => {
  const { server, peer, net, clock } = setup();
  const accepted: DtlsStream[] = [];
  const collecting = (async () => {
    for await (const c of server) accepted.push(c);
  })();
  const a = peer('127.0.0.1', 1);
  const b = peer('127.0.0.1', 2);
  await Promise.all([a.handshake, b.handshake]);
  await settle();
  await server.close();
  await collecting; // the connections stream ended
  assert.equal(accepted.length, 2);
  await Promise.all([a.closed, b.closed]);
  assert.equal(a.state, 'closed');
  assert.equal(server.size, 0);
  assert.ok(net.state.cancelled);
  assert.equal(clock.pending, 0);
  await server.close(); // idempotent
});

test('unknown datagrams are dropped by the gate; without cookies only handshake records create peers', async () => {
  const withGate = setup();
  withGate.net.deliver({ data: Uint8Array.of(1, 2, 3), address: '1.1.1.1', port: 1 });
  await settle();
  assert.equal(withGate.server.size, 0);
  assert.equal(withGate.server.stats.droppedUnknown, 1);
  await withGate.server.close();

  const noCookie = setup({}, { cookieGate: null });
  noCookie.net.deliver({ data: Uint8Array.of(23, 0), address: '1.1.1.1', port: 1 });
  noCookie.net.deliver({ data: Uint8Array.of(HELLO), address: '1.1.1.1', port: 2 });
  await settle();
  assert.equal(noCookie.server.stats.droppedUnknown, 1);
  assert.deepEqual(noCookie.server.addresses, [{ address: '1.1.1.1', port: 2 }]);
  assert.equal(noCookie.server.stats.cookieReplies, 0);
  await noCookie.server.close();
});

test('when the socket ends, the server closes its connections', async () => {
  const { server, peer, net } = setup();
  const a = peer('127.0.0.1', 7);
  await a.handshake;
  net.end();
  await settle();
  assert.equal(server.size, 0);
  await server.close();
});

test('listen() validates maxConnections', () => {
  const { socket } = fakeSocket();
  assert.throws(() => listen(socket, { maxConnections: 0 }, { createConnection: () => new FakeConnection('server'), cookieGate: null }), RangeError);
});
