// The DTLS 1.3 record format (RFC 9147 4) as the epoch and replay manager
// uses it: epoch 0 stays DTLSPlaintext (the 13-byte header of DTLS 1.2, only
// alert, handshake and ack); every keyed epoch uses the unified header, written
// here with a 16-bit sequence number and a length (so records pack into one
// datagram), read in every form the peer may choose (8 or 16 bits, with or
// without length). Records carry a connection ID (the C bit) once one is
// negotiated (RFC 9147 9): its length is ours to know (cid.ts), not the header's.
import { ContentType, ProtocolVersion } from '../wire/types.ts';
import { encodeRecord } from '../wire/record.ts';
import { PLAINTEXT_HEADER_LENGTH, decodeDatagram13, type CiphertextRecord13, type PlaintextRecord13 } from '../wire/unified-header.ts';
import { reconstructEpoch, reconstructSequenceNumber } from '../wire/record-number.ts';
import type { RecordProtection13 } from './protection13.ts';

/** Header bytes we write in front of a keyed 1.3 record: first byte, 16-bit sequence number, 16-bit length. */
export const UNIFIED_HEADER_WRITTEN = 5;

export interface Split13 {
  /** In datagram order, so records are handled in the order they came. */
  order: (PlaintextRecord13 | CiphertextRecord13)[];
  malformed: boolean;
  /** The bytes the split stopped at (empty when it read them all). */
  rest: Uint8Array;
}

/**
 * The records of a datagram in both forms; the split stops at the first that
 * cannot be framed (RFC 9147 4.5.2). `cidLength`: bytes of CID in a record with
 * the C bit (the length of ours; 0: such a record ends the split).
 */
export function split13(datagram: Uint8Array, cidLength = 0): Split13 {
  const d = decodeDatagram13(datagram, { cidLength });
  return { order: d.records, malformed: d.dropped !== undefined, rest: datagram.subarray(datagram.length - d.droppedBytes) };
}

/**
 * The full epoch of a ciphertext record from its 2 bits (RFC 9147 4.2.2):
 * the current read epoch, the next one, or a recent past one. Epochs 0 (plaintext
 * only) and 1 (0-RTT, never accepted) never carry ciphertext here: undefined.
 */
export function epochOf13(bits: number, readEpoch: number): number | undefined {
  // Before any key, the handshake's fixed epochs: 2 (handshake) and 3 (application).
  if (readEpoch < 2) return bits >= 2 ? bits : undefined;
  const e = reconstructEpoch(bits, readEpoch, true);
  return e === undefined || e < 2 ? undefined : e;
}

/**
 * Unmasks and reconstructs the sequence number of a ciphertext record against
 * the highest one deprotected so far in its epoch (RFC 9147 4.2.2, 4.2.3);
 * undefined when the record is too short to carry the mask's sample.
 */
export function sequenceOf13(p: RecordProtection13, r: CiphertextRecord13, top: number | undefined): number | undefined {
  const low = p.unmaskSequence(r.header, r.encryptedRecord);
  if (low === undefined) return undefined;
  return reconstructSequenceNumber(low, r.sequenceBits, top === undefined ? 0 : top + 1);
}

/** A keyed record: unified header (the peer's CID if any, 16-bit sequence number, length) and the protected inner plaintext. */
export function seal13(p: RecordProtection13, epoch: number, seq: number, contentType: number, payload: Uint8Array, cid?: Uint8Array): Uint8Array {
  // The header goes straight into the record's buffer (no header or Writer per record).
  return p.sealRecord(epoch, seq, contentType, payload, cid !== undefined && cid.length > 0 ? cid : undefined);
}

/** An epoch-0 record: DTLSPlaintext, legacy_record_version 0xfefd (RFC 9147 4). */
export function plaintext13(contentType: number, seq: number, payload: Uint8Array, version: number = ProtocolVersion.DTLS1_2): Uint8Array {
  return encodeRecord({ contentType, version, epoch: 0, sequenceNumber: seq, fragment: payload });
}

/** Bytes a 1.3 record adds around its payload: the header (with `cidLength` bytes of CID), the inner content type and the tag. */
export function overhead13(epoch: number, p: RecordProtection13 | null, cidLength = 0): number {
  if (epoch === 0 || !p) return PLAINTEXT_HEADER_LENGTH;
  return UNIFIED_HEADER_WRITTEN + cidLength + 1 + p.tagLength;
}

/** Content types a DTLS 1.3 epoch-0 record may carry (RFC 9147 4.1). */
export function plaintextAllowed13(contentType: number): boolean {
  return contentType === ContentType.handshake || contentType === ContentType.alert || contentType === ContentType.ack;
}
