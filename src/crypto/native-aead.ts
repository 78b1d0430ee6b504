// AEADs on node:crypto. A cipher object there is bound to one nonce, so each
// record creates one; the key is a KeyObject imported once per key, which
// spares OpenSSL's per-call key parsing. Output is a fresh Uint8Array (never a
// pooled Buffer).
import type * as NodeCrypto from 'node:crypto';
import type { Aead } from './provider.ts';

type NC = typeof NodeCrypto;
type Alg = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-ccm' | 'aes-256-ccm';

export function nativeAead(nc: NC, alg: Alg, rawKey: Uint8Array, tagLength: 8 | 16): Aead {
  const key = nc.createSecretKey(rawKey);
  const ccm = alg.endsWith('-ccm');
  const options = { authTagLength: tagLength };
  function sealInto(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    if (nonce.length !== 12) throw new RangeError('nonce must be 12 bytes');
    const n = plaintext.length;
    if (out.length - offset < n + tagLength) throw new RangeError('output too short');
    const c = nc.createCipheriv(alg as NodeCrypto.CipherGCMTypes, key, nonce, options);
    // CCM needs the message length before the AAD (RFC 3610 2.2: it is in B0).
    c.setAAD(aad, ccm ? { plaintextLength: n } : undefined);
    // CCM takes exactly one update(), even for an empty message.
    if (n || ccm) out.set(c.update(plaintext), offset);
    c.final();
    out.set(c.getAuthTag(), offset + n);
  }

  return {
    tagLength,
    seal(nonce, plaintext, aad) {
      const out = new Uint8Array(plaintext.length + tagLength);
      sealInto(nonce, plaintext, aad, out, 0);
      return out;
    },
    sealInto,
    open(nonce, data, aad) {
      if (nonce.length !== 12 || data.length < tagLength) return null;
      const n = data.length - tagLength;
      try {
        const d = nc.createDecipheriv(alg as NodeCrypto.CipherGCMTypes, key, nonce, options);
        d.setAuthTag(data.subarray(n));
        d.setAAD(aad, ccm ? { plaintextLength: n } : undefined);
        // update() returns a Buffer of its own (not from the pool): hand it on as a plain view, no copy.
        const b = n || ccm ? d.update(data.subarray(0, n)) : undefined;
        d.final(); // throws when the tag does not authenticate
        return b ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(0);
      } catch {
        return null;
      }
    },
  };
}
