// Anti-replay window over 48-bit record sequence numbers (RFC 6347 4.1.2.6,
// with the sliding window of RFC 4303 3.4.3). The bitmap is circular: the bit
// of sequence number s is s mod size, valid for s in (top - size, top].
// The words are plain numbers in an array, not a Uint32Array: a typed array
// and its ArrayBuffer cost about 200 bytes of heap, the array about 50, and a
// server holds one window per open read epoch per connection.

export interface ReplayWindowOptions {
  /** Window size in records: a multiple of 32, at least 32. Default 64. */
  size?: number;
}

const MAX_SEQ = 2 ** 48 - 1;

export class ReplayWindow {
  readonly size: number;
  /** size / 32 words of 32 bits (as signed int32 values, from the bitwise operators). */
  readonly #bits: number[];
  /** Highest marked sequence number, -1 before the first. */
  #top = -1;

  constructor(opts: ReplayWindowOptions = {}) {
    const size = opts.size ?? 64;
    if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) {
      throw new RangeError(`window size must be a multiple of 32 and at least 32, got ${size}`);
    }
    this.size = size;
    this.#bits = new Array<number>(size / 32).fill(0);
  }

  /** Highest sequence number marked so far, or undefined. */
  get top(): number | undefined {
    return this.#top < 0 ? undefined : this.#top;
  }

  /** True when `seq` was already marked or is too old to tell (left of the window). */
  isReplay(seq: number): boolean {
    check(seq);
    if (seq > this.#top) return false;
    if (this.#top - seq >= this.size) return true;
    return this.#get(seq);
  }

  /** Records `seq` as received; call only once its record authenticated. */
  mark(seq: number): void {
    check(seq);
    const top = this.#top;
    if (seq > top) {
      // Slide: the bits of top+1..seq-1 now stand for unseen records.
      if (seq - top >= this.size) this.#bits.fill(0);
      else for (let s = top + 1; s < seq; s++) this.#set(s, false);
      this.#top = seq;
    } else if (top - seq >= this.size) {
      return;
    }
    this.#set(seq, true);
  }

  /** Forgets everything (e.g. on a new epoch). */
  reset(): void {
    this.#bits.fill(0);
    this.#top = -1;
  }

  #get(seq: number): boolean {
    const i = seq % this.size;
    return (this.#bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  #set(seq: number, on: boolean): void {
    const i = seq % this.size;
    const mask = 1 << (i & 31);
    const w = i >>> 5;
    this.#bits[w] = on ? this.#bits[w]! | mask : this.#bits[w]! & ~mask;
  }
}

function check(seq: number): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw new RangeError(`sequence number out of range: ${seq}`);
}
