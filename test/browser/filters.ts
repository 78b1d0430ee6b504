// Packet filters for the DTLS path of a session: a TransformStream that looks
// at DTLS 1.2 record headers and drops a final flight the first time it passes.
import { ContentType } from '../../src/wire/types.ts';

export interface RecordHeader {
  contentType: number;
  epoch: number;
  length: number;
}

/** The DTLS 1.2 record headers in a datagram (RFC 6347 4.1); stops at anything malformed. */
export function recordHeaders(datagram: Uint8Array): RecordHeader[] {
  const out: RecordHeader[] = [];
  for (let at = 0; at + 13 <= datagram.length;) {
    const length = (datagram[at + 11]! << 8) | datagram[at + 12]!;
    out.push({ contentType: datagram[at]!, epoch: (datagram[at + 3]! << 8) | datagram[at + 4]!, length });
    at += 13 + length;
  }
  return out;
}

export interface FlightDrop {
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** Datagrams dropped, with when. */
  readonly dropped: { at: number; records: RecordHeader[] }[];
  /** When the first datagram with a ChangeCipherSpec passed after the drop: the retransmission (undefined until then). */
  readonly retransmissionPassedAt: number | undefined;
}

/**
 * Drops the first transmission of a final flight: the first datagram that
 * carries a ChangeCipherSpec, and any that follow it carrying only epoch-1
 * handshake records (the Finished), until the next ChangeCipherSpec (the
 * retransmission) or application data passes.
 */
export function dropFirstFinalFlight(): FlightDrop {
  let state: 'waiting' | 'dropping' | 'done' = 'waiting';
  const dropped: FlightDrop['dropped'] = [];
  let retransmissionPassedAt: number | undefined;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(datagram, controller) {
      const records = recordHeaders(datagram);
      const hasCcs = records.some((r) => r.contentType === ContentType.change_cipher_spec);
      if (state === 'waiting' && hasCcs) {
        state = 'dropping';
        dropped.push({ at: Date.now(), records });
        return;
      }
      if (state === 'dropping') {
        if (!hasCcs && records.length && records.every((r) => r.contentType === ContentType.handshake && r.epoch >= 1)) {
          dropped.push({ at: Date.now(), records });
          return;
        }
        state = 'done';
      }
      if (state === 'done' && hasCcs) retransmissionPassedAt ??= Date.now();
      controller.enqueue(datagram);
    },
  });
  return {
    stream,
    dropped,
    get retransmissionPassedAt() {
      return retransmissionPassedAt;
    },
  };
}
