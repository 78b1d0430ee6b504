// RetransmitTimer reads its options at each use (timer.ts): what
// Connection.setRetransmitTimeout relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetransmitTimer } from '../../src/reliability/timer.ts';

test('a change of initial rescales a running timer from its start, its doublings kept, and applies to the next start', () => {
  const opts = { initial: 400, max: 60_000 };
  const t = new RetransmitTimer(opts);
  t.start(0);
  assert.equal(t.deadline, 400);
  opts.initial = 200;
  assert.equal(t.deadline, 200);
  assert.equal(t.expired(200), true);
  t.backoff();
  t.start(200);
  assert.equal(t.deadline, 200 + 400);
  opts.initial = 400;
  assert.equal(t.deadline, 200 + 800, '400 doubled once');
  assert.equal(t.current, 800);
  opts.initial = 50_000;
  assert.equal(t.deadline, 200 + 60_000, 'capped at max');
});

test('a reset() value is floored at min, read live; a deadline armed before a reset() or backoff() stays', () => {
  const opts = { initial: 400, max: 60_000, min: 100 };
  const t = new RetransmitTimer(opts);
  t.reset(30);
  assert.equal(t.current, 100);
  t.start(1000);
  assert.equal(t.deadline, 1100);
  opts.min = 500;
  assert.equal(t.deadline, 1500, 'the running timer follows its floor');
  t.reset();
  t.backoff();
  assert.equal(t.current, 800);
  assert.equal(t.deadline, 1500, 'unchanged until the next start');
  t.stop();
  assert.equal(t.deadline, undefined);
});
