// A flight (RFC 6347 4.2.4) is the unit of retransmission: a list of handshake
// messages and ChangeCipherSpecs, each in the epoch it was first sent in. Every
// (re)transmission re-fragments the messages to fill datagrams of at most `mtu`
// bytes and seals them under fresh sequence numbers.
import type { HandshakeMessage } from '../wire/types.ts';
import type { RecordLayer } from '../record/record-layer.ts';
import { encodePieces } from './flight-pieces.ts';

export type FlightItem = { kind: 'handshake'; epoch: number; message: HandshakeMessage } | { kind: 'ccs'; epoch: number };

/** One fragment (or a ChangeCipherSpec, messageSeq -1) and the record that carried it (in DTLS 1.3 a record may carry several). */
export interface SentFragment {
  epoch: number;
  sequenceNumber: number;
  messageSeq: number;
  offset: number;
  length: number;
}

/** The flight's datagrams, how many records they carry, and which record carried what. */
export interface EncodedFlight {
  datagrams: Uint8Array[];
  records: number;
  carried: SentFragment[];
}

/** The whole flight, cut and packed as flight-pieces.ts says (every transmission re-fragments and seals under fresh sequence numbers). */
export function encodeFlight(items: readonly FlightItem[], layer: RecordLayer, mtu: number): EncodedFlight {
  return encodePieces(
    items,
    items.map((it, item) => ({ item, offset: 0, length: it.kind === 'ccs' ? 1 : it.message.body.length })),
    layer,
    mtu,
  );
}
