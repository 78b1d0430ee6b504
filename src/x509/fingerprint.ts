// Certificate fingerprints in SDP form (RFC 8122 5): "sha-256 AB:CD:...",
// a hash of the whole DER certificate.
import { nobleProvider } from '../crypto/noble.ts';
import type { CryptoProvider, HashName } from '../crypto/provider.ts';
import { equalBytes } from '../wire/codec.ts';

const HASHES: Readonly<Record<string, { hash: HashName; length: number }>> = {
  'sha-1': { hash: 'sha1', length: 20 },
  'sha-256': { hash: 'sha256', length: 32 },
  'sha-384': { hash: 'sha384', length: 48 },
  'sha-512': { hash: 'sha512', length: 64 },
};

function hashFor(algorithm: string): { hash: HashName; length: number } {
  const h = HASHES[algorithm.toLowerCase()];
  if (!h) throw new TypeError(`unsupported fingerprint algorithm "${algorithm}"; use one of ${Object.keys(HASHES).join(', ')}`);
  return h;
}

/** "sha-256 AB:CD:..." for a DER certificate. */
export function fingerprint(der: Uint8Array, algorithm = 'sha-256', provider: CryptoProvider = nobleProvider): string {
  const digest = provider.hash(hashFor(algorithm).hash, der);
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  return `${algorithm.toLowerCase()} ${hex}`;
}

/** Parses "sha-256 AB:CD:.." (any case); throws TypeError when malformed. */
export function parseFingerprint(s: string): { algorithm: string; bytes: Uint8Array } {
  const m = /^\s*(\S+)\s+([0-9a-f]{2}(?::[0-9a-f]{2})*)\s*$/i.exec(s);
  if (!m) throw new TypeError(`not a fingerprint "algorithm XX:XX:..": ${JSON.stringify(s)}`);
  const algorithm = m[1]!.toLowerCase();
  const { length } = hashFor(algorithm);
  const bytes = Uint8Array.from(m[2]!.split(':'), (h) => parseInt(h, 16));
  if (bytes.length !== length) throw new TypeError(`${algorithm} fingerprint must have ${length} bytes, got ${bytes.length}`);
  return { algorithm, bytes };
}

/** Whether `der` hashes to the `expected` fingerprint; throws TypeError if `expected` is malformed. */
export function fingerprintMatches(der: Uint8Array, expected: string, provider: CryptoProvider = nobleProvider): boolean {
  const { algorithm, bytes } = parseFingerprint(expected);
  return equalBytes(provider.hash(hashFor(algorithm).hash, der), bytes);
}
