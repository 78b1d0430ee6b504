import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DtlsError } from '../../src/errors.ts';
import { concat, fromHex, toHex } from '../../src/wire/codec.ts';
import { decodeInnerPlaintext, encodeInnerPlaintext } from '../../src/wire/inner-plaintext.ts';
import {
  additionalData13,
  applySequenceMask,
  decodeDatagram13,
  encodeCiphertextRecord,
  encodePlaintextRecord13,
  encodeUnifiedHeader,
  isUnifiedHeader,
  MAX_CIPHERTEXT_13,
  unifiedSequenceOffset,
  unmaskSequence,
  type CiphertextRecord13,
  type PlaintextRecord13,
  type UnifiedHeader,
} from '../../src/wire/unified-header.ts';
import { bytes } from './props13.ts';

const h = fromHex;

test('unified header bytes: the three forms of RFC 9147 4 (Figure 3)', () => {
  // Minimal: 001 0 0 0 EE, 8-bit sequence, no length.
  assert.equal(toHex(encodeUnifiedHeader({ epoch: 3, sequenceNumber: 0x1ab, sequenceBits: 8, omitLength: true }, 20)), '23ab');
  // Full with CID: 001 1 1 1 EE, CID, 16-bit sequence, length.
  assert.equal(toHex(encodeUnifiedHeader({ epoch: 6, sequenceNumber: 0x1_0203, cid: h('c1d2') }, 0x0110)), '3ec1d202030110');
  // Default: 16-bit sequence and length, no CID (what Chromium sends: 0x2e, 0x2f).
  assert.equal(toHex(encodeUnifiedHeader({ epoch: 2, sequenceNumber: 1 }, 517 - 5)), '2e00010200');
  assert.equal(toHex(encodeUnifiedHeader({ epoch: 2, sequenceNumber: 1, cid: new Uint8Array(0) }, 1)), '2e00010001'); // empty CID: no C bit
  assert.equal(unifiedSequenceOffset({ cid: h('c1d2') }), 3);
  assert.throws(() => encodeUnifiedHeader({ epoch: 0, sequenceNumber: 0 }, MAX_CIPHERTEXT_13 + 1), RangeError);
  assert.throws(() => encodeUnifiedHeader({ epoch: -1, sequenceNumber: 0 }, 1), RangeError);
  assert.throws(() => encodeUnifiedHeader({ epoch: 0, sequenceNumber: 0, cid: new Uint8Array(256) }, 1), RangeError);
  assert.throws(() => encodeUnifiedHeader({ epoch: 0, sequenceNumber: 0, sequenceBits: 12 as 8 }, 1), RangeError);
  assert.ok(isUnifiedHeader(0x20) && isUnifiedHeader(0x3f) && !isUnifiedHeader(0x1f) && !isUnifiedHeader(0x40));
});

test('a datagram of mixed records: plaintext handshake, ACK, ciphertext with and without length', () => {
  const hs = encodePlaintextRecord13({ contentType: 22, sequenceNumber: 5, fragment: h('0102') });
  const ack = encodePlaintextRecord13({ contentType: 26, sequenceNumber: 6, fragment: h('0000') });
  const c1 = encodeCiphertextRecord({ epoch: 2, sequenceNumber: 0x0107, cid: h('aabbcc') }, h('11'.repeat(17)));
  const c2 = encodeCiphertextRecord({ epoch: 3, sequenceNumber: 0x09, sequenceBits: 8, omitLength: true, cid: h('aabbcc') }, h('22'.repeat(16)));
  const d = concat(hs, ack, c1, c2);
  const { records, dropped } = decodeDatagram13(d, { cidLength: 3 });
  assert.equal(dropped, undefined);
  assert.equal(records.length, 4);
  const [p1, p2, x1, x2] = records as [PlaintextRecord13, PlaintextRecord13, CiphertextRecord13, CiphertextRecord13];
  assert.deepEqual([p1.kind, p1.contentType, p1.version, p1.epoch, p1.sequenceNumber, toHex(p1.fragment)], ['plaintext', 22, 0xfefd, 0, 5, '0102']);
  assert.equal(toHex(p1.header), toHex(hs.subarray(0, 13)));
  assert.deepEqual([p2.contentType, p2.sequenceNumber], [26, 6]);
  assert.deepEqual(
    [x1.kind, toHex(x1.cid!), x1.epochBits, x1.sequenceBits, x1.maskedSequence, x1.lengthPresent, x1.sequenceOffset, x1.encryptedRecord.length],
    ['ciphertext', 'aabbcc', 2, 16, 0x0107, true, 4, 17],
  );
  assert.equal(toHex(x1.header), '3eaabbcc01070011');
  assert.deepEqual([x2.epochBits, x2.sequenceBits, x2.maskedSequence, x2.lengthPresent, x2.encryptedRecord.length], [3, 8, 9, false, 16]);
  assert.equal(toHex(x2.header), '33aabbcc09');
  // Views, not copies: the record layer decrypts in place if it wants.
  assert.equal(x1.encryptedRecord.buffer, d.buffer);
});

test('datagram split stops at what cannot be framed and keeps what came before (RFC 9147 4.5.2)', () => {
  const ok = encodePlaintextRecord13({ contentType: 21, sequenceNumber: 1, fragment: h('0100') });
  const cases: [string, string, number][] = [
    ['17fefd0000000000000001000100', 'unknown_first_byte', 14], // application_data(23) has no DTLSPlaintext in 1.3
    ['14', 'unknown_first_byte', 1], // change_cipher_spec
    ['40', 'unknown_first_byte', 1], // 010xxxxx: neither
    ['16fefd00000000', 'truncated_header', 7],
    ['16fefd0000000000000000000201', 'bad_length', 14], // length 2, 1 byte left
    ['2c0001', 'truncated_header', 3], // S and L set: needs 5 bytes
    ['2c000100ff00', 'bad_length', 6],
    ['30000100', 'unexpected_cid', 4], // C bit, no CID negotiated
  ];
  for (const [tail, reason, n] of cases) {
    const r = decodeDatagram13(concat(ok, h(tail)));
    assert.equal(r.records.length, 1, tail);
    assert.equal(r.dropped, reason, tail);
    assert.equal(r.droppedBytes, n, tail);
  }
  const big = concat(h('2c0001'), h('4101'), new Uint8Array(MAX_CIPHERTEXT_13 + 1));
  assert.equal(decodeDatagram13(big).dropped, 'bad_length'); // over 2^14 + 256
  const bigPlain = concat(h('16fefd00000000000000004001'), new Uint8Array(2 ** 14 + 1));
  assert.equal(decodeDatagram13(bigPlain).dropped, 'bad_length'); // over 2^14
  // Without L the record takes the rest: nothing can follow it.
  const tailless = decodeDatagram13(concat(h('2001'), ok));
  assert.equal(tailless.records.length, 1);
  assert.equal(tailless.records[0]!.kind === 'ciphertext' && tailless.records[0]!.encryptedRecord.length, ok.length);
  assert.deepEqual(decodeDatagram13(new Uint8Array(0)), { records: [], dropped: undefined, droppedBytes: 0 });
  assert.throws(() => decodeDatagram13(ok, { cidLength: 256 }), RangeError);
});

test('sequence number masking: in place, self-inverse, and the AAD is the header in the clear (RFC 9147 4, 4.2.3)', () => {
  const hdr: UnifiedHeader = { epoch: 3, sequenceNumber: 0x4321, cid: h('0a0b') };
  const clear = encodeUnifiedHeader(hdr, 32);
  const record = encodeCiphertextRecord(hdr, new Uint8Array(32).fill(7));
  const mask = h('f00fa5a5000000000000000000000000');
  applySequenceMask(record, unifiedSequenceOffset(hdr), 16, mask);
  assert.equal(toHex(record.subarray(0, 7)), '3f0a0bb32e0020');
  const [rec] = decodeDatagram13(record, { cidLength: 2 }).records as [CiphertextRecord13];
  assert.equal(rec.maskedSequence, 0xb32e);
  const low = unmaskSequence(rec.maskedSequence, rec.sequenceBits, mask);
  assert.equal(low, 0x4321);
  assert.equal(toHex(additionalData13(rec, low)), toHex(clear));
  assert.equal(toHex(rec.header), '3f0a0bb32e0020'); // the received bytes are left alone
  applySequenceMask(record, 3, 16, mask);
  assert.equal(toHex(record.subarray(0, 7)), toHex(clear));
  const eight: UnifiedHeader = { epoch: 1, sequenceNumber: 0x1ff, sequenceBits: 8, omitLength: true };
  const r8 = encodeCiphertextRecord(eight, new Uint8Array(16));
  applySequenceMask(r8, 1, 8, mask);
  const [rec8] = decodeDatagram13(r8).records as [CiphertextRecord13];
  assert.equal(unmaskSequence(rec8.maskedSequence, 8, mask), 0xff);
  assert.equal(toHex(additionalData13(rec8, 0xff)), '21ff');
  assert.throws(() => applySequenceMask(record, 3, 16, h('01')), RangeError);
  assert.throws(() => applySequenceMask(record, 0, 16, mask), RangeError);
  assert.throws(() => unmaskSequence(1, 16, h('01')), RangeError);
});

test('unified header property: any header decodes to what was encoded; any bytes split or stop with a reason', () => {
  const hdrArb = fc.record(
    {
      epoch: fc.integer({ min: 0, max: 2 ** 40 }),
      sequenceNumber: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      sequenceBits: fc.constantFrom<8 | 16>(8, 16),
      omitLength: fc.boolean(),
    },
    { noNullPrototype: true },
  );
  fc.assert(
    fc.property(fc.array(hdrArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 8 }), bytes(0, 40), (hdrs, cidLength, body) => {
      const cid = new Uint8Array(cidLength).fill(0xcc);
      // Only the last record may omit its length.
      const list = hdrs.map((x, i) => ({ ...x, omitLength: i === hdrs.length - 1 && x.omitLength, cid }));
      const d = concat(...list.map((x) => encodeCiphertextRecord(x, body)));
      const out = decodeDatagram13(d, { cidLength });
      assert.equal(out.dropped, undefined);
      assert.equal(out.records.length, list.length);
      out.records.forEach((r, i) => {
        const x = list[i]!;
        assert.ok(r.kind === 'ciphertext');
        assert.equal(r.epochBits, x.epoch % 4);
        assert.equal(r.sequenceBits, x.sequenceBits);
        assert.equal(r.maskedSequence, x.sequenceNumber % 2 ** x.sequenceBits);
        assert.equal(r.lengthPresent, !x.omitLength);
        assert.equal(toHex(r.cid ?? new Uint8Array(0)), toHex(cid));
        assert.equal(toHex(r.encryptedRecord), toHex(body));
        assert.equal(toHex(r.header), toHex(encodeUnifiedHeader(x, body.length)));
      });
    }),
  );
  fc.assert(
    fc.property(bytes(0, 120), fc.integer({ min: 0, max: 4 }), (d, cidLength) => {
      const out = decodeDatagram13(d, { cidLength });
      const used = out.records.reduce((n, r) => n + r.header.length + (r.kind === 'plaintext' ? r.fragment.length : r.encryptedRecord.length), 0);
      assert.equal(used + out.droppedBytes, d.length); // every byte is in a record or counted as dropped
      assert.equal(out.dropped === undefined, out.droppedBytes === 0);
    }),
    { numRuns: 2000 },
  );
});

test('DTLSInnerPlaintext: type after content, zero padding stripped, all zeros refused (RFC 8446 5.2, 5.4)', () => {
  assert.equal(toHex(encodeInnerPlaintext(23, h('6869'), 3)), '686917000000');
  assert.deepEqual(decodeInnerPlaintext(h('686917000000')), { contentType: 23, content: h('6869') });
  assert.deepEqual(decodeInnerPlaintext(h('16')), { contentType: 22, content: new Uint8Array(0) });
  assert.deepEqual(decodeInnerPlaintext(h('0016')), { contentType: 22, content: h('00') });
  for (const x of ['', '00', '000000']) {
    assert.throws(
      () => decodeInnerPlaintext(h(x)),
      (e: unknown) => e instanceof DtlsError && e.code === 'unexpected_message' && e.alert === 10,
    );
  }
  assert.throws(() => encodeInnerPlaintext(0, h('00')), RangeError);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 255 }), bytes(0, 40), fc.integer({ min: 0, max: 40 }), (type, content, pad) => {
      assert.deepEqual(decodeInnerPlaintext(encodeInnerPlaintext(type, content, pad)), { contentType: type, content });
    }),
  );
});

test('DTLSPlaintext property: any 1.3 plaintext record decodes to its fields', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(21, 22, 26),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      bytes(0, 40),
      (contentType, version, epoch, sequenceNumber, fragment) => {
        const wire = encodePlaintextRecord13({ contentType, version, epoch, sequenceNumber, fragment });
        const out = decodeDatagram13(wire);
        assert.equal(out.dropped, undefined);
        const [p] = out.records;
        assert.ok(p?.kind === 'plaintext');
        assert.deepEqual(
          [p.contentType, p.version, p.epoch, p.sequenceNumber, toHex(p.fragment), toHex(p.header)],
          [contentType, version, epoch, sequenceNumber, toHex(fragment), toHex(wire.subarray(0, 13))],
        );
      },
    ),
  );
});
