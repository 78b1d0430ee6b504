// connection_id (RFC 9146 3, used by DTLS 1.3 per RFC 9147 9):
//   struct { opaque cid<0..2^8-1>; } ConnectionId;
// The CID the sender wants to receive; empty: it wants none but will send one.
import { Writer } from '../codec.ts';
import { decodeAll, lengthIn } from '../vectors.ts';

export function encodeConnectionIdExtension(cid: Uint8Array): Uint8Array {
  return new Writer(1 + cid.length).vec(1, lengthIn(cid, 0, 255, 'cid')).finish();
}

/** The CID (a view into `data`). */
export function decodeConnectionIdExtension(data: Uint8Array): Uint8Array {
  return decodeAll(data, 'connection_id', (r) => r.vec(1, 'cid'));
}
