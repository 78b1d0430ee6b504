// What of a flight the peer has not acknowledged yet (RFC 9147 7.2): per item
// (a handshake message, by message_seq, or a ChangeCipherSpec, -1), the byte
// ranges of its body still missing. An ACK names records; acknowledging a record
// removes the bytes of every fragment it carried (flight-sender.ts). A
// message of empty body is one empty fragment, removed when a record carrying
// it is acknowledged.
import type { FlightItem } from './flight.ts';

/** A piece of the flight still to send: `length` bytes of item `item`'s body from `offset`. */
export interface Piece {
  item: number;
  offset: number;
  length: number;
}

export class Unacked {
  /** Per item, [start, end) ranges not acknowledged, ascending and disjoint; [0, 0] for an empty message not yet acknowledged. */
  readonly #missing: Array<Array<[number, number]>>;
  readonly #index = new Map<number, number>();
  #any = false;

  constructor(items: readonly FlightItem[]) {
    this.#missing = items.map((it, i) => {
      const seq = it.kind === 'ccs' ? -1 : it.message.messageSeq;
      this.#index.set(seq, i);
      const length = it.kind === 'ccs' ? 1 : it.message.body.length;
      return [[0, length]];
    });
  }

  /** Some fragment was acknowledged. */
  get anyAcked(): boolean {
    return this.#any;
  }

  /** Every byte of every item was acknowledged. */
  get done(): boolean {
    return this.#missing.every((m) => m.length === 0);
  }

  /** Marks `length` bytes of message `messageSeq` from `offset` as received by the peer. */
  ack(messageSeq: number, offset: number, length: number): void {
    const i = this.#index.get(messageSeq);
    if (i === undefined) return;
    this.#any = true;
    const end = offset + length;
    const out: Array<[number, number]> = [];
    for (const [s, e] of this.#missing[i]!) {
      if (s === e) {
        // An empty message: its one fragment (offset 0, length 0) covers it.
        if (offset !== s) out.push([s, e]);
        continue;
      }
      if (end <= s || offset >= e) {
        out.push([s, e]);
        continue;
      }
      if (s < offset) out.push([s, offset]);
      if (end < e) out.push([end, e]);
    }
    this.#missing[i] = out;
  }

  /**
   * What is left to send of these fragments only (those deemed lost): the
   * missing bytes they cover, in flight order, overlaps merged.
   */
  within(fragments: ReadonlyArray<{ messageSeq: number; offset: number; length: number }>): Piece[] {
    const out: Piece[] = [];
    this.#missing.forEach((ranges, item) => {
      const cover: Array<[number, number]> = [];
      for (const f of fragments) if (this.#index.get(f.messageSeq) === item) cover.push([f.offset, f.offset + f.length]);
      if (!cover.length) return;
      const mine: Array<[number, number]> = [];
      for (const [s, e] of ranges) {
        for (const [a, b] of cover) {
          if (s === e) {
            if (a === s) mine.push([s, s]);
            continue;
          }
          const lo = Math.max(s, a),
            hi = Math.min(e, b);
          if (lo < hi) mine.push([lo, hi]);
        }
      }
      mine.sort((x, y) => x[0] - y[0]);
      let last: Piece | undefined;
      for (const [lo, hi] of mine) {
        if (last && lo <= last.offset + last.length && hi > lo) {
          last.length = Math.max(last.length, hi - last.offset);
          continue;
        }
        if (last && lo === last.offset && hi === lo) continue;
        last = { item, offset: lo, length: hi - lo };
        out.push(last);
      }
    });
    return out;
  }

  /** What is left to send, in flight order. */
  pieces(): Piece[] {
    const out: Piece[] = [];
    this.#missing.forEach((ranges, item) => {
      for (const [s, e] of ranges) out.push({ item, offset: s, length: e - s });
    });
    return out;
  }
}
