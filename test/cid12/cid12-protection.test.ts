// tls12_cid record protection (RFC 9146 4, 5) with both providers, checked by
// hand with node:crypto: the header (type 25, version, epoch, sequence number,
// CID, length), the nonce of the suite (RFC 5288, RFC 7905) and the AAD of
// RFC 9146's final text: seq_num_placeholder (8 x 0xff) || tls12_cid ||
// cid_length || tls12_cid || version || epoch || sequence_number || cid ||
// length_of_DTLSInnerPlaintext. A draft-era AAD (the ordinary one with the CID
// and its length added) must not open it. Also: the split of tls12_cid
// records, and datagramCid reading a 1.2 CID for listen().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { RecordProtection } from '../../src/record/protection.ts';
import { CIPHER_SUITES } from '../../src/crypto/suites.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { datagramCid } from '../../src/record/cid.ts';
import { classifyPacket } from '../../src/demux/index.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function open(suite: (typeof CIPHER_SUITES)[number], key: Uint8Array, nonce: Buffer, body: Uint8Array, aad: Buffer): Buffer | null {
  const d = nc.createDecipheriv(suite.aead as nc.CipherGCMTypes, key, nonce, { authTagLength: 16 });
  d.setAuthTag(body.subarray(body.length - 16));
  d.setAAD(aad);
  try {
    return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
  } catch {
    return null;
  }
}

for (const crypto of [nobleProvider, createNativeProvider(nc)]) {
  for (const suite of CIPHER_SUITES) {
    test(`${crypto.name}, ${suite.opensslName}: a tls12_cid record opens with the RFC 9146 AAD by hand, and only with it`, () => {
      const key = new Uint8Array(nc.randomBytes(suite.keyLength));
      const iv = new Uint8Array(nc.randomBytes(suite.fixedIvLength));
      const sender = new RecordProtection(crypto, suite, key, iv);
      const receiver = new RecordProtection(crypto, suite, key, iv);
      const epoch = 1;
      const seq = 0x12_3456_789a;
      const version = 0xfefd;
      for (const [n, cid, padding] of [
        [0, Uint8Array.of(7), 0],
        [5, Uint8Array.of(0xc1, 0xc2, 0xc3, 0xc4), 3],
        [1200, new Uint8Array(nc.randomBytes(255)), 0],
      ] as const) {
        const content = new Uint8Array(nc.randomBytes(n));
        const record = sender.sealCid(epoch, seq, 23, version, content, cid, padding);
        const h = 13 + cid.length;
        // The header: tls12_cid, version, epoch, sequence number, the CID, the length (RFC 9146 4).
        const seqNum = Buffer.alloc(8);
        seqNum.writeUInt16BE(epoch, 0);
        seqNum.writeUIntBE(seq, 2, 6);
        assert.equal(record[0], 25);
        assert.equal(hex(record.subarray(1, 3)), 'fefd');
        assert.equal(hex(record.subarray(3, 11)), seqNum.toString('hex'));
        assert.equal(hex(record.subarray(11, 11 + cid.length)), hex(cid));
        assert.equal((record[h - 2]! << 8) | record[h - 1]!, record.length - h);
        const innerLength = n + 1 + padding;
        const aad = Buffer.concat([
          Buffer.alloc(8, 0xff),
          Buffer.from([25, cid.length, 25, version >> 8, version & 0xff]),
          seqNum,
          Buffer.from(cid),
          Buffer.from([innerLength >> 8, innerLength & 0xff]),
        ]);
        const fragment = record.subarray(h);
        let nonce: Buffer;
        if (suite.recordIvLength) nonce = Buffer.concat([Buffer.from(iv), Buffer.from(fragment.subarray(0, 8))]);
        else {
          nonce = Buffer.from(iv);
          for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seqNum[i]!;
        }
        const body = fragment.subarray(suite.recordIvLength);
        const inner = open(suite, key, nonce, body, aad);
        // DTLSInnerPlaintext: content, the real type, the zeros.
        assert.equal(inner?.toString('hex'), hex(Uint8Array.of(...content, 23, ...new Uint8Array(padding))));
        // The ordinary AAD with the CID spliced in (draft-ietf-tls-dtls-connection-id before -12) does not open it.
        const draft = Buffer.concat([
          seqNum,
          Buffer.from([25, version >> 8, version & 0xff]),
          Buffer.from(cid),
          Buffer.from([cid.length, innerLength >> 8, innerLength & 0xff]),
        ]);
        assert.equal(open(suite, key, nonce, body, draft), null);

        assert.equal(hex(receiver.openCid(epoch, seq, version, cid, fragment)!), hex(inner!));
        assert.equal(receiver.openCid(epoch, seq + 1, version, cid, fragment), null);
        assert.equal(receiver.openCid(epoch, seq, version, Uint8Array.of(...cid.subarray(1), 0), fragment), null);
        assert.equal(receiver.openCid(epoch, seq, 0xfeff, cid, fragment), null);
        assert.equal(receiver.open(epoch, seq, 25, version, fragment), null, 'the ordinary AAD does not open it');
        assert.equal(receiver.openCid(epoch, seq, version, cid, fragment.subarray(0, sender.overhead)), null);

        // The split finds it with the receiver's CID length, beside an ordinary record.
        const plain = Uint8Array.of(22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 0xaa, 0xbb);
        const split = decodeRecords(Uint8Array.of(...plain, ...record), cid.length);
        assert.equal(split.malformed, false);
        assert.equal(split.records.length, 2);
        assert.equal(split.records[0]!.cid, undefined);
        assert.equal(hex(split.records[1]!.cid!), hex(cid));
        assert.equal(hex(split.records[1]!.fragment), hex(fragment));
        assert.equal(hex(datagramCid(record, cid.length)!), hex(cid));
      }
    });
  }
}

test('sealCid refuses what RFC 9146 does not allow: an inner plaintext over 2^14, no CID', () => {
  const suite = CIPHER_SUITES[0]!;
  const p = new RecordProtection(nobleProvider, suite, new Uint8Array(suite.keyLength), new Uint8Array(suite.fixedIvLength));
  assert.equal(p.sealCid(1, 0, 23, 0xfefd, new Uint8Array(16383), Uint8Array.of(1)).length > 16383, true);
  assert.throws(() => p.sealCid(1, 0, 23, 0xfefd, new Uint8Array(16384), Uint8Array.of(1)), RangeError);
  assert.throws(() => p.sealCid(1, 0, 23, 0xfefd, new Uint8Array(1), new Uint8Array(0)), RangeError);
});

test('the split stops at a truncated tls12_cid header or length; datagramCid never reads past the datagram', () => {
  const rec = Uint8Array.of(25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 3, 0xc1, 0xc2, 0xc3, 0xc4, 0, 1, 0x55);
  assert.equal(decodeRecords(rec, 4).records.length, 1);
  for (let n = 1; n < rec.length; n++) assert.equal(decodeRecords(rec.subarray(0, n), 4).malformed, true, `${n} bytes`);
  // With a longer CID length the same bytes are not a record.
  assert.equal(decodeRecords(rec, 6).malformed, true);
  for (let n = 0; n < 15; n++) assert.equal(datagramCid(rec.subarray(0, n), 4), undefined);
  assert.equal(hex(datagramCid(rec.subarray(0, 15), 4)!), 'c1c2c3c4');
  // An ordinary DTLS 1.2 record carries no CID to route by.
  assert.equal(datagramCid(Uint8Array.of(23, ...rec.subarray(1)), 4), undefined);
});

test('RFC 7983 / 9443 demultiplexing: content type 25 (tls12_cid) is DTLS', () => {
  assert.equal(classifyPacket(Uint8Array.of(25, 0xfe, 0xfd)), 'dtls');
  assert.equal(classifyPacket(Uint8Array.of(25), { turnChannels: false }), 'dtls');
});
