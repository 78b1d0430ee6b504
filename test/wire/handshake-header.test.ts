import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DecodeError, fromHex, toHex } from '../../src/wire/codec.ts';
import { HANDSHAKE_HEADER_LENGTH, decodeHandshakeFragments, encodeHandshakeFragment, encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { bytes, decodesOrDecodeError, u16, u8 } from './props.ts';

// msg_type, length u24, message_seq, fragment_offset u24, fragment_length u24 (RFC 6347 4.2.2)
const frag1 = '01 000010 0000 000000 000008 0001020304050607';
const frag2 = '01 000010 0000 000008 000008 08090a0b0c0d0e0f';
const done = '0e 000000 0001 000000 000000';
const hex = (s: string) => s.replace(/ /g, '');

test('encodeHandshakeMessage is the unfragmented form', () => {
  assert.equal(toHex(encodeHandshakeMessage({ msgType: 14, messageSeq: 1, body: new Uint8Array(0) })), hex(done));
  const m = encodeHandshakeMessage({ msgType: 20, messageSeq: 0x0102, body: fromHex('aabbcc') });
  assert.equal(toHex(m), '14' + '000003' + '0102' + '000000' + '000003' + 'aabbcc');
  assert.equal(m.length, HANDSHAKE_HEADER_LENGTH + 3);
});

test('encodeHandshakeFragment known bytes', () => {
  const f = { msgType: 1, length: 16, messageSeq: 0, fragmentOffset: 8, body: fromHex('08090a0b0c0d0e0f') };
  assert.equal(toHex(encodeHandshakeFragment(f)), hex(frag2));
  assert.throws(() => encodeHandshakeFragment({ ...f, fragmentOffset: 9 }), RangeError);
});

test('decodeHandshakeFragments reads several fragments from one record', () => {
  const rec = fromHex(frag1 + frag2 + done);
  const fs = decodeHandshakeFragments(rec);
  assert.equal(fs.length, 3);
  assert.deepEqual(fs[0], { msgType: 1, length: 16, messageSeq: 0, fragmentOffset: 0, body: fromHex('0001020304050607') });
  assert.deepEqual(fs[1], { msgType: 1, length: 16, messageSeq: 0, fragmentOffset: 8, body: fromHex('08090a0b0c0d0e0f') });
  assert.deepEqual(fs[2], { msgType: 14, length: 0, messageSeq: 1, fragmentOffset: 0, body: new Uint8Array(0) });
  assert.equal(fs[1]!.body.buffer, rec.buffer);
});

test('decodeHandshakeFragments rejects malformed fragments', () => {
  const bad = [
    '', // empty record
    frag1 + '01 000010', // truncated header
    frag1 + '01 000010 0000 000008 000008 0809', // body runs past the end
    '01 000010 0000 00000c 000008 0001020304050607', // offset + fragment_length > length
    '01 000004 0000 000000 000008 0001020304050607', // fragment_length > length
  ];
  for (const h of bad) assert.throws(() => decodeHandshakeFragments(fromHex(h)), DecodeError, h);
});

const fragArb = fc
  .record({ msgType: u8, messageSeq: u16, body: bytes(0, 40), offset: fc.nat(100), extra: fc.nat(100) })
  .map(({ msgType, messageSeq, body, offset, extra }) => ({
    msgType,
    length: offset + body.length + extra,
    messageSeq,
    fragmentOffset: offset,
    body,
  }));

test('handshake fragments round trip, several per record', () => {
  fc.assert(
    fc.property(fc.array(fragArb, { minLength: 1, maxLength: 5 }), (fs) => {
      const parts = fs.map(encodeHandshakeFragment);
      const rec = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((o, p) => (rec.set(p, o), o + p.length), 0);
      const out = decodeHandshakeFragments(rec);
      assert.deepStrictEqual(out, fs);
      assert.equal(toHex(Uint8Array.from(out.flatMap((f) => [...encodeHandshakeFragment(f)]))), toHex(rec));
    }),
  );
});

test('decodeHandshakeFragments: arbitrary bytes decode or throw DecodeError', () => {
  fc.assert(
    fc.property(bytes(0, 200), (b) => decodesOrDecodeError(() => decodeHandshakeFragments(b))),
    { numRuns: 1000 },
  );
});
