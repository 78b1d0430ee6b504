// One codec idiom for every wire type: a bounded cursor Reader and a growable
// Writer with length-prefix helpers. Decoders take a Reader and either return a
// value or throw DecodeError; nothing reads past the end of its sub-reader.
import { DtlsError } from '../errors.ts';

export class DecodeError extends DtlsError {
  constructor(message: string) {
    super('decode_error', message);
    this.name = 'DecodeError';
  }
}

export class Reader {
  readonly #buf: Uint8Array;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }
  get offset(): number {
    return this.#pos;
  }
  get done(): boolean {
    return this.#pos >= this.#end;
  }

  #need(n: number, what: string): void {
    if (this.#end - this.#pos < n) throw new DecodeError(`truncated ${what}: need ${n} bytes, have ${this.#end - this.#pos}`);
  }

  u8(what = 'u8'): number {
    this.#need(1, what);
    return this.#buf[this.#pos++]!;
  }
  u16(what = 'u16'): number {
    this.#need(2, what);
    const b = this.#buf,
      p = this.#pos;
    this.#pos += 2;
    return (b[p]! << 8) | b[p + 1]!;
  }
  u24(what = 'u24'): number {
    this.#need(3, what);
    const b = this.#buf,
      p = this.#pos;
    this.#pos += 3;
    return (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
  }
  u32(what = 'u32'): number {
    this.#need(4, what);
    const b = this.#buf,
      p = this.#pos;
    this.#pos += 4;
    return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }
  /** 48-bit unsigned, as a JS number (exact below 2^53). */
  u48(what = 'u48'): number {
    const hi = this.u16(what);
    return hi * 0x1_0000_0000 + this.u32(what);
  }
  /** A view (no copy) of the next n bytes. */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.#need(n, what);
    const v = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }
  /** Bytes prefixed by a length of `lenBytes` bytes (1, 2 or 3). */
  vec(lenBytes: 1 | 2 | 3, what = 'vector', min = 0, max = Infinity): Uint8Array {
    const n = lenBytes === 1 ? this.u8(what) : lenBytes === 2 ? this.u16(what) : this.u24(what);
    if (n < min || n > max) throw new DecodeError(`${what}: length ${n} outside ${min}..${max}`);
    return this.bytes(n, what);
  }
  /** A sub-reader over a length-prefixed region; the parent skips past it. */
  sub(lenBytes: 1 | 2 | 3, what = 'vector', min = 0, max = Infinity): Reader {
    const n = lenBytes === 1 ? this.u8(what) : lenBytes === 2 ? this.u16(what) : this.u24(what);
    if (n < min || n > max) throw new DecodeError(`${what}: length ${n} outside ${min}..${max}`);
    this.#need(n, what);
    const r = new Reader(this.#buf, this.#pos, this.#pos + n);
    this.#pos += n;
    return r;
  }
  /** Reading a whole structure must consume it exactly. */
  end(what = 'message'): void {
    if (this.#pos !== this.#end) throw new DecodeError(`${what}: ${this.#end - this.#pos} trailing bytes`);
  }
}

export class Writer {
  #buf: Uint8Array;
  #len = 0;

  constructor(initial = 256) {
    this.#buf = new Uint8Array(initial);
  }

  get length(): number {
    return this.#len;
  }

  #grow(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  u8(v: number): this {
    this.#grow(1);
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.#grow(2);
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }
  u24(v: number): this {
    this.#grow(3);
    this.#buf[this.#len++] = (v >>> 16) & 0xff;
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }
  u32(v: number): this {
    this.#grow(4);
    this.#buf[this.#len++] = (v >>> 24) & 0xff;
    this.#buf[this.#len++] = (v >>> 16) & 0xff;
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }
  u48(v: number): this {
    this.u16(Math.floor(v / 0x1_0000_0000));
    return this.u32(v >>> 0);
  }
  bytes(b: Uint8Array): this {
    this.#grow(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }
  vec(lenBytes: 1 | 2 | 3, b: Uint8Array): this {
    const max = lenBytes === 1 ? 0xff : lenBytes === 2 ? 0xffff : 0xffffff;
    if (b.length > max) throw new RangeError(`vector of ${b.length} bytes does not fit a ${lenBytes}-byte length`);
    if (lenBytes === 1) this.u8(b.length);
    else if (lenBytes === 2) this.u16(b.length);
    else this.u24(b.length);
    return this.bytes(b);
  }
  /** Writes a length prefix, runs `body`, then patches the length in. */
  prefixed(lenBytes: 1 | 2 | 3, body: (w: this) => void): this {
    const at = this.#len;
    this.#grow(lenBytes);
    this.#len += lenBytes;
    body(this);
    const n = this.#len - at - lenBytes;
    const max = lenBytes === 1 ? 0xff : lenBytes === 2 ? 0xffff : 0xffffff;
    if (n > max) throw new RangeError(`vector of ${n} bytes does not fit a ${lenBytes}-byte length`);
    for (let i = lenBytes - 1, v = n; i >= 0; i--, v >>>= 8) this.#buf[at + i] = v & 0xff;
    return this;
  }
  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new TypeError('not a hex string');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export const utf8 = (s: string): Uint8Array => enc.encode(s);
export const fromUtf8 = (b: Uint8Array): string => dec.decode(b);
