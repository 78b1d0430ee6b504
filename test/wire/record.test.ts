import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Writer, equalBytes, fromHex, toHex } from '../../src/wire/codec.ts';
import { RECORD_HEADER_LENGTH, decodeRecords, encodeRecord, encodeRecordHeader, writeRecord } from '../../src/wire/record.ts';
import type { DtlsRecord } from '../../src/wire/types.ts';
import { bytes, u16, u8 } from './props.ts';

// type, version, epoch, sequence_number (u48), length, fragment (RFC 6347 4.1)
const rec1 = '16 fefd 0000 000000000000 0003 aabbcc';
const rec2 = '15 fefd 0001 000000000005 0002 0228';

test('record header and record known bytes', () => {
  const r: DtlsRecord = { contentType: 22, version: 0xfefd, epoch: 0, sequenceNumber: 0, fragment: fromHex('aabbcc') };
  assert.equal(toHex(encodeRecord(r)), rec1.replace(/ /g, ''));
  const h = encodeRecordHeader({ contentType: 23, version: 0xfefd, epoch: 2, sequenceNumber: 2 ** 48 - 1, length: 0x4800 });
  assert.equal(h.length, RECORD_HEADER_LENGTH);
  assert.equal(toHex(h), '17fefd0002ffffffffffff4800');
  const w = new Writer();
  writeRecord(w, r);
  writeRecord(w, { ...r, contentType: 21, epoch: 1, sequenceNumber: 5, fragment: fromHex('0228') });
  assert.equal(toHex(w.finish()), (rec1 + rec2).replace(/ /g, ''));
});

test('decodeRecords splits a multi-record datagram into views', () => {
  const dgram = fromHex(rec1 + rec2);
  const { records, malformed } = decodeRecords(dgram);
  assert.equal(malformed, false);
  assert.equal(records.length, 2);
  assert.deepEqual(records[0], { contentType: 22, version: 0xfefd, epoch: 0, sequenceNumber: 0, fragment: fromHex('aabbcc') });
  assert.deepEqual(records[1], { contentType: 21, version: 0xfefd, epoch: 1, sequenceNumber: 5, fragment: fromHex('0228') });
  assert.equal(records[0]!.fragment.buffer, dgram.buffer);
  assert.deepEqual(decodeRecords(new Uint8Array(0)), { records: [], malformed: false });
});

test('decodeRecords flags truncated and oversized records, keeping earlier ones', () => {
  for (const tail of ['17 fefd 00', '17 fefd 0001 000000000001 0005 aabb', '17 fefd 0001 000000000001']) {
    const { records, malformed } = decodeRecords(fromHex(rec1 + tail));
    assert.equal(malformed, true, tail);
    assert.equal(records.length, 1);
  }
  const hdr = (len: number) => fromHex('17fefd0001000000000001' + len.toString(16).padStart(4, '0'));
  const over = new Uint8Array(13 + 0x4801);
  over.set(hdr(0x4801));
  assert.deepEqual(decodeRecords(over), { records: [], malformed: true });
  const max = new Uint8Array(13 + 0x4800);
  max.set(hdr(0x4800));
  assert.equal(decodeRecords(max).records[0]!.fragment.length, 0x4800);
  assert.throws(() => encodeRecord({ contentType: 23, version: 0xfefd, epoch: 0, sequenceNumber: 0, fragment: new Uint8Array(0x4801) }), RangeError);
});

const recordArb = fc.record(
  {
    contentType: u8,
    version: u16,
    epoch: u16,
    sequenceNumber: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    fragment: bytes(0, 64),
  },
  { noNullPrototype: true },
);

test('records round trip through a datagram; a partial trailing header is malformed', () => {
  fc.assert(
    fc.property(fc.array(recordArb, { maxLength: 5 }), recordArb, fc.integer({ min: 1, max: 12 }), (recs, next, cut) => {
      const parts = recs.map(encodeRecord);
      const w = new Writer();
      for (const p of parts) w.bytes(p);
      const dgram = w.finish();
      assert.deepStrictEqual(decodeRecords(dgram), { records: recs, malformed: false });
      const extra = encodeRecord(next).subarray(0, cut);
      const bad = new Uint8Array(dgram.length + extra.length);
      bad.set(dgram);
      bad.set(extra, dgram.length);
      const out = decodeRecords(bad);
      assert.equal(out.malformed, true);
      assert.equal(out.records.length, recs.length);
    }),
  );
});

test('decodeRecords never throws; what it returns re-encodes to a prefix', () => {
  fc.assert(
    fc.property(bytes(0, 300), (b) => {
      const { records, malformed } = decodeRecords(b);
      const w = new Writer();
      for (const r of records) writeRecord(w, r);
      const re = w.finish();
      assert.ok(equalBytes(re, b.subarray(0, re.length)));
      assert.equal(malformed, re.length !== b.length);
    }),
    { numRuns: 500 },
  );
});
