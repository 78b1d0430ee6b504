// Record formats, chosen per protocol version. The epoch and replay manager
// (record-layer.ts) is the same for every version; what differs is how records
// are framed on the wire, and that is all a format says:
//   - DTLS 1.2 (RFC 6347 4.1): DTLSPlaintext / DTLSCiphertext, a 13-byte header
//     with the full 16-bit epoch and 48-bit sequence number. This file's dtls12Format.
//   - DTLS 1.2 with a connection ID (RFC 9146): the tls12_cid content type, the
//     CID in the header and the real type inside the protected payload; its AAD
//     differs, so it comes with its own protection (protection.ts sealCid,
//     openCid). splitCid12 reads it beside ordinary records, with the length
//     of our CIDs (the header does not carry it).
//   - DTLS 1.3 (RFC 9147 4): the unified header, with the low bits of the epoch
//     and an 8- or 16-bit encrypted sequence number that the reader
//     reconstructs (4.2.2), beside DTLSPlaintext for epoch 0.
// Epochs and sequence numbers are JavaScript numbers in the manager: exact up
// to 2^53, more than a 1.2 epoch (16 bits) or sequence number (48 bits) holds.
// DTLS 1.3's 64-bit epochs (RFC 9147 4.2.1) start at 0 and grow by one per key
// update, so 2^53 is never reached; a format encodes what its header carries.
import type { DtlsRecord } from '../wire/types.ts';
import { ProtocolVersion } from '../wire/types.ts';
import { RECORD_HEADER_LENGTH, decodeRecords, encodeRecord } from '../wire/record.ts';
import type { CidRecord12 } from '../wire/cid12-record.ts';

export interface RecordFormat {
  readonly name: string;
  /** The records of a datagram; `malformed` when the split stopped at bytes that are not a record (RFC 6347 4.1.2.7). */
  split(datagram: Uint8Array): { records: DtlsRecord[]; malformed: boolean };
  /** Whether a record's version field is one this format reads. */
  acceptsVersion(version: number): boolean;
  /** Header bytes in front of a record's (protected) fragment in `epoch`. */
  headerLength(epoch: number): number;
  /** The record on the wire. */
  frame(record: DtlsRecord): Uint8Array;
}

/** DTLSPlaintext and DTLSCiphertext of DTLS 1.2 (RFC 6347 4.1). */
export const dtls12Format: RecordFormat = {
  name: 'DTLS 1.2',
  split: (datagram) => decodeRecords(datagram),
  // DTLS 1.0's value is allowed too: a first ClientHello and a HelloVerifyRequest may carry it (RFC 6347 4.1).
  acceptsVersion: (v) => v === ProtocolVersion.DTLS1_2 || v === ProtocolVersion.DTLS1_0,
  headerLength: () => RECORD_HEADER_LENGTH,
  frame: encodeRecord,
};

/** The records of a DTLS 1.2 datagram once we receive CIDs of `cidLength` bytes (> 0): tls12_cid records beside ordinary ones (RFC 9146 4). */
export function splitCid12(datagram: Uint8Array, cidLength: number): { records: CidRecord12[]; malformed: boolean } {
  return decodeRecords(datagram, cidLength);
}
