// Pure-JS RSA verification against node:crypto: node signs, rsa.ts verifies;
// malformed encodings are made with node's raw RSA (no padding) so each rule
// of RFC 8017 8.1.2 / 8.2.2 / 9.1.2 is exercised on its own.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { promisify } from 'node:util';
import { SignatureSchemes as S, type HashName } from '../../src/crypto/provider.ts';
import { rsaPkcs1Verify, rsaPssVerify, rsaPublicKeyFromSpki, rsaVerify, type RsaPublicKey } from '../../src/crypto/rsa.ts';

const generate = promisify(nc.generateKeyPair);
const HASHES: HashName[] = ['sha256', 'sha384', 'sha512'];
const HLEN: Record<string, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
const PKCS1_SCHEME: Record<string, number> = { sha256: S.rsa_pkcs1_sha256, sha384: S.rsa_pkcs1_sha384, sha512: S.rsa_pkcs1_sha512 };
const PSS_SCHEME: Record<string, number> = { sha256: S.rsa_pss_rsae_sha256, sha384: S.rsa_pss_rsae_sha384, sha512: S.rsa_pss_rsae_sha512 };

interface Pair {
  readonly priv: nc.KeyObject;
  readonly spki: Uint8Array;
  readonly key: RsaPublicKey;
  readonly k: number;
}

async function pair(bits: number, publicExponent = 65537): Promise<Pair> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: bits, publicExponent });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const key = rsaPublicKeyFromSpki(spki);
  assert.ok(key, 'SPKI from node parses');
  assert.equal(privateKey.asymmetricKeyDetails?.modulusLength, bits, 'node made the size asked for');
  return { priv: privateKey, spki, key, k: Math.ceil(bits / 8) };
}

/**
 * A key whose modulus is 2049 bits (modBits - 1 a multiple of 8, so the PSS
 * encoded message is one byte shorter than the modulus): node only makes even
 * sizes, so it is built from two primes and imported as a JWK.
 */
function pair2049(): Pair {
  const inv = (a: bigint, m: bigint): bigint => {
    let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
    while (r1) [r0, r1, s0, s1] = [r1, r0 % r1, s1, s0 - (r0 / r1) * s1];
    return ((s0 % m) + m) % m;
  };
  const e = 65537n;
  for (let tries = 0; tries < 50; tries++) {
    // A 1025-bit and a 1024-bit prime: their product has 2049 or 2050 bits (2049 with node's primes, whose top bits are set).
    const p = nc.generatePrimeSync(1025, { bigint: true }) as bigint;
    const q = nc.generatePrimeSync(1024, { bigint: true }) as bigint;
    const n = p * q;
    const phi = (p - 1n) * (q - 1n);
    if (n.toString(2).length !== 2049 || phi % e === 0n || p === q) continue;
    const d = inv(e, phi);
    const b64 = (x: bigint) => Buffer.from(x.toString(16).padStart(Math.ceil(x.toString(16).length / 2) * 2, '0'), 'hex').toString('base64url');
    const jwk = { kty: 'RSA', n: b64(n), e: b64(e), d: b64(d), p: b64(p), q: b64(q), dp: b64(d % (p - 1n)), dq: b64(d % (q - 1n)), qi: b64(inv(q, p)) };
    const priv = nc.createPrivateKey({ key: jwk, format: 'jwk' });
    const spki = new Uint8Array(nc.createPublicKey(priv).export({ type: 'spki', format: 'der' }));
    return { priv, spki, key: rsaPublicKeyFromSpki(spki)!, k: 257 };
  }
  throw new Error('no 2049-bit modulus in 50 tries');
}

const msg = new TextEncoder().encode('signed by node, verified in pure JS');
const pssOpts = (p: Pair, saltLength: number) => ({ key: p.priv, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength });
/** s = m^d mod n for a chosen k-byte encoded message m (raw RSA). */
const raw = (p: Pair, em: Uint8Array) => new Uint8Array(nc.privateEncrypt({ key: p.priv, padding: nc.constants.RSA_NO_PADDING }, em));
const flip0 = (d: Uint8Array) => Uint8Array.from(d, (v, i) => (i === 0 ? v ^ 1 : v));
const hash = (h: string, d: Uint8Array) => new Uint8Array(nc.createHash(h).update(d).digest());

describe('rsa.ts against node:crypto', () => {
  const pairs = new Map<number, Pair>();
  let e3: Pair;
  let odd: Pair; // 2050-bit modulus: k = 257 bytes, and PSS needs the top 7 bits of EM zero
  before(async () => {
    for (const bits of [2048, 3072, 4096]) pairs.set(bits, await pair(bits));
    e3 = await pair(2048, 3);
    odd = await pair(2050); // node rounds odd sizes down, so 2050 is the nearest uneven one
  });

  for (const bits of [2048, 3072, 4096]) {
    test(`${bits}-bit: node's PKCS#1 v1.5 and PSS signatures verify for every hash, tampered ones do not`, () => {
      const p = pairs.get(bits)!;
      for (const h of HASHES) {
        const pkcs1 = new Uint8Array(nc.sign(h, msg, p.priv));
        const pss = new Uint8Array(nc.sign(h, msg, pssOpts(p, HLEN[h]!)));
        assert.equal(rsaVerify(PKCS1_SCHEME[h]!, p.spki, msg, pkcs1), true, `pkcs1 ${h}`);
        assert.equal(rsaVerify(PSS_SCHEME[h]!, p.spki, msg, pss), true, `pss ${h}`);
        // Either padding under the other's scheme, a flipped bit anywhere, other data.
        assert.equal(rsaVerify(PSS_SCHEME[h]!, p.spki, msg, pkcs1), false);
        assert.equal(rsaVerify(PKCS1_SCHEME[h]!, p.spki, msg, pss), false);
        for (const i of [0, 1, p.k >> 1, p.k - 1]) {
          const t1 = pkcs1.slice(),
            t2 = pss.slice();
          t1[i]! ^= 0x10;
          t2[i]! ^= 0x10;
          assert.equal(rsaVerify(PKCS1_SCHEME[h]!, p.spki, msg, t1), false, `pkcs1 ${h} byte ${i}`);
          assert.equal(rsaVerify(PSS_SCHEME[h]!, p.spki, msg, t2), false, `pss ${h} byte ${i}`);
        }
        const other = msg.slice();
        other[0]! ^= 1;
        assert.equal(rsaPkcs1Verify(h, p.key, other, pkcs1), false);
        assert.equal(rsaPssVerify(h, p.key, other, pss), false);
        // The same signature under another hash.
        const wrong = h === 'sha256' ? 'sha384' : 'sha256';
        assert.equal(rsaPkcs1Verify(wrong, p.key, msg, pkcs1), false);
        assert.equal(rsaPssVerify(wrong, p.key, msg, pss), false);
      }
    });
  }

  test('PSS salt lengths other than the hash length verify only when asked for', () => {
    const p = pairs.get(2048)!;
    for (const salt of [0, 20, 100]) {
      const sig = new Uint8Array(nc.sign('sha256', msg, pssOpts(p, salt)));
      assert.equal(rsaPssVerify('sha256', p.key, msg, sig, salt), true, `salt ${salt}`);
      assert.equal(rsaPssVerify('sha256', p.key, msg, sig), false, `salt ${salt} as 32`);
    }
    // The largest salt that fits: emLen - hLen - 2.
    const max = 256 - 32 - 2;
    const sig = new Uint8Array(nc.sign('sha256', msg, pssOpts(p, nc.constants.RSA_PSS_SALTLEN_MAX_SIGN)));
    assert.equal(rsaPssVerify('sha256', p.key, msg, sig, max), true);
    assert.equal(rsaPssVerify('sha256', p.key, msg, sig, max + 1), false);
    assert.equal(rsaPssVerify('sha256', p.key, msg, sig, -1), false);
  });

  test('a 2049-bit modulus (PSS emLen = k - 1) verifies both paddings; a leading nonzero byte is refused', () => {
    const p = pair2049();
    assert.equal(p.priv.asymmetricKeyDetails?.modulusLength, 2049);
    for (const h of HASHES) {
      assert.equal(rsaPkcs1Verify(h, p.key, msg, new Uint8Array(nc.sign(h, msg, p.priv))), true);
      const pss = new Uint8Array(nc.sign(h, msg, pssOpts(p, HLEN[h]!)));
      assert.equal(rsaPssVerify(h, p.key, msg, pss), true);
      assert.equal(rsaPssVerify(h, p.key, flip0(msg), pss), false);
    }
    // m = EM with a 01 byte in front (the k-byte form must start with 00 when emLen = k - 1).
    // Raw RSA needs the altered value below n: sign afresh (new salt) until it is.
    const pub = nc.createPublicKey(p.priv);
    const n = BigInt('0x' + Buffer.from(p.key.modulus).toString('hex'));
    let tried = 0;
    for (; tried < 200; tried++) {
      const em = new Uint8Array(nc.publicDecrypt({ key: pub, padding: nc.constants.RSA_NO_PADDING }, nc.sign('sha256', msg, pssOpts(p, 32))));
      assert.equal(em.length, 257);
      assert.equal(em[0], 0);
      em[0] = 1;
      if (BigInt('0x' + Buffer.from(em).toString('hex')) >= n) continue;
      assert.equal(rsaPssVerify('sha256', p.key, msg, raw(p, em)), false);
      break;
    }
    assert.ok(tried < 200);
  });

  test('a 2050-bit modulus (not a whole number of bytes) verifies both paddings', () => {
    assert.equal(odd.k, 257);
    for (const h of HASHES) {
      assert.equal(rsaPkcs1Verify(h, odd.key, msg, new Uint8Array(nc.sign(h, msg, odd.priv))), true);
      assert.equal(rsaPssVerify(h, odd.key, msg, new Uint8Array(nc.sign(h, msg, pssOpts(odd, HLEN[h]!)))), true);
    }
  });

  test('e = 3 keys are handled: genuine signatures verify, a Bleichenbacher-style trailing-garbage encoding does not', () => {
    for (const h of HASHES) {
      assert.equal(rsaPkcs1Verify(h, e3.key, msg, new Uint8Array(nc.sign(h, msg, e3.priv))), true);
      assert.equal(rsaPssVerify(h, e3.key, msg, new Uint8Array(nc.sign(h, msg, pssOpts(e3, HLEN[h]!)))), true);
    }
    // 00 01 FF*8 00 DigestInfo hash, then garbage: what a lax parser would accept (a forgeable shape for e = 3).
    const info = Buffer.from('3031300d060960864801650304020105000420', 'hex');
    const em = new Uint8Array(e3.k);
    em.set([0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]);
    em.set(info, 11);
    em.set(hash('sha256', msg), 11 + info.length);
    em.fill(0x5a, 11 + info.length + 32);
    assert.equal(rsaPkcs1Verify('sha256', e3.key, msg, raw(e3, em)), false);
  });

  test('PKCS#1 v1.5: each malformed encoding is refused', () => {
    const p = pairs.get(2048)!;
    const info = Buffer.from('3031300d060960864801650304020105000420', 'hex');
    const digest = hash('sha256', msg);
    const encode = (psLen: number, prefix: Uint8Array, first = 0, bt = 1, sep = 0): Uint8Array => {
      const t = new Uint8Array([...prefix, ...digest]);
      const em = new Uint8Array(p.k);
      em[0] = first;
      em[1] = bt;
      em.fill(0xff, 2, 2 + psLen);
      em[2 + psLen] = sep;
      em.set(t, p.k - t.length);
      return em;
    };
    const psLen = p.k - info.length - 32 - 3;
    assert.equal(rsaPkcs1Verify('sha256', p.key, msg, raw(p, encode(psLen, info))), true, 'the well-formed one, made by hand');
    assert.equal(rsaPkcs1Verify('sha256', p.key, msg, raw(p, encode(psLen, info, 0, 2))), false, 'block type 2');
    assert.equal(rsaPkcs1Verify('sha256', p.key, msg, raw(p, encode(psLen, info, 0, 1, 1))), false, 'separator not 0');
    // DigestInfo without the NULL parameters (30 2f 30 0b ... 04 20).
    const noNull = Buffer.from('302f300b0609608648016503040201' + '0420', 'hex');
    assert.equal(rsaPkcs1Verify('sha256', p.key, msg, raw(p, encode(p.k - noNull.length - 35, noNull))), false, 'absent NULL');
    // A PS byte that is not FF.
    const em = encode(psLen, info);
    em[40] = 0xfe;
    assert.equal(rsaPkcs1Verify('sha256', p.key, msg, raw(p, em)), false, 'PS byte');
  });

  test('PSS: wrong trailer byte, nonzero top bits, wrong padding are refused', () => {
    const p = pairs.get(2048)!;
    const good = new Uint8Array(nc.sign('sha256', msg, pssOpts(p, 32)));
    // Recover EM with the public key (raw) and alter it.
    const pub = nc.createPublicKey(p.priv);
    const em = new Uint8Array(nc.publicDecrypt({ key: pub, padding: nc.constants.RSA_NO_PADDING }, good));
    assert.equal(rsaPssVerify('sha256', p.key, msg, raw(p, em)), true, 'the same EM re-signed raw');
    const a = em.slice();
    a[a.length - 1] = 0xbd;
    assert.equal(rsaPssVerify('sha256', p.key, msg, raw(p, a)), false, 'trailer');
    // emBits = 2047: the top bit of EM must be zero. Raw RSA needs EM < n, so
    // sign afresh (new salt) until EM with its top bit set is below n.
    const n = BigInt('0x' + Buffer.from(p.key.modulus).toString('hex'));
    let tried = 0;
    for (; tried < 200; tried++) {
      const fresh = new Uint8Array(nc.publicDecrypt({ key: pub, padding: nc.constants.RSA_NO_PADDING }, nc.sign('sha256', msg, pssOpts(p, 32))));
      fresh[0]! |= 0x80;
      if (BigInt('0x' + Buffer.from(fresh).toString('hex')) >= n) continue;
      assert.equal(rsaPssVerify('sha256', p.key, msg, raw(p, fresh)), false, 'top bit');
      break;
    }
    assert.ok(tried < 200, 'found an EM with its top bit set below n');
    const c = em.slice();
    c[5]! ^= 0x01; // inside the masked PS: unmasked it is no longer zero
    assert.equal(rsaPssVerify('sha256', p.key, msg, raw(p, c)), false, 'padding');
  });

  test('signature length and range: not k bytes, s = n, s > n are refused', () => {
    const p = pairs.get(2048)!;
    const sig = new Uint8Array(nc.sign('sha256', msg, p.priv));
    assert.equal(rsaPkcs1Verify('sha256', p.key, msg, Uint8Array.of(0, ...sig)), false, 'k + 1 bytes with a leading zero');
    assert.equal(rsaPkcs1Verify('sha256', p.key, msg, sig.subarray(1)), false, 'k - 1 bytes');
    assert.equal(rsaPkcs1Verify('sha256', p.key, msg, new Uint8Array(0)), false, 'empty');
    const n = p.key.modulus;
    assert.equal(n.length, p.k);
    // s = n and s = n + sig (mod 2^k): a lax verifier reduces mod n and accepts the latter.
    assert.equal(rsaPkcs1Verify('sha256', p.key, msg, n), false, 's = n');
    // s + n: with the 2050-bit key it always fits in k = 257 bytes.
    const toBig = (b: Uint8Array) => BigInt('0x' + Buffer.from(b).toString('hex'));
    const oddSig = new Uint8Array(nc.sign('sha256', msg, odd.priv));
    assert.equal(rsaPkcs1Verify('sha256', odd.key, msg, oddSig), true);
    const sum = toBig(oddSig) + toBig(odd.key.modulus);
    assert.ok(sum < 1n << BigInt(8 * odd.k));
    const plusN = Uint8Array.from(Buffer.from(sum.toString(16).padStart(2 * odd.k, '0'), 'hex'));
    assert.equal(rsaPkcs1Verify('sha256', odd.key, msg, plusN), false, 's + n');
    assert.equal(rsaPkcs1Verify('sha256', p.key, msg, new Uint8Array(p.k).fill(0xff)), false, 's = 2^k - 1');
    assert.equal(rsaPssVerify('sha256', p.key, msg, n), false, 'pss s = n');
  });

  test('keys refused: even or tiny exponent, exponent >= n, modulus too small, malformed SPKI', () => {
    const p = pairs.get(2048)!;
    const sig = new Uint8Array(nc.sign('sha256', msg, p.priv));
    const with_ = (e: Uint8Array, n = p.key.modulus) => rsaPkcs1Verify('sha256', { modulus: n, exponent: e }, msg, sig);
    assert.equal(with_(Uint8Array.of(1, 0, 1)), true);
    assert.equal(with_(Uint8Array.of(1)), false, 'e = 1');
    assert.equal(with_(Uint8Array.of(1, 0, 0)), false, 'even e');
    assert.equal(with_(Uint8Array.of(0xff, ...p.key.modulus)), false, 'e > n');
    assert.equal(with_(Uint8Array.of(1, 0, 1), p.key.modulus.subarray(0, 100)), false, '800-bit modulus');
    // Not RSA, truncated, trailing bytes: rsaVerify answers false, not a throw.
    const ec = nc.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    assert.equal(rsaVerify(S.rsa_pkcs1_sha256, new Uint8Array(ec), msg, sig), false);
    assert.equal(rsaVerify(S.rsa_pkcs1_sha256, p.spki.subarray(0, p.spki.length - 1), msg, sig), false);
    assert.equal(rsaVerify(S.rsa_pkcs1_sha256, Uint8Array.of(...p.spki, 0), msg, sig), false);
    assert.equal(rsaVerify(S.rsa_pkcs1_sha256, new Uint8Array(0), msg, sig), false);
    for (let i = 0; i < p.spki.length; i += 7) {
      const t = p.spki.slice();
      t[i]! ^= 0x40;
      const r = rsaVerify(S.rsa_pkcs1_sha256, t, msg, sig);
      assert.equal(typeof r, 'boolean');
      // Changing the modulus or exponent bytes breaks the signature; only encoding-neutral flips could pass, and there are none in DER.
      assert.equal(r, false, `flip at ${i}`);
    }
    // A scheme that is not RSA is not ours.
    assert.equal(rsaVerify(S.ecdsa_secp256r1_sha256, p.spki, msg, sig), undefined);
  });
});
