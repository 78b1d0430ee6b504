// A small DER (ITU-T X.690) reader and writer, enough for X.509 (RFC 5280).
// Single-byte tags and definite lengths only; minimal encodings are enforced
// on read, so a value has exactly one accepted encoding.
import { DecodeError } from '../wire/codec.ts';

export class DerError extends DecodeError {
  constructor(message: string) {
    super(`DER: ${message}`);
    this.name = 'DerError';
  }
}

/** Universal tags (X.680 8.4), with the constructed bit set for SEQUENCE and SET. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  TeletexString: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  VisibleString: 0x1a,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** A context-specific tag [n]: constructed for EXPLICIT tags and IMPLICIT constructed types. */
export function contextTag(n: number, constructed: boolean): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`context tag [${n}] is out of range 0..30`);
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

const hex2 = (t: number): string => `0x${t.toString(16).padStart(2, '0')}`;

export interface Tlv {
  readonly tag: number;
  /** Contents octets (a view). */
  readonly value: Uint8Array;
  /** The whole encoding, header included (a view). */
  readonly der: Uint8Array;
}

/** A bounded cursor over a run of DER elements. `what` names the field in errors. */
export class DerReader {
  readonly #buf: Uint8Array;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get done(): boolean {
    return this.#pos >= this.#end;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.#buf[this.#pos];
  }

  /** The next element, whatever its tag. */
  read(what: string): Tlv {
    const buf = this.#buf,
      end = this.#end,
      start = this.#pos;
    let p = start;
    if (p >= end) throw new DerError(`${what}: unexpected end of data`);
    const tag = buf[p++]!;
    if ((tag & 0x1f) === 0x1f) throw new DerError(`${what}: multi-byte tags are not supported`);
    if (p >= end) throw new DerError(`${what}: truncated length`);
    let len = buf[p++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) throw new DerError(`${what}: indefinite length is not allowed`);
      if (n > 4) throw new DerError(`${what}: length of ${n} bytes is too large`);
      if (end - p < n) throw new DerError(`${what}: truncated length`);
      if (buf[p] === 0) throw new DerError(`${what}: length has a leading zero byte`);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
      if (len < 0x80) throw new DerError(`${what}: length ${len} should use the short form`);
    }
    if (end - p < len) throw new DerError(`${what}: length ${len} exceeds the ${end - p} bytes available`);
    this.#pos = p + len;
    return { tag, value: buf.subarray(p, p + len), der: buf.subarray(start, p + len) };
  }

  /** The next element, which must have tag `tag`. */
  expect(tag: number, what: string): Tlv {
    const t = this.peekTag();
    if (t === undefined) throw new DerError(`${what}: unexpected end of data`);
    if (t !== tag) throw new DerError(`${what}: expected tag ${hex2(tag)}, found ${hex2(t)}`);
    return this.read(what);
  }

  /** The next element if it has tag `tag`. */
  optional(tag: number, what: string): Tlv | undefined {
    return this.peekTag() === tag ? this.read(what) : undefined;
  }

  sequence(what: string): DerReader {
    return new DerReader(this.expect(Tag.SEQUENCE, what).value);
  }
  set(what: string): DerReader {
    return new DerReader(this.expect(Tag.SET, what).value);
  }
  /** The contents of an EXPLICIT [n] wrapper if present. */
  explicit(n: number, what: string): DerReader | undefined {
    const t = this.optional(contextTag(n, true), what);
    return t && new DerReader(t.value);
  }

  /** Raw two's-complement contents of an INTEGER. */
  integer(what: string): Uint8Array {
    return decodeInteger(this.expect(Tag.INTEGER, what).value, what);
  }
  /** A non-negative INTEGER as its magnitude (no sign byte). */
  unsigned(what: string): Uint8Array {
    const v = this.integer(what);
    if (v[0]! & 0x80) throw new DerError(`${what}: must not be negative`);
    return v.length > 1 && v[0] === 0 ? v.subarray(1) : v;
  }
  /** A non-negative INTEGER small enough for a JS number. */
  smallUnsigned(what: string): number {
    const v = this.unsigned(what);
    if (v.length > 4) throw new DerError(`${what}: integer too large`);
    let n = 0;
    for (const b of v) n = n * 256 + b;
    return n;
  }
  boolean(what: string): boolean {
    const v = this.expect(Tag.BOOLEAN, what).value;
    if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) throw new DerError(`${what}: BOOLEAN must be one byte 0x00 or 0xff`);
    return v[0] === 0xff;
  }
  null(what: string): void {
    if (this.expect(Tag.NULL, what).value.length !== 0) throw new DerError(`${what}: NULL must be empty`);
  }
  oid(what: string): string {
    return decodeOid(this.expect(Tag.OID, what).value, what);
  }
  /** BIT STRING contents with the count of unused trailing bits. */
  bits(what: string): { unusedBits: number; bytes: Uint8Array } {
    return decodeBitString(this.expect(Tag.BIT_STRING, what).value, what);
  }
  /** A BIT STRING that must be a whole number of bytes (keys, signatures). */
  bitString(what: string): Uint8Array {
    const { unusedBits, bytes } = this.bits(what);
    if (unusedBits !== 0) throw new DerError(`${what}: expected whole bytes, found ${unusedBits} unused bits`);
    return bytes;
  }
  octetString(what: string): Uint8Array {
    return this.expect(Tag.OCTET_STRING, what).value;
  }
  /** UTCTime or GeneralizedTime, as ms since the epoch. */
  time(what: string): number {
    return decodeTime(this.read(what), what);
  }

  /** Everything must have been read. */
  end(what: string): void {
    if (this.#pos !== this.#end) throw new DerError(`${what}: ${this.#end - this.#pos} unexpected trailing bytes`);
  }
}

/** Reads exactly one element spanning all of `buf`. */
export function decodeOne(buf: Uint8Array, what: string): Tlv {
  const r = new DerReader(buf);
  const t = r.read(what);
  r.end(what);
  return t;
}

export function decodeInteger(v: Uint8Array, what: string): Uint8Array {
  if (v.length === 0) throw new DerError(`${what}: empty INTEGER`);
  if (v.length > 1 && ((v[0] === 0 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80))) throw new DerError(`${what}: INTEGER is not minimally encoded`);
  return v;
}

export function decodeBitString(v: Uint8Array, what: string): { unusedBits: number; bytes: Uint8Array } {
  if (v.length === 0) throw new DerError(`${what}: empty BIT STRING`);
  const unusedBits = v[0]!;
  if (unusedBits > 7 || (v.length === 1 && unusedBits !== 0)) throw new DerError(`${what}: bad unused-bit count ${unusedBits}`);
  const bytes = v.subarray(1);
  if (unusedBits && bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) throw new DerError(`${what}: unused bits must be zero`);
  return { unusedBits, bytes };
}

/**
 * Size caps for OBJECT IDENTIFIERs. An arc's value grows 7 bits a byte, and
 * building it is quadratic in its length, so a hostile certificate with one
 * 60 KB arc would cost most of a second before any check ran. Real OIDs are
 * short; the longest arcs in use are 128-bit UUIDs under 2.25 (X.667), 19
 * bytes. Beyond these an OID is refused, not decoded.
 */
export const MAX_OID_BYTES = 128;
export const MAX_OID_ARC_BYTES = 20;

/** OBJECT IDENTIFIER contents to dotted form (X.690 8.19). */
export function decodeOid(v: Uint8Array, what: string): string {
  if (v.length === 0) throw new DerError(`${what}: empty OBJECT IDENTIFIER`);
  if (v.length > MAX_OID_BYTES) throw new DerError(`${what}: OBJECT IDENTIFIER of ${v.length} bytes is longer than the ${MAX_OID_BYTES} allowed`);
  const arcs: bigint[] = [];
  let acc = 0n;
  let fresh = true;
  let arcBytes = 0;
  for (const b of v) {
    if (fresh && b === 0x80) throw new DerError(`${what}: OID arc is not minimally encoded`);
    if (++arcBytes > MAX_OID_ARC_BYTES) throw new DerError(`${what}: OID arc longer than ${MAX_OID_ARC_BYTES} bytes`);
    acc = (acc << 7n) | BigInt(b & 0x7f);
    fresh = (b & 0x80) === 0;
    if (fresh) {
      arcs.push(acc);
      acc = 0n;
      arcBytes = 0;
    }
  }
  if (!fresh) throw new DerError(`${what}: truncated OBJECT IDENTIFIER`);
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

function ascii(v: Uint8Array): string {
  let s = '';
  for (const b of v) s += String.fromCharCode(b);
  return s;
}
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** UTCTime / GeneralizedTime in the forms RFC 5280 4.1.2.5 allows: seconds, 'Z', no fractions. */
export function decodeTime(t: Tlv, what: string): number {
  let m: RegExpExecArray | null;
  let year: number;
  if (t.tag === Tag.UTCTime) {
    m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(ascii(t.value));
    if (!m) throw new DerError(`${what}: UTCTime must be YYMMDDHHMMSSZ`);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 4.1.2.5.1
  } else if (t.tag === Tag.GeneralizedTime) {
    m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(ascii(t.value));
    if (!m) throw new DerError(`${what}: GeneralizedTime must be YYYYMMDDHHMMSSZ`);
    year = Number(m[1]);
  } else {
    throw new DerError(`${what}: expected UTCTime or GeneralizedTime, found tag ${hex2(t.tag)}`);
  }
  const [mo, d, h, mi, s] = m.slice(2).map(Number) as [number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw new DerError(`${what}: invalid date or time`);
  return date.getTime();
}

/** The common directory string types, as text. */
export function decodeString(t: Tlv, what: string): string {
  const v = t.value;
  switch (t.tag) {
    case Tag.UTF8String:
      try {
        return utf8Strict.decode(v);
      } catch {
        throw new DerError(`${what}: invalid UTF-8`);
      }
    case Tag.PrintableString:
    case Tag.IA5String:
    case Tag.VisibleString:
      if (v.some((b) => b > 0x7f)) throw new DerError(`${what}: non-ASCII byte in an ASCII string type`);
      return ascii(v);
    case Tag.TeletexString:
      return ascii(v); // read as Latin-1, as most software does
    case Tag.BMPString: {
      if (v.length % 2) throw new DerError(`${what}: odd-length BMPString`);
      let s = '';
      for (let i = 0; i < v.length; i += 2) s += String.fromCharCode((v[i]! << 8) | v[i + 1]!);
      return s;
    }
    case Tag.UniversalString: {
      if (v.length % 4) throw new DerError(`${what}: UniversalString length is not a multiple of 4`);
      let s = '';
      for (let i = 0; i < v.length; i += 4) {
        const cp = ((v[i]! << 24) | (v[i + 1]! << 16) | (v[i + 2]! << 8) | v[i + 3]!) >>> 0;
        if (cp > 0x10ffff) throw new DerError(`${what}: invalid code point`);
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      throw new DerError(`${what}: tag ${hex2(t.tag)} is not a string type`);
  }
}

// ---- Writer: each function returns a complete encoding. ----

export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  const lenBytes: number[] = [];
  if (n < 0x80) lenBytes.push(n);
  else {
    for (let v = n; v > 0; v = Math.floor(v / 256)) lenBytes.unshift(v & 0xff);
    lenBytes.unshift(0x80 | lenBytes.length);
  }
  const out = new Uint8Array(1 + lenBytes.length + n);
  out[0] = tag;
  out.set(lenBytes, 1);
  out.set(value, 1 + lenBytes.length);
  return out;
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const encodeSequence = (...items: Uint8Array[]): Uint8Array => encodeTlv(Tag.SEQUENCE, join(items));

/** SET OF: DER sorts the encodings (X.690 11.6). */
export function encodeSet(...items: Uint8Array[]): Uint8Array {
  const sorted = [...items].sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  return encodeTlv(Tag.SET, join(sorted));
}

/** A non-negative INTEGER from a number, bigint, or big-endian unsigned bytes. */
export function encodeInteger(v: number | bigint | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (v instanceof Uint8Array) bytes = v;
  else {
    let n = BigInt(v);
    if (n < 0n) throw new RangeError('encodeInteger: negative values are not supported');
    const out: number[] = [];
    do {
      out.unshift(Number(n & 0xffn));
      n >>= 8n;
    } while (n > 0n);
    bytes = Uint8Array.from(out);
  }
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  bytes = bytes.subarray(i);
  if (bytes.length === 0) bytes = new Uint8Array(1);
  return encodeTlv(Tag.INTEGER, bytes[0]! & 0x80 ? join([new Uint8Array(1), bytes]) : bytes);
}

export const encodeBoolean = (b: boolean): Uint8Array => encodeTlv(Tag.BOOLEAN, Uint8Array.of(b ? 0xff : 0));
export const encodeNull = (): Uint8Array => encodeTlv(Tag.NULL, new Uint8Array(0));
export const encodeOctetString = (b: Uint8Array): Uint8Array => encodeTlv(Tag.OCTET_STRING, b);
export const encodeUtf8String = (s: string): Uint8Array => encodeTlv(Tag.UTF8String, new TextEncoder().encode(s));

export function encodeIa5String(s: string): Uint8Array {
  // eslint-disable-next-line no-control-regex -- the ASCII range is the point
  if (/[^\x00-\x7f]/.test(s)) throw new RangeError(`IA5String must be ASCII: ${JSON.stringify(s)}`);
  return encodeTlv(
    Tag.IA5String,
    Uint8Array.from(s, (c) => c.charCodeAt(0)),
  );
}

export function encodeBitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  return encodeTlv(Tag.BIT_STRING, join([Uint8Array.of(unusedBits), bytes]));
}

export function encodeOid(dotted: string): Uint8Array {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new RangeError(`not a dotted OID: ${JSON.stringify(dotted)}`);
  const arcs = dotted.split('.').map(BigInt);
  if (arcs[0]! < 2n && arcs[1]! >= 40n) throw new RangeError(`OID second arc must be below 40: ${dotted}`);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const group: number[] = [];
    let n = arc;
    do {
      group.unshift(Number(n & 0x7fn) | (group.length ? 0x80 : 0));
      n >>= 7n;
    } while (n > 0n);
    out.push(...group);
  }
  return encodeTlv(Tag.OID, Uint8Array.from(out));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5); whole seconds. */
export function encodeTime(ms: number): Uint8Array {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (!Number.isFinite(ms) || y < 0 || y > 9999) throw new RangeError(`time out of range: ${ms}`);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const rest = p2(d.getUTCMonth() + 1) + p2(d.getUTCDate()) + p2(d.getUTCHours()) + p2(d.getUTCMinutes()) + p2(d.getUTCSeconds()) + 'Z';
  const utc = y >= 1950 && y < 2050;
  const s = (utc ? p2(y % 100) : String(y).padStart(4, '0')) + rest;
  return encodeTlv(
    utc ? Tag.UTCTime : Tag.GeneralizedTime,
    Uint8Array.from(s, (c) => c.charCodeAt(0)),
  );
}

/** EXPLICIT [n] around a complete encoding. */
export const encodeExplicit = (n: number, inner: Uint8Array): Uint8Array => encodeTlv(contextTag(n, true), inner);
/** IMPLICIT [n] primitive with the given contents. */
export const encodeImplicit = (n: number, value: Uint8Array): Uint8Array => encodeTlv(contextTag(n, false), value);
