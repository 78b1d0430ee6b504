// pre_shared_key (RFC 8446 4.2.11):
//   struct { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; } PskIdentity;
//   opaque PskBinderEntry<32..255>;
//   struct { PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>; } OfferedPsks;
//   ClientHello: OfferedPsks;  ServerHello: uint16 selected_identity;
// The extension is the last of the ClientHello, and the binders are computed
// over the ClientHello cut just before them (RFC 8446 4.2.11.2): the cut is
// the binders list with its length, at the very end of the body.
import { DtlsError } from '../../errors.ts';
import { DecodeError, Reader, Writer } from '../codec.ts';
import { decodeExtensions } from '../extensions/index.ts';
import { ExtensionType } from '../types.ts';
import { decodeAll, lengthIn, uint } from '../vectors.ts';

export interface PskIdentity {
  identity: Uint8Array;
  obfuscatedTicketAge: number;
}

export interface OfferedPsks {
  identities: PskIdentity[];
  /** One per identity, in the same order (HMAC outputs, 32..255 bytes). */
  binders: Uint8Array[];
}

/** Bytes the binders list takes at the end of the ClientHello: its u16 length and each u8-prefixed binder. */
export function pskBindersLength(binders: readonly Uint8Array[]): number {
  return 2 + binders.reduce((n, b) => n + 1 + b.length, 0);
}

function writeBinders(w: Writer, binders: readonly Uint8Array[]): void {
  if (binders.length === 0) throw new RangeError('pre_shared_key: no binders');
  w.prefixed(2, (w) => {
    for (const b of binders) w.vec(1, lengthIn(b, 32, 255, 'PskBinderEntry'));
  });
}

/**
 * A client's OfferedPsks. To compute binders, encode once with placeholder
 * binders of the right lengths (e.g. zeros), hash the ClientHello up to
 * clientHelloBinderCut, then write the real ones with replacePskBinders.
 */
export function encodePreSharedKeyClient(m: OfferedPsks): Uint8Array {
  if (m.identities.length === 0) throw new RangeError('pre_shared_key: no identities');
  if (m.identities.length !== m.binders.length) throw new RangeError(`pre_shared_key: ${m.identities.length} identities, ${m.binders.length} binders`);
  const w = new Writer();
  w.prefixed(2, (w) => {
    for (const id of m.identities) {
      w.vec(2, lengthIn(id.identity, 1, 0xffff, 'identity')).u32(uint(id.obfuscatedTicketAge, 0xffffffff, 'obfuscated_ticket_age'));
    }
  });
  writeBinders(w, m.binders);
  return w.finish();
}

/** Views into `data`. Unequal counts of identities and binders are an illegal_parameter (RFC 8446 4.2.11). */
export function decodePreSharedKeyClient(data: Uint8Array): OfferedPsks {
  return decodeAll(data, 'pre_shared_key', (r) => {
    const ids = r.sub(2, 'identities', 7);
    const identities: PskIdentity[] = [];
    while (!ids.done) identities.push({ identity: ids.vec(2, 'identity', 1), obfuscatedTicketAge: ids.u32('obfuscated_ticket_age') });
    const bs = r.sub(2, 'binders', 33);
    const binders: Uint8Array[] = [];
    while (!bs.done) binders.push(bs.vec(1, 'PskBinderEntry', 32, 255));
    if (identities.length !== binders.length) {
      throw new DtlsError('illegal_parameter', `pre_shared_key: ${identities.length} identities but ${binders.length} binders`);
    }
    return { identities, binders };
  });
}

export function encodePreSharedKeyServer(selectedIdentity: number): Uint8Array {
  return new Writer(2).u16(uint(selectedIdentity, 0xffff, 'selected_identity')).finish();
}

export function decodePreSharedKeyServer(data: Uint8Array): number {
  if (data.length !== 2) throw new DecodeError(`pre_shared_key (server): ${data.length} bytes, expected 2`);
  return (data[0]! << 8) | data[1]!;
}

/** Skips a ClientHello body up to its extensions block (RFC 9147 5.3 layout, legacy_cookie included). */
function readToExtensions(r: Reader): void {
  r.u16('legacy_version');
  r.bytes(32, 'random');
  r.vec(1, 'legacy_session_id', 0, 32);
  r.vec(1, 'legacy_cookie');
  r.vec(2, 'cipher_suites', 2);
  r.vec(1, 'legacy_compression_methods', 1);
}

/**
 * Where the binders list starts in a ClientHello body: the body before this
 * offset, under a TLS-style handshake header, is what the binders cover
 * (RFC 8446 4.2.11.2, RFC 9147 5.2: no message_seq or fragment fields in the
 * transcript). pre_shared_key must be the last extension, else illegal_parameter.
 */
export function clientHelloBinderCut(body: Uint8Array): number {
  const r = new Reader(body);
  readToExtensions(r);
  const exts = decodeExtensions(r);
  r.end('ClientHello');
  const last = exts[exts.length - 1];
  if (last === undefined || last.type !== ExtensionType.pre_shared_key) {
    if (exts.some((e) => e.type === ExtensionType.pre_shared_key))
      throw new DtlsError('illegal_parameter', 'pre_shared_key is not the last ClientHello extension');
    throw new DecodeError('ClientHello: no pre_shared_key extension');
  }
  const psk = decodePreSharedKeyClient(last.data);
  return body.length - pskBindersLength(psk.binders);
}

/**
 * A copy of the ClientHello body with its binders replaced; the new binders
 * must have the lengths of the old ones (they were encoded as placeholders).
 */
export function replacePskBinders(body: Uint8Array, binders: readonly Uint8Array[]): Uint8Array {
  const cut = clientHelloBinderCut(body);
  const old = new Reader(body, cut).sub(2, 'binders');
  for (const b of binders) {
    if (old.done || old.vec(1, 'binder').length !== b.length)
      throw new RangeError('replacePskBinders: binders differ from the placeholders in count or length');
  }
  if (!old.done) throw new RangeError('replacePskBinders: fewer binders than placeholders');
  const w = new Writer(body.length);
  w.bytes(body.subarray(0, cut));
  writeBinders(w, binders);
  return w.finish();
}
