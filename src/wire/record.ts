// DTLS 1.2 record layer framing (RFC 6347 4.1):
//   struct { ContentType type; ProtocolVersion version; uint16 epoch;
//            uint48 sequence_number; uint16 length; opaque fragment[length]; } DTLSPlaintext;
import { Reader, Writer } from './codec.ts';
import { ContentType, type DtlsRecord } from './types.ts';
import { uint } from './vectors.ts';

export const RECORD_HEADER_LENGTH = 13;
/** Largest fragment accepted (DTLSCiphertext bound, RFC 5246 6.2.3). */
export const MAX_RECORD_FRAGMENT = 2 ** 14 + 2048;
const MAX_SEQ = 2 ** 48 - 1;

function writeHeader(w: Writer, r: Omit<DtlsRecord, 'fragment'>, length: number): void {
  w.u8(uint(r.contentType, 0xff, 'record type'))
    .u16(uint(r.version, 0xffff, 'record version'))
    .u16(uint(r.epoch, 0xffff, 'record epoch'))
    .u48(uint(r.sequenceNumber, MAX_SEQ, 'record sequence number'))
    .u16(uint(length, MAX_RECORD_FRAGMENT, 'record length'));
}

/** The 13-byte header alone (e.g. as AEAD additional data input). */
export function encodeRecordHeader(r: Omit<DtlsRecord, 'fragment'> & { length: number }): Uint8Array {
  const w = new Writer(RECORD_HEADER_LENGTH);
  writeHeader(w, r, r.length);
  return w.finish();
}

export function writeRecord(w: Writer, r: DtlsRecord): void {
  writeHeader(w, r, r.fragment.length);
  w.bytes(r.fragment);
}

export function encodeRecord(r: DtlsRecord): Uint8Array {
  const w = new Writer(RECORD_HEADER_LENGTH + r.fragment.length);
  writeRecord(w, r);
  return w.finish();
}

/** A record of a datagram; `cid` is set on a tls12_cid record (RFC 9146 4, a view into the datagram). */
export interface SplitRecord extends DtlsRecord {
  cid?: Uint8Array;
}

/**
 * Splits a datagram into records (RFC 6347 4.1: several per datagram). A
 * truncated header, a length past the end or over MAX_RECORD_FRAGMENT stops
 * the split with malformed=true; earlier records are kept (RFC 6347 4.1.2.7).
 * `cidLength` > 0: tls12_cid records (RFC 9146 4) carry a CID of that many
 * bytes after the sequence number (the header does not say how long: it is
 * the receiver's own). Fragments and CIDs are views into `datagram`.
 */
export function decodeRecords(datagram: Uint8Array, cidLength = 0): { records: SplitRecord[]; malformed: boolean } {
  const records: SplitRecord[] = [];
  const r = new Reader(datagram);
  while (!r.done) {
    if (r.remaining < RECORD_HEADER_LENGTH) return { records, malformed: true };
    const contentType = r.u8();
    const version = r.u16();
    const epoch = r.u16();
    const sequenceNumber = r.u48();
    let cid: Uint8Array | undefined;
    if (cidLength > 0 && contentType === ContentType.tls12_cid) {
      if (r.remaining < cidLength + 2) return { records, malformed: true };
      cid = r.bytes(cidLength);
    }
    const length = r.u16();
    if (length > MAX_RECORD_FRAGMENT || length > r.remaining) return { records, malformed: true };
    const fragment = r.bytes(length);
    records.push(cid ? { contentType, version, epoch, sequenceNumber, cid, fragment } : { contentType, version, epoch, sequenceNumber, fragment });
  }
  return { records, malformed: false };
}
