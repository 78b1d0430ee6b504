// Key shares as KEMs: round trips for every group, the X25519MLKEM768 layout
// checked half by half against ML-KEM-768 and node:crypto's X25519 played by
// hand on the other side, and every wrong length or invalid key refused with
// illegal_parameter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { DtlsError } from '../../src/errors.ts';
import { KEM_GROUP_IDS, KEM_LENGTHS, kemClientShare, kemEncapsulate, kemGroupById, type KemGroup } from '../../src/crypto/hybrid-kem.ts';

const p = nobleProvider;
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const GROUPS: KemGroup[] = ['x25519', 'secp256r1', 'secp384r1', 'X25519MLKEM768'];
const illegal = (e: unknown) => e instanceof DtlsError && e.code === 'illegal_parameter' && e.alert === 47;

// node:crypto X25519 keys from and to raw bytes (RFC 8410 SubjectPublicKeyInfo prefix).
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const rawX25519Public = (k: KeyObject) => Uint8Array.from(k.export({ type: 'spki', format: 'der' }).subarray(12));
const x25519PublicKey = (raw: Uint8Array) => createPublicKey({ key: Buffer.concat([X25519_SPKI, raw]), format: 'der', type: 'spki' });

test('code points and lengths: X25519MLKEM768 is 0x11EC with 1216-byte client and 1120-byte server shares and a 64-byte secret', () => {
  assert.equal(KEM_GROUP_IDS.X25519MLKEM768, 0x11ec);
  assert.deepEqual(KEM_LENGTHS.X25519MLKEM768, { client: 1216, server: 1120, secret: 64 });
  assert.equal(kemGroupById(0x11ec), 'X25519MLKEM768');
  assert.equal(kemGroupById(0x001d), 'x25519');
  assert.equal(kemGroupById(0x11eb), undefined, 'SecP256r1MLKEM768 is not offered');
  assert.equal(ml_kem768.lengths.publicKey, 1184);
  assert.equal(ml_kem768.lengths.cipherText, 1088);
});

test('round trips: the client and the server reach the same secret in every group, and fresh shares differ', () => {
  for (const g of GROUPS) {
    for (let i = 0; i < 3; i++) {
      const client = kemClientShare(p, g);
      assert.equal(client.share.length, KEM_LENGTHS[g].client, g);
      const server = kemEncapsulate(p, g, client.share);
      assert.equal(server.share.length, KEM_LENGTHS[g].server, g);
      assert.equal(server.sharedSecret.length, KEM_LENGTHS[g].secret, g);
      assert.equal(toHex(client.decapsulate(p, server.share)), toHex(server.sharedSecret), g);
      assert.notEqual(toHex(kemClientShare(p, g).share), toHex(client.share));
      client.dispose();
    }
  }
});

test('X25519MLKEM768 as the server, checked by hand: client share = ML-KEM ek || X25519 public, secret = ML-KEM secret || X25519 secret', () => {
  const mlkem = ml_kem768.keygen(p.random(64));
  const x = generateKeyPairSync('x25519');
  const clientShare = Uint8Array.of(...mlkem.publicKey, ...rawX25519Public(x.publicKey));
  const { share, sharedSecret } = kemEncapsulate(p, 'X25519MLKEM768', clientShare);
  const pq = ml_kem768.decapsulate(share.subarray(0, 1088), mlkem.secretKey);
  const classical = diffieHellman({ privateKey: x.privateKey, publicKey: x25519PublicKey(share.subarray(1088)) });
  assert.equal(toHex(sharedSecret), toHex(pq) + classical.toString('hex'));
});

test('X25519MLKEM768 as the client, checked by hand: server share = ML-KEM ciphertext || X25519 public', () => {
  const client = kemClientShare(p, 'X25519MLKEM768');
  const x = generateKeyPairSync('x25519');
  const pq = ml_kem768.encapsulate(client.share.subarray(0, 1184), p.random(32));
  const classical = diffieHellman({ privateKey: x.privateKey, publicKey: x25519PublicKey(client.share.subarray(1184)) });
  const secret = client.decapsulate(p, Uint8Array.of(...pq.cipherText, ...rawX25519Public(x.publicKey)));
  assert.equal(toHex(secret), toHex(pq.sharedSecret) + classical.toString('hex'));
  // In the other order (X25519 first, as SecP256r1MLKEM768 lays out its shares) the lengths fail.
  assert.throws(() => client.decapsulate(p, Uint8Array.of(...rawX25519Public(x.publicKey), ...pq.cipherText.subarray(0, 1087))), illegal);
});

test('deterministic under a seeded provider: the same randoms give the same ML-KEM halves', () => {
  let n = 0;
  const seeded = { ...p, random: (len: number) => Uint8Array.from({ length: len }, () => (n++ * 73 + 11) & 0xff) };
  n = 0;
  const a = kemClientShare(seeded, 'X25519MLKEM768').share.subarray(0, 1184);
  n = 0;
  const b = kemClientShare(seeded, 'X25519MLKEM768').share.subarray(0, 1184);
  assert.equal(toHex(a), toHex(b));
});

test('wrong lengths are illegal_parameter on both sides, in every group', () => {
  for (const g of GROUPS) {
    const { client: cl, server: sl } = KEM_LENGTHS[g];
    const good = kemClientShare(p, g);
    for (const len of [0, 1, cl - 1, cl + 1, cl * 2]) {
      const share = new Uint8Array(len).fill(4);
      assert.throws(() => kemEncapsulate(p, g, share), illegal, `${g} client share of ${len}`);
    }
    for (const len of [0, 1, sl - 1, sl + 1]) {
      assert.throws(() => good.decapsulate(p, new Uint8Array(len).fill(4)), illegal, `${g} server share of ${len}`);
    }
  }
  // The hybrid's lengths belong to the hybrid: a bare X25519 or ML-KEM key is refused.
  assert.throws(() => kemEncapsulate(p, 'X25519MLKEM768', kemClientShare(p, 'x25519').share), illegal);
  assert.throws(() => kemEncapsulate(p, 'X25519MLKEM768', ml_kem768.keygen().publicKey), illegal);
  assert.throws(() => kemEncapsulate(p, 'ffdhe2048' as KemGroup, new Uint8Array(256)), RangeError, 'API misuse, not an alert');
});

test('invalid keys are illegal_parameter: an ML-KEM key failing the modulus check, a low-order X25519 key, a compressed or off-curve NIST point', () => {
  const good = kemClientShare(p, 'X25519MLKEM768').share;
  // FIPS 203 7.2: a 12-bit coefficient of 3329 or more fails ByteEncode(ByteDecode(ek)) == ek.
  const badModulus = good.slice();
  badModulus[0] = 0xff;
  badModulus[1] |= 0x0f;
  assert.throws(() => kemEncapsulate(p, 'X25519MLKEM768', badModulus), illegal);
  const lowOrder = good.slice();
  lowOrder.fill(0, 1184);
  assert.throws(() => kemEncapsulate(p, 'X25519MLKEM768', lowOrder), illegal, 'all-zero X25519 half');
  assert.throws(() => kemEncapsulate(p, 'x25519', new Uint8Array(32)), illegal);
  const client = kemClientShare(p, 'X25519MLKEM768');
  const server = kemEncapsulate(p, 'X25519MLKEM768', client.share).share.slice();
  server.fill(0, 1088);
  assert.throws(() => client.decapsulate(p, server), illegal, "the server's X25519 half is checked too");
  for (const g of ['secp256r1', 'secp384r1'] as const) {
    const s = kemClientShare(p, g).share.slice();
    const compressed = s.slice();
    compressed[0] = 0x02;
    assert.throws(() => kemEncapsulate(p, g, compressed), illegal, `${g} compressed`);
    s[s.length - 1]! ^= 1;
    assert.throws(() => kemEncapsulate(p, g, s), illegal, `${g} off the curve`);
  }
});

test('a tampered ML-KEM ciphertext does not throw (FIPS 203 implicit rejection) but yields another secret, which the handshake then fails on', () => {
  const client = kemClientShare(p, 'X25519MLKEM768');
  const { share, sharedSecret } = kemEncapsulate(p, 'X25519MLKEM768', client.share);
  const t = share.slice();
  t[10]! ^= 1;
  const other = client.decapsulate(p, t);
  assert.equal(other.length, 64);
  assert.notEqual(toHex(other.subarray(0, 32)), toHex(sharedSecret.subarray(0, 32)));
  assert.equal(toHex(other.subarray(32)), toHex(sharedSecret.subarray(32)), 'the X25519 half is untouched');
});
