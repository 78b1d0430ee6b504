// key_share (RFC 8446 4.2.8):
//   struct { NamedGroup group; opaque key_exchange<1..2^16-1>; } KeyShareEntry;
//   ClientHello:       KeyShareEntry client_shares<0..2^16-1>;
//   ServerHello:       KeyShareEntry server_share;
//   HelloRetryRequest: NamedGroup selected_group;
import { DtlsError } from '../../errors.ts';
import { DecodeError, type Reader, Writer } from '../codec.ts';
import { decodeAll, lengthIn, uint } from '../vectors.ts';

export interface KeyShareEntry {
  group: number;
  /** The public value: an EC point, an X25519 key, or an ML-KEM hybrid share. */
  keyExchange: Uint8Array;
}

function writeEntry(w: Writer, e: KeyShareEntry): void {
  w.u16(uint(e.group, 0xffff, 'key share group')).vec(2, lengthIn(e.keyExchange, 1, 0xffff, 'key_exchange'));
}

function readEntry(r: Reader): KeyShareEntry {
  return { group: r.u16('key share group'), keyExchange: r.vec(2, 'key_exchange', 1) };
}

/** Groups must not repeat (RFC 8446 4.2.8); an empty list asks for a HelloRetryRequest. */
export function encodeKeyShareClient(shares: readonly KeyShareEntry[]): Uint8Array {
  const seen = new Set<number>();
  const w = new Writer();
  w.prefixed(2, (w) => {
    for (const e of shares) {
      if (seen.has(e.group)) throw new RangeError(`key_share: group ${e.group} twice`);
      seen.add(e.group);
      writeEntry(w, e);
    }
  });
  return w.finish();
}

/**
 * The client's shares in order (views into `data`). A group offered twice is
 * an illegal_parameter (RFC 8446 4.2.8: servers MAY check; we do).
 */
export function decodeKeyShareClient(data: Uint8Array): KeyShareEntry[] {
  return decodeAll(data, 'key_share', (r) => {
    const list = r.sub(2, 'client_shares');
    const out: KeyShareEntry[] = [];
    const seen = new Set<number>();
    while (!list.done) {
      const e = readEntry(list);
      if (seen.has(e.group)) throw new DtlsError('illegal_parameter', `key_share: group ${e.group} offered twice`);
      seen.add(e.group);
      out.push(e);
    }
    return out;
  });
}

export function encodeKeyShareServer(share: KeyShareEntry): Uint8Array {
  const w = new Writer(4 + share.keyExchange.length);
  writeEntry(w, share);
  return w.finish();
}

export function decodeKeyShareServer(data: Uint8Array): KeyShareEntry {
  return decodeAll(data, 'key_share (server)', readEntry);
}

/** The HelloRetryRequest form: just the group the server wants a share for. */
export function encodeKeyShareRetry(selectedGroup: number): Uint8Array {
  return new Writer(2).u16(uint(selectedGroup, 0xffff, 'selected_group')).finish();
}

export function decodeKeyShareRetry(data: Uint8Array): number {
  if (data.length !== 2) throw new DecodeError(`key_share (HelloRetryRequest): ${data.length} bytes, expected 2`);
  return (data[0]! << 8) | data[1]!;
}
