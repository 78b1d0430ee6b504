import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, systemClock } from '../../src/stream/clock.ts';

test('ManualClock fires due timers in deadline order, ties in set order', () => {
  const clock = new ManualClock(100);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b@30'), 30);
  clock.setTimeout(() => fired.push('a@10'), 10);
  clock.setTimeout(() => fired.push('c@30'), 30);
  clock.setTimeout(() => fired.push('late'), 50);
  assert.equal(clock.pending, 4);
  assert.equal(clock.nextDeadline, 110);
  assert.equal(clock.advance(30), 3);
  assert.deepEqual(fired, ['a@10', 'b@30', 'c@30']);
  assert.equal(clock.now(), 130);
  assert.equal(clock.pending, 1);
});

test('ManualClock: a timer set by a timer fires within the same advance; now is the deadline while it runs', () => {
  const clock = new ManualClock();
  const seen: number[] = [];
  clock.setTimeout(() => {
    seen.push(clock.now());
    clock.setTimeout(() => seen.push(clock.now()), 5);
  }, 10);
  clock.advance(20);
  assert.deepEqual(seen, [10, 15]);
  assert.equal(clock.now(), 20);
});

test('ManualClock.clearTimeout and runUntilIdle', () => {
  const clock = new ManualClock();
  const h = clock.setTimeout(() => assert.fail('cleared timer fired'), 5);
  clock.clearTimeout(h);
  clock.clearTimeout(undefined); // harmless
  assert.equal(clock.pending, 0);
  let n = 0;
  const again = (): void => {
    if (++n < 3) clock.setTimeout(again, 1000);
  };
  clock.setTimeout(again, 1000);
  assert.equal(clock.runUntilIdle(), 3);
  assert.equal(clock.now(), 3000);
  const forever = (): void => void clock.setTimeout(forever, 1);
  forever();
  assert.throws(() => clock.runUntilIdle(50), /still busy/);
});

test('systemClock sets and clears real timers', async () => {
  const t0 = systemClock.now();
  await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
  assert.ok(systemClock.now() >= t0);
  const h = systemClock.setTimeout(() => assert.fail('cleared'), 1);
  systemClock.clearTimeout(h);
  await new Promise((r) => setTimeout(r, 10));
});
