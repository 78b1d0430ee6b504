// HKDF (RFC 5869) over any provider's HMAC, and the hash lengths it needs.
import type { HashName } from './provider.ts';

export const hashLength: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

type Hmac = (hash: HashName, key: Uint8Array, data: Uint8Array) => Uint8Array;

/** RFC 5869 2.2: PRK = HMAC-Hash(salt, IKM); a missing salt is HashLen zero bytes. */
export function hkdfExtractWith(hmac: Hmac, hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  const len = hashLength[hash];
  if (len === undefined) throw new RangeError(`unknown hash ${String(hash)}`);
  return hmac(hash, salt.length ? salt : new Uint8Array(len), ikm);
}

/** RFC 5869 2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i), the first `length` bytes of T(1) | T(2) | ... */
export function hkdfExpandWith(hmac: Hmac, hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const len = hashLength[hash];
  if (len === undefined) throw new RangeError(`unknown hash ${String(hash)}`);
  if (!Number.isInteger(length) || length < 0 || length > 255 * len) throw new RangeError(`HKDF-Expand length must be in 0..${255 * len}, got ${length}`);
  const out = new Uint8Array(length);
  const input = new Uint8Array(len + info.length + 1);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++) {
    // Block 1 hashes info | 1 (T(0) is empty); later blocks T(i-1) | info | i.
    const start = i === 1 ? len : 0;
    input.set(t, 0);
    input.set(info, len);
    input[len + info.length] = i;
    t = hmac(hash, prk, input.subarray(start));
    out.set(t.subarray(0, Math.min(len, length - at)), at);
    at += len;
  }
  return out;
}
