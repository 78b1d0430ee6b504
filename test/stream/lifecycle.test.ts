// How a DtlsStream starts and ends, as the idiomatic pipes see it: nothing runs
// before the stream is used; a clean close (close_notify either way, close())
// lets every pipe resolve; only a real failure rejects them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/stream/clock.ts';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { DtlsError } from '../../src/errors.ts';
import { CLOSE, DONE, FATAL, FakeConnection, HELLO, data, settle, stateOf, text } from './fake-connection.ts';

/** A transport the test drives: `deliver` feeds the stream, `sent` collects what it sends. */
function transport() {
  let push!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
  const sent: Uint8Array[] = [];
  let ended = false;
  const writable = new WritableStream<Uint8Array>({
    write: (d) => void sent.push(d),
    close: () => void (ended = true),
  });
  return { readable, writable, sent, deliver: (d: Uint8Array) => push.enqueue(d), end: () => push.close(), ended: () => ended };
}

/** A connected client whose both sides are piped to a transport, and an echo pipe. */
async function echoing() {
  const clock = new ManualClock();
  const dtls = DtlsStream.fromConnection(new FakeConnection('client'), { clock });
  const t = transport();
  const inPipe = t.readable.pipeTo(dtls.inbound.writable);
  const outPipe = dtls.outbound.readable.pipeTo(t.writable);
  const echo = dtls.inbound.readable.pipeTo(dtls.outbound.writable);
  await settle();
  assert.deepEqual(t.sent.shift(), Uint8Array.of(HELLO));
  t.deliver(Uint8Array.of(DONE));
  await dtls.handshake;
  t.deliver(data('ping'));
  await settle();
  assert.deepEqual(t.sent.shift(), data('ping'), 'echoed');
  return { clock, dtls, t, inPipe, outPipe, echo };
}

test('a stream never used starts nothing: no datagram, no timer, no events', async () => {
  const clock = new ManualClock();
  const conn = new FakeConnection('client');
  const dtls = DtlsStream.fromConnection(conn, { clock });
  let events = 0;
  dtls.addEventListener('statechange', () => void events++);
  await settle();
  assert.equal(conn.state, 'idle');
  assert.equal(clock.pending, 0, 'no timer before use');
  assert.equal(events, 0);
  // Using it (a pipe on outbound.readable) starts the handshake and its timer.
  const t = transport();
  void dtls.outbound.readable.pipeTo(t.writable);
  await settle();
  assert.deepEqual(t.sent, [Uint8Array.of(HELLO)]);
  assert.equal(clock.pending, 1);
  assert.equal(events, 1);
  await dtls.close();
  assert.equal(clock.pending, 0);
});

test('a reader taken later on outbound.readable starts the stream at its first read', async () => {
  const clock = new ManualClock();
  const dtls = DtlsStream.fromConnection(new FakeConnection('client'), { clock });
  await settle();
  assert.equal(dtls.state, 'idle');
  const reader = dtls.outbound.readable.getReader();
  assert.deepEqual((await reader.read()).value, Uint8Array.of(HELLO));
  assert.equal(dtls.state, 'handshaking');
  await dtls.close();
});

test("the peer's close_notify ends the echo pipe and both transport pipes cleanly", async () => {
  const { dtls, t, inPipe, outPipe, echo } = await echoing();
  t.deliver(Uint8Array.of(CLOSE));
  await echo; // resolves: a clean close is not an error
  await outPipe;
  assert.deepEqual(t.sent, [Uint8Array.of(CLOSE)], 'our close_notify answers theirs');
  assert.ok(t.ended());
  await dtls.closed;
  // The transport may deliver more before it ends; the pipe into inbound.writable still resolves.
  t.deliver(data('late'));
  t.end();
  await inPipe;
  assert.equal(dtls.stats.dropped.after_close, 1);
});

test("data and close_notify back to back: the echo's late write is discarded and counted, the pipe resolves", async () => {
  const { dtls, t, echo, outPipe } = await echoing();
  t.deliver(data('last'));
  t.deliver(Uint8Array.of(CLOSE));
  await echo;
  await outPipe;
  assert.equal(dtls.state, 'closed');
  // Either the echo went out before our close_notify or it was discarded after it; never both, never lost silently.
  const echoed = t.sent.filter((d) => d[0] !== CLOSE).map((d) => text(d.subarray(1).map((x) => x ^ 0x5a)));
  assert.equal(echoed.length + dtls.stats.discardedAfterClose, 1);
  assert.deepEqual(t.sent.at(-1), Uint8Array.of(CLOSE));
});

test('close() ends the echo pipe and the transport pipes cleanly', async () => {
  const { dtls, t, inPipe, outPipe, echo } = await echoing();
  await dtls.close();
  await echo;
  await outPipe;
  assert.deepEqual(t.sent, [Uint8Array.of(CLOSE)]);
  t.end();
  await inPipe;
  await dtls.closed;
});

test('a peer fatal alert is a real failure: the echo pipe and the transport pipe reject with it', async () => {
  const { dtls, t, inPipe, outPipe, echo } = await echoing();
  t.deliver(Uint8Array.of(FATAL, 40));
  await assert.rejects(echo, (e) => e instanceof DtlsError && e.code === 'peer_alert');
  await assert.rejects(inPipe, (e) => e instanceof DtlsError && e.code === 'peer_alert');
  await outPipe; // outbound.readable is closed after the alert, not errored
  await assert.rejects(dtls.closed, DtlsError);
  assert.equal(await stateOf(dtls.handshake), 'fulfilled');
});
