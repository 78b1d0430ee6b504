// DtlsStream's one real timer: armed at the core's deadline, fired once the
// clock reaches the deadline last set, whether it moved earlier or later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { DeadlineTimer } from '../../src/stream/deadline-timer.ts';

/** A ManualClock that counts the timers set on it. */
class CountingClock extends ManualClock {
  sets = 0;
  override setTimeout(fn: () => void, ms: number): number {
    this.sets++;
    return super.setTimeout(fn, ms);
  }
}

test('DeadlineTimer: a slightly later deadline keeps the running timer and fires at the later time, not before', () => {
  const clock = new CountingClock();
  const fired: number[] = [];
  const t = new DeadlineTimer(clock, undefined, () => fired.push(clock.now()));
  t.set(100);
  // The idle deadline moving with each datagram received: one timer, not one per call (up to a quarter of its delay later).
  for (let at = 101; at <= 125; at++) t.set(at);
  assert.equal(clock.sets, 1);
  assert.equal(clock.pending, 1);
  clock.advance(110);
  assert.deepEqual(fired, [], 'nothing fires before the deadline last set');
  clock.advance(15);
  assert.deepEqual(fired, [125]);
  assert.equal(clock.pending, 0);
});

test('DeadlineTimer: a deadline much later than the armed one re-arms at once', () => {
  const clock = new CountingClock();
  const fired: number[] = [];
  const t = new DeadlineTimer(clock, undefined, () => fired.push(clock.now()));
  // A retransmission deadline, then the idle deadline once connected.
  t.set(100);
  t.set(300_000);
  assert.equal(clock.sets, 2);
  assert.equal(clock.nextDeadline, 300_000);
  assert.equal(clock.pending, 1);
  clock.advance(300_000);
  assert.deepEqual(fired, [300_000]);
});

test('DeadlineTimer: an earlier deadline re-arms; the same one keeps the timer; undefined and cancel() stop it', () => {
  const clock = new CountingClock();
  const fired: number[] = [];
  const t = new DeadlineTimer(clock, undefined, () => fired.push(clock.now()));
  t.set(500);
  t.set(500);
  assert.equal(clock.sets, 1);
  t.set(50);
  assert.equal(clock.sets, 2);
  assert.equal(clock.pending, 1, 'the later timer was cleared');
  clock.advance(60);
  assert.deepEqual(fired, [50]);
  // Set again after firing: armed anew.
  t.set(100);
  t.set(undefined);
  assert.equal(clock.pending, 0);
  t.set(120);
  t.cancel();
  clock.advance(1000);
  assert.deepEqual(fired, [50]);
});
