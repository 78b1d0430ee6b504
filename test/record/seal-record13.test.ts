// RecordProtection13.sealRecord writes the unified header straight into the
// record's buffer (RFC 9147 4). Its bytes must be those of encodeUnifiedHeader
// then seal() in every header form (8 or 16-bit sequence number, with or
// without length, with or without CID), for every AEAD and both providers,
// and seal13 (the record layer's path) must send the same record as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import type { AeadName, CryptoProvider } from '../../src/crypto/provider.ts';
import { RecordProtection13 } from '../../src/record/protection13.ts';
import { seal13, split13 } from '../../src/record/format13.ts';
import { encodeUnifiedHeader } from '../../src/wire/unified-header.ts';
import { Rng } from '../../src/testing/network.ts';

const AEADS: { aead: AeadName; keyLength: number }[] = [
  { aead: 'aes-128-gcm', keyLength: 16 },
  { aead: 'aes-256-gcm', keyLength: 32 },
  { aead: 'chacha20-poly1305', keyLength: 32 },
  { aead: 'aes-128-ccm', keyLength: 16 },
  { aead: 'aes-128-ccm8', keyLength: 16 },
];
const providers: [string, CryptoProvider][] = [
  ['noble', nobleProvider],
  ['node:crypto', createNativeProvider(nc)],
];

function bytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

for (const [name, crypto] of providers) {
  test(`${name}: sealRecord = seal(encodeUnifiedHeader(...)) in every header form, and its header unmasks to encodeUnifiedHeader`, () => {
    const rng = new Rng(9147);
    for (const suite of AEADS) {
      const key = bytes(rng, suite.keyLength),
        iv = bytes(rng, 12),
        sn = bytes(rng, suite.keyLength);
      const mask = (s: Uint8Array) => crypto.recordNumberMask(suite.aead, sn, s);
      const mk = () => new RecordProtection13(crypto, suite, key, iv, mask);
      const direct = mk(),
        viaHeader = mk();
      for (const bits of [8, 16] as const)
        for (const omitLength of [false, true])
          for (const cidLength of [0, 1, 8, 255])
            for (const seq of [0, 1, 0xff, 0x100, 0xffff, 0x10000 + rng.int(1 << 20)]) {
              const epoch = 2 + rng.int(1000);
              const cid = cidLength ? bytes(rng, cidLength) : undefined;
              const content = bytes(rng, rng.int(3) === 0 ? 0 : rng.int(600));
              const type = 22 + rng.int(4);
              const header = encodeUnifiedHeader({ epoch, sequenceNumber: seq, sequenceBits: bits, cid, omitLength }, direct.sealedLength(content.length));
              const got = direct.sealRecord(epoch, seq, type, content, cid, bits, omitLength);
              const want = viaHeader.seal(header, seq, type, content);
              const form = `${suite.aead} ${bits}-bit${omitLength ? ' no length' : ''} cid ${cidLength} seq ${seq}`;
              assert.deepEqual(got, want, form);
              // The header in the clear: only the sequence bits differ, by the mask of the first 16 ciphertext bytes.
              const clear = got.slice(0, header.length);
              const m = mask(got.subarray(header.length, header.length + 16));
              const off = 1 + cidLength;
              clear[off]! ^= m[0]!;
              if (bits === 16) clear[off + 1]! ^= m[1]!;
              assert.deepEqual(clear, header, form);
            }
    }
  });
}

test('seal13 sends the record seal(encodeUnifiedHeader(16-bit, length, peer CID)) did, and split13 frames it', () => {
  const rng = new Rng(13);
  const suite = { aead: 'aes-128-gcm' as const, keyLength: 16 };
  const key = bytes(rng, 16),
    iv = bytes(rng, 12),
    sn = bytes(rng, 16);
  const mk = () => new RecordProtection13(nobleProvider, suite, key, iv, (s) => nobleProvider.recordNumberMask(suite.aead, sn, s));
  const a = mk(),
    b = mk();
  for (const cid of [undefined, new Uint8Array(0), bytes(rng, 4)]) {
    for (const seq of [0, 5, 0x1_0005]) {
      const payload = bytes(rng, 100);
      const got = seal13(a, 3, seq, 23, payload, cid);
      const header = encodeUnifiedHeader({ epoch: 3, sequenceNumber: seq, sequenceBits: 16, cid }, b.sealedLength(payload.length));
      assert.deepEqual(got, b.seal(header, seq, 23, payload));
      const split = split13(got, cid?.length ?? 0);
      assert.equal(split.malformed, false);
      assert.equal(split.order.length, 1);
    }
  }
});

test('sealRecord refuses what encodeUnifiedHeader refuses: a negative epoch, a CID over 255 bytes, other sequence widths', () => {
  const suite = { aead: 'aes-128-gcm' as const, keyLength: 16 };
  const p = new RecordProtection13(nobleProvider, suite, new Uint8Array(16), new Uint8Array(12), (s) =>
    nobleProvider.recordNumberMask(suite.aead, new Uint8Array(16), s),
  );
  assert.throws(() => p.sealRecord(-1, 0, 23, new Uint8Array(1)), RangeError);
  assert.throws(() => p.sealRecord(2, 0, 23, new Uint8Array(1), new Uint8Array(256)), RangeError);
  assert.throws(() => p.sealRecord(2, 0, 23, new Uint8Array(1), undefined, 12 as 16), RangeError);
  assert.throws(() => p.sealRecord(2, 0, 0, new Uint8Array(1)), RangeError);
  assert.equal(p.sealed, 0);
});
