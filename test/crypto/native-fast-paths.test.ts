// The native provider's cheaper paths for small, frequent operations: HMAC as
// two one-shot digests (every HKDF step), random bytes from a pool, and AEAD
// keys that become KeyObjects only from their third use. Each must give what
// node:crypto's plain calls give, at every boundary of its own bookkeeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { hkdfExpandWith } from '../../src/crypto/hkdf.ts';
import { OneShotHashContext, oneShotHmac, type OneShotHash } from '../../src/crypto/native-hmac.ts';
import { pooledRandom } from '../../src/crypto/native-random.ts';
import { b64url, fromB64url } from '../../src/crypto/native-keys.ts';
import type { AeadName, HashName } from '../../src/crypto/provider.ts';

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : 'null');
const rand = (n: number) => new Uint8Array(nc.randomBytes(n));
const HASHES: HashName[] = ['sha1', 'sha256', 'sha384', 'sha512'];
const p = createNativeProvider(nc);

test('one-shot HMAC = createHmac for keys around the block size (RFC 2104 2) and inputs past its scratch', () => {
  const hmac = oneShotHmac(nc.hash as unknown as OneShotHash);
  for (const h of HASHES)
    for (const k of [0, 1, 20, 32, 63, 64, 65, 127, 128, 129, 300])
      for (const n of [0, 1, 41, 383, 384, 385, 511, 512, 2000]) {
        const key = rand(k);
        const data = rand(n);
        const want = nc.createHmac(h, key).update(data).digest('hex');
        assert.equal(hex(hmac(h, key, data)), want, `${h} key ${k} data ${n}`);
        // The tail byte is one more byte of input.
        if (n) assert.equal(hex(hmac(h, key, data.subarray(0, n - 1), data[n - 1])), want, `${h} key ${k} data ${n - 1} + tail`);
      }
  assert.throws(() => hmac('md5' as HashName, rand(16), rand(16)), RangeError);
});

test('native hmac and one-block HKDF-Expand agree with node:crypto and with noble', () => {
  assert.ok(!p.fallbacks().includes('hmac'), 'hmac is native here');
  for (const h of HASHES) {
    const len = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 }[h];
    for (let i = 0; i < 20; i++) {
      const prk = rand(len);
      const info = rand(i * 7);
      const ref = (name: HashName, key: Uint8Array, data: Uint8Array) => new Uint8Array(nc.createHmac(name, key).update(data).digest());
      for (const length of [12, 16, len, len + 1, 3 * len])
        assert.equal(hex(p.hkdfExpand(h, prk, info, length)), hex(hkdfExpandWith(ref, h, prk, info, length)), `${h} info ${info.length} length ${length}`);
      assert.equal(hex(p.hkdfExpand(h, prk, info, len)), hex(nobleProvider.hkdfExpand(h, prk, info, len)));
    }
  }
});

test('pooled random: exact lengths, no repeats across pool refills, nothing all zero', () => {
  const random = pooledRandom(nc);
  const seen = new Set<string>();
  // 32-byte requests cross the 2 KiB pool's refill boundary many times; odd sizes misalign it.
  for (let i = 0; i < 400; i++)
    for (const n of [32, 13, 64]) {
      const r = random(n);
      assert.equal(r.length, n);
      assert.ok(
        r.some((b) => b !== 0),
        `request ${i} of ${n} bytes is all zero`,
      );
      const k = hex(r);
      assert.ok(!seen.has(k), `request ${i} of ${n} bytes repeats an earlier one`);
      seen.add(k);
    }
  for (const n of [0, 65, 5000]) assert.equal(random(n).length, n);
  assert.ok(random(5000).some((b) => b !== 0));
  // The provider's random and its X25519 keys come from it.
  assert.equal(p.random(0).length, 0);
  assert.notEqual(hex(p.random(32)), hex(p.random(32)));
  assert.notEqual(hex(p.generateKeyShare('x25519').privateKey), hex(p.generateKeyShare('x25519').privateKey));
});

test('native AEADs: the same records before and after the key becomes a KeyObject, and after the caller zeroes its key', () => {
  const names: AeadName[] = ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305', 'aes-128-ccm', 'aes-128-ccm8'];
  for (const name of names) {
    const key = rand(name.includes('256') || name.startsWith('chacha') ? 32 : 16);
    const ref = nobleProvider.aead(name, key.slice());
    const sealer = p.aead(name, key);
    const opener = p.aead(name, key);
    // The AEADs keep their own copy: a caller may wipe its key buffer.
    key.fill(0);
    for (let i = 0; i < 6; i++) {
      const nonce = rand(12);
      const aad = rand(13);
      const pt = rand(i * 50);
      const sealed = sealer.seal(nonce, pt, aad);
      assert.equal(hex(sealed), hex(ref.seal(nonce, pt, aad)), `${name} record ${i}`);
      assert.equal(hex(opener.open(nonce, sealed, aad)), hex(pt), `${name} record ${i} opens`);
      sealed[0]! ^= 1;
      if (pt.length) assert.equal(opener.open(nonce, sealed, aad), null, `${name} record ${i} tampered`);
    }
  }
});

test('one-shot hash context: each digest is the hash of everything so far, across its buffer growing, and an update after a digest goes on', () => {
  for (const h of HASHES) {
    const ctx = new OneShotHashContext(nc.hash as unknown as OneShotHash, h);
    const ref = nc.createHash(h);
    assert.equal(hex(ctx.digest()), ref.copy().digest('hex'), `${h} empty`);
    for (const n of [0, 1, 150, 1023, 1, 2000, 64, 5000]) {
      const data = rand(n);
      ctx.update(data);
      ref.update(data);
      // The caller's buffer may be reused: the context kept its own copy.
      data.fill(0);
      assert.equal(hex(ctx.digest()), ref.copy().digest('hex'), `${h} after ${n} more bytes`);
    }
  }
  // The provider's hashContext is this one where crypto.hash() works.
  const c = p.hashContext!('sha256');
  c.update(Uint8Array.of(1, 2, 3));
  assert.equal(
    hex(c.digest()),
    nc
      .createHash('sha256')
      .update(Uint8Array.of(1, 2, 3))
      .digest('hex'),
  );
});

test('b64url writes what Buffer writes as base64url, and fromB64url reads it back, at every length mod 3', () => {
  for (let n = 0; n < 100; n++) {
    const b = rand(n);
    const s = b64url(b);
    assert.equal(s, Buffer.from(b).toString('base64url'), `${n} bytes`);
    assert.equal(hex(fromB64url(s)), hex(b), `${n} bytes back`);
  }
});
