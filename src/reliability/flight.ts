// A flight (RFC 6347 4.2.4) is the unit of retransmission: a list of handshake
// messages and ChangeCipherSpecs, each in the epoch it was first sent in. Every
// (re)transmission re-fragments the messages to fill datagrams of at most `mtu`
// bytes and seals them under fresh sequence numbers.
import { ContentType, type HandshakeMessage } from '../wire/types.ts';
import { encodeHandshakeFragment, HANDSHAKE_HEADER_LENGTH } from '../wire/handshake-header.ts';
import type { RecordLayer } from '../record/record-layer.ts';
import { DatagramPacker } from '../record/datagram-packer.ts';

export type FlightItem = { kind: 'handshake'; epoch: number; message: HandshakeMessage } | { kind: 'ccs'; epoch: number };

const CCS = new Uint8Array([1]);
/** Below this much room for a fragment body, start a new datagram instead. */
const MIN_FRAGMENT = 64;

/** One fragment (or a ChangeCipherSpec, messageSeq -1) and the record that carried it. */
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

export function encodeFlight(items: readonly FlightItem[], layer: RecordLayer, mtu: number): EncodedFlight {
  const out = new DatagramPacker(mtu);
  const carried: SentFragment[] = [];
  // DTLS 1.3 keyed epochs: consecutive handshake fragments share a record while it fits (RFC 9147 5.5 allows it).
  const pack = layer.protocol === '1.3';
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
  for (const item of items) {
    const overhead = layer.overhead(item.epoch);
    const packed = pack && item.kind === 'handshake' && item.epoch > 0;
    if (!packed || open?.epoch !== item.epoch) close();
    if (item.kind === 'ccs') {
      carried.push({ epoch: item.epoch, sequenceNumber: layer.nextWriteSeq(item.epoch), messageSeq: -1, offset: 0, length: 1 });
      out.put(layer.seal(ContentType.change_cipher_spec, CCS, item.epoch));
      continue;
    }
    const { msgType, messageSeq, body } = item.message;
    let offset = 0;
    do {
      // A record still open here takes its overhead once; its fragments so far count too.
      let room = mtu - out.used - overhead - (open ? open.bytes : 0) - HANDSHAKE_HEADER_LENGTH;
      const left = body.length - offset;
      if (room < Math.min(left, MIN_FRAGMENT) && (!out.empty || open)) {
        close();
        out.flush();
        room = mtu - overhead - HANDSHAKE_HEADER_LENGTH;
      }
      // An MTU too small for any body still makes progress, one byte at a time.
      const n = Math.max(1, Math.min(room, left));
      const chunk = body.subarray(offset, offset + Math.min(n, left));
      const frag = encodeHandshakeFragment({ msgType, length: body.length, messageSeq, fragmentOffset: offset, body: chunk });
      carried.push({ epoch: item.epoch, sequenceNumber: layer.nextWriteSeq(item.epoch), messageSeq, offset, length: chunk.length });
      if (packed) {
        open ??= { epoch: item.epoch, frags: [], bytes: 0 };
        open.frags.push(frag);
        open.bytes += frag.length;
      } else out.put(layer.seal(ContentType.handshake, frag, item.epoch));
      offset += chunk.length;
    } while (offset < body.length);
  }
  close();
  return { datagrams: out.finish(), records: out.records, carried };
}
