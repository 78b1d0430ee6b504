// The state of each open epoch, by epoch number: a Map's API over two small
// arrays. A connection has one to three epochs open per direction (RFC 9147
// 6.1); a Map's hash table costs about 150 bytes of heap even for one entry,
// two short arrays a third of it, and a linear search over three numbers is as
// fast as hashing on the record path.

export class EpochTable<T> {
  // Replaced, not grown, on set and delete (rare: at epoch changes): an array
  // grown by push() keeps room for 16 more.
  #epochs: number[] = [];
  #values: T[] = [];

  get(epoch: number): T | undefined {
    const i = this.#epochs.indexOf(epoch);
    return i < 0 ? undefined : this.#values[i];
  }

  has(epoch: number): boolean {
    return this.#epochs.includes(epoch);
  }

  set(epoch: number, value: T): void {
    const i = this.#epochs.indexOf(epoch);
    if (i >= 0) {
      this.#values[i] = value;
      return;
    }
    this.#epochs = without(this.#epochs, -1, epoch);
    this.#values = without(this.#values, -1, value);
  }

  delete(epoch: number): boolean {
    const i = this.#epochs.indexOf(epoch);
    if (i < 0) return false;
    this.#epochs = without(this.#epochs, i);
    this.#values = without(this.#values, i);
    return true;
  }

  /** The epochs held, in the order they were first set (a copy: deleting while iterating is safe). */
  keys(): number[] {
    return this.#epochs.slice();
  }

  get size(): number {
    return this.#epochs.length;
  }
}

/** A copy of `a` without its element at `skip` (-1: none), `add` appended if given, sized exactly (filter() and spreads leave spare room). */
function without<V>(a: V[], skip: number, ...add: V[]): V[] {
  const out = new Array<V>(a.length - (skip < 0 ? 0 : 1) + add.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (i !== skip) out[n++] = a[i]!;
  for (const v of add) out[n++] = v;
  return out;
}
