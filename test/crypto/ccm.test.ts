import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { aesCcm } from '../../src/crypto/ccm.ts';

// Fresh copies: node's zero-length randomBytes buffer trips its CCM path.
const rand = (n: number) => new Uint8Array(nc.randomBytes(n));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function nodeCcm(key: Uint8Array, tag: 8 | 16, nonce: Uint8Array, pt: Uint8Array, aad: Uint8Array): Uint8Array {
  const c = nc.createCipheriv(`aes-${key.length * 8}-ccm` as nc.CipherCCMTypes, key, nonce, { authTagLength: tag });
  c.setAAD(aad, { plaintextLength: pt.length });
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

// Sizes around block boundaries, and AADs on both sides of the 2-byte / 6-byte
// length-prefix switch at 2^16 - 2^8 (RFC 3610 2.2).
const PT = [0, 1, 15, 16, 17, 31, 32, 33, 255, 1024];
const AAD = [0, 1, 13, 14, 15, 16, 30, 0xfeff, 0xff00, 0x10005];

for (const keyLen of [16, 32]) {
  for (const tag of [8, 16] as const) {
    test(`AES-${keyLen * 8}-CCM tag ${tag}: matches node:crypto`, () => {
      const key = rand(keyLen);
      const aead = aesCcm(key, tag);
      assert.equal(aead.tagLength, tag);
      for (const ptLen of PT) {
        for (const aadLen of ptLen === 17 ? AAD : [0, 13]) {
          const nonce = rand(12);
          const pt = rand(ptLen);
          const aad = rand(aadLen);
          const ref = nodeCcm(key, tag, nonce, pt, aad);
          const ours = aead.seal(nonce, pt, aad);
          assert.equal(hex(ours), hex(ref), `pt ${ptLen} aad ${aadLen}`);
          assert.equal(hex(aead.open(nonce, ref, aad)!), hex(pt));
        }
      }
    });
  }
}

test('CCM: every single-bit flip of ciphertext or tag is rejected', () => {
  const aead = aesCcm(rand(16), 8);
  const nonce = rand(12);
  const aad = rand(13);
  const ct = aead.seal(nonce, rand(20), aad);
  for (let i = 0; i < ct.length * 8; i++) {
    const bad = ct.slice();
    bad[i >> 3]! ^= 1 << (i & 7);
    assert.equal(aead.open(nonce, bad, aad), null, `bit ${i}`);
  }
  assert.equal(aead.open(nonce, ct, aad.subarray(1)), null);
  assert.equal(aead.open(nonce, ct.subarray(0, 7), aad), null);
  assert.equal(aead.open(nonce.subarray(1), ct, aad), null);
});

test('CCM: argument checks', () => {
  assert.throws(() => aesCcm(rand(24), 16), RangeError);
  assert.throws(() => aesCcm(rand(16), 16).seal(rand(13), rand(1), rand(0)), RangeError);
});
