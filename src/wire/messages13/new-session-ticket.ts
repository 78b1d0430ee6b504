// NewSessionTicket of TLS 1.3 (RFC 8446 4.6.1):
//   struct { uint32 ticket_lifetime; uint32 ticket_age_add; opaque ticket_nonce<0..255>;
//            opaque ticket<1..2^16-1>; Extension extensions<0..2^16-2>; } NewSessionTicket;
import { DtlsError } from '../../errors.ts';
import { Writer } from '../codec.ts';
import { decodeExtensions, writeExtensions } from '../extensions/index.ts';
import type { Extension } from '../types.ts';
import { decodeAll, lengthIn, uint } from '../vectors.ts';

/** RFC 8446 4.6.1: lifetimes over seven days are not allowed. */
export const MAX_TICKET_LIFETIME = 604800;

export interface NewSessionTicket13 {
  /** Seconds. */
  lifetime: number;
  ageAdd: number;
  nonce: Uint8Array;
  ticket: Uint8Array;
  extensions: Extension[];
}

export function encodeNewSessionTicket13(m: NewSessionTicket13): Uint8Array {
  const w = new Writer(16 + m.nonce.length + m.ticket.length);
  w.u32(uint(m.lifetime, MAX_TICKET_LIFETIME, 'ticket_lifetime'))
    .u32(uint(m.ageAdd, 0xffffffff, 'ticket_age_add'))
    .vec(1, lengthIn(m.nonce, 0, 255, 'ticket_nonce'))
    .vec(2, lengthIn(m.ticket, 1, 0xffff, 'ticket'));
  writeExtensions(w, m.extensions);
  return w.finish();
}

/** Views into `body`; a lifetime over seven days is an illegal_parameter (RFC 8446 4.6.1). */
export function decodeNewSessionTicket13(body: Uint8Array): NewSessionTicket13 {
  return decodeAll(body, 'NewSessionTicket', (r) => {
    const lifetime = r.u32('ticket_lifetime');
    if (lifetime > MAX_TICKET_LIFETIME) throw new DtlsError('illegal_parameter', `NewSessionTicket: ticket_lifetime ${lifetime} s exceeds 7 days`);
    return {
      lifetime,
      ageAdd: r.u32('ticket_age_add'),
      nonce: r.vec(1, 'ticket_nonce'),
      ticket: r.vec(2, 'ticket', 1),
      extensions: decodeExtensions(r),
    };
  });
}
