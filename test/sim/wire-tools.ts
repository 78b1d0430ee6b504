// Tools for tests that look inside the datagrams a simulated link carries:
// which flight a datagram belongs to, and re-fragmenting epoch-0 handshake
// records the way another implementation might.
import { decodeRecords, encodeRecord } from '../../src/wire/record.ts';
import { decodeHandshakeFragments, encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { ContentType, HandshakeType, type DtlsRecord, type HandshakeFragment } from '../../src/wire/types.ts';
import type { Rng } from '../../src/testing/index.ts';
import { DatagramPacker } from '../../src/record/datagram-packer.ts';

export type Sender = 'client' | 'server';

/** Handshake fragments of a plaintext (epoch 0) handshake record, else []. */
export function plainFragments(r: DtlsRecord): HandshakeFragment[] {
  if (r.epoch !== 0 || r.contentType !== ContentType.handshake) return [];
  return decodeHandshakeFragments(r.fragment);
}

/**
 * The RFC 6347 4.2.4 flight a datagram of a full DTLS 1.2 handshake belongs
 * to (1-6), 'data' for application data, 'alert', or undefined.
 */
export function flightOf(d: Uint8Array, sender: Sender): number | 'data' | 'alert' | undefined {
  for (const r of decodeRecords(d).records) {
    if (r.contentType === ContentType.application_data) return 'data';
    if (r.contentType === ContentType.alert) return 'alert';
    if (r.contentType === ContentType.change_cipher_spec || r.epoch > 0) return sender === 'client' ? 5 : 6;
    for (const f of plainFragments(r)) {
      switch (f.msgType) {
        case HandshakeType.client_hello:
          // The ClientHello answering a HelloVerifyRequest carries message_seq 1 (RFC 6347 4.2.2).
          return f.messageSeq === 0 ? 1 : 3;
        case HandshakeType.hello_verify_request:
          return 2;
        case HandshakeType.server_hello:
        case HandshakeType.certificate:
        case HandshakeType.server_key_exchange:
        case HandshakeType.certificate_request:
        case HandshakeType.server_hello_done:
          return sender === 'server' ? 4 : 5;
        case HandshakeType.client_key_exchange:
        case HandshakeType.certificate_verify:
          return 5;
      }
    }
  }
  return undefined;
}

/**
 * A Link filter that drops the transmissions of one flight for which `drop(k)`
 * holds, k = 0 for the first transmission, 1 for the first retransmission, ...
 * A flight goes out at one virtual instant, so a new instant is a new
 * transmission; `now` reads the SimPair's clock.
 */
export function dropFlight(sender: Sender, flight: number, drop: (k: number) => boolean, now: () => number): (d: Uint8Array) => boolean {
  let k = -1;
  let at = -Infinity;
  return (d) => {
    if (flightOf(d, sender) !== flight) return true;
    if (now() !== at) {
      k++;
      at = now();
    }
    return !drop(k);
  };
}

/**
 * Re-fragments every epoch-0 handshake record of a datagram into fragments of
 * at most `size()` body bytes (asked afresh for each fragment), one record
 * each, then packs records into datagrams of at most `mtu` bytes. Other records
 * are passed through whole. Every epoch-0 record gets a fresh sequence number
 * `seq()` (so use it for all of a peer's epoch-0 records, or the receiver's
 * replay window will take the others for old ones).
 */
export function refragment(d: Uint8Array, size: () => number, seq: () => number, mtu: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const r of decodeRecords(d).records) {
    if (r.epoch !== 0) {
      out.push(encodeRecord(r));
      continue;
    }
    if (r.contentType !== ContentType.handshake) {
      out.push(encodeRecord({ ...r, sequenceNumber: seq() }));
      continue;
    }
    for (const f of plainFragments(r)) {
      let offset = 0;
      do {
        const n = Math.min(Math.max(1, size()), f.body.length - offset);
        const piece = { ...f, fragmentOffset: f.fragmentOffset + offset, body: f.body.subarray(offset, offset + n) };
        out.push(encodeRecord({ ...r, sequenceNumber: seq(), fragment: encodeHandshakeFragment(piece) }));
        offset += n;
      } while (offset < f.body.length);
    }
  }
  return pack(out, mtu);
}

/** Records into datagrams of at most `mtu` bytes, in order (a record larger than mtu goes alone). */
export function pack(records: Uint8Array[], mtu: number): Uint8Array[] {
  const packer = new DatagramPacker(mtu);
  for (const r of records) packer.put(r);
  return packer.finish();
}

/** Fragment boundaries (offset..end per message_seq) of the epoch-0 handshake records in a datagram. */
export function boundaries(d: Uint8Array): string[] {
  return decodeRecords(d).records.flatMap((r) => plainFragments(r).map((f) => `${f.messageSeq}:${f.fragmentOffset}+${f.body.length}`));
}

/** Uniform integer in [lo, hi]. */
export function between(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}
