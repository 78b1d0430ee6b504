// Raw keys as node:crypto KeyObjects, imported once per key: the handshake
// passes the same Uint8Array (the certificate's private key, a key share, the
// peer's public key) for every use, so a WeakMap on it is the per-key state.
// Keys go in as JWK where possible: importing DER runs OpenSSL 3's decoder
// machinery, measured here at 3-10x the cost of a JWK import (which is also
// why an X25519 share's private key is imported as a JWK and its KeyObject kept).
// The DER prefixes wrap raw keys in PKCS#8 / SubjectPublicKeyInfo
// (RFC 5480, RFC 8410) for the rare imports JWK cannot do.
import type * as NodeCrypto from 'node:crypto';
import type { Buffer } from 'node:buffer';
import type { EcCurve } from './provider.ts';

type NC = typeof NodeCrypto;
type KeyObject = NodeCrypto.KeyObject;

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

/** SubjectPublicKeyInfo headers for an uncompressed point / a raw 32-byte key. */
const SPKI_PREFIX = {
  'P-256': hex('3059301306072a8648ce3d020106082a8648ce3d030107034200'),
  'P-384': hex('3076301006072a8648ce3d020106052b81040022036200'),
  x25519: hex('302a300506032b656e032100'),
  ed25519: hex('302a300506032b6570032100'),
} as const;
/** PKCS#8 headers for a raw 32-byte X25519 / Ed25519 private key. */
const PKCS8_PREFIX = {
  x25519: hex('302e020100300506032b656e04220420'),
  ed25519: hex('302e020100300506032b657004220420'),
} as const;

export const NODE_CURVE: Record<EcCurve, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' };
export const FIELD_LENGTH: Record<EcCurve, number> = { 'P-256': 32, 'P-384': 48 };

/** node:crypto takes any Uint8Array for DER keys; its typings say Buffer. */
const der = (b: Uint8Array) => b as Buffer;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A fresh Uint8Array copy of a Buffer (Buffers may share a pooled ArrayBuffer, and their slice() does not copy). */
export function bytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

/** Left-pads a big-endian integer to `len` bytes (OpenSSL drops leading zero bytes of scalars). */
export function pad(b: Uint8Array, len: number): Uint8Array {
  if (b.length === len) return bytes(b);
  const out = new Uint8Array(len);
  out.set(b.subarray(Math.max(0, b.length - len)), Math.max(0, len - b.length));
  return out;
}

const B64URL_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Unpadded base64url (RFC 4648 5) in one pass: every X25519 share and peer key goes through a JWK. */
export function b64url(b: Uint8Array): string {
  const d = B64URL_DIGITS;
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += d[v >>> 18]! + d[(v >>> 12) & 63]! + d[(v >>> 6) & 63]! + d[v & 63]!;
  }
  if (i < b.length) {
    const v = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8);
    s += d[v >>> 18]! + d[(v >>> 12) & 63]!;
    if (i + 1 < b.length) s += d[(v >>> 6) & 63]!;
  }
  return s;
}

// base64url digit values by char code (-1: not a digit).
const B64URL = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64URL['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i;

/** Unpadded base64url (RFC 4648 5) to bytes, in one pass: JWK fields decoded on every X25519 key generation. */
/** The `x` of an X25519 private JWK we import: required by Node, not used (see x25519Generate). */
const ZERO_X = 'A'.repeat(43);

export function fromB64url(s: string): Uint8Array {
  let n = s.length;
  while (n > 0 && s.charCodeAt(n - 1) === 61) n--; // '=' padding, if any
  if (n % 4 === 1) throw new TypeError('not base64url');
  const out = new Uint8Array((n * 3) >>> 2);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64URL[c]! : -1;
    if (v < 0) throw new TypeError('not base64url');
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

/** Per-provider caches of imported keys, keyed by the caller's key bytes. */
export class KeyCache {
  readonly #nc: NC;
  // Each entry keeps a copy of the bytes it was made from: a caller that reuses
  // a buffer with new contents gets a fresh import, never a stale key.
  readonly #private = new WeakMap<Uint8Array, [Uint8Array, KeyObject]>();
  readonly #public = new WeakMap<Uint8Array, [Uint8Array, KeyObject]>();
  readonly #secret = new WeakMap<Uint8Array, [Uint8Array, KeyObject]>();

  // Signature public keys also by their bytes: a certificate is parsed afresh
  // each handshake, so a client reconnecting to a server (or a server seeing a
  // client's certificate again) would import the same key each time, and
  // OpenSSL 3's EC public key import is about 0.3 ms, most of a verify. Public
  // values only, bounded, oldest out first.
  readonly #publicByBytes = new Map<string, KeyObject>();
  static readonly MAX_PUBLIC_BY_BYTES = 64;

  readonly #random: (length: number) => Uint8Array;

  /** `random` gives the X25519 private keys (the provider's pooled source; node:crypto's own by default). */
  constructor(nc: NC, random?: (length: number) => Uint8Array) {
    this.#nc = nc;
    this.#random = random ?? ((n) => nc.randomFillSync(new Uint8Array(n)));
  }

  /** Public keys held by their bytes (at most MAX_PUBLIC_BY_BYTES). */
  get publicKeysByBytes(): number {
    return this.#publicByBytes.size;
  }

  #byBytes(kind: string, raw: Uint8Array, make: () => KeyObject): KeyObject {
    return this.#get(this.#public, raw, () => {
      // One char per byte: a key for the map, built without base64's passes.
      const k = kind + String.fromCharCode.apply(null, raw as unknown as number[]);
      const hit = this.#publicByBytes.get(k);
      if (hit) {
        // Most recently used last: the first key is the one to evict.
        this.#publicByBytes.delete(k);
        this.#publicByBytes.set(k, hit);
        return hit;
      }
      const key = make();
      if (this.#publicByBytes.size >= KeyCache.MAX_PUBLIC_BY_BYTES) this.#publicByBytes.delete(this.#publicByBytes.keys().next().value!);
      this.#publicByBytes.set(k, key);
      return key;
    });
  }

  #get(map: WeakMap<Uint8Array, [Uint8Array, KeyObject]>, raw: Uint8Array, make: () => KeyObject): KeyObject {
    const hit = map.get(raw);
    if (hit && same(hit[0], raw)) return hit[1];
    const key = make();
    map.set(raw, [new Uint8Array(raw), key]);
    return key;
  }

  /** An EC private key from its raw scalar (JWK needs the public point too: derived once). */
  ecPrivate(curve: EcCurve, d: Uint8Array): KeyObject {
    return this.#get(this.#private, d, () => {
      const ecdh = this.#nc.createECDH(NODE_CURVE[curve]);
      ecdh.setPrivateKey(d);
      const pub = ecdh.getPublicKey();
      const n = FIELD_LENGTH[curve];
      const jwk = { kty: 'EC', crv: curve, d: b64url(pad(d, n)), x: b64url(pub.subarray(1, 1 + n)), y: b64url(pub.subarray(1 + n)) };
      return this.#nc.createPrivateKey({ key: jwk, format: 'jwk' });
    });
  }

  /** An EC public key from its uncompressed SEC1 point. */
  ecPublic(curve: EcCurve, point: Uint8Array): KeyObject {
    return this.#byBytes(curve, point, () => {
      const n = FIELD_LENGTH[curve];
      if (point.length !== 1 + 2 * n || point[0] !== 4)
        return this.#nc.createPublicKey({ key: der(concat(SPKI_PREFIX[curve], point)), format: 'der', type: 'spki' });
      return this.#nc.createPublicKey({ key: { kty: 'EC', crv: curve, x: b64url(point.subarray(1, 1 + n)), y: b64url(point.subarray(1 + n)) }, format: 'jwk' });
    });
  }

  /**
   * A fresh X25519 key pair: the private key's raw bytes (cached with its KeyObject) and the public key.
   * Not generateKeyPairSync and then an export: on Node 20 a garbage collection during the export can
   * run the destructor of the finished key generation job, which waits on the lock the export holds
   * on the same key, forever (a test file hung in CI; a loop of them hangs within seconds). Random
   * bytes imported as a JWK give the same key with no job: Node derives the public key from `d`
   * and ignores the `x` it requires. A runtime that took `x` as given would hand back the zeros,
   * never an X25519 public key: then the key is generated with its JWKs encoded by the job itself.
   */
  x25519Generate(): { privateKey: Uint8Array; publicKey: Uint8Array } {
    const privateKey = this.#random(32);
    let key = this.#nc.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(privateKey), x: ZERO_X }, format: 'jwk' });
    // The private JWK carries the public `x` too: no public KeyObject made just to read it.
    let x = key.export({ format: 'jwk' }).x!;
    if (x === ZERO_X) {
      // Node's typings lack the 'jwk' encoding that generateKeyPairSync takes.
      const generate = this.#nc.generateKeyPairSync as unknown as (type: 'x25519', o: object) => { privateKey: NodeCrypto.JsonWebKey };
      const jwk = generate('x25519', { publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } }).privateKey;
      privateKey.set(fromB64url(jwk.d!));
      key = this.#nc.createPrivateKey({ key: jwk, format: 'jwk' });
      x = jwk.x!;
    }
    this.#private.set(privateKey, [new Uint8Array(privateKey), key]);
    return { privateKey, publicKey: fromB64url(x) };
  }

  /** An X25519 or Ed25519 private key from its 32 raw bytes (DER: JWK would need the public key). */
  okpPrivate(kind: 'x25519' | 'ed25519', raw: Uint8Array): KeyObject {
    return this.#get(this.#private, raw, () => this.#nc.createPrivateKey({ key: der(concat(PKCS8_PREFIX[kind], raw)), format: 'der', type: 'pkcs8' }));
  }

  okpPublic(kind: 'x25519' | 'ed25519', raw: Uint8Array): KeyObject {
    const make = () => this.#nc.createPublicKey({ key: { kty: 'OKP', crv: kind === 'x25519' ? 'X25519' : 'Ed25519', x: b64url(raw) }, format: 'jwk' });
    // X25519 peer keys are ephemeral, each used once (one ECDH per handshake):
    // imported directly, without a cache entry and its copy of the bytes.
    return kind === 'ed25519' ? this.#byBytes(kind, raw, make) : make();
  }

  rsaPrivate(pkcs8: Uint8Array): KeyObject {
    return this.#get(this.#private, pkcs8, () => this.#nc.createPrivateKey({ key: der(pkcs8), format: 'der', type: 'pkcs8' }));
  }

  rsaPublic(spki: Uint8Array): KeyObject {
    return this.#byBytes('rsa', spki, () => this.#nc.createPublicKey({ key: der(spki), format: 'der', type: 'spki' }));
  }

  /** A secret key object (AES), imported once per key. */
  secret(raw: Uint8Array): KeyObject {
    return this.#get(this.#secret, raw, () => this.#nc.createSecretKey(raw));
  }
}
