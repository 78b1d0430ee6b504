// EpochTable (record/epoch-table.ts) behaves as a Map from epoch to value,
// checked against one over random sequences of set, delete, get and has, with
// keys() in the order the epochs were first set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EpochTable } from '../../src/record/epoch-table.ts';

type Op = { op: 'set' | 'delete' | 'get' | 'has'; epoch: number; value: number };

test('EpochTable matches a Map under random set/delete/get/has', () => {
  const op = fc.record({ op: fc.constantFrom('set', 'delete', 'get', 'has'), epoch: fc.integer({ min: 0, max: 6 }), value: fc.integer() }) as fc.Arbitrary<Op>;
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const t = new EpochTable<number>();
      const m = new Map<number, number>();
      for (const { op, epoch, value } of ops) {
        if (op === 'set') {
          t.set(epoch, value);
          m.set(epoch, value);
        } else if (op === 'delete') assert.equal(t.delete(epoch), m.delete(epoch));
        else if (op === 'get') assert.equal(t.get(epoch), m.get(epoch));
        else assert.equal(t.has(epoch), m.has(epoch));
        assert.deepEqual(t.keys(), [...m.keys()]);
        assert.equal(t.size, m.size);
      }
    }),
    { numRuns: 500, seed: 13 },
  );
});

test('EpochTable refuses an epoch that is not a non-negative integer', () => {
  const t = new EpochTable<string>();
  for (const e of [-1, 1.5, NaN]) assert.throws(() => t.set(e, 'x'), RangeError);
  assert.equal(t.has(-1), false);
  assert.equal(t.size, 0);
});
