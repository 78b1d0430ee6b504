// DTLS-SRTP keys (RFC 5764 4.2): after a handshake that negotiated use_srtp,
// the exporter with label "EXTRACTOR-dtls_srtp" (no context) gives
// 2 * (key + salt) bytes, laid out as
//
//   client_write_SRTP_master_key | server_write_SRTP_master_key |
//   client_write_SRTP_master_salt | server_write_SRTP_master_salt
//
// The client protects what it sends with the client keys, the server with the
// server keys; each side unprotects the other's packets with the other's.
import type { HandshakeInfo } from '../connection-types.ts';
import type { Role } from '../options.ts';

/** DTLS-SRTP protection profile names (RFC 5764, RFC 7714). */
export type SrtpProfileName = 'SRTP_AES128_CM_SHA1_80' | 'SRTP_AES128_CM_SHA1_32' | 'SRTP_AEAD_AES_128_GCM' | 'SRTP_AEAD_AES_256_GCM';

/** The key and salt sizes of an SRTP protection profile. */
export interface SrtpProfileParams {
  id: number;
  /** The profile's name in dtls-stream's options and HandshakeInfo (OpenSSL's spelling). */
  name: SrtpProfileName;
  /** The name in IANA's DTLS-SRTP Protection Profiles registry (RFC 5764 4.1.2, RFC 7714 14.2); Chromium's getStats() reports it as srtpCipher. */
  ianaName: string;
  /** The SRTP crypto suite name (RFC 4568 6.2, RFC 7714 14.1), as SDES a=crypto lines spell it. */
  cryptoSuite: string;
  cipher: 'aes-cm' | 'aes-gcm';
  /** Master key and salt lengths in bytes. */
  keyLength: number;
  saltLength: number;
  /** SRTP authentication tag in bytes (HMAC-SHA1 truncated, or the GCM tag). */
  tagLength: number;
  /** HMAC-SHA1 session authentication key length (0 for AEAD). */
  authKeyLength: number;
}

/** RFC 5764 4.1.2 and RFC 7714 14.2, with the lengths of RFC 5764 4.2 / RFC 7714 12. */
export const SRTP_PROFILES: Readonly<Record<SrtpProfileName, Readonly<SrtpProfileParams>>> = {
  SRTP_AES128_CM_SHA1_80: {
    id: 0x0001,
    name: 'SRTP_AES128_CM_SHA1_80',
    ianaName: 'SRTP_AES128_CM_HMAC_SHA1_80',
    cryptoSuite: 'AES_CM_128_HMAC_SHA1_80',
    cipher: 'aes-cm',
    keyLength: 16,
    saltLength: 14,
    tagLength: 10,
    authKeyLength: 20,
  },
  SRTP_AES128_CM_SHA1_32: {
    id: 0x0002,
    name: 'SRTP_AES128_CM_SHA1_32',
    ianaName: 'SRTP_AES128_CM_HMAC_SHA1_32',
    cryptoSuite: 'AES_CM_128_HMAC_SHA1_32',
    cipher: 'aes-cm',
    keyLength: 16,
    saltLength: 14,
    tagLength: 4,
    authKeyLength: 20,
  },
  SRTP_AEAD_AES_128_GCM: {
    id: 0x0007,
    name: 'SRTP_AEAD_AES_128_GCM',
    ianaName: 'SRTP_AEAD_AES_128_GCM',
    cryptoSuite: 'AEAD_AES_128_GCM',
    cipher: 'aes-gcm',
    keyLength: 16,
    saltLength: 12,
    tagLength: 16,
    authKeyLength: 0,
  },
  SRTP_AEAD_AES_256_GCM: {
    id: 0x0008,
    name: 'SRTP_AEAD_AES_256_GCM',
    ianaName: 'SRTP_AEAD_AES_256_GCM',
    cryptoSuite: 'AEAD_AES_256_GCM',
    cipher: 'aes-gcm',
    keyLength: 32,
    saltLength: 12,
    tagLength: 16,
    authKeyLength: 0,
  },
};

/** The profile by its DTLS-SRTP id, name or IANA name; undefined when unknown. */
export function srtpProfile(idOrName: number | string): Readonly<SrtpProfileParams> | undefined {
  return Object.values(SRTP_PROFILES).find((p) => p.id === idOrName || p.name === idOrName || p.ianaName === idOrName);
}

/** An SRTP master key and salt. */
export interface SrtpMasterKey {
  /** keyLength bytes. */
  key: Uint8Array;
  /** saltLength bytes. */
  salt: Uint8Array;
}

/** DTLS-SRTP keys for both directions (RFC 5764 4.2). */
export interface SrtpKeys {
  profile: Readonly<SrtpProfileParams>;
  /** What the DTLS client protects with (and the server unprotects with). */
  client: SrtpMasterKey;
  /** What the DTLS server protects with (and the client unprotects with). */
  server: SrtpMasterKey;
}

/** DTLS-SRTP keys as local and remote for one DTLS role. */
export interface SrtpKeysForRole extends SrtpKeys {
  /** Ours, for what we send. */
  local: SrtpMasterKey;
  /** The peer's, for what we receive. */
  remote: SrtpMasterKey;
}

/** The exporter label of DTLS-SRTP (RFC 5764 4.2). */
export const DTLS_SRTP_EXPORTER_LABEL = 'EXTRACTOR-dtls_srtp';

/** Splits exporter output for `profile` (RFC 5764 4.2); the length must be exactly 2 * (key + salt). */
export function splitSrtpKeyingMaterial(material: Uint8Array, profile: number | string): SrtpKeys {
  const p = srtpProfile(profile);
  if (!p) throw new TypeError(`unknown SRTP profile ${String(profile)}`);
  const k = p.keyLength,
    s = p.saltLength;
  if (material.length !== 2 * (k + s)) throw new RangeError(`${p.name} needs ${2 * (k + s)} bytes of keying material, got ${material.length}`);
  return {
    profile: p,
    client: { key: material.slice(0, k), salt: material.slice(2 * k, 2 * k + s) },
    server: { key: material.slice(k, 2 * k), salt: material.slice(2 * k + s, 2 * (k + s)) },
  };
}

/** What srtpKeys() needs of a DtlsStream. */
export interface SrtpKeySource {
  readonly info: HandshakeInfo | undefined;
  /** RFC 5705 exporter. */
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array;
}

/**
 * The SRTP master keys and salts of a completed DTLS-SRTP handshake. With our
 * `role`, `local` and `remote` say which half protects what we send and which
 * unprotects what we receive. Throws TypeError before the handshake completed
 * or when no SRTP profile was negotiated.
 */
export function srtpKeys(dtls: SrtpKeySource): SrtpKeys;
export function srtpKeys(dtls: SrtpKeySource, role: Role): SrtpKeysForRole;
export function srtpKeys(dtls: SrtpKeySource, role?: Role): SrtpKeys | SrtpKeysForRole {
  const info = dtls.info;
  if (!info) throw new TypeError('SRTP keys exist only once the DTLS handshake completed');
  if (info.srtpProfileId === undefined) throw new TypeError('the handshake negotiated no SRTP profile (set options.srtpProfiles)');
  const p = srtpProfile(info.srtpProfileId);
  if (!p) throw new TypeError(`unknown SRTP profile 0x${info.srtpProfileId.toString(16)}`);
  const keys = splitSrtpKeyingMaterial(dtls.exportKeyingMaterial(DTLS_SRTP_EXPORTER_LABEL, undefined, 2 * (p.keyLength + p.saltLength)), p.id);
  if (role === undefined) return keys;
  if (role !== 'client' && role !== 'server') throw new TypeError(`role must be 'client' or 'server', not ${String(role)}`);
  return role === 'client' ? { ...keys, local: keys.client, remote: keys.server } : { ...keys, local: keys.server, remote: keys.client };
}
