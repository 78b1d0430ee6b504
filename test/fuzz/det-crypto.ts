// A deterministic, memoizing CryptoProvider for replay fuzzing, through the
// public `options.crypto` hook. Two Connections built with the same seed draw
// the same randoms, key shares and signatures, so a fresh Connection fed the
// datagrams its twin received in a recorded handshake answers byte for byte
// as the twin did, and a mutation anywhere makes it diverge from there on.
//
// The expensive public-key operations (key generation, ECDH, ECDSA sign and
// verify) are memoized on their inputs: the unmutated prefix of a replayed
// conversation costs hashing and AEAD only. Results are copied out, because
// the core zeroes secrets it was given. Symmetric primitives run on
// node:crypto (fast), unless `nobleSymmetric` asks for the shipped provider.
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { nobleProvider } from '../../src/crypto/noble.ts';
import type { Aead, AeadName, CryptoProvider, EcCurve, GroupName, HashName, KeyShare } from '../../src/crypto/provider.ts';

/** splitmix32-style PRNG; `fork` makes independent streams from one seed. */
export class Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  u32(): number {
    let z = (this.#s = (this.#s + 0x9e3779b9) >>> 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 4294967296) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return out;
  }
}

/** Mixes numbers into one 32-bit seed (for per-case streams). */
export function mixSeed(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    h = (h ^ Math.floor(x / 4294967296)) >>> 0;
  }
  return h;
}

// ---- memo: bounded, keyed by a digest of the inputs ----

const MEMO_LIMIT = 20_000;
const memo = new Map<string, { value?: unknown; error?: unknown }>();
export const memoStats = { hits: 0, misses: 0 };

function key(tag: string, ...parts: (Uint8Array | string)[]): string {
  const h = createHash('sha256').update(tag);
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p) : p;
    h.update(String(b.length)).update(':').update(b);
  }
  return h.digest('base64');
}

function cached<T>(k: string, compute: () => T, copy: (v: T) => T): T {
  let e = memo.get(k);
  if (e) memoStats.hits++;
  else {
    memoStats.misses++;
    try {
      e = { value: compute() };
    } catch (error) {
      e = { error };
    }
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(k, e);
  }
  if ('error' in e) throw e.error;
  return copy(e.value as T);
}

const copyBytes = (b: Uint8Array) => b.slice();
const same = <T>(v: T) => v;

const ecCurves = { 'P-256': p256, 'P-384': p384 } as const;
const groupCurves = { secp256r1: p256, secp384r1: p384 } as const;

// ---- fast symmetric primitives on node:crypto ----

const nodeHash: Record<HashName, string> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', sha1: 'sha1' };

function nodeAead(name: AeadName, key: Uint8Array): Aead {
  const algo = name === 'aes-128-gcm' ? 'aes-128-gcm' : name === 'aes-256-gcm' ? 'aes-256-gcm' : name === 'chacha20-poly1305' ? 'chacha20-poly1305' : undefined;
  if (!algo) return nobleProvider.aead(name, key);
  // Same key-length checks as the shipped provider.
  nobleProvider.aead(name, key);
  const k = key.slice();
  return {
    tagLength: 16,
    seal(nonce, plaintext, aad) {
      if (nonce.length !== 12) throw new RangeError('nonce must be 12 bytes');
      const c = createCipheriv(algo as 'aes-128-gcm', k, nonce, { authTagLength: 16 });
      c.setAAD(aad, { plaintextLength: plaintext.length });
      const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
      return new Uint8Array(out.buffer, out.byteOffset, out.length);
    },
    open(nonce, data, aad) {
      if (nonce.length !== 12 || data.length < 16) return null;
      try {
        const d = createDecipheriv(algo as 'aes-128-gcm', k, nonce, { authTagLength: 16 });
        d.setAAD(aad, { plaintextLength: data.length - 16 });
        d.setAuthTag(data.subarray(data.length - 16));
        const out = Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
        return new Uint8Array(out.buffer, out.byteOffset, out.length);
      } catch {
        return null;
      }
    },
  };
}

export interface DetCryptoOptions {
  /** Use the shipped noble hash/HMAC/AEAD instead of node:crypto (slower, exact). */
  nobleSymmetric?: boolean;
  /**
   * Called with every plaintext an AEAD open() authenticated, in order (0-based
   * index); may return a replacement. Models a hostile peer that holds the keys.
   */
  onOpen?: (index: number, plaintext: Uint8Array) => Uint8Array;
  /**
   * Called with every plaintext about to be sealed and its 13-byte additional
   * data (seq, type, version, length), in order; may return a replacement and
   * edit `aad` in place (type at 8, length at 11-12) to forge any record.
   */
  onSeal?: (index: number, plaintext: Uint8Array, aad: Uint8Array) => Uint8Array;
  /**
   * A record that fails to authenticate is tried again as if sealed under any
   * other content type (the additional data's type byte), so a changed type in
   * a record header passes as a peer with the keys sealing that type.
   */
  retype?: boolean;
}

const RETYPES = [20, 21, 22, 23, 24, 25, 26];

/** A fresh deterministic provider: same seed, same stream of randoms and keys. */
export function detCrypto(seed: number, opts: DetCryptoOptions = {}): CryptoProvider {
  const rng = new Prng(seed);
  const sym = !opts.nobleSymmetric;
  let opened = 0;
  let sealed = 0;
  const { onOpen, onSeal, retype } = opts;
  const openAnyType = (a: Aead, n: Uint8Array, c: Uint8Array, ad: Uint8Array): Uint8Array | null => {
    const p = a.open(n, c, ad);
    if (p !== null || !retype || ad.length !== 13) return p;
    const type = ad[8]!;
    for (const t of RETYPES) {
      if (t === type) continue;
      const other = ad.slice();
      other[8] = t;
      const q = a.open(n, c, other);
      if (q !== null) return q;
    }
    return null;
  };
  const wrapAead = (a: Aead): Aead =>
    onOpen || onSeal || retype
      ? {
          tagLength: a.tagLength,
          seal: (n, p, ad) => a.seal(n, onSeal ? onSeal(sealed++, p, ad) : p, ad),
          open: (n, c, ad) => {
            const p = openAnyType(a, n, c, ad);
            return p === null || !onOpen ? p : onOpen(opened++, p);
          },
        }
      : a;
  const scalar = (len: number) => {
    // A valid scalar for P-256/P-384 with overwhelming probability; clamp the top byte.
    const b = rng.bytes(len);
    b[0] = (b[0]! % 0x7f) + 1;
    return b;
  };
  return {
    ...nobleProvider, // sign/verify by scheme, HKDF, record number mask
    name: `det-${seed}`,
    random: (n) => rng.bytes(n),
    hash: sym ? (name, data) => new Uint8Array(createHash(nodeHash[name]).update(data).digest()) : nobleProvider.hash,
    hmac: sym ? (name, k, data) => new Uint8Array(createHmac(nodeHash[name], k).update(data).digest()) : nobleProvider.hmac,
    aead: (name, k) => wrapAead(sym ? nodeAead(name, k) : nobleProvider.aead(name, k)),
    generateKeyShare(group: GroupName): KeyShare {
      if (group === 'x25519') {
        const privateKey = rng.bytes(32);
        const publicKey = cached(key('x25519-pub', privateKey), () => x25519.getPublicKey(privateKey), copyBytes);
        return { group, privateKey, publicKey };
      }
      const c = groupCurves[group];
      if (!c) throw new RangeError(`unknown group ${String(group)}`);
      const privateKey = scalar(group === 'secp256r1' ? 32 : 48);
      const publicKey = cached(key('ec-pub', group, privateKey), () => c.getPublicKey(privateKey, false), copyBytes);
      return { group, privateKey, publicKey };
    },
    ecdh: (group, priv, peer) => cached(key('ecdh', group, priv, peer), () => nobleProvider.ecdh(group, priv, peer), copyBytes),
    ecdsaSign(curve: EcCurve, hash: HashName, priv: Uint8Array, data: Uint8Array): Uint8Array {
      return cached(
        key('sign', curve, hash, priv, data),
        () => ecCurves[curve].sign(nobleProvider.hash(hash, data), priv, { prehash: false, format: 'der', extraEntropy: false }),
        copyBytes,
      );
    },
    ecdsaVerify: (curve, hash, pub, data, sig) =>
      cached(key('verify', curve, hash, pub, data, sig), () => nobleProvider.ecdsaVerify(curve, hash, pub, data, sig), same),
    ecdsaPublicKey: (curve, priv) => cached(key('ecdsa-pub', curve, priv), () => nobleProvider.ecdsaPublicKey(curve, priv), copyBytes),
    ecdsaGenerateKey: (curve) => scalar(curve === 'P-256' ? 32 : 48),
    // The handshake signs and verifies by scheme: the ECDSA schemes go through the
    // deterministic, memoized pair above (the curve from the key, the hash from the scheme).
    sign(scheme, priv, data) {
      const hash = ECDSA_SCHEME_HASH[scheme];
      return hash ? this.ecdsaSign(priv.length === 32 ? 'P-256' : 'P-384', hash, priv, data) : nobleProvider.sign(scheme, priv, data);
    },
    verify(scheme, pub, data, sig) {
      const hash = ECDSA_SCHEME_HASH[scheme];
      const curve = pub.length === 65 ? 'P-256' : pub.length === 97 ? 'P-384' : undefined;
      return hash && curve ? this.ecdsaVerify(curve, hash, pub, data, sig) : nobleProvider.verify(scheme, pub, data, sig);
    },
  };
}

const ECDSA_SCHEME_HASH: Partial<Record<number, HashName>> = { 0x0403: 'sha256', 0x0503: 'sha384' };
