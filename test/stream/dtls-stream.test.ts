import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/stream/clock.ts';
import { DtlsStream, type DtlsStreamSetup } from '../../src/stream/dtls-stream.ts';
import type { DtlsEvent } from '../../src/stream/events.ts';
import { DtlsError } from '../../src/errors.ts';
import { BOOM, CLOSE, DATA, DONE, FATAL, FakeConnection, HELLO, data, fakeInfo, settle, stateOf, text, type FakeOptions } from './fake-connection.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function client(opts: FakeOptions & DtlsStreamSetup = {}) {
  const clock = new ManualClock(1_000);
  const conn = new FakeConnection('client', opts);
  const dtls = DtlsStream.fromConnection(conn, { clock, ...opts });
  return { clock, conn, dtls };
}

/** A connected client: the fake server's DONE was fed and the hello read. */
async function connected(opts: FakeOptions & DtlsStreamSetup = {}) {
  const c = client(opts);
  const out = c.dtls.outbound.readable.getReader();
  assert.deepEqual((await out.read()).value, Uint8Array.of(HELLO));
  const inW = c.dtls.inbound.writable.getWriter();
  await inW.write(Uint8Array.of(DONE));
  await c.dtls.handshake;
  return { ...c, out, inW };
}

test('the client sends its first flight on its own and arms one timer', async () => {
  const { clock, dtls } = client();
  assert.equal(dtls.state, 'idle'); // started on the next microtask
  const { value } = await dtls.outbound.readable.getReader().read();
  assert.deepEqual(value, Uint8Array.of(HELLO));
  assert.equal(dtls.state, 'handshaking');
  assert.equal(clock.pending, 1);
  assert.equal(clock.nextDeadline, 2_000);
  await dtls.close();
  assert.equal(clock.pending, 0);
});

test('two streams handshake and carry plaintext both ways; events and promises follow', async () => {
  const clock = new ManualClock();
  const a = DtlsStream.fromConnection(new FakeConnection('client'), { clock });
  const b = DtlsStream.fromConnection(new FakeConnection('server'), { clock });
  const events: string[] = [];
  a.addEventListener('statechange', (e) => events.push(`${e.detail.previous}->${e.detail.state}`));
  a.addEventListener('handshake', (e) => events.push(`handshake ${e.detail.info.cipherSuite}`));
  a.addEventListener('trace', (e) => events.push(`trace ${e.detail.direction} ${e.detail.what}`));
  void a.outbound.readable.pipeTo(b.inbound.writable).catch(() => {});
  void b.outbound.readable.pipeTo(a.inbound.writable).catch(() => {});

  assert.deepEqual(await a.handshake, fakeInfo);
  assert.deepEqual(await b.handshake, fakeInfo);
  assert.equal(a.state, 'connected');
  assert.deepEqual(a.info, fakeInfo);
  assert.deepEqual(events, ['idle->handshaking', 'trace out Hello', 'handshaking->connected', 'handshake FAKE_XOR']);
  assert.equal(clock.pending, 0, 'no timer once connected');

  const aw = a.outbound.writable.getWriter();
  const bw = b.outbound.writable.getWriter();
  const ar = a.inbound.readable.getReader();
  const br = b.inbound.readable.getReader();
  await aw.write(enc('ping'));
  assert.equal(text((await br.read()).value!), 'ping');
  await bw.write(enc('pong'));
  assert.equal(text((await ar.read()).value!), 'pong');
  assert.ok(a.stats.datagramsOut >= 2);
  assert.equal(a.stats.inboundOverflow, 0);
  assert.deepEqual(a.exportKeyingMaterial('EXTRACTOR-x', undefined, 4), new Uint8Array(4).fill(11));

  await a.close();
  assert.deepEqual(await br.read(), { done: true, value: undefined }, 'peer close_notify closes inbound.readable');
  assert.equal(b.state, 'closed');
  assert.deepEqual(await ar.read(), { done: true, value: undefined });
  await Promise.all([a.closed, b.closed]);
  assert.equal(clock.pending, 0);
});

test('a lost flight is retransmitted on the timer, which is re-armed (doubling) and cleared on completion', async () => {
  const { clock, dtls, conn } = client();
  const retransmits: number[] = [];
  dtls.addEventListener('retransmit', (e) => retransmits.push(e.detail.attempt));
  const out = dtls.outbound.readable.getReader();
  await out.read();
  assert.equal(clock.advance(999), 0);
  assert.equal(clock.advance(1), 1);
  assert.deepEqual((await out.read()).value, Uint8Array.of(HELLO));
  assert.equal(clock.pending, 1, 'exactly one timer after re-arming');
  assert.equal(clock.nextDeadline, 2_000 + 2_000);
  clock.advance(2_000);
  await out.read();
  assert.deepEqual(retransmits, [1, 2]);
  assert.equal(clock.pending, 1);
  await dtls.inbound.writable.getWriter().write(Uint8Array.of(DONE));
  assert.equal(conn.state, 'connected');
  assert.equal(clock.pending, 0);
  await dtls.close();
});

test('handshake timeout: promises reject with the DtlsError, streams fail, no timer is left', async () => {
  const { clock, dtls } = client({ maxRetransmits: 2 });
  dtls.outbound.readable.getReader(); // in use: the handshake starts
  const closes: (DtlsError | undefined)[] = [];
  dtls.addEventListener('close', (e) => closes.push(e.detail.error));
  await settle();
  clock.runUntilIdle();
  const err = await dtls.handshake.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DtlsError);
  assert.equal(err.code, 'handshake_timeout');
  await assert.rejects(dtls.closed, (e) => e === err);
  await assert.rejects(dtls.inbound.readable.getReader().read(), (e) => e === err);
  await assert.rejects(dtls.outbound.writable.getWriter().write(enc('x')), (e) => e === err);
  await assert.rejects(dtls.inbound.writable.getWriter().write(Uint8Array.of(DONE)), (e) => e === err);
  assert.equal(dtls.state, 'failed');
  assert.deepEqual(closes, [err]);
  assert.equal(clock.pending, 0);
  await dtls.close(); // harmless after failure
});

test('unobserved handshake and closed rejections do not crash the process', async () => {
  const { clock, dtls } = client({ maxRetransmits: 0 });
  dtls.outbound.readable.getReader();
  await settle();
  clock.runUntilIdle();
  await settle(); // an unhandled rejection would fail the test run here
});

test('close(): close_notify goes out, then outbound.readable and inbound.readable end; plaintext after close rejects, late datagrams are dropped and counted', async () => {
  const { dtls, out, clock, inW } = await connected();
  const inR = dtls.inbound.readable.getReader();
  await dtls.close();
  assert.deepEqual(await out.read(), { done: false, value: Uint8Array.of(CLOSE) });
  assert.deepEqual(await out.read(), { done: true, value: undefined });
  assert.deepEqual(await inR.read(), { done: true, value: undefined });
  assert.equal(dtls.state, 'closed');
  assert.equal(clock.pending, 0);
  const w = dtls.outbound.writable.getWriter();
  await assert.rejects(w.write(enc('late')), (e) => e instanceof DtlsError && e.code === 'closed');
  // The transport may still deliver: a late datagram is not an error (nothing after close_notify is read).
  await inW.write(data('late'));
  assert.equal(dtls.stats.dropped.after_close, 1);
  await inW.close();
  await dtls.close(); // idempotent
});

test("the app's writer.close() on outbound.writable sends close_notify", async () => {
  const { dtls, out } = await connected();
  const w = dtls.outbound.writable.getWriter();
  await w.write(enc('bye'));
  await w.close();
  assert.deepEqual((await out.read()).value, data('bye'));
  assert.deepEqual((await out.read()).value, Uint8Array.of(CLOSE));
  assert.equal((await out.read()).done, true);
  await dtls.closed;
});

test('closing before the start sends nothing', async () => {
  const { dtls, clock, conn } = client();
  await dtls.close();
  assert.equal(conn.state, 'idle');
  assert.equal(dtls.state, 'closed');
  assert.equal((await dtls.outbound.readable.getReader().read()).done, true);
  await assert.rejects(dtls.handshake, (e) => e instanceof DtlsError && e.code === 'closed');
  assert.equal(clock.pending, 0);
});

test('a peer fatal alert errors inbound.readable and rejects writes with the peer_alert error', async () => {
  const { dtls, inW, clock } = await connected();
  const alerts: string[] = [];
  dtls.addEventListener('alert', (e) => alerts.push(`${e.detail.level} ${e.detail.description} ${e.detail.fromPeer}`));
  const inR = dtls.inbound.readable.getReader();
  await inW.write(Uint8Array.of(FATAL, 20)).catch(() => {});
  const err = await inR.read().then(
    () => assert.fail('read resolved'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DtlsError && err.code === 'peer_alert' && err.alert === 20);
  await assert.rejects(dtls.outbound.writable.getWriter().write(enc('x')), (e) => e === err);
  await assert.rejects(dtls.closed, (e) => e === err);
  assert.deepEqual(alerts, ['fatal 20 true']);
  assert.equal(clock.pending, 0);
});

test('a local failure still flushes its fatal alert on outbound.readable before it ends', async () => {
  const { dtls, out, inW } = await connected();
  await inW.write(Uint8Array.of(BOOM)).catch(() => {});
  assert.deepEqual(await out.read(), { done: false, value: Uint8Array.of(FATAL, 40) });
  assert.equal((await out.read()).done, true);
  await assert.rejects(dtls.closed, (e) => e instanceof DtlsError && e.code === 'handshake_failure');
});

test('backpressure: a plaintext write stays pending while outbound.readable is full and resumes when it is read', async () => {
  const { dtls, out } = await connected({ outboundHighWaterMark: 2 });
  const w = dtls.outbound.writable.getWriter();
  await w.write(enc('1'));
  await w.write(enc('2'));
  const third = w.write(enc('3'));
  assert.equal(await stateOf(third), 'pending');
  assert.deepEqual((await out.read()).value, data('1'));
  assert.equal(await stateOf(third), 'fulfilled');
  assert.deepEqual((await out.read()).value, data('2'));
  assert.deepEqual((await out.read()).value, data('3'));
  await dtls.close();
});

test('inbound overflow: plaintext beyond inbound.readable’s queue is dropped and counted, never buffered', async () => {
  const { dtls, inW } = await connected({ inboundHighWaterMark: 2 });
  for (let i = 0; i < 5; i++) await inW.write(data(`m${i}`));
  assert.equal(dtls.stats.inboundOverflow, 3);
  const r = dtls.inbound.readable.getReader();
  assert.equal(text((await r.read()).value!), 'm0');
  assert.equal(text((await r.read()).value!), 'm1');
  await inW.write(data('m5'));
  assert.equal(text((await r.read()).value!), 'm5');
  // Protocol traffic still flows while the app is not reading: close_notify is seen.
  for (let i = 0; i < 3; i++) await inW.write(data(`x${i}`));
  await inW.write(Uint8Array.of(CLOSE));
  assert.equal(dtls.state, 'closed');
});

test('plaintext written before the handshake is held and sent after it; beyond the hold, writes wait', async () => {
  const { dtls, conn } = client({ holdLimit: 2 });
  const out = dtls.outbound.readable.getReader();
  await out.read(); // hello
  const w = dtls.outbound.writable.getWriter();
  await w.write(enc('a'));
  await w.write(enc('b'));
  const c = w.write(enc('c'));
  assert.equal(await stateOf(c), 'pending');
  await dtls.inbound.writable.getWriter().write(Uint8Array.of(DONE));
  assert.equal(conn.state, 'connected');
  assert.equal(await stateOf(c), 'fulfilled');
  const got = [];
  for (let i = 0; i < 3; i++) got.push((await out.read()).value);
  assert.deepEqual(got, [data('a'), data('b'), data('c')]);
  await dtls.close();
});

test('a listener may close the stream while events are being dispatched', async () => {
  const { dtls, clock } = client();
  dtls.addEventListener('handshake', () => void dtls.close());
  const out = dtls.outbound.readable.getReader();
  await out.read();
  await dtls.inbound.writable.getWriter().write(Uint8Array.of(DONE));
  await dtls.closed;
  assert.deepEqual((await out.read()).value, Uint8Array.of(CLOSE));
  assert.equal((await out.read()).done, true);
  assert.equal(clock.pending, 0);
});

test('a throwing core fails the stream with internal_error and leaves no timer', async () => {
  class Broken extends FakeConnection {
    override handleDatagram(): void {
      throw new Error('bug');
    }
  }
  const clock = new ManualClock();
  const dtls = DtlsStream.fromConnection(new Broken('client'), { clock });
  const out = dtls.outbound.readable.getReader();
  await settle();
  assert.equal(clock.pending, 1);
  await dtls.inbound.writable
    .getWriter()
    .write(Uint8Array.of(DONE))
    .catch(() => {});
  await assert.rejects(dtls.handshake, (e) => e instanceof DtlsError && e.code === 'internal_error' && (e.cause as Error).message === 'bug');
  assert.equal(dtls.state, 'failed');
  assert.equal(clock.pending, 0);
  assert.equal((await out.read()).value?.[0], HELLO, 'what was sent before is still delivered');
});

test('cancelling outbound.readable discards later datagrams; the connection lives until closed', async () => {
  const { dtls, out, clock, inW } = await connected();
  await out.cancel(new Error('socket gone'));
  await inW.write(data('still received'));
  assert.equal(text((await dtls.inbound.readable.getReader().read()).value!), 'still received');
  await dtls.outbound.writable.getWriter().write(enc('into the void'));
  assert.equal(dtls.state, 'connected');
  await dtls.close();
  assert.equal(clock.pending, 0);
});

test('cancelling inbound.readable discards later plaintext without closing', async () => {
  const { dtls, inW } = await connected();
  await dtls.inbound.readable.cancel();
  await inW.write(data('ignored'));
  assert.equal(dtls.state, 'connected');
  await dtls.close();
});

test('writing non-bytes is a TypeError; oversized options are RangeErrors', async () => {
  const { dtls } = await connected();
  const w = dtls.outbound.writable.getWriter();
  await assert.rejects(w.write('text' as unknown as Uint8Array), TypeError);
  assert.throws(() => DtlsStream.fromConnection(new FakeConnection('client'), { inboundHighWaterMark: 0 }), RangeError);
  await dtls.close();
});

test('events carry typed details; removeEventListener works', async () => {
  const { dtls } = client();
  dtls.outbound.readable.getReader();
  const seen: DtlsEvent<'statechange'>[] = [];
  const listener = (e: DtlsEvent<'statechange'>): void => void seen.push(e);
  dtls.addEventListener('statechange', listener);
  await settle();
  dtls.removeEventListener('statechange', listener);
  await dtls.close();
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.type, 'statechange');
  assert.deepEqual(seen[0]!.detail, { state: 'handshaking', previous: 'idle' });
  assert.ok(seen[0] instanceof Event);
});

test('DATA is not accepted before the handshake (fake sanity)', async () => {
  const { dtls, conn } = client();
  await dtls.inbound.writable.getWriter().write(Uint8Array.of(DATA, 1));
  assert.equal(conn.stats.dropped.unexpected, 1);
  await dtls.close();
});
