import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/stream/clock.ts';
import { connect } from '../../src/stream/connect.ts';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { DtlsError } from '../../src/errors.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { FATAL, FakeConnection, HELLO, settle, text } from './fake-connection.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Two in-memory datagram duplexes joined back to back, with a fake server DtlsStream on one end. */
function withServer(clock: ManualClock) {
  const c2s = new TransformStream<Uint8Array, Uint8Array>();
  const s2c = new TransformStream<Uint8Array, Uint8Array>();
  const server = DtlsStream.fromConnection(new FakeConnection('server'), { clock });
  void c2s.readable.pipeTo(server.inbound.writable).catch(() => {});
  void server.outbound.readable.pipeTo(s2c.writable).catch(() => {});
  return { duplex: { readable: s2c.readable, writable: c2s.writable }, server };
}

test('connect() resolves once the handshake completes, with the role defaulting to client', async () => {
  const clock = new ManualClock();
  const { duplex, server } = withServer(clock);
  let given: DtlsOptions | undefined;
  const dtls = await connect(
    duplex,
    { clock, mtu: 1000 },
    {
      createConnection: (o) => {
        given = o;
        return new FakeConnection('client');
      },
    },
  );
  assert.equal(given?.role, 'client');
  assert.equal(given?.mtu, 1000);
  assert.equal(dtls.state, 'connected');
  const w = dtls.outbound.writable.getWriter();
  await w.write(enc('over the pipe'));
  const sr = server.inbound.readable.getReader();
  assert.equal(text((await sr.read()).value!), 'over the pipe');
  await dtls.close(); // resolves after the close_notify went through the pipe
  assert.equal((await sr.read()).done, true);
  assert.equal(server.state, 'closed');
  assert.equal(clock.pending, 0);
});

test('connect() keeps an explicit role', async () => {
  let role: string | undefined;
  const clock = new ManualClock();
  const { duplex } = withServer(clock);
  const p = connect(
    duplex,
    { role: 'server', clock },
    {
      createConnection: (o) => {
        role = o.role;
        return new FakeConnection('client');
      },
    },
  );
  await (await p).close();
  assert.equal(role, 'server');
});

test('connect() rejects on handshake timeout and tears both pipes down', async () => {
  const clock = new ManualClock();
  let cancelled = false;
  let closed = false;
  const sent: Uint8Array[] = [];
  const readable = new ReadableStream<Uint8Array>({ cancel: () => void (cancelled = true) });
  const writable = new WritableStream<Uint8Array>({
    write: (d) => void sent.push(d),
    close: () => void (closed = true),
  });
  const p = connect({ readable, writable }, { clock }, { createConnection: () => new FakeConnection('client', { maxRetransmits: 1 }) });
  p.catch(() => {});
  await settle();
  clock.runUntilIdle();
  await assert.rejects(p, (e) => e instanceof DtlsError && e.code === 'handshake_timeout');
  await settle();
  assert.ok(cancelled, 'duplex.readable cancelled');
  assert.ok(closed, 'duplex.writable closed');
  assert.equal(sent.length, 2);
  assert.equal(clock.pending, 0);
});

test('connect() rejects with the peer_alert error when the peer refuses', async () => {
  const clock = new ManualClock();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  const writer = toClient.writable.getWriter();
  const writable = new WritableStream<Uint8Array>({
    write: (d) => {
      if (d[0] === HELLO) void writer.write(Uint8Array.of(FATAL, 40));
    },
  });
  await assert.rejects(
    connect({ readable: toClient.readable, writable }, { clock }, { createConnection: () => new FakeConnection('client') }),
    (e) => e instanceof DtlsError && e.code === 'peer_alert' && e.alert === 40,
  );
  assert.equal(clock.pending, 0);
});

test('connect() over a duplex whose readable is already locked fails cleanly', async () => {
  const clock = new ManualClock();
  const readable = new ReadableStream<Uint8Array>();
  readable.getReader();
  const p = connect({ readable, writable: new WritableStream() }, { clock }, { createConnection: () => new FakeConnection('client') });
  await assert.rejects(p, (e) => e instanceof DtlsError && e.code === 'closed');
  assert.equal(clock.pending, 0);
});
