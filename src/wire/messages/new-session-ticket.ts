// NewSessionTicket of TLS 1.2 (RFC 5077 3.3):
//   struct { uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>; } NewSessionTicket;
// An empty ticket is the server's way to say it will not issue one after all.
import { Writer } from '../codec.ts';
import { decodeAll, lengthIn, uint } from '../vectors.ts';

export interface NewSessionTicket12 {
  /** Seconds; 0: unspecified (RFC 5077 3.3). */
  lifetimeHint: number;
  ticket: Uint8Array;
}

export function encodeNewSessionTicket12(m: NewSessionTicket12): Uint8Array {
  return new Writer(6 + m.ticket.length)
    .u32(uint(m.lifetimeHint, 0xffffffff, 'ticket_lifetime_hint'))
    .vec(2, lengthIn(m.ticket, 0, 0xffff, 'ticket'))
    .finish();
}

/** `ticket` is a view into `body`. */
export function decodeNewSessionTicket12(body: Uint8Array): NewSessionTicket12 {
  return decodeAll(body, 'NewSessionTicket', (r) => ({ lifetimeHint: r.u32('ticket_lifetime_hint'), ticket: r.vec(2, 'ticket') }));
}
