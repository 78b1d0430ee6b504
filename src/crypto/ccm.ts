// AES-CCM (RFC 3610, NIST SP 800-38C) as TLS uses it (RFC 6655): a 12-byte
// nonce, so the length field is L = 3 bytes, and a 16- or 8-byte tag.
// Built on a single-block AES encryption whose key schedule is expanded once.
import { ecb, unsafe as aesUnsafe } from '@noble/ciphers/aes.js';
import type { Aead } from './provider.ts';

const NONCE_LEN = 12;
const L = 15 - NONCE_LEN; // bytes of the message length / counter field
const MAX_LEN = 2 ** (8 * L) - 1;

type BlockEncrypt = (block: Uint8Array) => void; // in place, 16 bytes

function aesBlock(key: Uint8Array): BlockEncrypt {
  // noble exposes its key expansion only under `unsafe`; fall back to ECB if it disappears.
  if (typeof aesUnsafe?.expandKeyLE === 'function' && typeof aesUnsafe.encryptBlock === 'function') {
    const xk = aesUnsafe.expandKeyLE(key);
    return (b) => void aesUnsafe.encryptBlock(xk, b);
  }
  const k = key.slice();
  return (b) => b.set(ecb(k, { disablePadding: true }).encrypt(b));
}

function xorInto(dst: Uint8Array, src: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) dst[i]! ^= src[i]!;
}

/** Creates an AES-CCM AEAD; `tagLength` is 16 (CCM) or 8 (CCM_8). */
export function aesCcm(key: Uint8Array, tagLength: 8 | 16): Aead {
  if (key.length !== 16 && key.length !== 32) throw new RangeError(`AES-CCM key must be 16 or 32 bytes, got ${key.length}`);
  const enc = aesBlock(key);

  // RFC 3610 2.2: CBC-MAC over B0 || encoded AAD || message, each zero-padded to blocks.
  function mac(nonce: Uint8Array, aad: Uint8Array, msg: Uint8Array): Uint8Array {
    const x = new Uint8Array(16);
    x[0] = (aad.length > 0 ? 0x40 : 0) | (((tagLength - 2) / 2) << 3) | (L - 1);
    x.set(nonce, 1);
    const n = msg.length;
    x[13] = n >>> 16;
    x[14] = (n >>> 8) & 0xff;
    x[15] = n & 0xff;
    enc(x);
    if (aad.length > 0) {
      // Length prefix: 2 bytes below 2^16 - 2^8, else 0xfffe || 4 bytes.
      let hdr: Uint8Array;
      if (aad.length < 0xff00) hdr = Uint8Array.of(aad.length >>> 8, aad.length & 0xff);
      else hdr = Uint8Array.of(0xff, 0xfe, aad.length >>> 24, (aad.length >>> 16) & 0xff, (aad.length >>> 8) & 0xff, aad.length & 0xff);
      absorb(x, hdr, aad);
    }
    if (n > 0) absorb(x, new Uint8Array(0), msg);
    return x;
  }

  // Absorbs prefix || data, zero-padded to a block boundary, into the CBC-MAC state x.
  function absorb(x: Uint8Array, prefix: Uint8Array, data: Uint8Array): void {
    let pos = 0;
    for (; pos < prefix.length; pos++) x[pos]! ^= prefix[pos]!;
    let i = 0;
    while (i < data.length) {
      const take = Math.min(16 - pos, data.length - i);
      for (let j = 0; j < take; j++) x[pos + j]! ^= data[i + j]!;
      i += take;
      pos += take;
      if (pos === 16 || i === data.length) {
        enc(x);
        pos = 0;
      }
    }
    if (pos > 0) enc(x); // prefix filled a partial block and data was empty
  }

  // RFC 3610 2.3: CTR keystream; counter 0 masks the tag, 1.. encrypt the message.
  function ctr(nonce: Uint8Array, data: Uint8Array, out: Uint8Array): Uint8Array {
    const a = new Uint8Array(16);
    const s = new Uint8Array(16);
    a[0] = L - 1;
    a.set(nonce, 1);
    for (let i = 0, c = 1; i < data.length; i += 16, c++) {
      a[13] = c >>> 16;
      a[14] = (c >>> 8) & 0xff;
      a[15] = c & 0xff;
      s.set(a);
      enc(s);
      const n = Math.min(16, data.length - i);
      for (let j = 0; j < n; j++) out[i + j] = data[i + j]! ^ s[j]!;
    }
    a[13] = a[14] = a[15] = 0;
    enc(a);
    return a; // S0
  }

  function check(nonce: Uint8Array, len: number): void {
    if (nonce.length !== NONCE_LEN) throw new RangeError(`AES-CCM nonce must be ${NONCE_LEN} bytes`);
    if (len > MAX_LEN) throw new RangeError('AES-CCM message too long');
  }

  return {
    tagLength,
    seal(nonce, plaintext, aad) {
      check(nonce, plaintext.length);
      const out = new Uint8Array(plaintext.length + tagLength);
      const t = mac(nonce, aad, plaintext);
      const s0 = ctr(nonce, plaintext, out);
      xorInto(t, s0, tagLength);
      out.set(t.subarray(0, tagLength), plaintext.length);
      return out;
    },
    open(nonce, data, aad) {
      if (nonce.length !== NONCE_LEN || data.length < tagLength || data.length - tagLength > MAX_LEN) return null;
      const n = data.length - tagLength;
      const pt = new Uint8Array(n);
      const s0 = ctr(nonce, data.subarray(0, n), pt);
      const t = mac(nonce, aad, pt);
      // Constant-time tag comparison.
      let diff = 0;
      for (let i = 0; i < tagLength; i++) diff |= t[i]! ^ s0[i]! ^ data[n + i]!;
      if (diff !== 0) {
        pt.fill(0);
        return null;
      }
      return pt;
    },
  };
}
