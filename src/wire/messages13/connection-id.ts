// Connection ID management messages (RFC 9147 9):
//   enum { cid_immediate(0), cid_spare(1), (255) } ConnectionIdUsage;
//   opaque ConnectionId<0..2^8-1>;
//   struct { ConnectionId cids<0..2^16-1>; ConnectionIdUsage usage; } NewConnectionId;
//   struct { uint8 num_cids; } RequestConnectionId;
import { DecodeError, Writer } from '../codec.ts';
import { decodeAll, lengthIn, uint } from '../vectors.ts';

export const ConnectionIdUsage = { cid_immediate: 0, cid_spare: 1 } as const;

export interface NewConnectionId {
  cids: Uint8Array[];
  /** cid_immediate or cid_spare; an unknown value is kept for the handler to refuse. */
  usage: number;
}

export function encodeNewConnectionId(m: NewConnectionId): Uint8Array {
  const w = new Writer();
  w.prefixed(2, (w) => {
    for (const c of m.cids) w.vec(1, lengthIn(c, 0, 255, 'ConnectionId'));
  });
  w.u8(uint(m.usage, 0xff, 'usage'));
  return w.finish();
}

/** CIDs are views into `body`. */
export function decodeNewConnectionId(body: Uint8Array): NewConnectionId {
  return decodeAll(body, 'NewConnectionId', (r) => {
    const list = r.sub(2, 'cids');
    const cids: Uint8Array[] = [];
    while (!list.done) cids.push(list.vec(1, 'ConnectionId'));
    return { cids, usage: r.u8('usage') };
  });
}

export interface RequestConnectionId {
  numCids: number;
}

export function encodeRequestConnectionId(m: RequestConnectionId): Uint8Array {
  return Uint8Array.of(uint(m.numCids, 0xff, 'num_cids'));
}

export function decodeRequestConnectionId(body: Uint8Array): RequestConnectionId {
  if (body.length !== 1) throw new DecodeError(`RequestConnectionId: ${body.length} bytes, expected 1`);
  return { numCids: body[0]! };
}
