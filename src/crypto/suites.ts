// Cipher suites as data (RFC 5289, RFC 7905, RFC 6655/7251). The handshake and
// record layers read these fields; nothing else switches on a suite id.
import type { AeadName, HashName } from './provider.ts';

/** One cipher suite as data: its ids and names, key exchange, AEAD and PRF hash. */
export interface CipherSuite {
  readonly id: number;
  /** IANA name. */
  readonly name: string;
  /** OpenSSL's name, accepted by --cipher. */
  readonly opensslName: string;
  readonly keyExchange: 'ecdhe' | 'psk' | 'ecdhe_psk';
  readonly auth: 'ecdsa' | 'rsa' | 'psk';
  readonly aead: AeadName;
  readonly keyLength: number;
  /** Implicit part of the nonce from the key block (RFC 5288: 4; RFC 7905: 12). */
  readonly fixedIvLength: number;
  /** Explicit nonce carried in each record (GCM/CCM: 8; ChaCha20: 0). */
  readonly recordIvLength: number;
  readonly tagLength: number;
  /** PRF hash (RFC 5246 5). */
  readonly prfHash: HashName;
}

const gcm = { fixedIvLength: 4, recordIvLength: 8, tagLength: 16 } as const;

/** Every cipher suite dtls-stream implements. */
export const CIPHER_SUITES: readonly CipherSuite[] = [
  { id: 0xc02b, name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', opensslName: 'ECDHE-ECDSA-AES128-GCM-SHA256', keyExchange: 'ecdhe', auth: 'ecdsa', aead: 'aes-128-gcm', keyLength: 16, ...gcm, prfHash: 'sha256' },
  { id: 0xc02c, name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', opensslName: 'ECDHE-ECDSA-AES256-GCM-SHA384', keyExchange: 'ecdhe', auth: 'ecdsa', aead: 'aes-256-gcm', keyLength: 32, ...gcm, prfHash: 'sha384' },
  { id: 0xcca9, name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', opensslName: 'ECDHE-ECDSA-CHACHA20-POLY1305', keyExchange: 'ecdhe', auth: 'ecdsa', aead: 'chacha20-poly1305', keyLength: 32, fixedIvLength: 12, recordIvLength: 0, tagLength: 16, prfHash: 'sha256' },
];

export const DEFAULT_CIPHER_SUITES: readonly number[] = [0xc02b, 0xcca9, 0xc02c];

export function suiteById(id: number): CipherSuite | undefined {
  return CIPHER_SUITES.find((s) => s.id === id);
}

/** Accepts IANA names, OpenSSL names, or numeric ids ("0xc02b"). */
export function suiteByName(name: string): CipherSuite | undefined {
  const n = name.trim();
  if (/^0x[0-9a-f]{1,4}$/i.test(n)) return suiteById(parseInt(n, 16));
  const up = n.toUpperCase();
  return CIPHER_SUITES.find((s) => s.name === up || s.opensslName === up);
}
