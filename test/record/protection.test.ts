// Record protection (RFC 5288, RFC 6655, RFC 7905 nonces and AAD) with both
// providers: what seal() writes opens with node:crypto directly, sealRecord()
// is the record encodeRecord() would build around seal(), and a record opens
// only with the epoch, sequence number and type it was sealed with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { RecordProtection } from '../../src/record/protection.ts';
import { CIPHER_SUITES } from '../../src/crypto/suites.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { encodeRecord } from '../../src/wire/record.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

for (const crypto of [nobleProvider, createNativeProvider(nc)]) {
  for (const suite of CIPHER_SUITES) {
    test(`${crypto.name}, ${suite.opensslName}: seal, sealRecord and open agree with the RFC nonce and AAD`, () => {
      const key = new Uint8Array(nc.randomBytes(suite.keyLength));
      const iv = new Uint8Array(nc.randomBytes(suite.fixedIvLength));
      const sender = new RecordProtection(crypto, suite, key, iv);
      const receiver = new RecordProtection(crypto, suite, key, iv);
      const epoch = 1,
        seq = 0x1234_5678_9a,
        type = 23,
        version = 0xfefd;
      for (const n of [0, 1, 1200]) {
        const pt = new Uint8Array(nc.randomBytes(n));
        const fragment = sender.seal(epoch, seq, type, version, pt);
        assert.equal(fragment.length, n + sender.overhead);
        // By hand: seq_num = epoch(2) || seq(6); AAD = seq_num || type || version || length (RFC 5246 6.2.3.3).
        const seqNum = Buffer.alloc(8);
        seqNum.writeUInt16BE(epoch, 0);
        seqNum.writeUIntBE(seq, 2, 6);
        const aad = Buffer.concat([seqNum, Buffer.from([type, version >> 8, version & 0xff, n >> 8, n & 0xff])]);
        let nonce: Buffer;
        if (suite.recordIvLength) {
          assert.equal(hex(fragment.subarray(0, 8)), seqNum.toString('hex'), 'explicit nonce = epoch || seq');
          nonce = Buffer.concat([Buffer.from(iv), seqNum]);
        } else {
          nonce = Buffer.from(iv);
          for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seqNum[i]!; // RFC 7905 2
        }
        const body = fragment.subarray(suite.recordIvLength);
        const d = nc.createDecipheriv(suite.aead as nc.CipherGCMTypes, key, nonce, { authTagLength: 16 });
        d.setAuthTag(body.subarray(body.length - 16));
        d.setAAD(aad);
        assert.equal(Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString('hex'), hex(pt));

        const record = sender.sealRecord(epoch, seq, type, version, pt);
        assert.equal(hex(record), hex(encodeRecord({ contentType: type, version, epoch, sequenceNumber: seq, fragment })));
        assert.equal(hex(receiver.open(epoch, seq, type, version, record.subarray(13))!), hex(pt));
        assert.equal(receiver.open(epoch, seq + 1, type, version, fragment), null);
        assert.equal(receiver.open(epoch + 1, seq, type, version, fragment), null);
        assert.equal(receiver.open(epoch, seq, 22, version, fragment), null);
        assert.equal(receiver.open(epoch, seq, type, version, fragment.subarray(0, sender.overhead - 1)), null);
      }
    });
  }
}
