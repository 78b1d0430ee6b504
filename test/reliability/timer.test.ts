import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetransmitTimer } from '../../src/reliability/timer.ts';

test('doubles from 1 s and caps at 60 s (RFC 6347 4.2.4.1)', () => {
  const t = new RetransmitTimer();
  assert.equal(t.deadline, undefined);
  let now = 0;
  t.start(now);
  const intervals: number[] = [];
  for (let i = 0; i < 9; i++) {
    const d: number = t.deadline!;
    assert.equal(t.expired(d - 1), false);
    assert.equal(t.expired(d), true);
    intervals.push(d - now);
    now = d;
    t.backoff();
    t.start(now);
  }
  assert.deepEqual(intervals, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  assert.equal(t.attempts, 9);
});

test('reset goes back to the initial value and zero attempts', () => {
  const t = new RetransmitTimer({ initial: 100, max: 400 });
  t.backoff();
  t.backoff();
  t.backoff();
  assert.equal(t.current, 400);
  t.start(50);
  t.reset();
  assert.equal(t.current, 100);
  assert.equal(t.attempts, 0);
  assert.equal(t.deadline, 50 + 400, 'reset leaves an armed deadline alone');
  t.start(1000);
  assert.equal(t.deadline, 1100);
});

test('stop disarms', () => {
  const t = new RetransmitTimer();
  t.start(0);
  t.stop();
  assert.equal(t.deadline, undefined);
  assert.equal(t.expired(1e9), false);
});

test('rejects bad options', () => {
  assert.throws(() => new RetransmitTimer({ initial: 0 }), RangeError);
  assert.throws(() => new RetransmitTimer({ initial: 100, max: 50 }), RangeError);
  assert.throws(() => new RetransmitTimer({ max: Infinity }), RangeError);
});
