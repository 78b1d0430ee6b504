// DTLS 1.3 record framing (RFC 9147 4): a datagram holds DTLSPlaintext records
// (the 13-byte header of DTLS 1.2, for alert, handshake and ack in epoch 0) and
// DTLSCiphertext records behind the variable unified header:
//
//   0 1 2 3 4 5 6 7
//   |0|0|1|C|S|L|E E|   C: CID present, S: 16-bit sequence number, L: length present,
//   | Connection ID |   EE: low 2 bits of the epoch; CID of the negotiated length;
//   | 8/16-bit seq  |   sequence number encrypted (RFC 9147 4.2.3);
//   | 16-bit length |   length optional: without it the record fills the datagram.
//
// The header bytes as sent, with the sequence number in the clear, are the AEAD
// additional data (RFC 9147 4); decoding returns the header as a view holding
// the masked sequence number, and where that number sits so the record layer can
// unmask it and rebuild the additional data.
import { Writer } from './codec.ts';
import { ContentType } from './types.ts';
import { uint } from './vectors.ts';

/** Fixed bits 001 of the first byte (RFC 9147 4); the mask picks them out. */
export const UNIFIED_HEADER_FIXED = 0x20;
const FIXED_MASK = 0xe0;
export const UNIFIED_C = 0x10;
export const UNIFIED_S = 0x08;
export const UNIFIED_L = 0x04;
const EPOCH_BITS = 0x03;

/** DTLSPlaintext header length (RFC 9147 4, same as DTLS 1.2). */
export const PLAINTEXT_HEADER_LENGTH = 13;
/** DTLSPlaintext.length bound (RFC 8446 5.1: 2^14). */
export const MAX_PLAINTEXT_13 = 2 ** 14;
/** DTLSCiphertext length bound (RFC 8446 5.2: 2^14 + 256). */
export const MAX_CIPHERTEXT_13 = 2 ** 14 + 256;
/** Record number encryption samples the first 16 ciphertext bytes (RFC 9147 4.2.3). */
export const SEQUENCE_MASK_SAMPLE = 16;

/** True if `firstByte` starts a unified header (leading bits 001). */
export function isUnifiedHeader(firstByte: number): boolean {
  return (firstByte & FIXED_MASK) === UNIFIED_HEADER_FIXED;
}

/** The content types a DTLS 1.3 receiver reads as DTLSPlaintext (RFC 9147 4.1). */
export function isPlaintext13(firstByte: number): boolean {
  return firstByte === ContentType.alert || firstByte === ContentType.handshake || firstByte === ContentType.ack;
}

/** A DTLSPlaintext record (epoch 0 in DTLS 1.3); views into the datagram. */
export interface PlaintextRecord13 {
  kind: 'plaintext';
  contentType: number;
  /** legacy_record_version: ignored for all purposes (RFC 9147 4). */
  version: number;
  /** The low 16 bits of the epoch. */
  epoch: number;
  /** 48-bit sequence number (in the clear for plaintext records). */
  sequenceNumber: number;
  header: Uint8Array;
  fragment: Uint8Array;
}

/** A DTLSCiphertext record as framed; views into the datagram. */
export interface CiphertextRecord13 {
  kind: 'ciphertext';
  /** The connection ID, present when the C bit is set. */
  cid: Uint8Array | undefined;
  /** The low 2 bits of the epoch. */
  epochBits: number;
  /** 8 or 16 (the S bit). */
  sequenceBits: 8 | 16;
  /** The sequence number bits as received, still encrypted (RFC 9147 4.2.3). */
  maskedSequence: number;
  /** Whether the L bit was set (a length field is present). */
  lengthPresent: boolean;
  /** The unified header as received (masked sequence number). */
  header: Uint8Array;
  /** Offset of the sequence number bytes within `header`. */
  sequenceOffset: number;
  /** The encrypted DTLSInnerPlaintext. */
  encryptedRecord: Uint8Array;
}

export type Record13 = PlaintextRecord13 | CiphertextRecord13;

export type DropReason13 =
  | 'truncated_header' // fewer bytes than the header needs
  | 'bad_length' // a length past the datagram's end or over the RFC bound
  | 'unknown_first_byte' // neither 21/22/26 nor 001xxxxx (RFC 9147 4.1: rejected)
  | 'unexpected_cid'; // the C bit set where no CID is expected (its length is unknown)

export interface DecodedDatagram13 {
  records: Record13[];
  /** Why the split stopped early; earlier records are kept (RFC 9147 4.5.2). */
  dropped: DropReason13 | undefined;
  /** Bytes left unread when `dropped` is set. */
  droppedBytes: number;
}

export interface UnifiedDecodeOptions {
  /**
   * Length of the CID this endpoint asked its peer to send (0 or absent: none).
   * The header does not carry it (RFC 9147 4), so the receiver must know it.
   */
  cidLength?: number;
}

/**
 * Splits a datagram into DTLS 1.3 records of both forms, in order. The split
 * stops at the first record that cannot be framed (counted by the caller as a
 * drop), keeping the ones before it. The codec does not judge content: a
 * ciphertext shorter than 16 bytes, a CID that belongs to another association
 * or a plaintext record outside epoch 0 are the record layer's to reject.
 */
export function decodeDatagram13(datagram: Uint8Array, opts?: UnifiedDecodeOptions): DecodedDatagram13 {
  const cidLength = opts?.cidLength ?? 0;
  if (cidLength !== 0) uint(cidLength, 255, 'cidLength');
  const records: Record13[] = [];
  const d = datagram,
    end = d.length;
  let at = 0;
  // Direct indexing rather than a Reader: this runs once per received record.
  while (at < end) {
    const first = d[at]!;
    const left = end - at;
    if (isPlaintext13(first)) {
      if (left < PLAINTEXT_HEADER_LENGTH) return stopped(records, 'truncated_header', left);
      const length = (d[at + 11]! << 8) | d[at + 12]!;
      if (length > MAX_PLAINTEXT_13 || length > left - PLAINTEXT_HEADER_LENGTH) return stopped(records, 'bad_length', left);
      const body = at + PLAINTEXT_HEADER_LENGTH;
      records.push({
        kind: 'plaintext',
        contentType: first,
        version: (d[at + 1]! << 8) | d[at + 2]!,
        epoch: (d[at + 3]! << 8) | d[at + 4]!,
        sequenceNumber: ((d[at + 5]! << 8) | d[at + 6]!) * 0x1_0000_0000 + ((d[at + 7]! << 24) >>> 0) + ((d[at + 8]! << 16) | (d[at + 9]! << 8) | d[at + 10]!),
        header: d.subarray(at, body),
        fragment: d.subarray(body, body + length),
      });
      at = body + length;
      continue;
    }
    if (!isUnifiedHeader(first)) return stopped(records, 'unknown_first_byte', left);
    const hasCid = (first & UNIFIED_C) !== 0;
    if (hasCid && cidLength === 0) return stopped(records, 'unexpected_cid', left);
    const sequenceBits = first & UNIFIED_S ? 16 : 8;
    const lengthPresent = (first & UNIFIED_L) !== 0;
    const sequenceOffset = 1 + (hasCid ? cidLength : 0);
    const headerLength = sequenceOffset + sequenceBits / 8 + (lengthPresent ? 2 : 0);
    if (left < headerLength) return stopped(records, 'truncated_header', left);
    const s = at + sequenceOffset;
    const maskedSequence = sequenceBits === 16 ? (d[s]! << 8) | d[s + 1]! : d[s]!;
    const body = at + headerLength;
    const length = lengthPresent ? (d[body - 2]! << 8) | d[body - 1]! : end - body;
    if (length > MAX_CIPHERTEXT_13 || length > end - body) return stopped(records, 'bad_length', left);
    records.push({
      kind: 'ciphertext',
      cid: hasCid ? d.subarray(at + 1, s) : undefined,
      epochBits: first & EPOCH_BITS,
      sequenceBits,
      maskedSequence,
      lengthPresent,
      header: d.subarray(at, body),
      sequenceOffset,
      encryptedRecord: d.subarray(body, body + length),
    });
    at = body + length;
  }
  return { records, dropped: undefined, droppedBytes: 0 };
}

function stopped(records: Record13[], dropped: DropReason13, droppedBytes: number): DecodedDatagram13 {
  return { records, dropped, droppedBytes };
}

/** What a sender chooses for one DTLSCiphertext header. */
export interface UnifiedHeader {
  /** The full epoch or its low bits; only the low 2 bits go on the wire. */
  epoch: number;
  /** The full sequence number; its low 8 or 16 bits go on the wire. */
  sequenceNumber: number;
  /** 8 or 16; default 16 (RFC 9147 4: 8 bits only where reordering is slight). */
  sequenceBits?: 8 | 16;
  /** Omit the length field (L = 0): only for the last record of a datagram. */
  omitLength?: boolean;
  /** The CID the peer asked for; absent or empty: the C bit stays clear. */
  cid?: Uint8Array;
}

/** Header bytes of `h` for an encrypted record of `length` bytes, sequence number in the clear (the AEAD additional data). */
export function encodeUnifiedHeader(h: UnifiedHeader, length: number): Uint8Array {
  const w = new Writer(5 + (h.cid?.length ?? 0));
  writeUnifiedHeader(w, h, length);
  return w.finish();
}

function writeUnifiedHeader(w: Writer, h: UnifiedHeader, length: number): void {
  if (!Number.isSafeInteger(h.epoch) || h.epoch < 0) throw new RangeError(`epoch ${h.epoch} is not a non-negative integer`);
  if (!Number.isSafeInteger(h.sequenceNumber) || h.sequenceNumber < 0)
    throw new RangeError(`sequence number ${h.sequenceNumber} is not a non-negative integer`);
  uint(length, MAX_CIPHERTEXT_13, 'encrypted record length');
  const bits = h.sequenceBits ?? 16;
  if (bits !== 8 && bits !== 16) throw new RangeError(`sequenceBits ${String(bits)}: 8 or 16`);
  const cid = h.cid !== undefined && h.cid.length > 0 ? h.cid : undefined;
  if (cid !== undefined && cid.length > 255) throw new RangeError(`CID of ${cid.length} bytes: at most 255`);
  w.u8(UNIFIED_HEADER_FIXED | (cid ? UNIFIED_C : 0) | (bits === 16 ? UNIFIED_S : 0) | (h.omitLength ? 0 : UNIFIED_L) | (h.epoch % 4));
  if (cid) w.bytes(cid);
  if (bits === 16) w.u16(h.sequenceNumber % 0x10000);
  else w.u8(h.sequenceNumber % 0x100);
  if (!h.omitLength) w.u16(length);
}

/** Offset of the sequence number bytes in a header encoded from `h`. */
export function unifiedSequenceOffset(h: Pick<UnifiedHeader, 'cid'>): number {
  return 1 + (h.cid?.length ?? 0);
}

/**
 * One DTLSCiphertext record: header then encrypted record. The sequence number
 * is written in the clear; the record layer masks it in place afterwards
 * (applySequenceMask) once the ciphertext, and so the mask, exists.
 */
export function encodeCiphertextRecord(h: UnifiedHeader, encryptedRecord: Uint8Array): Uint8Array {
  const w = new Writer(5 + (h.cid?.length ?? 0) + encryptedRecord.length);
  writeUnifiedHeader(w, h, encryptedRecord.length);
  w.bytes(encryptedRecord);
  return w.finish();
}

/**
 * XORs the leading bytes of `mask` (RFC 9147 4.2.3: AES-ECB or ChaCha20 of the
 * first 16 ciphertext bytes) into the `sequenceBits / 8` bytes at `offset` of
 * `header`, in place: the same call masks and unmasks.
 */
export function applySequenceMask(header: Uint8Array, offset: number, sequenceBits: 8 | 16, mask: Uint8Array): void {
  const n = sequenceBits / 8;
  if (mask.length < n) throw new RangeError(`sequence mask of ${mask.length} bytes`);
  if (offset < 1 || offset + n > header.length) throw new RangeError(`sequence offset ${offset} outside the header`);
  for (let i = 0; i < n; i++) header[offset + i] = header[offset + i]! ^ mask[i]!;
}

/** The low sequence bits once unmasked: the masked value XOR the mask's leading bytes. */
export function unmaskSequence(maskedSequence: number, sequenceBits: 8 | 16, mask: Uint8Array): number {
  if (mask.length < sequenceBits / 8) throw new RangeError(`sequence mask of ${mask.length} bytes`);
  return sequenceBits === 16 ? maskedSequence ^ ((mask[0]! << 8) | mask[1]!) : maskedSequence ^ mask[0]!;
}

/**
 * The AEAD additional data of a received record: a copy of its header with the
 * sequence number bytes put back in the clear (RFC 9147 4). `low` is the
 * unmasked low sequence bits (unmaskSequence).
 */
export function additionalData13(rec: Pick<CiphertextRecord13, 'header' | 'sequenceOffset' | 'sequenceBits'>, low: number): Uint8Array {
  const ad = rec.header.slice();
  if (rec.sequenceBits === 16) {
    ad[rec.sequenceOffset] = (low >>> 8) & 0xff;
    ad[rec.sequenceOffset + 1] = low & 0xff;
  } else ad[rec.sequenceOffset] = low & 0xff;
  return ad;
}

/** A DTLSPlaintext record of DTLS 1.3 (legacy_record_version 0xfefd unless told otherwise). */
export function encodePlaintextRecord13(r: {
  contentType: number;
  epoch?: number;
  sequenceNumber: number;
  version?: number;
  fragment: Uint8Array;
}): Uint8Array {
  const w = new Writer(PLAINTEXT_HEADER_LENGTH + r.fragment.length);
  w.u8(uint(r.contentType, 0xff, 'content type'))
    .u16(uint(r.version ?? 0xfefd, 0xffff, 'legacy_record_version'))
    .u16(uint(r.epoch ?? 0, 0xffff, 'epoch'))
    .u48(uint(r.sequenceNumber, 2 ** 48 - 1, 'sequence number'))
    .u16(uint(r.fragment.length, MAX_PLAINTEXT_13, 'plaintext length'))
    .bytes(r.fragment);
  return w.finish();
}
