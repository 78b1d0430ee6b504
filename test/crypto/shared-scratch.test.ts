// RecordProtection fills one module-wide nonce and AAD scratch for every seal
// and open, and the native AEAD keeps no per-call state on its object: records
// of many connections interleaved, sealed and opened in turns, must each open
// with their own keys only, with both providers and every suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { RecordProtection } from '../../src/record/protection.ts';
import { CIPHER_SUITES } from '../../src/crypto/suites.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { createNativeProvider } from '../../src/crypto/native.ts';

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : 'null');

for (const crypto of [nobleProvider, createNativeProvider(nc)]) {
  for (const suite of CIPHER_SUITES) {
    test(`${crypto.name}, ${suite.opensslName}: interleaved connections open only their own records`, () => {
      const conns = Array.from({ length: 4 }, () => {
        const key = new Uint8Array(nc.randomBytes(suite.keyLength));
        const iv = new Uint8Array(nc.randomBytes(suite.fixedIvLength));
        return { send: new RecordProtection(crypto, suite, key, iv), recv: new RecordProtection(crypto, suite, key, iv) };
      });
      const sealed: { from: number; seq: number; pt: Uint8Array; record: Uint8Array }[] = [];
      for (let seq = 0; seq < 3; seq++)
        for (const [i, c] of conns.entries()) {
          const pt = new Uint8Array(nc.randomBytes(17 * (i + 1) + seq));
          sealed.push({ from: i, seq, pt, record: seq % 2 ? c.send.sealRecord(1, seq, 23, 0xfefd, pt).subarray(13) : c.send.seal(1, seq, 23, 0xfefd, pt) });
        }
      // Opened in reverse order, each by every receiver: only its own authenticates.
      for (const s of sealed.reverse())
        for (const [j, c] of conns.entries()) {
          const got = c.recv.open(1, s.seq, 23, 0xfefd, s.record);
          assert.equal(hex(got), j === s.from ? hex(s.pt) : 'null', `record ${s.seq} of connection ${s.from} opened by ${j}`);
        }
    });

    test(`${crypto.name}, ${suite.opensslName}: a fixed IV of the wrong length is a RangeError`, () => {
      const key = new Uint8Array(suite.keyLength);
      for (const n of [0, suite.fixedIvLength - 1, suite.fixedIvLength + 1])
        assert.throws(() => new RecordProtection(crypto, suite, key, new Uint8Array(n)), RangeError, `IV of ${n} bytes`);
    });
  }
}
