import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplayWindow } from '../../src/record/replay-window.ts';

test('fresh window accepts anything; marked numbers are replays', () => {
  const w = new ReplayWindow();
  assert.equal(w.top, undefined);
  assert.equal(w.isReplay(0), false);
  assert.equal(w.isReplay(2 ** 48 - 1), false);
  w.mark(5);
  assert.equal(w.isReplay(5), true);
  assert.equal(w.isReplay(4), false);
  assert.equal(w.isReplay(6), false);
  w.mark(4);
  assert.equal(w.isReplay(4), true);
});

test('numbers left of the 64-record window are too old', () => {
  const w = new ReplayWindow();
  w.mark(100);
  assert.equal(w.isReplay(37), false, 'top - 63 is still inside');
  assert.equal(w.isReplay(36), true, 'top - 64 is outside');
  w.mark(36);
  assert.equal(w.top, 100, 'marking a too-old number changes nothing');
  w.mark(1000);
  assert.equal(w.isReplay(100), true);
  assert.equal(w.isReplay(999), false);
});

test('a slide clears the bits of skipped numbers', () => {
  const w = new ReplayWindow({ size: 32 });
  for (let s = 0; s < 32; s++) w.mark(s);
  w.mark(40);
  for (let s = 32; s < 40; s++) assert.equal(w.isReplay(s), false, `seq ${s}`);
  for (let s = 9; s < 32; s++) assert.equal(w.isReplay(s), true, `seq ${s}`);
  assert.equal(w.isReplay(8), true, 'too old');
});

test('works at the top of the 48-bit range', () => {
  const w = new ReplayWindow({ size: 128 });
  const max = 2 ** 48 - 1;
  w.mark(max - 200);
  w.mark(max);
  assert.equal(w.isReplay(max), true);
  assert.equal(w.isReplay(max - 1), false);
  assert.equal(w.isReplay(max - 127), false);
  assert.equal(w.isReplay(max - 128), true);
});

test('reset forgets everything', () => {
  const w = new ReplayWindow();
  w.mark(10);
  w.reset();
  assert.equal(w.isReplay(10), false);
  assert.equal(w.top, undefined);
});

test('rejects bad sizes and sequence numbers', () => {
  assert.throws(() => new ReplayWindow({ size: 48 }), RangeError);
  assert.throws(() => new ReplayWindow({ size: 0 }), RangeError);
  const w = new ReplayWindow();
  assert.throws(() => w.isReplay(-1), RangeError);
  assert.throws(() => w.isReplay(2 ** 48), RangeError);
  assert.throws(() => w.mark(1.5), RangeError);
});

/** Reference model: every marked number in a Set, and the window rule of RFC 4303 3.4.3. */
class Model {
  seen = new Set<number>();
  top = -1;
  constructor(readonly size: number) {}
  isReplay(s: number): boolean {
    return (this.top >= 0 && this.top - s >= this.size) || this.seen.has(s);
  }
  mark(s: number): void {
    this.seen.add(s);
    this.top = Math.max(this.top, s);
  }
}

test('matches a Set-based model (property)', () => {
  const step = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: -40, max: 40 }) },
    { weight: 2, arbitrary: fc.integer({ min: -1100, max: 1100 }) },
    { weight: 1, arbitrary: fc.integer({ min: -5000, max: 100000 }) },
  );
  fc.assert(
    fc.property(
      fc.constantFrom(32, 64, 128, 1024),
      fc.constantFrom(0, 2 ** 32 - 50, 2 ** 48 - 200_000),
      fc.array(fc.tuple(step, fc.boolean()), { maxLength: 300 }),
      (size, base, ops) => {
        const w = new ReplayWindow({ size });
        const m = new Model(size);
        let cur = base;
        for (const [d, doMark] of ops) {
          const s = Math.min(2 ** 48 - 1, Math.max(0, cur + d));
          assert.equal(w.isReplay(s), m.isReplay(s), `seq ${s}`);
          if (doMark) {
            w.mark(s);
            m.mark(s);
          }
          cur = Math.max(cur, s);
        }
      },
    ),
    { numRuns: 300 },
  );
});
