// Cipher suites as data, per protocol version. DTLS 1.2 (RFC 5289, RFC 7905,
// RFC 6655/7251) names key exchange, authentication, AEAD and PRF hash in one
// suite; DTLS 1.3 (RFC 8446 B.4, RFC 9147) names only the AEAD and the HKDF
// hash. The handshake and record layers read these fields; nothing else
// switches on a suite id.
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
  {
    id: 0xc02b,
    name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    opensslName: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    keyExchange: 'ecdhe',
    auth: 'ecdsa',
    aead: 'aes-128-gcm',
    keyLength: 16,
    ...gcm,
    prfHash: 'sha256',
  },
  {
    id: 0xc02c,
    name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    opensslName: 'ECDHE-ECDSA-AES256-GCM-SHA384',
    keyExchange: 'ecdhe',
    auth: 'ecdsa',
    aead: 'aes-256-gcm',
    keyLength: 32,
    ...gcm,
    prfHash: 'sha384',
  },
  {
    id: 0xcca9,
    name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    opensslName: 'ECDHE-ECDSA-CHACHA20-POLY1305',
    keyExchange: 'ecdhe',
    auth: 'ecdsa',
    aead: 'chacha20-poly1305',
    keyLength: 32,
    fixedIvLength: 12,
    recordIvLength: 0,
    tagLength: 16,
    prfHash: 'sha256',
  },
  // RFC 5289 / RFC 7905 with an RSA certificate: the same ECDHE and AEADs,
  // the ServerKeyExchange signed by RSA (PSS or PKCS#1 v1.5, RFC 5246 7.4.3).
  {
    id: 0xc02f,
    name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    opensslName: 'ECDHE-RSA-AES128-GCM-SHA256',
    keyExchange: 'ecdhe',
    auth: 'rsa',
    aead: 'aes-128-gcm',
    keyLength: 16,
    ...gcm,
    prfHash: 'sha256',
  },
  {
    id: 0xc030,
    name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    opensslName: 'ECDHE-RSA-AES256-GCM-SHA384',
    keyExchange: 'ecdhe',
    auth: 'rsa',
    aead: 'aes-256-gcm',
    keyLength: 32,
    ...gcm,
    prfHash: 'sha384',
  },
  {
    id: 0xcca8,
    name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    opensslName: 'ECDHE-RSA-CHACHA20-POLY1305',
    keyExchange: 'ecdhe',
    auth: 'rsa',
    aead: 'chacha20-poly1305',
    keyLength: 32,
    fixedIvLength: 12,
    recordIvLength: 0,
    tagLength: 16,
    prfHash: 'sha256',
  },
];

/** ECDSA suites first; a server picks among them by its certificate's key type. */
export const DEFAULT_CIPHER_SUITES: readonly number[] = [0xc02b, 0xcca9, 0xc02c, 0xc02f, 0xcca8, 0xc030];

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

/** A TLS 1.3 suite (RFC 8446 B.4): the record AEAD and the key schedule's hash. */
export interface CipherSuite13 {
  readonly id: number;
  readonly name: string;
  readonly aead: AeadName;
  readonly keyLength: number;
  /** The per-record nonce is the IV XOR the record sequence number (RFC 8446 5.3). */
  readonly ivLength: 12;
  readonly tagLength: number;
  /** HKDF hash (RFC 8446 7.1) and transcript hash. */
  readonly hash: HashName;
}

/** In the order we prefer them; CCM ones are offered only when asked for, as OpenSSL does. */
export const TLS13_CIPHER_SUITES: readonly CipherSuite13[] = [
  { id: 0x1301, name: 'TLS_AES_128_GCM_SHA256', aead: 'aes-128-gcm', keyLength: 16, ivLength: 12, tagLength: 16, hash: 'sha256' },
  { id: 0x1302, name: 'TLS_AES_256_GCM_SHA384', aead: 'aes-256-gcm', keyLength: 32, ivLength: 12, tagLength: 16, hash: 'sha384' },
  { id: 0x1303, name: 'TLS_CHACHA20_POLY1305_SHA256', aead: 'chacha20-poly1305', keyLength: 32, ivLength: 12, tagLength: 16, hash: 'sha256' },
  { id: 0x1304, name: 'TLS_AES_128_CCM_SHA256', aead: 'aes-128-ccm', keyLength: 16, ivLength: 12, tagLength: 16, hash: 'sha256' },
  { id: 0x1305, name: 'TLS_AES_128_CCM_8_SHA256', aead: 'aes-128-ccm8', keyLength: 16, ivLength: 12, tagLength: 8, hash: 'sha256' },
];

export const DEFAULT_TLS13_CIPHER_SUITES: readonly number[] = [0x1301, 0x1303, 0x1302];

/** The suites each protocol version can negotiate. */
export const SUITES_BY_VERSION = {
  'DTLS 1.2': CIPHER_SUITES,
  'DTLS 1.3': TLS13_CIPHER_SUITES,
} as const;

export function suite13ById(id: number): CipherSuite13 | undefined {
  return TLS13_CIPHER_SUITES.find((s) => s.id === id);
}
