// AES-GCM (NIST SP 800-38D) with the key expanded and the GHASH table built
// once per key, for the record path: noble's gcm() re-derives both on every
// record because its cipher objects are bound to one nonce. Built on noble's
// AES block pieces (expandKeyLE, encryptBlock, ctr32); the GHASH here keeps its
// table in one typed array and reads blocks byte-wise, so input need not be
// 4-byte aligned and nothing is allocated per record beyond the output.
import { unsafe as aes } from '@noble/ciphers/aes.js';
import type { Aead } from './provider.ts';

const TAG = 16;
// 4-bit windows: 32 windows x 16 entries x 4 words = 8 KiB per key (8-bit
// windows would be 64 KiB, too much per connection direction).
const W = 4;
const WINDOWS = 128 / W;
const ENTRIES = 1 << W;

/** Byte-swaps a 32-bit word. */
function swap(n: number): number {
  return ((n & 0xff) << 24) | (((n >>> 8) & 0xff) << 16) | (((n >>> 16) & 0xff) << 8) | (n >>> 24);
}

/**
 * GHASH over H as a windowed table of multiples of H (SP 800-38D 6.4).
 * State words are the block's bytes read little-endian.
 */
class Ghash {
  readonly #t = new Uint32Array(WINDOWS * ENTRIES * 4);
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;

  constructor(h: Uint8Array) {
    // H * x^i for i = 0..127 (in GCM's reflected bit order: a right shift,
    // reduced by R = 0xe1 || 0^120), stored as little-endian reads.
    const dv = new DataView(h.buffer, h.byteOffset, 16);
    let k0 = dv.getUint32(0),
      k1 = dv.getUint32(4),
      k2 = dv.getUint32(8),
      k3 = dv.getUint32(12);
    const doubles = new Uint32Array(128 * 4);
    for (let i = 0; i < 128; i++) {
      doubles[4 * i] = swap(k0);
      doubles[4 * i + 1] = swap(k1);
      doubles[4 * i + 2] = swap(k2);
      doubles[4 * i + 3] = swap(k3);
      const carry = k3 & 1;
      k3 = (k2 << 31) | (k3 >>> 1);
      k2 = (k1 << 31) | (k2 >>> 1);
      k1 = (k0 << 31) | (k1 >>> 1);
      k0 = (k0 >>> 1) ^ (0xe1000000 & -carry);
    }
    const t = this.#t;
    for (let w = 0; w < WINDOWS; w++) {
      for (let v = 0; v < ENTRIES; v++) {
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0;
        for (let j = 0; j < W; j++) {
          if (((v >>> (W - j - 1)) & 1) === 0) continue;
          const d = 4 * (W * w + j);
          s0 ^= doubles[d]!;
          s1 ^= doubles[d + 1]!;
          s2 ^= doubles[d + 2]!;
          s3 ^= doubles[d + 3]!;
        }
        const at = 4 * (w * ENTRIES + v);
        t[at] = s0;
        t[at + 1] = s1;
        t[at + 2] = s2;
        t[at + 3] = s3;
      }
    }
    doubles.fill(0);
  }

  reset(): void {
    this.s0 = this.s1 = this.s2 = this.s3 = 0;
  }

  /** Y = (Y xor X) * H for one block given as four little-endian words. */
  block(x0: number, x1: number, x2: number, x3: number): void {
    const t = this.#t;
    let o0 = 0,
      o1 = 0,
      o2 = 0,
      o3 = 0;
    let num = x0 ^ this.s0;
    // 32 windows of 4 bits: byte by byte through the four words, high nibble
    // first, as the table's windows run over bits in GCM order.
    for (let w = 0; w < WINDOWS; w += 2) {
      if (w === 8) num = x1 ^ this.s1;
      else if (w === 16) num = x2 ^ this.s2;
      else if (w === 24) num = x3 ^ this.s3;
      const byte = (num >>> (4 * (w & 7))) & 0xff;
      let at = (w * ENTRIES + (byte >>> 4)) << 2;
      o0 ^= t[at]!;
      o1 ^= t[at + 1]!;
      o2 ^= t[at + 2]!;
      o3 ^= t[at + 3]!;
      at = ((w + 1) * ENTRIES + (byte & 15)) << 2;
      o0 ^= t[at]!;
      o1 ^= t[at + 1]!;
      o2 ^= t[at + 2]!;
      o3 ^= t[at + 3]!;
    }
    this.s0 = o0;
    this.s1 = o1;
    this.s2 = o2;
    this.s3 = o3;
  }

  /** Absorbs data zero-padded to whole blocks. */
  update(d: Uint8Array): void {
    const n = d.length;
    const full = n & ~15;
    let i = 0;
    for (; i < full; i += 16) {
      this.block(
        d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24),
        d[i + 4]! | (d[i + 5]! << 8) | (d[i + 6]! << 16) | (d[i + 7]! << 24),
        d[i + 8]! | (d[i + 9]! << 8) | (d[i + 10]! << 16) | (d[i + 11]! << 24),
        d[i + 12]! | (d[i + 13]! << 8) | (d[i + 14]! << 16) | (d[i + 15]! << 24),
      );
    }
    if (i < n) {
      const x = [0, 0, 0, 0];
      for (let j = 0; i + j < n; j++) x[j >>> 2]! |= d[i + j]! << (8 * (j & 3));
      this.block(x[0]!, x[1]!, x[2]!, x[3]!);
    }
  }

  /** Absorbs len(A) || len(C) in bits, as two 64-bit big-endian numbers. */
  lengths(aadBytes: number, dataBytes: number): void {
    // Byte counts below 2^29 keep the bit counts within 32 bits.
    this.block(0, swap(aadBytes * 8), 0, swap(dataBytes * 8));
  }
}

/** Keyed AES-GCM with 12-byte nonces and 16-byte tags (RFC 5288). */
export function aesGcm(key: Uint8Array): Aead {
  if (key.length !== 16 && key.length !== 32) throw new RangeError(`AES-GCM key must be 16 or 32 bytes, got ${key.length}`);
  const xk = aes.expandKeyLE(key.slice());
  const h = new Uint8Array(16);
  aes.encryptBlock(xk, h);
  const ghash = new Ghash(h);
  h.fill(0);
  const j = new Uint8Array(16); // counter block, 4-byte aligned for ctr32
  const mask = new Uint8Array(16); // E(J0), the tag mask

  // J0 = nonce || 1; the payload starts at inc32(J0) (SP 800-38D 7.1).
  function start(nonce: Uint8Array): void {
    j.set(nonce);
    j[12] = j[13] = j[14] = 0;
    j[15] = 1;
    mask.set(j);
    aes.encryptBlock(xk, mask);
    j[15] = 2;
  }

  // The tag: GHASH(A, C) xor E(J0), written little-endian word by word into out.
  function tag(aad: Uint8Array, ct: Uint8Array, out: Uint8Array, at: number): void {
    ghash.reset();
    ghash.update(aad);
    ghash.update(ct);
    ghash.lengths(aad.length, ct.length);
    const s = [ghash.s0, ghash.s1, ghash.s2, ghash.s3];
    for (let i = 0; i < 16; i++) out[at + i] = (s[i >>> 2]! >>> (8 * (i & 3))) ^ mask[i]!;
  }

  function sealInto(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    if (nonce.length !== 12) throw new RangeError('nonce must be 12 bytes');
    const n = plaintext.length;
    if (out.length - offset < n + TAG) throw new RangeError('output too short');
    start(nonce);
    const body = out.subarray(offset, offset + n);
    body.set(plaintext);
    // ctr32 works on aligned 32-bit words: in place when the body is aligned,
    // else through one aligned copy.
    if (n && (body.byteOffset & 3) === 0) aes.ctr32(xk, false, j, body, body);
    else if (n) {
      const tmp = new Uint8Array(n);
      tmp.set(plaintext);
      body.set(aes.ctr32(xk, false, j, tmp, tmp));
    }
    tag(aad, body, out, offset + n);
  }

  return {
    tagLength: TAG,
    seal(nonce, plaintext, aad) {
      const out = new Uint8Array(plaintext.length + TAG);
      sealInto(nonce, plaintext, aad, out, 0);
      return out;
    },
    sealInto,
    open(nonce, data, aad) {
      if (nonce.length !== 12 || data.length < TAG) return null;
      const n = data.length - TAG;
      const ct = data.subarray(0, n);
      start(nonce);
      const expected = new Uint8Array(TAG);
      tag(aad, ct, expected, 0);
      // Authenticate before decrypting; constant-time comparison.
      let diff = 0;
      for (let i = 0; i < TAG; i++) diff |= expected[i]! ^ data[n + i]!;
      if (diff !== 0) return null;
      const out = new Uint8Array(n);
      out.set(ct);
      if (n) aes.ctr32(xk, false, j, out, out);
      return out;
    },
  };
}
