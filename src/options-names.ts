// Names of groups, cipher suites and SRTP profiles as options and the CLI take
// them (IANA, OpenSSL and GnuTLS spellings), to the library's own values.
import type { GroupName } from './crypto/provider.ts';
import type { KemGroup } from './crypto/hybrid-kem.ts';
import { TLS13_CIPHER_SUITES, suiteByName } from './crypto/suites.ts';
import { SrtpProfile } from './wire/types.ts';

const groupAliases: Record<string, GroupName> = {
  x25519: 'x25519',
  secp256r1: 'secp256r1',
  'p-256': 'secp256r1',
  p256: 'secp256r1',
  prime256v1: 'secp256r1',
  secp384r1: 'secp384r1',
  'p-384': 'secp384r1',
  p384: 'secp384r1',
};

export function parseGroup(name: string): GroupName {
  const g = groupAliases[name.trim().toLowerCase()];
  if (!g) throw new TypeError(`unknown group "${name}" (supported: x25519, P-256, P-384, X25519MLKEM768)`);
  return g;
}

/** A group name for either version: the 1.2 ECDHE groups, or X25519MLKEM768 (1.3 only). */
export function parseGroup13(name: string): KemGroup {
  if (typeof name === 'string' && name.trim().toLowerCase() === 'x25519mlkem768') return 'X25519MLKEM768';
  return parseGroup(name);
}

/** The IANA name of a DTLS 1.2 or 1.3 suite given by IANA or OpenSSL name or numeric id, or undefined. */
export function cipherSuiteName(name: string): string | undefined {
  const s12 = suiteByName(name);
  if (s12) return s12.name;
  const id = suite13(name);
  return id === undefined ? undefined : TLS13_CIPHER_SUITES.find((c) => c.id === id)!.name;
}

/** A DTLS 1.3 suite by IANA name or numeric id (RFC 8446 B.4). */
export function suite13(s: string | number): number | undefined {
  if (typeof s === 'number') return TLS13_CIPHER_SUITES.find((c) => c.id === s)?.id;
  const n = s.trim();
  if (/^0x[0-9a-f]{1,4}$/i.test(n)) return suite13(parseInt(n, 16));
  return TLS13_CIPHER_SUITES.find((c) => c.name === n.toUpperCase())?.id;
}

const srtpAliases: Record<string, number> = {
  ...SrtpProfile,
  // GnuTLS and RFC 5764's registry spell the HMAC out.
  SRTP_AES128_CM_HMAC_SHA1_80: SrtpProfile.SRTP_AES128_CM_SHA1_80,
  SRTP_AES128_CM_HMAC_SHA1_32: SrtpProfile.SRTP_AES128_CM_SHA1_32,
};

export function parseSrtpProfile(name: string): number {
  const id = srtpAliases[name.trim().toUpperCase()];
  if (id === undefined) throw new TypeError(`unknown SRTP profile "${name}" (supported: ${Object.keys(SrtpProfile).join(', ')})`);
  return id;
}
