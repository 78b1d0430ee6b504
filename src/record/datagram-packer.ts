// Records into datagrams of at most `mtu` bytes, in order (RFC 6347 4.1.1: a
// datagram may carry several records; a record never spans two). A record
// larger than the mtu goes alone.
export class DatagramPacker {
  readonly mtu: number;
  readonly #datagrams: Uint8Array[] = [];
  #current: Uint8Array[] = [];
  #used = 0;
  #records = 0;

  constructor(mtu: number) {
    this.mtu = mtu;
  }

  /** Bytes already in the datagram being filled. */
  get used(): number {
    return this.#used;
  }
  /** Records put so far (stats count records, not datagrams). */
  get records(): number {
    return this.#records;
  }
  get empty(): boolean {
    return this.#current.length === 0;
  }

  /** Adds a record, first closing the current datagram if the record would not fit. */
  put(record: Uint8Array): void {
    if (this.#used + record.length > this.mtu) this.flush();
    this.#current.push(record);
    this.#records++;
    this.#used += record.length;
  }

  /** Closes the datagram being filled. */
  flush(): void {
    if (!this.#current.length) return;
    if (this.#current.length === 1) {
      // One record is its own datagram: no copy (records are fresh buffers nobody writes to again).
      this.#datagrams.push(this.#current[0]!);
      this.#current = [];
      this.#used = 0;
      return;
    }
    const d = new Uint8Array(this.#used);
    let o = 0;
    for (const r of this.#current) {
      d.set(r, o);
      o += r.length;
    }
    this.#datagrams.push(d);
    this.#current = [];
    this.#used = 0;
  }

  /** Every datagram, the last one closed. */
  finish(): Uint8Array[] {
    this.flush();
    return this.#datagrams;
  }
}
