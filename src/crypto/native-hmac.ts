// HMAC (RFC 2104) as two one-shot digests on node:crypto's crypto.hash():
// H((K ^ opad) || H((K ^ ipad) || text)). A DTLS 1.3 handshake runs about 24
// HMACs per side (every HKDF step, the Finished MACs), each over a few dozen
// bytes, where createHmac()'s object and its three calls into C++ cost more
// than the hashing itself: two one-shot digests cost about 0.7x of it.
import type { HashName } from './provider.ts';

/** crypto.hash(name, data, 'buffer') */
export type OneShotHash = (name: HashName, data: Uint8Array, encoding: 'buffer') => Uint8Array;

/** Block sizes (RFC 2104 2: B), which bound the key before it is hashed. */
const BLOCK: Record<HashName, number> = { sha1: 64, sha256: 64, sha384: 128, sha512: 128 };

/**
 * An HMAC over `hash` that writes each input into one scratch buffer, reused
 * across calls (the digests are synchronous, so no call can interleave) and
 * zeroed after each, so no padded key stays behind. Inputs larger than the
 * scratch get a buffer of their own. `tail`, when given, is one more byte
 * after `data` (HKDF-Expand's block counter, RFC 5869 2.3), so no call builds
 * `info || 0x01` first.
 */
export function oneShotHmac(hash: OneShotHash): (name: HashName, key: Uint8Array, data: Uint8Array, tail?: number) => Uint8Array {
  const SCRATCH = 512;
  const scratch = new Uint8Array(SCRATCH);
  return (name, key, data, tail) => {
    const b = BLOCK[name];
    if (b === undefined) throw new RangeError(`unknown hash ${String(name)}`);
    // RFC 2104 2: a key longer than B is hashed first.
    const k = key.length > b ? hash(name, key, 'buffer') : key;
    const n = b + data.length + (tail === undefined ? 0 : 1);
    const buf = n <= SCRATCH ? scratch : new Uint8Array(n);
    let i = 0;
    for (; i < k.length; i++) buf[i] = k[i]! ^ 0x36;
    for (; i < b; i++) buf[i] = 0x36;
    buf.set(data, b);
    if (tail !== undefined) buf[n - 1] = tail;
    const inner = hash(name, buf.subarray(0, n), 'buffer');
    for (i = 0; i < k.length; i++) buf[i] = k[i]! ^ 0x5c;
    for (; i < b; i++) buf[i] = 0x5c;
    buf.set(inner, b);
    const out = hash(name, buf.subarray(0, b + inner.length), 'buffer');
    buf.fill(0, 0, Math.max(n, b + inner.length));
    return out;
  };
}

/**
 * A running hash (a handshake transcript) as the bytes so far, digested in one
 * call each time: a 1.3 transcript is a few KiB at most and takes about five
 * digests per side, where a Hash object, its copy per digest and a call per
 * message cost more than hashing those bytes again. Holds its input until it
 * goes, as a transcript holds its messages anyway.
 */
export class OneShotHashContext {
  readonly #hash: OneShotHash;
  readonly #name: HashName;
  #buf = new Uint8Array(0);
  #len = 0;

  constructor(hash: OneShotHash, name: HashName) {
    this.#hash = hash;
    this.#name = name;
  }

  update(data: Uint8Array): void {
    const need = this.#len + data.length;
    if (need > this.#buf.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.#buf.length, 1024));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(data, this.#len);
    this.#len = need;
  }

  digest(): Uint8Array {
    const d = this.#hash(this.#name, this.#buf.subarray(0, this.#len), 'buffer');
    return d.byteOffset === 0 && d.buffer.byteLength === d.byteLength ? new Uint8Array(d.buffer, 0, d.byteLength) : new Uint8Array(d);
  }
}
