// Small helpers shared by the wire codecs: whole-buffer decoding, integer-list
// vectors (RFC 5246 4.3 vectors of uint8/uint16), and encoder argument checks.
import { DecodeError, Reader, type Writer } from './codec.ts';

/** Decodes a whole buffer with `fn`; trailing bytes are a DecodeError. */
export function decodeAll<T>(bytes: Uint8Array, what: string, fn: (r: Reader) => T): T {
  const r = new Reader(bytes);
  const v = fn(r);
  r.end(what);
  return v;
}

/** Encoder argument check: an integer in 0..max, else RangeError (API misuse). */
export function uint(v: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what}: ${v} is not an integer in 0..${max}`);
  return v;
}

/** Encoder argument check on a byte string's length. */
export function lengthIn(b: Uint8Array, min: number, max: number, what: string): Uint8Array {
  if (b.length < min || b.length > max) throw new RangeError(`${what}: length ${b.length} outside ${min}..${max}`);
  return b;
}

/** Reads a vector of uint8 (`size` 1) or uint16 (`size` 2) with a `lenBytes` prefix; min/max count bytes. */
export function readUintList(r: Reader, lenBytes: 1 | 2, size: 1 | 2, what: string, min = 0, max = Infinity): number[] {
  const s = r.sub(lenBytes, what, min, max);
  if (s.remaining % size !== 0) throw new DecodeError(`${what}: odd length ${s.remaining}`);
  const out: number[] = [];
  while (!s.done) out.push(size === 1 ? s.u8(what) : s.u16(what));
  return out;
}

/** Writes a vector of uint8/uint16 values; `minCount` guards non-empty vectors. */
export function writeUintList(w: Writer, lenBytes: 1 | 2, size: 1 | 2, list: readonly number[], what: string, minCount = 0): void {
  if (list.length < minCount) throw new RangeError(`${what}: needs at least ${minCount} entries`);
  const max = size === 1 ? 0xff : 0xffff;
  w.prefixed(lenBytes, (w) => {
    for (const v of list) {
      uint(v, max, what);
      if (size === 1) w.u8(v);
      else w.u16(v);
    }
  });
}
