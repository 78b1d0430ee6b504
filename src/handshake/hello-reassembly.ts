// The first ClientHello of a peer that arrives in fragments, held by the
// cookie gate (hrr-gate.ts) until it is whole. A DTLS 1.3 ClientHello with an
// X25519MLKEM768 share (1,216 bytes) or under a small MTU does not fit one
// datagram, and the gate has to read all of it (supported_versions, key_share)
// to answer with a HelloRetryRequest rather than a HelloVerifyRequest (RFC
// 9147 5.1). That is state before the address is proven, so it is bounded:
// peers, bytes per peer, fragments per peer, bytes in all, and age; when full,
// the oldest peer's partial message goes first. Pieces of one message_seq
// only; overlapping pieces must agree, else the partial message is forgotten
// (RFC 6347 4.2.3 expects a receiver to cope with overlaps, not with two
// versions of the same bytes).
import type { HandshakeFragment } from '../wire/types.ts';
import { equalBytes } from '../wire/codec.ts';

export interface HelloReassemblyLimits {
  /** Peers with a partial ClientHello held at once. */
  maxPeers: number;
  /** Bytes of datagrams held for one peer; also the largest ClientHello taken. */
  maxPeerBytes: number;
  /** Datagrams held for one peer. */
  maxPeerDatagrams: number;
  /** Bytes of datagrams held for all peers. */
  maxTotalBytes: number;
  /** ms after its first piece that a partial ClientHello is forgotten. */
  maxAge: number;
}

export const HELLO_REASSEMBLY_DEFAULTS: HelloReassemblyLimits = {
  maxPeers: 256,
  maxPeerBytes: 65536,
  maxPeerDatagrams: 64,
  maxTotalBytes: 1 << 20,
  maxAge: 10_000,
};

/** A piece of a ClientHello and the number of the record that carried it. */
export interface HelloPiece {
  fragment: HandshakeFragment;
  recordSeq: number;
}

/** A ClientHello made whole: its body, the datagrams that carried it (in arrival order) and their bytes. */
export interface WholeHello {
  body: Uint8Array;
  messageSeq: number;
  /** The highest record number that carried a piece (a stateless answer reuses it, RFC 6347 4.2.1). */
  recordSeq: number;
  datagrams: Uint8Array[];
  bytes: number;
}

export type HelloPieceResult = { kind: 'held' } | { kind: 'drop' } | ({ kind: 'whole' } & WholeHello);

interface Entry {
  messageSeq: number;
  length: number;
  /** Sorted by offset; views into `datagrams`. */
  pieces: { offset: number; body: Uint8Array }[];
  datagrams: Uint8Array[];
  bytes: number;
  recordSeq: number;
  since: number | undefined;
}

export class HelloReassembly {
  readonly #limits: HelloReassemblyLimits;
  /** In order of creation: the first is the oldest. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(limits: Partial<HelloReassemblyLimits> = {}) {
    this.#limits = { ...HELLO_REASSEMBLY_DEFAULTS, ...limits };
  }

  /** Peers with a partial ClientHello held. */
  get peers(): number {
    return this.#entries.size;
  }

  /** Bytes of datagrams held, all peers. */
  get bytes(): number {
    return this.#bytes;
  }

  holds(peer: string): boolean {
    return this.#entries.has(peer);
  }

  forget(peer: string): void {
    const e = this.#entries.get(peer);
    if (!e) return;
    this.#entries.delete(peer);
    this.#bytes -= e.bytes;
  }

  /**
   * One datagram's ClientHello pieces (all of one message: same message_seq and
   * length). Held, dropped, or the message is whole (and forgotten here).
   */
  add(peer: string, datagram: Uint8Array, pieces: HelloPiece[], now: number | undefined): HelloPieceResult {
    const lim = this.#limits;
    this.#expire(now);
    const first = pieces[0];
    if (!first) return { kind: 'drop' };
    const { messageSeq, length } = first.fragment;
    if (length > lim.maxPeerBytes || datagram.length > lim.maxPeerBytes || datagram.length > lim.maxTotalBytes) return { kind: 'drop' };
    let e = this.#entries.get(peer);
    if (e && messageSeq < e.messageSeq) return { kind: 'drop' }; // a late copy of an earlier ClientHello
    if (e && (messageSeq > e.messageSeq || length !== e.length)) {
      // The client moved on (a ClientHello2 after the HRR reached it), or it contradicts itself.
      const restart = messageSeq > e.messageSeq;
      this.forget(peer);
      e = undefined;
      if (!restart) return { kind: 'drop' };
    }
    const copy = datagram.slice();
    // Views of the pieces in our copy (the decoders hand out views into `datagram`; a body from elsewhere is copied).
    const mine = pieces.map(({ fragment: f }) => {
      const at = f.body.byteOffset - datagram.byteOffset;
      const inside = f.body.buffer === datagram.buffer && at >= 0 && at + f.body.length <= datagram.length;
      return { offset: f.fragmentOffset, body: inside ? copy.subarray(at, at + f.body.length) : f.body.slice() };
    });
    if (e) {
      for (const p of mine) if (!agrees(e.pieces, p)) return (this.forget(peer), { kind: 'drop' });
      if (mine.every((p) => covered(e!.pieces, p.offset, p.offset + p.body.length))) return { kind: 'held' }; // a copy: nothing new
      if (e.datagrams.length >= lim.maxPeerDatagrams || e.bytes + copy.length > lim.maxPeerBytes) return { kind: 'drop' };
    }
    if (!this.#makeRoom(copy.length, peer)) return { kind: 'drop' };
    if (!e) {
      e = { messageSeq, length, pieces: [], datagrams: [], bytes: 0, recordSeq: 0, since: now };
      this.#entries.set(peer, e);
    }
    for (const p of mine) insertPiece(e.pieces, p);
    e.datagrams.push(copy);
    e.bytes += copy.length;
    this.#bytes += copy.length;
    e.recordSeq = Math.max(e.recordSeq, ...pieces.map((p) => p.recordSeq));
    if (!covered(e.pieces, 0, e.length)) return { kind: 'held' };
    this.forget(peer);
    const body = new Uint8Array(e.length);
    for (const p of e.pieces) body.set(p.body, p.offset);
    return { kind: 'whole', body, messageSeq, recordSeq: e.recordSeq, datagrams: e.datagrams, bytes: e.bytes };
  }

  /** Forgets partial messages older than maxAge (creation order: stops at the first young one). */
  #expire(now: number | undefined): void {
    if (now === undefined) return;
    for (const [peer, e] of this.#entries) {
      if (e.since !== undefined && now - e.since < this.#limits.maxAge) break;
      this.forget(peer);
    }
  }

  /** Evicts the oldest other peers until `bytes` more fit and, for a new peer, a slot is free. */
  #makeRoom(bytes: number, peer: string): boolean {
    const isNew = !this.#entries.has(peer);
    for (const other of this.#entries.keys()) {
      const full = this.#bytes + bytes > this.#limits.maxTotalBytes || (isNew && this.#entries.size >= this.#limits.maxPeers);
      if (!full) return true;
      if (other !== peer) this.forget(other);
    }
    return this.#bytes + bytes <= this.#limits.maxTotalBytes && (!isNew || this.#entries.size < this.#limits.maxPeers);
  }
}

/** Whether the stored pieces agree with `p` wherever they overlap it. */
function agrees(pieces: { offset: number; body: Uint8Array }[], p: { offset: number; body: Uint8Array }): boolean {
  const end = p.offset + p.body.length;
  for (const q of pieces) {
    const from = Math.max(p.offset, q.offset);
    const to = Math.min(end, q.offset + q.body.length);
    if (from >= to) continue;
    if (!equalBytes(p.body.subarray(from - p.offset, to - p.offset), q.body.subarray(from - q.offset, to - q.offset))) return false;
  }
  return true;
}

/** Whether [from, to) is covered by the pieces (sorted by offset). */
function covered(pieces: { offset: number; body: Uint8Array }[], from: number, to: number): boolean {
  let reach = from;
  for (const q of pieces) {
    if (reach >= to) break;
    if (q.offset > reach) return false;
    reach = Math.max(reach, q.offset + q.body.length);
  }
  return reach >= to;
}

function insertPiece(pieces: { offset: number; body: Uint8Array }[], p: { offset: number; body: Uint8Array }): void {
  let i = pieces.length;
  while (i > 0 && pieces[i - 1]!.offset > p.offset) i--;
  pieces.splice(i, 0, p);
}
