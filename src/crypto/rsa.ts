// Pure-JS RSA signature verification (RFC 8017): RSASSA-PKCS1-v1_5 (8.2.2)
// and RSASSA-PSS with MGF1 (8.1.2, 9.1.2), for runtimes without native RSA.
//
// Only verification lives here. It uses BigInt modular exponentiation, which
// is not constant time; that is fine because every input of a verification
// (key, message, signature) is public. Signing would put the private exponent
// through the same non-constant-time arithmetic, so it is deliberately absent.
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { SignatureSchemes as S, type HashName } from './provider.ts';

const HASHES = { sha256, sha384, sha512, sha1 } as const;

/** DigestInfo DER prefixes for EMSA-PKCS1-v1_5 (RFC 8017 9.2 note 1), parameters NULL. */
const DIGEST_INFO: Readonly<Record<HashName, Uint8Array>> = {
  sha1: Uint8Array.from([0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14]),
  sha256: Uint8Array.from([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]),
  sha384: Uint8Array.from([0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30]),
  sha512: Uint8Array.from([0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40]),
};

/** Bounds that keep a hostile key's cost predictable: modulus 1024..16384 bits, exponent at most 256 bits. */
export const RSA_MIN_VERIFY_BITS = 1024;
export const RSA_MAX_BITS = 16384;
const MAX_EXPONENT_BITS = 256;

/** RSA schemes by TLS SignatureScheme (RFC 8446 4.2.3: PSS salt length = hash length). */
export const RSA_SCHEMES: Readonly<Partial<Record<number, { readonly hash: HashName; readonly pss: boolean }>>> = {
  [S.rsa_pkcs1_sha256]: { hash: 'sha256', pss: false },
  [S.rsa_pkcs1_sha384]: { hash: 'sha384', pss: false },
  [S.rsa_pkcs1_sha512]: { hash: 'sha512', pss: false },
  [S.rsa_pss_rsae_sha256]: { hash: 'sha256', pss: true },
  [S.rsa_pss_rsae_sha384]: { hash: 'sha384', pss: true },
  [S.rsa_pss_rsae_sha512]: { hash: 'sha512', pss: true },
};

export interface RsaPublicKey {
  /** Big-endian unsigned modulus and public exponent (leading zeros allowed). */
  readonly modulus: Uint8Array;
  readonly exponent: Uint8Array;
}

const toBig = (b: Uint8Array): bigint => {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
};

const bitLength = (x: bigint): number => (x === 0n ? 0 : x.toString(2).length);

/** I2OSP (RFC 8017 4.1); undefined when x does not fit in `len` bytes. */
function i2osp(x: bigint, len: number): Uint8Array | undefined {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return x === 0n ? out : undefined;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  base %= mod;
  for (; exp > 0n; exp >>= 1n) {
    if (exp & 1n) result = (result * base) % mod;
    base = (base * base) % mod;
  }
  return result;
}

interface Key {
  readonly n: bigint;
  readonly e: bigint;
  /** k: the modulus length in bytes. */
  readonly k: number;
  readonly modBits: number;
}

/** Checks the key's shape; undefined for one we refuse (even or tiny exponent, size out of bounds). */
function checkKey(key: RsaPublicKey): Key | undefined {
  const n = toBig(key.modulus),
    e = toBig(key.exponent);
  const modBits = bitLength(n);
  if (modBits < RSA_MIN_VERIFY_BITS || modBits > RSA_MAX_BITS || (n & 1n) === 0n) return undefined;
  // e = 3 is valid RSA and is handled: the encoded-message comparisons below leave no room for forgery.
  if (e < 3n || (e & 1n) === 0n || e >= n || bitLength(e) > MAX_EXPONENT_BITS) return undefined;
  return { n, e, k: Math.ceil(modBits / 8), modBits };
}

/** RSAVP1 (RFC 8017 5.2.2) on a k-byte signature; undefined when s is not in [0, n). */
function rsavp1(key: Key, signature: Uint8Array): bigint | undefined {
  if (signature.length !== key.k) return undefined; // 8.1.2 / 8.2.2 step 1
  const s = toBig(signature);
  if (s >= key.n) return undefined;
  return modPow(s, key.e, key.n);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** RSASSA-PKCS1-v1_5-VERIFY (RFC 8017 8.2.2): rebuilds the whole expected encoding and compares it. */
export function rsaPkcs1Verify(hash: HashName, key: RsaPublicKey, data: Uint8Array, signature: Uint8Array): boolean {
  const h = HASHES[hash],
    prefix = DIGEST_INFO[hash];
  if (!h || !prefix) return false;
  const k = checkKey(key);
  if (!k) return false;
  const m = rsavp1(k, signature);
  if (m === undefined) return false;
  const em = i2osp(m, k.k);
  if (!em) return false;
  // EMSA-PKCS1-v1_5 (9.2): 00 01 FF..FF 00 DigestInfo, with at least 8 FF bytes.
  const tLen = prefix.length + h.outputLen;
  if (k.k < tLen + 11) return false;
  const expected = new Uint8Array(k.k);
  expected[1] = 0x01;
  expected.fill(0xff, 2, k.k - tLen - 1);
  expected.set(prefix, k.k - tLen);
  expected.set(h(data), k.k - h.outputLen);
  return equal(em, expected);
}

/** MGF1 (RFC 8017 B.2.1). */
function mgf1(hash: HashName, seed: Uint8Array, len: number): Uint8Array {
  const h = HASHES[hash];
  const out = new Uint8Array(len);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  for (let counter = 0, off = 0; off < len; counter++, off += h.outputLen) {
    new DataView(input.buffer).setUint32(seed.length, counter);
    const block = h(input);
    out.set(block.subarray(0, Math.min(block.length, len - off)), off);
  }
  return out;
}

/**
 * RSASSA-PSS-VERIFY (RFC 8017 8.1.2 with EMSA-PSS-VERIFY 9.1.2), MGF1 with the
 * same hash. `saltLength` defaults to the hash length, as TLS requires.
 */
export function rsaPssVerify(hash: HashName, key: RsaPublicKey, data: Uint8Array, signature: Uint8Array, saltLength?: number): boolean {
  const h = HASHES[hash];
  if (!h) return false;
  const hLen = h.outputLen;
  const sLen = saltLength ?? hLen;
  if (!Number.isInteger(sLen) || sLen < 0) return false;
  const k = checkKey(key);
  if (!k) return false;
  const m = rsavp1(k, signature);
  if (m === undefined) return false;
  const emBits = k.modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const em = i2osp(m, emLen); // 8.1.2 step 2c: m must fit in emLen bytes
  if (!em) return false;
  // 9.1.2 steps 3-13.
  if (emLen < hLen + sLen + 2) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const dbLen = emLen - hLen - 1;
  const maskedDb = em.subarray(0, dbLen);
  const hPrime = em.subarray(dbLen, dbLen + hLen);
  const topMask = 0xff >> (8 * emLen - emBits); // the bits of the first byte that belong to emBits
  if (maskedDb[0]! & ~topMask & 0xff) return false;
  const db = mgf1(hash, hPrime, dbLen);
  for (let i = 0; i < dbLen; i++) db[i]! ^= maskedDb[i]!;
  db[0]! &= topMask;
  const psLen = dbLen - sLen - 1;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const mPrime = new Uint8Array(8 + hLen + sLen);
  mPrime.set(h(data), 8);
  mPrime.set(db.subarray(dbLen - sLen), 8 + hLen);
  return equal(h(mPrime), hPrime);
}

/**
 * Verifies by TLS SignatureScheme with the public key as SubjectPublicKeyInfo
 * DER (rsaEncryption), the encoding CryptoProvider.verify takes. Returns false
 * for a bad signature or key, undefined for a scheme that is not RSA.
 */
export function rsaVerify(scheme: number, spki: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean | undefined {
  const s = RSA_SCHEMES[scheme];
  if (!s) return undefined;
  const key = rsaPublicKeyFromSpki(spki);
  if (!key) return false;
  return s.pss ? rsaPssVerify(s.hash, key, data, signature) : rsaPkcs1Verify(s.hash, key, data, signature);
}

// A minimal strict DER walk for SubjectPublicKeyInfo (RFC 5280 4.1, RFC 8017
// A.1.1). crypto/ sits below x509/, so it carries its own few lines.
const RSA_ENCRYPTION_OID = Uint8Array.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]);

/** One TLV at `at` within `b`: its tag, value bounds and end; undefined if malformed. */
function tlv(b: Uint8Array, at: number): { tag: number; start: number; end: number } | undefined {
  if (at + 2 > b.length) return undefined;
  const tag = b[at]!;
  let len = b[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > b.length || b[start] === 0) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    if (len < 0x80) return undefined; // DER: minimal length
    start += n;
  }
  const end = start + len;
  return end <= b.length ? { tag, start, end } : undefined;
}

/** A positive minimal INTEGER's magnitude bytes, or undefined. */
function positiveInteger(b: Uint8Array, t: { tag: number; start: number; end: number } | undefined): Uint8Array | undefined {
  if (!t || t.tag !== 0x02 || t.end === t.start) return undefined;
  const v = b.subarray(t.start, t.end);
  if (v[0]! & 0x80) return undefined; // negative
  if (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80)) return undefined; // not minimal
  return v[0] === 0 ? v.subarray(1) : v;
}

/** modulus and exponent from an rsaEncryption SubjectPublicKeyInfo, or undefined. */
export function rsaPublicKeyFromSpki(spki: Uint8Array): RsaPublicKey | undefined {
  const top = tlv(spki, 0);
  if (!top || top.tag !== 0x30 || top.end !== spki.length) return undefined;
  const alg = tlv(spki, top.start);
  if (!alg || alg.tag !== 0x30) return undefined;
  const oid = tlv(spki, alg.start);
  if (!oid || oid.tag !== 0x06 || !equal(spki.subarray(oid.start, oid.end), RSA_ENCRYPTION_OID)) return undefined;
  if (oid.end !== alg.end) {
    const nul = tlv(spki, oid.end); // parameters: NULL (RFC 3279 2.3.1)
    if (!nul || nul.tag !== 0x05 || nul.start !== nul.end || nul.end !== alg.end) return undefined;
  }
  const bits = tlv(spki, alg.end);
  if (!bits || bits.tag !== 0x03 || bits.end !== top.end || bits.end === bits.start || spki[bits.start] !== 0) return undefined;
  const inner = spki.subarray(bits.start + 1, bits.end);
  const seq = tlv(inner, 0);
  if (!seq || seq.tag !== 0x30 || seq.end !== inner.length) return undefined;
  const nT = tlv(inner, seq.start);
  const modulus = positiveInteger(inner, nT);
  if (!nT || !modulus) return undefined;
  const eT = tlv(inner, nT.end);
  const exponent = positiveInteger(inner, eT);
  if (!eT || !exponent || eT.end !== seq.end) return undefined;
  return { modulus, exponent };
}
