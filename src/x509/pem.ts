// PEM text encoding (RFC 7468): base64 between BEGIN/END lines. Text outside
// the blocks is ignored; RFC 1421 header lines ("Proc-Type: ...") are skipped.
import { DecodeError } from '../wire/codec.ts';

export class PemError extends DecodeError {
  constructor(message: string) {
    super(`PEM: ${message}`);
    this.name = 'PemError';
  }
}

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));
const LABEL = /^[\x21-\x2c\x2e-\x7e]+(?:[- ][\x21-\x2c\x2e-\x7e]+)*$/; // RFC 7468 3

function base64Decode(s: string, label: string): Uint8Array {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new PemError(`${label}: invalid base64`);
  const body = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let acc = 0,
    bits = 0,
    o = 0;
  for (const c of body) {
    acc = (acc << 6) | B64_INDEX.get(c)!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

function base64Encode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + (i + 1 < b.length ? B64[(n >> 6) & 63]! : '=') + (i + 2 < b.length ? B64[n & 63]! : '=');
  }
  return s;
}

/** Every PEM block in `text`, in order. Throws PemError when there is none or one is malformed. */
export function decodePem(text: string): PemBlock[] {
  if (typeof text !== 'string') throw new TypeError('decodePem expects a string');
  const lines = text.split(/\r\n|\r|\n/).map((l) => l.trim());
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = /^-----BEGIN (.*)-----$/.exec(lines[i]!);
    if (!begin) continue;
    const label = begin[1]!;
    if (!LABEL.test(label)) throw new PemError(`bad label ${JSON.stringify(label)}`);
    const endLine = `-----END ${label}-----`;
    let j = i + 1;
    // RFC 1421 headers: "Name: value" lines before the body, then a blank line.
    while (j < lines.length && /^[A-Za-z0-9-]+:/.test(lines[j]!)) j++;
    let b64 = '';
    for (; j < lines.length && lines[j] !== endLine; j++) {
      if (lines[j]!.startsWith('-----')) throw new PemError(`${label}: expected "${endLine}", found "${lines[j]}"`);
      b64 += lines[j]!.replace(/\s+/g, '');
    }
    if (j >= lines.length) throw new PemError(`${label}: missing "${endLine}"`);
    const der = base64Decode(b64, label);
    if (der.length === 0) throw new PemError(`${label}: empty block`);
    blocks.push({ label, der });
    i = j;
  }
  if (blocks.length === 0) throw new PemError('no "-----BEGIN ...-----" block found');
  return blocks;
}

/** One PEM block with 64-column base64 lines and a trailing newline. */
export function encodePem(label: string, der: Uint8Array): string {
  if (!LABEL.test(label)) throw new TypeError(`bad PEM label ${JSON.stringify(label)}`);
  const b64 = base64Encode(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
