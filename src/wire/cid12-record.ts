// The DTLS 1.2 record with a connection ID (RFC 9146 4):
//   struct { ContentType outer_type = tls12_cid; ProtocolVersion version;
//            uint16 epoch; uint48 sequence_number;
//            opaque cid[cid_length];   // the receiver's, length known only to it
//            uint16 length; opaque enc_content[length]; } DTLSCiphertext;
// The header does not say how long the CID is: a receiver splits a datagram
// with the length of its own CIDs. Records of other types keep the 13-byte
// header of RFC 6347 4.1 (epoch 0, and the direction that asked for no CID).
import { RECORD_HEADER_LENGTH, type SplitRecord } from './record.ts';

/** A record of a datagram; `cid` is set on a tls12_cid record (split by record.ts decodeRecords with our CID's length). */
export type CidRecord12 = SplitRecord;

/** Where the CID starts in a tls12_cid header: after type, version, epoch and sequence number. */
export const CID12_OFFSET = 11;

/** Header bytes of a tls12_cid record whose CID has `cidLength` bytes. */
export function cid12HeaderLength(cidLength: number): number {
  return RECORD_HEADER_LENGTH + cidLength;
}
