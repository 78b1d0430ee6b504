// AEADs on node:crypto. A cipher object there is bound to one nonce, so each
// record creates one; from a key's third record on, the key is a KeyObject
// imported once, which spares OpenSSL's per-call key parsing. Output is a fresh Uint8Array (never a
// pooled Buffer).
//
// One small object per key, its methods on the prototype: a server holds two
// per connection (read and write), so closures per key would be memory per
// connection for nothing.
import type * as NodeCrypto from 'node:crypto';
import type { Aead } from './provider.ts';

type NC = typeof NodeCrypto;
type Alg = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-ccm' | 'aes-256-ccm';

// Shared, never written: createCipheriv only reads them.
const TAG_OPTIONS = { 8: { authTagLength: 8 }, 16: { authTagLength: 16 } } as const;

class NativeAead implements Aead {
  readonly tagLength: 8 | 16;
  readonly #nc: NC;
  readonly #alg: NodeCrypto.CipherGCMTypes;
  // The raw key until the third use, then a KeyObject (see keyFor()).
  #key: NodeCrypto.KeyObject | Uint8Array;
  #uses = 0;
  readonly #ccm: boolean;

  constructor(nc: NC, alg: Alg, rawKey: Uint8Array, tagLength: 8 | 16) {
    this.tagLength = tagLength;
    this.#nc = nc;
    // The CCM and ChaCha20 names share GCM's cipher calls; the type only narrows the options.
    this.#alg = alg as NodeCrypto.CipherGCMTypes;
    // A copy: the caller may zero its buffer once the AEAD is made.
    this.#key = rawKey.slice();
    this.#ccm = alg.endsWith('-ccm');
  }

  /**
   * The key for the next cipher object. A DTLS 1.3 handshake epoch's keys
   * seal or open one or two records, and some application keys none before a
   * KeyUpdate: a KeyObject (one more object crossing into C++) pays off only
   * from the third record on, so the first two ciphers take the raw bytes,
   * which cost the same per cipher.
   */
  #keyFor(): NodeCrypto.KeyObject | Uint8Array {
    const k = this.#key;
    if (!(k instanceof Uint8Array) || ++this.#uses < 3) return k;
    this.#key = this.#nc.createSecretKey(k);
    k.fill(0);
    return this.#key;
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + this.tagLength);
    this.sealInto(nonce, plaintext, aad, out, 0);
    return out;
  }

  sealInto(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    if (nonce.length !== 12) throw new RangeError('nonce must be 12 bytes');
    const n = plaintext.length;
    const ccm = this.#ccm;
    if (out.length - offset < n + this.tagLength) throw new RangeError('output too short');
    const c = this.#nc.createCipheriv(this.#alg, this.#keyFor(), nonce, TAG_OPTIONS[this.tagLength]);
    // CCM needs the message length before the AAD (RFC 3610 2.2: it is in B0).
    c.setAAD(aad, ccm ? { plaintextLength: n } : undefined);
    // CCM takes exactly one update(), even for an empty message.
    if (n || ccm) out.set(c.update(plaintext), offset);
    c.final();
    out.set(c.getAuthTag(), offset + n);
  }

  open(nonce: Uint8Array, data: Uint8Array, aad: Uint8Array): Uint8Array | null {
    const tagLength = this.tagLength;
    if (nonce.length !== 12 || data.length < tagLength) return null;
    const n = data.length - tagLength;
    const ccm = this.#ccm;
    try {
      const d = this.#nc.createDecipheriv(this.#alg, this.#keyFor(), nonce, TAG_OPTIONS[tagLength]);
      d.setAuthTag(data.subarray(n));
      d.setAAD(aad, ccm ? { plaintextLength: n } : undefined);
      // update() returns a Buffer of its own (not from the pool): hand it on as a plain view, no copy.
      const b = n || ccm ? d.update(data.subarray(0, n)) : undefined;
      d.final(); // throws when the tag does not authenticate
      return b ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(0);
    } catch {
      return null;
    }
  }
}

export function nativeAead(nc: NC, alg: Alg, rawKey: Uint8Array, tagLength: 8 | 16): Aead {
  return new NativeAead(nc, alg, rawKey, tagLength);
}
