// DtlsStream's timer on the system clock, against Node's event loop and a
// real UDP socket on 127.0.0.1: a deadline that fell due while the process
// was busy fires only after the datagrams already waiting were read, so an
// answer that came in time stops a resend that would have gone out for nothing
// (under load most resends were of that kind: bench/load.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { systemClock } from '../../src/clock.ts';
import { DeadlineTimer } from '../../src/stream/deadline-timer.ts';

/** Two sockets on loopback; `b` calls onMessage for each datagram from `a`. */
async function pair(onMessage: () => void): Promise<{ a: Socket; b: Socket; port: number; close: () => void }> {
  const a = createSocket('udp4');
  const b = createSocket('udp4');
  await Promise.all([a, b].map((s) => new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))));
  b.on('message', onMessage);
  return { a, b, port: b.address().port, close: () => (a.close(), b.close()) };
}

/** Keeps the event loop from turning for `ms` (a busy process). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** Waits `ms`, then for the event loop's check phase: a fire deferred in the same turn as that wait ends has run. */
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(() => setImmediate(resolve), ms));

const sent = (a: Socket, port: number): Promise<void> => new Promise((resolve) => a.send(Uint8Array.of(1), port, '127.0.0.1', () => resolve()));

test('DeadlineTimer (system clock): a datagram waiting when the deadline falls due is read first, and its handler can still stop the fire', async () => {
  const fired: number[] = [];
  const t = new DeadlineTimer(systemClock, undefined, () => fired.push(systemClock.now()));
  let read = 0;
  const { a, port, close } = await pair(() => {
    read++;
    t.cancel(); // the answer came: nothing to resend
  });
  try {
    await sent(a, port);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(read, 1, 'the first datagram is read while idle');
    // Now the case under load: the deadline passes while the process is busy and the answer waits in the socket.
    t.set(systemClock.now() + 2);
    await sent(a, port);
    busy(30);
    await settle(50);
    assert.equal(read, 2);
    assert.deepEqual(fired, [], 'the answer was read before the timer could fire');
  } finally {
    t.cancel();
    close();
  }
});

test('DeadlineTimer (system clock): with nothing waiting, a due deadline fires once; a later deadline set meanwhile replaces it', async () => {
  const fired: number[] = [];
  const t = new DeadlineTimer(systemClock, undefined, () => fired.push(systemClock.now()));
  let later = 0;
  const { a, port, close } = await pair(() => {
    later = systemClock.now() + 40;
    t.set(later); // progress moved the deadline on
  });
  try {
    // Nothing waiting: the fire comes.
    t.set(systemClock.now() + 2);
    busy(10);
    await settle(30);
    assert.equal(fired.length, 1, 'a due deadline fires');
    // A datagram waiting whose handler sets a later deadline: one fire, at the later deadline.
    t.set(systemClock.now() + 2);
    await sent(a, port);
    busy(10);
    await settle(100);
    assert.equal(fired.length, 2, 'one fire for the later deadline, none for the replaced one');
    // Node's timers may run a fraction of a millisecond early against performance.now(); the replaced deadline was 40 ms earlier.
    assert.ok(fired[1]! >= later - 2, `fired at ${fired[1]}, not before the later deadline ${later}`);
  } finally {
    t.cancel();
    close();
  }
});
