import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeAck, encodeAck, MAX_ACK_RECORDS } from '../../src/wire/ack.ts';
import { toHex } from '../../src/wire/codec.ts';
import { compareRecordNumbers, MAX_UINT64, reconstructEpoch, reconstructSequenceNumber, recordNumber } from '../../src/wire/record-number.ts';
import { codecProperties13, refuses } from './props13.ts';

// The rule of RFC 9147 4.2.2 written the slow way: every candidate with these
// low bits, the closest to `expected`, ties to the higher.
function closestModel(low: number, bits: 8 | 16, expected: number): number {
  const win = 2 ** bits;
  let best = -1;
  for (let k = Math.max(0, Math.floor(expected / win) - 2); k <= Math.floor(expected / win) + 2; k++) {
    const c = k * win + low;
    const d = Math.abs(c - expected),
      bd = Math.abs(best - expected);
    if (best < 0 || d < bd || (d === bd && c > best)) best = c;
  }
  return best;
}

test('sequence number reconstruction: worked cases (RFC 9147 4.2.2)', () => {
  assert.equal(reconstructSequenceNumber(0x05, 8, 0x1fe), 0x205); // wrapped forward
  assert.equal(reconstructSequenceNumber(0xfe, 8, 0x201), 0x1fe); // late record from before the wrap
  assert.equal(reconstructSequenceNumber(0xff, 8, 0), 0xff); // nothing below 0
  assert.equal(reconstructSequenceNumber(0x00, 8, 128), 256); // a tie goes up
  assert.equal(reconstructSequenceNumber(0x1234, 16, 0x5_1230), 0x5_1234);
  assert.equal(reconstructSequenceNumber(0xfff0, 16, 0x5_0010), 0x4_fff0);
  assert.equal(reconstructSequenceNumber(7, 16, 2 ** 40), 2 ** 40 + 7);
  assert.throws(() => reconstructSequenceNumber(256, 8, 0), RangeError);
  assert.throws(() => reconstructSequenceNumber(1, 8, -1), RangeError);
  assert.throws(() => reconstructSequenceNumber(1, 16, 2 ** 53), RangeError);
});

test('sequence number reconstruction: the closest candidate, and exact within half a window', () => {
  const bitsArb = fc.constantFrom<8 | 16>(8, 16);
  fc.assert(
    fc.property(bitsArb, fc.integer({ min: 0, max: 2 ** 48 }), fc.nat(), (bits, expected, l) => {
      const low = l % 2 ** bits;
      assert.equal(reconstructSequenceNumber(low, bits, expected), closestModel(low, bits, expected));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(bitsArb, fc.integer({ min: 0, max: 2 ** 48 }), fc.integer({ min: -32767, max: 32767 }), (bits, expected, delta) => {
      const half = 2 ** (bits - 1);
      const actual = expected + (delta % half);
      if (actual < 0) return;
      assert.equal(reconstructSequenceNumber(actual % 2 ** bits, bits, expected), actual);
    }),
    { numRuns: 2000 },
  );
});

test('epoch reconstruction from 2 bits (RFC 9147 4.2.2)', () => {
  assert.equal(reconstructEpoch(2, 2), 2);
  assert.equal(reconstructEpoch(3, 2), undefined); // epoch 3 not yet in use, nothing older
  assert.equal(reconstructEpoch(3, 2, true), 3); // handshake: the next epoch is known
  assert.equal(reconstructEpoch(1, 6), 5); // most recent past epoch with bits 01
  assert.equal(reconstructEpoch(3, 6), 3);
  assert.equal(reconstructEpoch(3, 6, true), 7);
  assert.equal(reconstructEpoch(2, 6, true), 6);
  assert.equal(reconstructEpoch(0, 2 ** 40 + 1), 2 ** 40); // no 32-bit wrap
  assert.throws(() => reconstructEpoch(4, 0), RangeError);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 50 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), (current, bits, next) => {
      const e = reconstructEpoch(bits, current, next);
      if (e === undefined) return assert.ok(current < 3 && !(next && (current + 1) % 4 === bits));
      assert.equal(e % 4, bits);
      assert.ok(e >= current - 3 && e <= current + (next ? 1 : 0));
    }),
  );
});

test('RecordNumber: range and order', () => {
  assert.deepEqual(recordNumber(3, 7), { epoch: 3n, sequenceNumber: 7n });
  assert.throws(() => recordNumber(-1, 0), RangeError);
  assert.throws(() => recordNumber(0, MAX_UINT64 + 1n), RangeError);
  assert.equal(compareRecordNumbers(recordNumber(2, 9), recordNumber(3, 0)), -1);
  assert.equal(compareRecordNumbers(recordNumber(3, 1), recordNumber(3, 0)), 1);
  assert.equal(compareRecordNumbers(recordNumber(3, 1), recordNumber(3, 1)), 0);
});

test('ACK (RFC 9147 7): bytes, order, bounds and refusals', () => {
  const wire = '0020' + '0000000000000002' + '0000000000000001' + 'ffffffffffffffff' + '0001000000000000';
  const rns = [recordNumber(MAX_UINT64, 2n ** 48n), recordNumber(2, 1), recordNumber(2, 1)];
  assert.equal(toHex(encodeAck(rns)), wire); // sorted, repeat dropped
  assert.deepEqual(decodeAck(Buffer.from(wire, 'hex')), [recordNumber(2, 1), recordNumber(MAX_UINT64, 2n ** 48n)]);
  assert.equal(toHex(encodeAck([])), '0000');
  assert.deepEqual(decodeAck(Buffer.from('0000', 'hex')), []);
  // A peer's unsorted list is read as sent.
  const unsorted = '0020' + '0000000000000003' + '0000000000000000' + '0000000000000002' + '0000000000000005';
  assert.deepEqual(decodeAck(Buffer.from(unsorted, 'hex')), [recordNumber(3, 0), recordNumber(2, 5)]);
  const many = Array.from({ length: MAX_ACK_RECORDS }, (_, i) => recordNumber(3, i));
  assert.equal(encodeAck(many).length, 2 + 16 * MAX_ACK_RECORDS);
  assert.throws(() => encodeAck([...many, recordNumber(4, 0)]), RangeError);
  assert.throws(() => encodeAck([{ epoch: -1n, sequenceNumber: 0n }]), RangeError);
  refuses(decodeAck, [
    ['', /truncated record_numbers/],
    ['00', /truncated record_numbers/],
    ['0010 0000000000000002', /truncated record_numbers/],
    ['000f 000000000000000200000000000000', /multiple of 16/],
    ['0011 00000000000000020000000000000001 00', /multiple of 16/],
    ['0000 00', /ACK: 1 trailing bytes/],
  ]);
});

const u64 = fc.bigInt({ min: 0n, max: MAX_UINT64 });
const sortedRecordNumbers = fc
  .uniqueArray(fc.record({ epoch: u64, sequenceNumber: u64 }, { noNullPrototype: true }), { maxLength: 20, selector: (r) => `${r.epoch}/${r.sequenceNumber}` })
  .map((a) => a.sort(compareRecordNumbers));
codecProperties13('ACK', sortedRecordNumbers, encodeAck, decodeAck);
