// Enough SRTP to check DTLS-SRTP keys against a real peer: RFC 3711 session key
// derivation (the AES-CM PRF), and opening SRTP/SRTCP packets protected with
// AES-CM + HMAC-SHA1 (RFC 3711) or AES-GCM (RFC 7714). It authenticates before
// it decrypts. It is a checker, not an SRTP stack: no replay list, a
// key derivation rate of 0, no MKI, and a simple rollover counter estimate.
import { ctr, gcm } from '@noble/ciphers/aes.js';
import { nobleProvider } from '../crypto/noble.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { concat, equalBytes } from '../wire/codec.ts';
import { srtpProfile, type SrtpMasterKey, type SrtpProfileParams } from './srtp-keys.ts';

/** Key derivation labels (RFC 3711 4.3.1, 4.3.2). */
export const SrtpLabel = {
  rtpEncryption: 0x00,
  rtpAuthentication: 0x01,
  rtpSalt: 0x02,
  rtcpEncryption: 0x03,
  rtcpAuthentication: 0x04,
  rtcpSalt: 0x05,
} as const;

/**
 * AES in counter mode as SRTP uses it (RFC 3711 4.1.1): the 16-byte IV is the
 * initial counter block, incremented as a 128-bit big-endian number.
 */
export function aesCmKeystream(key: Uint8Array, iv: Uint8Array, length: number): Uint8Array {
  if (iv.length !== 16) throw new RangeError('the AES-CM IV has 16 bytes');
  return ctr(key, iv).encrypt(new Uint8Array(length));
}

/**
 * The AES-CM PRF (RFC 3711 4.3.1, 4.3.3) with key derivation rate 0: the
 * label sits in the salt at byte 7 (key_id = label || r with r = 0, right
 * aligned on the 112-bit salt), and the IV is that times 2^16. A 96-bit salt
 * (the AEAD profiles, RFC 7714 11) is padded with zero bits on the right to
 * 112 bits first, as libsrtp does.
 */
export function srtpKdf(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, length: number): Uint8Array {
  if (masterSalt.length !== 14 && masterSalt.length !== 12) throw new RangeError('the SRTP master salt has 14 (AES-CM) or 12 (AES-GCM) bytes');
  if (!Number.isInteger(label) || label < 0 || label > 255) throw new RangeError('an SRTP KDF label is one byte');
  const iv = new Uint8Array(16);
  iv.set(masterSalt);
  iv[7]! ^= label;
  return aesCmKeystream(masterKey, iv, length);
}

/** SRTP session keys derived from a master key (RFC 3711 4.3). */
export interface SrtpSessionKeys {
  profile: Readonly<SrtpProfileParams>;
  encryptionKey: Uint8Array;
  /** 14 bytes (AES-CM) or 12 (AES-GCM). */
  salt: Uint8Array;
  /** HMAC-SHA1 key (AES-CM profiles), 20 bytes; empty for AEAD. */
  authKey: Uint8Array;
}

/** Session keys for SRTP ('rtp') or SRTCP ('rtcp') from one side's master key and salt. */
export function deriveSrtpSessionKeys(
  profile: number | string | Readonly<SrtpProfileParams>,
  master: SrtpMasterKey,
  which: 'rtp' | 'rtcp' = 'rtp',
): SrtpSessionKeys {
  const p = typeof profile === 'object' ? profile : srtpProfile(profile);
  if (!p) throw new TypeError(`unknown SRTP profile ${String(profile)}`);
  if (master.key.length !== p.keyLength || master.salt.length !== p.saltLength)
    throw new RangeError(`${p.name} needs a ${p.keyLength}-byte key and a ${p.saltLength}-byte salt`);
  const base = which === 'rtp' ? SrtpLabel.rtpEncryption : SrtpLabel.rtcpEncryption;
  return {
    profile: p,
    encryptionKey: srtpKdf(master.key, master.salt, base, p.keyLength),
    authKey: p.authKeyLength ? srtpKdf(master.key, master.salt, base + 1, p.authKeyLength) : new Uint8Array(0),
    salt: srtpKdf(master.key, master.salt, base + 2, p.saltLength),
  };
}

// ---- RTP ----

/** The fields of an RTP header (RFC 3550 5.1). */
export interface RtpHeader {
  padding: boolean;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrc: number[];
  /** The header extension (RFC 3550 5.3.1), when the X bit is set. */
  extension: { profile: number; data: Uint8Array } | undefined;
  /** Bytes of the header, CSRCs and extension included: where the payload starts. */
  length: number;
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** Parses an RTP header (RFC 3550 5.1); throws TypeError when it is not one. */
export function parseRtpHeader(packet: Uint8Array): RtpHeader {
  if (packet.length < 12) throw new TypeError('an RTP packet has at least 12 bytes');
  const b0 = packet[0]!;
  if (b0 >> 6 !== 2) throw new TypeError('not RTP version 2');
  const cc = b0 & 0x0f;
  let length = 12 + 4 * cc;
  if (packet.length < length) throw new TypeError('truncated CSRC list');
  const csrc = Array.from({ length: cc }, (_, i) => u32(packet, 12 + 4 * i));
  let extension: RtpHeader['extension'];
  if (b0 & 0x10) {
    if (packet.length < length + 4) throw new TypeError('truncated RTP header extension');
    const words = u16(packet, length + 2);
    if (packet.length < length + 4 + 4 * words) throw new TypeError('truncated RTP header extension');
    extension = { profile: u16(packet, length), data: packet.subarray(length + 4, length + 4 + 4 * words) };
    length += 4 + 4 * words;
  }
  return {
    padding: (b0 & 0x20) !== 0,
    marker: (packet[1]! & 0x80) !== 0,
    payloadType: packet[1]! & 0x7f,
    sequenceNumber: u16(packet, 2),
    timestamp: u32(packet, 4),
    ssrc: u32(packet, 8),
    csrc,
    extension,
    length,
  };
}

/** The result of opening an SRTP or SRTCP packet. */
export type OpenResult<T> = ({ ok: true } & T) | { ok: false; reason: 'malformed' | 'auth_failed' };

function roc32(roc: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, roc >>> 0);
  return b;
}

/** The AES-CM IV (RFC 3711 4.1.1): (salt * 2^16) xor (SSRC * 2^64) xor (index * 2^16). */
function cmIv(salt: Uint8Array, ssrc: number, index: number): Uint8Array {
  const iv = new Uint8Array(16);
  iv.set(salt);
  const v = new DataView(iv.buffer);
  v.setUint32(4, v.getUint32(4) ^ ssrc);
  v.setUint16(8, v.getUint16(8) ^ Math.floor(index / 2 ** 32));
  v.setUint32(10, v.getUint32(10) ^ (index >>> 0));
  return iv;
}

/** The GCM IV for SRTP (RFC 7714 8.1): (00 00 || SSRC || ROC || SEQ) xor salt. */
function gcmRtpIv(salt: Uint8Array, ssrc: number, roc: number, seq: number): Uint8Array {
  const iv = new Uint8Array(12);
  const v = new DataView(iv.buffer);
  v.setUint32(2, ssrc);
  v.setUint32(6, roc >>> 0);
  v.setUint16(10, seq);
  for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
  return iv;
}

/** The GCM IV for SRTCP (RFC 7714 9.1): (00 00 || SSRC || 00 00 || 0 || index) xor salt. */
function gcmRtcpIv(salt: Uint8Array, ssrc: number, index: number): Uint8Array {
  const iv = new Uint8Array(12);
  const v = new DataView(iv.buffer);
  v.setUint32(2, ssrc);
  v.setUint32(8, index & 0x7fffffff);
  for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
  return iv;
}

function hmacTag(keys: SrtpSessionKeys, data: Uint8Array, provider: CryptoProvider): Uint8Array {
  return provider.hmac('sha1', keys.authKey, data).subarray(0, keys.profile.tagLength);
}

/**
 * Authenticates and decrypts one SRTP packet with the sender's session keys,
 * given its rollover counter (0 until its sequence number wraps).
 */
export function openSrtp(
  packet: Uint8Array,
  keys: SrtpSessionKeys,
  roc = 0,
  provider: CryptoProvider = nobleProvider,
): OpenResult<{ header: RtpHeader; payload: Uint8Array; index: number }> {
  let header: RtpHeader;
  try {
    header = parseRtpHeader(packet);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const tagLength = keys.profile.tagLength;
  if (packet.length < header.length + tagLength) return { ok: false, reason: 'malformed' };
  const index = roc * 65536 + header.sequenceNumber;
  const head = packet.subarray(0, header.length);
  if (keys.profile.cipher === 'aes-gcm') {
    try {
      const payload = gcm(keys.encryptionKey, gcmRtpIv(keys.salt, header.ssrc, roc, header.sequenceNumber), head).decrypt(packet.subarray(header.length));
      return { ok: true, header, payload, index };
    } catch {
      return { ok: false, reason: 'auth_failed' };
    }
  }
  const body = packet.subarray(0, packet.length - tagLength);
  const tag = packet.subarray(packet.length - tagLength);
  if (!equalBytes(hmacTag(keys, concat(body, roc32(roc)), provider), tag)) return { ok: false, reason: 'auth_failed' };
  const payload = ctr(keys.encryptionKey, cmIv(keys.salt, header.ssrc, index)).decrypt(body.subarray(header.length));
  return { ok: true, header, payload, index };
}

/** Protects one RTP packet (header and payload in clear): the inverse of openSrtp, for tests. */
export function protectSrtp(rtp: Uint8Array, keys: SrtpSessionKeys, roc = 0, provider: CryptoProvider = nobleProvider): Uint8Array {
  const header = parseRtpHeader(rtp);
  const head = rtp.subarray(0, header.length);
  if (keys.profile.cipher === 'aes-gcm') {
    return concat(head, gcm(keys.encryptionKey, gcmRtpIv(keys.salt, header.ssrc, roc, header.sequenceNumber), head).encrypt(rtp.subarray(header.length)));
  }
  const index = roc * 65536 + header.sequenceNumber;
  const body = concat(head, ctr(keys.encryptionKey, cmIv(keys.salt, header.ssrc, index)).encrypt(rtp.subarray(header.length)));
  return concat(body, hmacTag(keys, concat(body, roc32(roc)), provider));
}

// ---- RTCP ----

/**
 * Authenticates and decrypts one SRTCP packet with the sender's SRTCP session
 * keys (RFC 3711 3.4; RFC 7714 9). Returns the RTCP compound packet in clear.
 *
 *   AES-CM:  header(8) | encrypted | E+index(4) | tag(10 or 4)
 *   AES-GCM: header(8) | encrypted | tag(16) | E+index(4)
 */
export function openSrtcp(
  packet: Uint8Array,
  keys: SrtpSessionKeys,
  provider: CryptoProvider = nobleProvider,
): OpenResult<{ rtcp: Uint8Array; index: number; encrypted: boolean; ssrc: number }> {
  const tagLength = keys.profile.tagLength;
  if (packet.length < 8 + 4 + tagLength || packet[0]! >> 6 !== 2) return { ok: false, reason: 'malformed' };
  const ssrc = u32(packet, 4);
  const head = packet.subarray(0, 8);
  if (keys.profile.cipher === 'aes-gcm') {
    const trailer = packet.subarray(packet.length - 4);
    const eIndex = u32(trailer, 0);
    const encrypted = eIndex >>> 31 === 1;
    const index = eIndex & 0x7fffffff;
    const sealed = packet.subarray(8, packet.length - 4); // ciphertext and tag
    const iv = gcmRtcpIv(keys.salt, ssrc, index);
    try {
      if (encrypted) {
        const rest = gcm(keys.encryptionKey, iv, concat(head, trailer)).decrypt(sealed);
        return { ok: true, rtcp: concat(head, rest), index, encrypted, ssrc };
      }
      // Unencrypted SRTCP: the whole RTCP packet is AAD and the "ciphertext" is only the tag (RFC 7714 9.2).
      const clear = packet.subarray(0, packet.length - 4 - 16);
      gcm(keys.encryptionKey, iv, concat(clear, trailer)).decrypt(sealed.subarray(sealed.length - 16));
      return { ok: true, rtcp: clear.slice(), index, encrypted, ssrc };
    } catch {
      return { ok: false, reason: 'auth_failed' };
    }
  }
  const authed = packet.subarray(0, packet.length - tagLength);
  const tag = packet.subarray(packet.length - tagLength);
  if (!equalBytes(hmacTag(keys, authed, provider), tag)) return { ok: false, reason: 'auth_failed' };
  const eIndex = u32(authed, authed.length - 4);
  const encrypted = eIndex >>> 31 === 1;
  const index = eIndex & 0x7fffffff;
  const body = authed.subarray(8, authed.length - 4);
  const rest = encrypted ? ctr(keys.encryptionKey, cmIv(keys.salt, ssrc, index)).decrypt(body) : body;
  return { ok: true, rtcp: concat(head, rest), index, encrypted, ssrc };
}

/** Protects one RTCP compound packet with SRTCP index `index`, encrypted unless `encrypt` is false: the inverse of openSrtcp, for tests. */
export function protectSrtcp(rtcp: Uint8Array, keys: SrtpSessionKeys, index: number, encrypt = true, provider: CryptoProvider = nobleProvider): Uint8Array {
  if (rtcp.length < 8 || rtcp[0]! >> 6 !== 2) throw new TypeError('not an RTCP packet');
  if (!Number.isInteger(index) || index < 0 || index > 0x7fffffff) throw new RangeError('the SRTCP index is 31 bits');
  const ssrc = u32(rtcp, 4);
  const head = rtcp.subarray(0, 8);
  const trailer = new Uint8Array(4);
  new DataView(trailer.buffer).setUint32(0, ((encrypt ? 0x80000000 : 0) | index) >>> 0);
  if (keys.profile.cipher === 'aes-gcm') {
    const iv = gcmRtcpIv(keys.salt, ssrc, index);
    if (!encrypt) return concat(rtcp, gcm(keys.encryptionKey, iv, concat(rtcp, trailer)).encrypt(new Uint8Array(0)), trailer);
    return concat(head, gcm(keys.encryptionKey, iv, concat(head, trailer)).encrypt(rtcp.subarray(8)), trailer);
  }
  const body = encrypt ? ctr(keys.encryptionKey, cmIv(keys.salt, ssrc, index)).encrypt(rtcp.subarray(8)) : rtcp.subarray(8);
  const authed = concat(head, body, trailer);
  return concat(authed, hmacTag(keys, authed, provider));
}

/**
 * Opens a stream of SRTP packets from one sender, estimating each SSRC's
 * rollover counter from its sequence numbers (RFC 3711 3.3.1, Appendix A).
 * The estimate only advances on packets that authenticate.
 */
export class SrtpChecker {
  readonly #keys: SrtpSessionKeys;
  readonly #provider: CryptoProvider;
  readonly #streams = new Map<number, { roc: number; highest: number }>();

  constructor(keys: SrtpSessionKeys, provider: CryptoProvider = nobleProvider) {
    this.#keys = keys;
    this.#provider = provider;
  }

  /** Authenticates and decrypts one SRTP packet, tracking the rollover counter. */
  open(packet: Uint8Array): ReturnType<typeof openSrtp> {
    let header: RtpHeader;
    try {
      header = parseRtpHeader(packet);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const s = this.#streams.get(header.ssrc);
    const seq = header.sequenceNumber;
    let roc = 0;
    if (s) {
      roc = s.roc;
      if (s.highest < 32768) {
        if (seq - s.highest > 32768) roc = s.roc - 1;
      } else if (s.highest - 32768 > seq) {
        roc = s.roc + 1;
      }
    }
    if (roc < 0) return { ok: false, reason: 'malformed' };
    const r = openSrtp(packet, this.#keys, roc, this.#provider);
    if (r.ok && (!s || roc > s.roc || (roc === s.roc && seq > s.highest))) this.#streams.set(header.ssrc, { roc, highest: seq });
    return r;
  }
}
