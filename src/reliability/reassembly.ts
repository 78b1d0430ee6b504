// Reassembly of incoming handshake fragments (RFC 6347 4.2.2, 4.2.3).
// Fragments may arrive out of order, duplicated or overlapping; a message is
// handed out once every byte of it is covered and all earlier ones were.
// Memory is bounded by the caps whatever the peer claims.
import type { HandshakeFragment, HandshakeMessage } from '../wire/types.ts';

export interface ReassemblerOptions {
  /** Largest accepted message body; larger claimed lengths are refused. Default 65536. */
  maxMessageLength?: number;
  /** Bound on the body bytes allocated over all buffered messages. Default 262144. */
  maxBufferedBytes?: number;
  /** Fragments with messageSeq >= nextSeq + this are dropped. Default 8. */
  maxMessagesAhead?: number;
}

export type AddResult = 'buffered' | 'old' | 'dropped';

/** Cumulative counters (not cleared by reset()). */
export interface ReassemblerStats {
  /** Every add() call. */
  fragments: number;
  /** Fragments of messages already handed out (the peer is retransmitting). */
  old: number;
  /** Every 'dropped' result; the reasons below add up to it. */
  dropped: number;
  tooLarge: number;
  tooFarAhead: number;
  overBudget: number;
  /** Different msgType or length than what is buffered for that seq. */
  inconsistent: number;
  /** fragment_offset + fragment_length > length. */
  malformed: number;
  /** Buffered messages discarded to make room for an earlier one. */
  evicted: number;
  /** Whole messages returned by poll(). */
  messages: number;
}

export type DropReason = 'tooLarge' | 'tooFarAhead' | 'overBudget' | 'inconsistent' | 'malformed';

interface Pending {
  msgType: number;
  length: number;
  body: Uint8Array;
  /** One bit per body byte: received yet? */
  seen: Uint8Array;
  covered: number;
}

export class Reassembler {
  readonly maxMessageLength: number;
  readonly maxBufferedBytes: number;
  readonly maxMessagesAhead: number;
  readonly stats: ReassemblerStats = {
    fragments: 0,
    old: 0,
    dropped: 0,
    tooLarge: 0,
    tooFarAhead: 0,
    overBudget: 0,
    inconsistent: 0,
    malformed: 0,
    evicted: 0,
    messages: 0,
  };
  /** Why the last 'dropped' result was dropped (the caller decides whether it is fatal). */
  lastDrop: DropReason | undefined;
  #next = 0;
  #pending = new Map<number, Pending>();
  #buffered = 0;

  constructor(opts: ReassemblerOptions = {}) {
    this.maxMessageLength = nonNegativeInt(opts.maxMessageLength ?? 65536, 'maxMessageLength');
    this.maxBufferedBytes = nonNegativeInt(opts.maxBufferedBytes ?? 262144, 'maxBufferedBytes');
    this.maxMessagesAhead = nonNegativeInt(opts.maxMessagesAhead ?? 8, 'maxMessagesAhead');
    if (this.maxMessagesAhead < 1) throw new RangeError('maxMessagesAhead must be at least 1');
  }

  /** The message_seq poll() hands out next. Setting it discards buffered messages outside the new window. */
  get nextSeq(): number {
    return this.#next;
  }
  set nextSeq(seq: number) {
    this.#next = nonNegativeInt(seq, 'nextSeq');
    for (const [s, p] of this.#pending) {
      if (s < seq || s >= seq + this.maxMessagesAhead) this.#discard(s, p);
    }
  }

  /** Body bytes currently allocated for buffered messages. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Number of messages (partial or complete) currently buffered. */
  get bufferedMessages(): number {
    return this.#pending.size;
  }

  /** Takes in one fragment; its body is copied, so the caller may reuse the datagram. */
  add(f: HandshakeFragment): AddResult {
    this.stats.fragments++;
    const seq = f.messageSeq;
    if (seq < this.#next) {
      this.stats.old++;
      return 'old';
    }
    if (f.length > this.maxMessageLength) return this.#drop('tooLarge');
    if (seq >= this.#next + this.maxMessagesAhead) return this.#drop('tooFarAhead');
    if (f.length < 0 || f.fragmentOffset < 0 || f.fragmentOffset + f.body.length > f.length) return this.#drop('malformed');

    let p = this.#pending.get(seq);
    if (p) {
      if (p.msgType !== f.msgType || p.length !== f.length) return this.#drop('inconsistent');
    } else {
      if (!this.#makeRoom(seq, f.length)) return this.#drop('overBudget');
      p = { msgType: f.msgType, length: f.length, body: new Uint8Array(f.length), seen: new Uint8Array((f.length + 7) >>> 3), covered: 0 };
      this.#pending.set(seq, p);
      this.#buffered += f.length;
    }
    if (p.covered < p.length) write(p, f.fragmentOffset, f.body);
    return 'buffered';
  }

  /** The message with seq == nextSeq once it is complete (then nextSeq advances), else undefined. */
  poll(): HandshakeMessage | undefined {
    const seq = this.#next;
    const p = this.#pending.get(seq);
    if (!p || p.covered < p.length) return undefined;
    this.#pending.delete(seq);
    this.#buffered -= p.length;
    this.#next = seq + 1;
    this.stats.messages++;
    return { msgType: p.msgType, messageSeq: seq, body: p.body };
  }

  /** Forgets every buffered fragment and sets nextSeq back to 0; stats are kept. */
  reset(): void {
    this.#pending.clear();
    this.#buffered = 0;
    this.#next = 0;
  }

  #drop(reason: DropReason): 'dropped' {
    this.lastDrop = reason;
    this.stats.dropped++;
    this.stats[reason]++;
    return 'dropped';
  }

  #discard(seq: number, p: Pending): void {
    this.#pending.delete(seq);
    this.#buffered -= p.length;
  }

  /** Frees room for `need` bytes by evicting messages later than `seq`, furthest first. */
  #makeRoom(seq: number, need: number): boolean {
    if (need > this.maxBufferedBytes) return false;
    while (this.#buffered + need > this.maxBufferedBytes) {
      let victim = -1;
      for (const s of this.#pending.keys()) if (s > seq && s > victim) victim = s;
      if (victim < 0) return false;
      this.#discard(victim, this.#pending.get(victim)!);
      this.stats.evicted++;
    }
    return true;
  }
}

function write(p: Pending, offset: number, body: Uint8Array): void {
  p.body.set(body, offset);
  const seen = p.seen;
  const end = offset + body.length;
  for (let i = offset; i < end;) {
    // Whole bitmap bytes at once where aligned, single bits elsewhere.
    if ((i & 7) === 0 && i + 8 <= end) {
      const b = seen[i >>> 3]!;
      if (b !== 0xff) {
        p.covered += 8 - popcount8(b);
        seen[i >>> 3] = 0xff;
      }
      i += 8;
    } else {
      const mask = 1 << (i & 7);
      if ((seen[i >>> 3]! & mask) === 0) {
        seen[i >>> 3] = seen[i >>> 3]! | mask;
        p.covered++;
      }
      i++;
    }
  }
}

function popcount8(b: number): number {
  b = b - ((b >>> 1) & 0x55);
  b = (b & 0x33) + ((b >>> 2) & 0x33);
  return (b + (b >>> 4)) & 0x0f;
}

function nonNegativeInt(v: number, name: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  return v;
}
