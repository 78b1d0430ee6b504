// The DTLS 1.2 record with a connection ID (RFC 9146 4):
//   struct { ContentType outer_type = tls12_cid; ProtocolVersion version;
//            uint16 epoch; uint48 sequence_number;
//            opaque cid[cid_length];   // the receiver's, length known only to it
//            uint16 length; opaque enc_content[length]; } DTLSCiphertext;
// The header does not say how long the CID is: a receiver splits a datagram
// with the length of its own CIDs. Records of other types keep the 13-byte
// header of RFC 6347 4.1 (epoch 0, and the direction that asked for no CID).
import { Reader } from './codec.ts';
import { ContentType, type DtlsRecord } from './types.ts';
import { MAX_RECORD_FRAGMENT, RECORD_HEADER_LENGTH } from './record.ts';

/** A record of a datagram; `cid` is set on a tls12_cid record (a view into the datagram). */
export interface CidRecord12 extends DtlsRecord {
  cid?: Uint8Array;
}

/** Where the CID starts in a tls12_cid header: after type, version, epoch and sequence number. */
export const CID12_OFFSET = 11;

/** Header bytes of a tls12_cid record whose CID has `cidLength` bytes. */
export function cid12HeaderLength(cidLength: number): number {
  return RECORD_HEADER_LENGTH + cidLength;
}

/**
 * Splits a datagram whose tls12_cid records carry CIDs of `cidLength` bytes
 * (> 0), beside ordinary records. As decodeRecords: a truncated header or a
 * length past the end stops the split with malformed=true, keeping what came
 * before (RFC 6347 4.1.2.7). Fragments and CIDs are views into `datagram`.
 */
export function decodeRecordsCid12(datagram: Uint8Array, cidLength: number): { records: CidRecord12[]; malformed: boolean } {
  const records: CidRecord12[] = [];
  const r = new Reader(datagram);
  while (!r.done) {
    if (r.remaining < RECORD_HEADER_LENGTH) return { records, malformed: true };
    const contentType = r.u8();
    const version = r.u16();
    const epoch = r.u16();
    const sequenceNumber = r.u48();
    let cid: Uint8Array | undefined;
    if (contentType === ContentType.tls12_cid) {
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
