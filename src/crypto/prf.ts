// The TLS 1.2 PRF and what is derived with it (RFC 5246 5, 6.3, 8.1, 7.4.9;
// RFC 7627; RFC 5705).
import type { CryptoProvider, HashName } from './provider.ts';
import type { CipherSuite } from './suites.ts';

const utf8 = new TextEncoder();

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * RFC 5246 5: PRF(secret, label, seed) = P_<hash>(secret, label + seed), where
 * P_hash = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ..., A(0) = seed,
 * A(i) = HMAC(secret, A(i-1)).
 */
export function prf(p: CryptoProvider, hash: HashName, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`invalid PRF output length ${length}`);
  const s = concat(utf8.encode(label), seed);
  const out = new Uint8Array(length);
  let a = s;
  for (let off = 0; off < length;) {
    a = p.hmac(hash, secret, a);
    const block = p.hmac(hash, secret, concat(a, s));
    const n = Math.min(block.length, length - off);
    out.set(block.subarray(0, n), off);
    off += n;
  }
  return out;
}

/** RFC 5246 8.1: the 48-byte master secret. */
export function computeMasterSecret(
  p: CryptoProvider,
  hash: HashName,
  preMasterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Uint8Array {
  return prf(p, hash, preMasterSecret, 'master secret', concat(clientRandom, serverRandom), 48);
}

/** RFC 7627 4: the master secret bound to the handshake hash up to ClientKeyExchange. */
export function computeExtendedMasterSecret(p: CryptoProvider, hash: HashName, preMasterSecret: Uint8Array, sessionHash: Uint8Array): Uint8Array {
  return prf(p, hash, preMasterSecret, 'extended master secret', sessionHash, 48);
}

export interface TrafficKeys {
  readonly clientWriteKey: Uint8Array;
  readonly serverWriteKey: Uint8Array;
  readonly clientWriteIv: Uint8Array;
  readonly serverWriteIv: Uint8Array;
}

/** RFC 5246 6.3 key expansion for AEAD suites (no MAC keys; RFC 5288 3, RFC 7905 2). */
export function deriveKeys(p: CryptoProvider, suite: CipherSuite, masterSecret: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): TrafficKeys {
  const k = suite.keyLength;
  const iv = suite.fixedIvLength;
  const block = prf(p, suite.prfHash, masterSecret, 'key expansion', concat(serverRandom, clientRandom), 2 * (k + iv));
  return {
    clientWriteKey: block.slice(0, k),
    serverWriteKey: block.slice(k, 2 * k),
    clientWriteIv: block.slice(2 * k, 2 * k + iv),
    serverWriteIv: block.slice(2 * k + iv, 2 * k + 2 * iv),
  };
}

/** RFC 5246 7.4.9: Finished.verify_data (12 bytes). */
export function computeVerifyData(
  p: CryptoProvider,
  hash: HashName,
  masterSecret: Uint8Array,
  label: 'client finished' | 'server finished',
  handshakeHash: Uint8Array,
): Uint8Array {
  return prf(p, hash, masterSecret, label, handshakeHash, 12);
}

const RESERVED_EXPORTER_LABELS = new Set(['client finished', 'server finished', 'master secret', 'key expansion', 'extended master secret']);

/**
 * RFC 5705 4: PRF(master_secret, label, client_random + server_random
 * [+ uint16 context length + context]). A missing context differs from an empty one.
 */
export function exportKeyingMaterial(
  p: CryptoProvider,
  hash: HashName,
  masterSecret: Uint8Array,
  label: string,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  context: Uint8Array | undefined,
  length: number,
): Uint8Array {
  if (RESERVED_EXPORTER_LABELS.has(label)) throw new RangeError(`exporter label "${label}" is reserved`);
  let seed = concat(clientRandom, serverRandom);
  if (context !== undefined) {
    if (context.length > 0xffff) throw new RangeError('exporter context longer than 65535 bytes');
    seed = concat(seed, Uint8Array.of(context.length >>> 8, context.length & 0xff), context);
  }
  return prf(p, hash, masterSecret, label, seed, length);
}
