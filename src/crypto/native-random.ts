// Random bytes from node:crypto through a pool. randomFillSync() costs about
// the same for 32 bytes as for 2 KiB (the call into C++ and OpenSSL's DRBG
// lock dominate), and a DTLS 1.3 handshake asks five times for 32 bytes or
// fewer (the randoms, the X25519 private keys): one fill serves dozens of
// handshakes. Each request is copied out and its bytes in the pool zeroed, so
// no handed-out secret stays behind in the pool; larger requests are filled
// directly.
import type * as NodeCrypto from 'node:crypto';

const POOL = 2048;
/** Requests up to this size come from the pool. */
const POOLED_MAX = 64;

export function pooledRandom(nc: typeof NodeCrypto): (length: number) => Uint8Array {
  const pool = new Uint8Array(POOL);
  let at = POOL;
  return (length) => {
    const out = new Uint8Array(length);
    if (length > POOLED_MAX) {
      // randomFillSync takes at most 2^31-1 bytes per call, far above any use here.
      nc.randomFillSync(out);
      return out;
    }
    if (at + length > POOL) {
      nc.randomFillSync(pool);
      at = 0;
    }
    out.set(pool.subarray(at, at + length));
    pool.fill(0, at, at + length);
    at += length;
    return out;
  };
}
