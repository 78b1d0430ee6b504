// STUN messages (RFC 8489, formerly RFC 5389) as ICE uses them (RFC 8445 7):
// the codec, MESSAGE-INTEGRITY (HMAC-SHA1), FINGERPRINT (CRC-32 xor
// 0x5354554E) and the address attributes. Checked against RFC 5769's vectors.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |0 0|     STUN Message Type     |         Message Length        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         Magic Cookie                          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                     Transaction ID (96 bits)                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  attributes: Type (16) | Length (16) | Value, padded to 4n    |
//
// The message type interleaves a 12-bit method with a 2-bit class:
// M11..M7 C1 M6..M4 C0 M3..M0.
import { md5 } from '@noble/hashes/legacy.js';
import { nobleProvider } from '../crypto/noble.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { equalBytes, utf8 } from '../wire/codec.ts';
import { crc32 } from './crc.ts';
import { formatIp, parseIp } from './ip.ts';

/** The STUN magic cookie (RFC 8489 5). */
export const STUN_MAGIC_COOKIE = 0x2112a442;
/** The value FINGERPRINT's CRC-32 is XORed with (RFC 8489 14.7). */
export const STUN_FINGERPRINT_XOR = 0x5354554e;
const HEADER = 20;

/** STUN methods used here. */
export const StunMethod = { binding: 0x001 } as const;

/** The class of a STUN message. */
export type StunClass = 'request' | 'indication' | 'success' | 'error';
const CLASSES: readonly StunClass[] = ['request', 'indication', 'success', 'error'];

/** Attribute types used by STUN and ICE (RFC 8489 18.3, RFC 8445 16.1). */
export const StunAttribute = {
  MAPPED_ADDRESS: 0x0001,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  UNKNOWN_ATTRIBUTES: 0x000a,
  REALM: 0x0014,
  NONCE: 0x0015,
  MESSAGE_INTEGRITY_SHA256: 0x001c,
  USERHASH: 0x001e,
  XOR_MAPPED_ADDRESS: 0x0020,
  PRIORITY: 0x0024,
  USE_CANDIDATE: 0x0025,
  SOFTWARE: 0x8022,
  ALTERNATE_SERVER: 0x8023,
  FINGERPRINT: 0x8028,
  ICE_CONTROLLED: 0x8029,
  ICE_CONTROLLING: 0x802a,
} as const;

/** A STUN message that does not decode. */
export class StunDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StunDecodeError';
  }
}

/** One attribute as on the wire; unknown types survive a decode/encode round trip. */
export interface StunAttr {
  type: number;
  value: Uint8Array;
}

/** A STUN message to encode. */
export interface StunMessage {
  method: number;
  class: StunClass;
  /** 12 bytes. */
  transactionId: Uint8Array;
  /** In wire order, without MESSAGE-INTEGRITY and FINGERPRINT (the encoder adds those). */
  attributes: StunAttr[];
}

/** A decoded STUN message with its raw bytes (for integrity checks). */
export interface DecodedStunMessage extends StunMessage {
  /** The bytes it was decoded from (a view). */
  readonly raw: Uint8Array;
  /** MESSAGE-INTEGRITY: where its attribute header starts, and the HMAC. */
  readonly integrity: { readonly offset: number; readonly hmac: Uint8Array } | undefined;
  /** FINGERPRINT: where its attribute header starts, and its value. */
  readonly fingerprint: { readonly offset: number; readonly value: number } | undefined;
}

/** The 14-bit message type from a method and a class (RFC 8489 5). */
export function encodeMessageType(method: number, cls: StunClass): number {
  if (!Number.isInteger(method) || method < 0 || method > 0xfff) throw new RangeError(`STUN method must be 0..0xfff, not ${method}`);
  const c = CLASSES.indexOf(cls);
  if (c < 0) throw new TypeError(`unknown STUN class ${String(cls)}`);
  return (method & 0xf) | ((method & 0x70) << 1) | ((method & 0xf80) << 2) | ((c & 1) << 4) | ((c & 2) << 7);
}

/** The method and class of a message type. */
export function decodeMessageType(type: number): { method: number; class: StunClass } {
  const method = (type & 0xf) | ((type >> 1) & 0x70) | ((type >> 2) & 0xf80);
  return { method, class: CLASSES[((type >> 4) & 1) | ((type >> 7) & 2)]! };
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const pad4 = (n: number): number => (n + 3) & ~3;

/**
 * Whether a packet is a well-framed STUN message: top two bits zero, the magic
 * cookie, and a length (a multiple of 4) that matches the datagram.
 */
export function isStun(packet: Uint8Array): boolean {
  return (
    packet.length >= HEADER &&
    (packet[0]! & 0xc0) === 0 &&
    u32(packet, 4) === STUN_MAGIC_COOKIE &&
    u16(packet, 2) % 4 === 0 &&
    u16(packet, 2) + HEADER === packet.length
  );
}

/**
 * Decodes one whole datagram. Attributes after MESSAGE-INTEGRITY other than
 * FINGERPRINT are ignored (RFC 8489 14.5); FINGERPRINT must come last (14.7).
 */
export function decodeStun(packet: Uint8Array): DecodedStunMessage {
  if (packet.length < HEADER) throw new StunDecodeError(`a STUN message has at least ${HEADER} bytes, got ${packet.length}`);
  if (packet[0]! & 0xc0) throw new StunDecodeError('the first two bits of a STUN message are zero');
  if (u32(packet, 4) !== STUN_MAGIC_COOKIE) throw new StunDecodeError('no STUN magic cookie');
  const length = u16(packet, 2);
  if (length % 4) throw new StunDecodeError(`STUN message length ${length} is not a multiple of 4`);
  if (length + HEADER !== packet.length)
    throw new StunDecodeError(`STUN message length ${length} does not match the ${packet.length - HEADER} bytes after the header`);
  const { method, class: cls } = decodeMessageType(u16(packet, 0));
  const attributes: StunAttr[] = [];
  let integrity: DecodedStunMessage['integrity'];
  let fingerprint: DecodedStunMessage['fingerprint'];
  for (let at = HEADER; at < packet.length;) {
    if (fingerprint) throw new StunDecodeError('FINGERPRINT must be the last attribute');
    if (packet.length - at < 4) throw new StunDecodeError('truncated STUN attribute header');
    const type = u16(packet, at);
    const len = u16(packet, at + 2);
    if (at + 4 + pad4(len) > packet.length) throw new StunDecodeError(`STUN attribute 0x${type.toString(16)} of ${len} bytes overruns the message`);
    const value = packet.subarray(at + 4, at + 4 + len);
    if (type === StunAttribute.FINGERPRINT) {
      if (len !== 4) throw new StunDecodeError(`FINGERPRINT has 4 bytes, not ${len}`);
      fingerprint = { offset: at, value: u32(value, 0) };
    } else if (type === StunAttribute.MESSAGE_INTEGRITY && !integrity) {
      if (len !== 20) throw new StunDecodeError(`MESSAGE-INTEGRITY has 20 bytes, not ${len}`);
      integrity = { offset: at, hmac: value };
    } else if (!integrity) {
      attributes.push({ type, value });
    }
    at += 4 + pad4(len);
  }
  return { method, class: cls, transactionId: packet.subarray(8, HEADER), attributes, raw: packet, integrity, fingerprint };
}

/** Options of encodeStun(): MESSAGE-INTEGRITY key and FINGERPRINT. */
export interface EncodeStunOptions {
  /** Adds MESSAGE-INTEGRITY keyed with this (see shortTermKey / longTermKey). */
  integrityKey?: Uint8Array;
  /** Adds FINGERPRINT. */
  fingerprint?: boolean;
  /** The value of padding bytes (any value is allowed; RFC 5769's vectors use 0x20). Default 0. */
  padByte?: number;
  crypto?: CryptoProvider;
}

/** Encodes a STUN message, adding MESSAGE-INTEGRITY and FINGERPRINT when asked. */
export function encodeStun(msg: StunMessage, opts: EncodeStunOptions = {}): Uint8Array {
  if (!(msg.transactionId instanceof Uint8Array) || msg.transactionId.length !== 12) throw new TypeError('a STUN transaction ID has 12 bytes');
  const padByte = opts.padByte ?? 0;
  let size = HEADER;
  for (const a of msg.attributes) {
    if (a.type === StunAttribute.MESSAGE_INTEGRITY || a.type === StunAttribute.FINGERPRINT) {
      throw new TypeError('MESSAGE-INTEGRITY and FINGERPRINT are added by the encoder (options.integrityKey, options.fingerprint)');
    }
    if (!Number.isInteger(a.type) || a.type < 0 || a.type > 0xffff) throw new RangeError(`bad STUN attribute type ${a.type}`);
    if (a.value.length > 0xffff) throw new RangeError('STUN attribute value too long');
    size += 4 + pad4(a.value.length);
  }
  if (opts.integrityKey) size += 24;
  if (opts.fingerprint) size += 8;
  if (size - HEADER > 0xffff) throw new RangeError('STUN message too long');

  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint16(0, encodeMessageType(msg.method, msg.class));
  view.setUint32(4, STUN_MAGIC_COOKIE);
  out.set(msg.transactionId, 8);
  let at = HEADER;
  const put = (type: number, value: Uint8Array): void => {
    view.setUint16(at, type);
    view.setUint16(at + 2, value.length);
    out.set(value, at + 4);
    out.fill(padByte, at + 4 + value.length, at + 4 + pad4(value.length));
    at += 4 + pad4(value.length);
  };
  for (const a of msg.attributes) put(a.type, a.value);
  if (opts.integrityKey) {
    // The HMAC covers the message up to the attribute, with a length that already counts it.
    view.setUint16(2, at + 24 - HEADER);
    put(StunAttribute.MESSAGE_INTEGRITY, (opts.crypto ?? nobleProvider).hmac('sha1', opts.integrityKey, out.subarray(0, at)));
  }
  if (opts.fingerprint) {
    view.setUint16(2, at + 8 - HEADER);
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, (crc32(out.subarray(0, at)) ^ STUN_FINGERPRINT_XOR) >>> 0);
    put(StunAttribute.FINGERPRINT, value);
  }
  view.setUint16(2, at - HEADER);
  return out;
}

/** Whether MESSAGE-INTEGRITY is present and right for `key` (compared in constant time). */
export function checkIntegrity(msg: DecodedStunMessage, key: Uint8Array, provider: CryptoProvider = nobleProvider): boolean {
  if (!msg.integrity) return false;
  const covered = msg.raw.slice(0, msg.integrity.offset);
  const length = msg.integrity.offset + 24 - HEADER;
  covered[2] = length >> 8;
  covered[3] = length & 0xff;
  return equalBytes(provider.hmac('sha1', key, covered), msg.integrity.hmac);
}

/** Whether FINGERPRINT is present and right. */
export function checkFingerprint(msg: DecodedStunMessage): boolean {
  if (!msg.fingerprint) return false;
  return (crc32(msg.raw.subarray(0, msg.fingerprint.offset)) ^ STUN_FINGERPRINT_XOR) >>> 0 === msg.fingerprint.value;
}

/** The short-term credential key (RFC 8489 9.1.1): the password's UTF-8 bytes (already OpaqueString-prepared). */
export function shortTermKey(password: string): Uint8Array {
  return utf8(password);
}

/** The long-term credential key (RFC 8489 9.2.2): MD5(username ":" realm ":" password), inputs already prepared. */
export function longTermKey(username: string, realm: string, password: string): Uint8Array {
  return md5(utf8(`${username}:${realm}:${password}`));
}

// ---- attributes ----

/** The value of the first attribute of `type`, or undefined. */
export function getAttribute(msg: StunMessage, type: number): Uint8Array | undefined {
  return msg.attributes.find((a) => a.type === type)?.value;
}

/** An IP address and port. */
export interface TransportAddress {
  address: string;
  port: number;
}

/** An address decoded from a STUN attribute, with its family. */
export interface DecodedAddress extends TransportAddress {
  family: 'IPv4' | 'IPv6';
}

function encodeAddress(addr: TransportAddress, mask: Uint8Array | undefined): Uint8Array {
  const ip = parseIp(addr.address);
  if (!Number.isInteger(addr.port) || addr.port < 0 || addr.port > 0xffff) throw new RangeError(`bad port ${addr.port}`);
  const out = new Uint8Array(4 + ip.length);
  out[1] = ip.length === 4 ? 0x01 : 0x02;
  const port = mask ? addr.port ^ (STUN_MAGIC_COOKIE >>> 16) : addr.port;
  out[2] = port >> 8;
  out[3] = port & 0xff;
  for (let i = 0; i < ip.length; i++) out[4 + i] = ip[i]! ^ (mask ? mask[i]! : 0);
  return out;
}

function decodeAddress(value: Uint8Array, mask: Uint8Array | undefined): DecodedAddress {
  if (value.length < 4) throw new StunDecodeError('truncated address attribute');
  const family = value[1];
  const want = family === 0x01 ? 4 : family === 0x02 ? 16 : 0;
  if (!want) throw new StunDecodeError(`unknown address family ${family}`);
  if (value.length !== 4 + want) throw new StunDecodeError(`an ${want === 4 ? 'IPv4' : 'IPv6'} address attribute has ${4 + want} bytes, not ${value.length}`);
  let port = u16(value, 2);
  if (mask) port ^= STUN_MAGIC_COOKIE >>> 16;
  const ip = new Uint8Array(want);
  for (let i = 0; i < want; i++) ip[i] = value[4 + i]! ^ (mask ? mask[i]! : 0);
  return { family: want === 4 ? 'IPv4' : 'IPv6', address: formatIp(ip), port };
}

/** The XOR mask: the magic cookie, then (for IPv6) the transaction ID (RFC 8489 14.2). */
function xorMask(transactionId: Uint8Array): Uint8Array {
  const mask = new Uint8Array(16);
  new DataView(mask.buffer).setUint32(0, STUN_MAGIC_COOKIE);
  mask.set(transactionId, 4);
  return mask;
}

/** XOR-MAPPED-ADDRESS value (RFC 8489 14.2). */
export function encodeXorAddress(addr: TransportAddress, transactionId: Uint8Array): Uint8Array {
  return encodeAddress(addr, xorMask(transactionId));
}

/** Decodes an XOR-MAPPED-ADDRESS value. */
export function decodeXorAddress(value: Uint8Array, transactionId: Uint8Array): DecodedAddress {
  return decodeAddress(value, xorMask(transactionId));
}

/** MAPPED-ADDRESS value (RFC 8489 14.1). */
export function encodeMappedAddress(addr: TransportAddress): Uint8Array {
  return encodeAddress(addr, undefined);
}

/** Decodes a MAPPED-ADDRESS value. */
export function decodeMappedAddress(value: Uint8Array): DecodedAddress {
  return decodeAddress(value, undefined);
}

/** ERROR-CODE (RFC 8489 14.8): class and number, then a UTF-8 reason phrase. */
export function encodeErrorCode(code: number, reason: string): Uint8Array {
  if (!Number.isInteger(code) || code < 300 || code > 699) throw new RangeError(`STUN error codes are 300..699, not ${code}`);
  const text = utf8(reason);
  const out = new Uint8Array(4 + text.length);
  out[2] = Math.floor(code / 100);
  out[3] = code % 100;
  out.set(text, 4);
  return out;
}

/** Decodes an ERROR-CODE value. */
export function decodeErrorCode(value: Uint8Array): { code: number; reason: string } {
  if (value.length < 4) throw new StunDecodeError('truncated ERROR-CODE');
  return { code: (value[2]! & 0x7) * 100 + value[3]!, reason: new TextDecoder().decode(value.subarray(4)) };
}

/** A 32-bit big-endian attribute value. */
export function encodeU32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

/** Decodes a 32-bit big-endian attribute value. */
export function decodeU32(value: Uint8Array): number {
  if (value.length !== 4) throw new StunDecodeError(`expected a 4-byte attribute, got ${value.length}`);
  return u32(value, 0);
}
