// Sending a flight, or the part of it the peer has not acknowledged (RFC 9147
// 5.8.1: a resend SHOULD omit what was acknowledged). encodeFlight is this over
// whole items, so a first transmission and a resend are cut and packed alike.
//
// Records and datagrams are filled before new ones start: a fragment goes in
// whenever a byte of its body still fits, and in DTLS 1.3 consecutive fragments
// of a keyed epoch share one record (RFC 9147 5.5 lets a record carry several
// handshake messages). Fewer records and datagrams, so fewer to lose; BoringSSL
// packs the same way, and its test runner refuses a flight that left room.
import { ContentType } from '../wire/types.ts';
import { encodeHandshakeFragment, HANDSHAKE_HEADER_LENGTH } from '../wire/handshake-header.ts';
import type { RecordLayer } from '../record/record-layer.ts';
import { DatagramPacker } from '../record/datagram-packer.ts';
import type { EncodedFlight, FlightItem, SentFragment } from './flight.ts';
import type { Piece } from './unacked.ts';

const CCS = new Uint8Array([1]);

export function encodePieces(items: readonly FlightItem[], pieces: readonly Piece[], layer: RecordLayer, mtu: number): EncodedFlight {
  const out = new DatagramPacker(mtu);
  const carried: SentFragment[] = [];
  const pack = layer.protocol === '1.3';
  /** The DTLS 1.3 record being filled: its fragments, sealed when the next does not belong in it. */
  let open: { epoch: number; frags: Uint8Array[]; bytes: number } | undefined;
  const close = (): void => {
    if (!open) return;
    const payload = new Uint8Array(open.bytes);
    let o = 0;
    for (const f of open.frags) {
      payload.set(f, o);
      o += f.length;
    }
    out.put(layer.seal(ContentType.handshake, payload, open.epoch));
    open = undefined;
  };
  for (const p of pieces) {
    const item = items[p.item]!;
    const overhead = layer.overhead(item.epoch);
    const packed = pack && item.kind === 'handshake' && item.epoch > 0;
    if (!packed || open?.epoch !== item.epoch) close();
    if (item.kind === 'ccs') {
      carried.push({ epoch: item.epoch, sequenceNumber: layer.nextWriteSeq(item.epoch), messageSeq: -1, offset: 0, length: 1 });
      out.put(layer.seal(ContentType.change_cipher_spec, CCS, item.epoch));
      continue;
    }
    const { msgType, messageSeq, body } = item.message;
    const end = p.offset + p.length;
    let offset = p.offset;
    do {
      // Room for this fragment's body: in the record still open (its overhead
      // already counted once), or in a new record in this datagram.
      let room = mtu - out.used - overhead - (open ? open.bytes : 0) - HANDSHAKE_HEADER_LENGTH;
      const left = end - offset;
      // Not a byte fits (nor the header of an empty message): the next datagram.
      if (room < Math.min(left, 1) && (!out.empty || open)) {
        close();
        out.flush();
        room = mtu - overhead - HANDSHAKE_HEADER_LENGTH;
      }
      // An MTU too small for any body still makes progress, one byte at a time.
      const n = Math.min(Math.max(1, room), left);
      const chunk = body.subarray(offset, offset + n);
      const frag = encodeHandshakeFragment({ msgType, length: body.length, messageSeq, fragmentOffset: offset, body: chunk });
      carried.push({ epoch: item.epoch, sequenceNumber: layer.nextWriteSeq(item.epoch), messageSeq, offset, length: chunk.length });
      if (packed) {
        open ??= { epoch: item.epoch, frags: [], bytes: 0 };
        open.frags.push(frag);
        open.bytes += frag.length;
      } else out.put(layer.seal(ContentType.handshake, frag, item.epoch));
      offset += chunk.length;
    } while (offset < end);
  }
  close();
  return { datagrams: out.finish(), records: out.records, carried };
}
