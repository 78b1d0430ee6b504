// The state of each open epoch, by epoch number: a Map's API over two fields
// and, beyond one epoch, one small array. A connection has one to three epochs
// open per direction (RFC 9147 6.1), and one for most of its life: a Map's hash
// table costs about 150 bytes of heap even for one entry, two arrays about 110,
// two fields nothing; a linear search over three numbers is as fast as hashing
// on the record path.

/** No epoch in the first slot (epochs are never negative). */
const NONE = -1;

export class EpochTable<T> {
  // The epoch set first (of those still held) and its value; the others in
  // `#more` as [epoch, value, epoch, value, ...], in the order they were set,
  // replaced, not grown, on set and delete (rare: at epoch changes): an array
  // grown by push() keeps room for 16 more.
  #epoch = NONE;
  #value: T | undefined = undefined;
  #more: (number | T)[] | undefined = undefined;

  get(epoch: number): T | undefined {
    if (epoch === this.#epoch) return this.#value;
    const m = this.#more;
    if (m) for (let i = 0; i < m.length; i += 2) if (m[i] === epoch) return m[i + 1] as T;
    return undefined;
  }

  has(epoch: number): boolean {
    return epoch !== NONE && (epoch === this.#epoch || this.#index(epoch) >= 0);
  }

  set(epoch: number, value: T): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`epoch ${epoch}: not a non-negative integer`);
    if (epoch === this.#epoch || this.#epoch === NONE) {
      this.#epoch = epoch;
      this.#value = value;
      return;
    }
    const m = this.#more ?? [];
    const i = this.#index(epoch);
    if (i >= 0) {
      m[i + 1] = value;
      return;
    }
    const out = new Array<number | T>(m.length + 2);
    for (let j = 0; j < m.length; j++) out[j] = m[j]!;
    out[m.length] = epoch;
    out[m.length + 1] = value;
    this.#more = out;
  }

  delete(epoch: number): boolean {
    const m = this.#more;
    if (epoch === this.#epoch && epoch !== NONE) {
      // The next in order takes the first slot.
      if (m) {
        this.#epoch = m[0] as number;
        this.#value = m[1] as T;
        this.#more = without(m, 0);
      } else {
        this.#epoch = NONE;
        this.#value = undefined;
      }
      return true;
    }
    const i = this.#index(epoch);
    if (i < 0) return false;
    this.#more = without(m!, i);
    return true;
  }

  /** The epochs held, in the order they were first set (a copy: deleting while iterating is safe). */
  keys(): number[] {
    const out: number[] = this.#epoch === NONE ? [] : [this.#epoch];
    const m = this.#more;
    if (m) for (let i = 0; i < m.length; i += 2) out.push(m[i] as number);
    return out;
  }

  get size(): number {
    return (this.#epoch === NONE ? 0 : 1) + (this.#more ? this.#more.length / 2 : 0);
  }

  /** Where `epoch` is in `#more`, or -1. */
  #index(epoch: number): number {
    const m = this.#more;
    if (m) for (let i = 0; i < m.length; i += 2) if (m[i] === epoch) return i;
    return -1;
  }
}

/** A copy of `a` without the pair at `at`, sized exactly; undefined when nothing is left. */
function without<V>(a: V[], at: number): V[] | undefined {
  if (a.length === 2) return undefined;
  const out = new Array<V>(a.length - 2);
  let n = 0;
  for (let i = 0; i < a.length; i += 2)
    if (i !== at) {
      out[n++] = a[i]!;
      out[n++] = a[i + 1]!;
    }
  return out;
}
