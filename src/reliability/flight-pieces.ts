// Sending part of a flight: the pieces the peer has not acknowledged (RFC 9147
// 5.8.1: a resend SHOULD omit what was acknowledged). Fragmented and packed as
// encodeFlight does a whole flight, so a list of whole items gives the same bytes.
import { ContentType } from '../wire/types.ts';
import { encodeHandshakeFragment, HANDSHAKE_HEADER_LENGTH } from '../wire/handshake-header.ts';
import type { RecordLayer } from '../record/record-layer.ts';
import { DatagramPacker } from '../record/datagram-packer.ts';
import type { EncodedFlight, FlightItem, SentFragment } from './flight.ts';
import type { Piece } from './unacked.ts';

const CCS = new Uint8Array([1]);
/** Below this much room for a fragment body, start a new datagram instead (as encodeFlight). */
const MIN_FRAGMENT = 64;

export function encodePieces(items: readonly FlightItem[], pieces: readonly Piece[], layer: RecordLayer, mtu: number): EncodedFlight {
  const out = new DatagramPacker(mtu);
  const carried: SentFragment[] = [];
  for (const p of pieces) {
    const item = items[p.item]!;
    const overhead = layer.overhead(item.epoch);
    if (item.kind === 'ccs') {
      carried.push({ epoch: item.epoch, sequenceNumber: layer.nextWriteSeq(item.epoch), messageSeq: -1, offset: 0, length: 1 });
      out.put(layer.seal(ContentType.change_cipher_spec, CCS, item.epoch));
      continue;
    }
    const { msgType, messageSeq, body } = item.message;
    const end = p.offset + p.length;
    let offset = p.offset;
    do {
      let room = mtu - out.used - overhead - HANDSHAKE_HEADER_LENGTH;
      const left = end - offset;
      if (room < Math.min(left, MIN_FRAGMENT) && !out.empty) {
        out.flush();
        room = mtu - overhead - HANDSHAKE_HEADER_LENGTH;
      }
      // An MTU too small for any body still makes progress, one byte at a time.
      const n = Math.min(Math.max(1, room), left);
      const chunk = body.subarray(offset, offset + n);
      const frag = encodeHandshakeFragment({ msgType, length: body.length, messageSeq, fragmentOffset: offset, body: chunk });
      carried.push({ epoch: item.epoch, sequenceNumber: layer.nextWriteSeq(item.epoch), messageSeq, offset, length: chunk.length });
      out.put(layer.seal(ContentType.handshake, frag, item.epoch));
      offset += chunk.length;
    } while (offset < end);
  }
  return { datagrams: out.finish(), records: out.records, carried };
}
