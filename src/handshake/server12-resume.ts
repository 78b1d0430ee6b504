// The DTLS 1.2 server's side of resumption (RFC 5077 3.1-3.4, RFC 5246 7.3):
// which ticket a ClientHello offers that we take, and the tickets we issue.
// A session issued without a ticket is named by its ID (server12-cache.ts).
// Every reason to decline ends in a full handshake, never a failure: a ticket
// that does not open (forged, tampered, a retired key, a 1.3 ticket), one
// expired, for another server name, for a suite the client no longer offers,
// or a ClientHello without extended_master_secret (RFC 7627 5.3).
import type { ResolvedOptions } from '../options.ts';
import { suiteById } from '../crypto/suites.ts';
import type { ClientHello } from '../wire/messages/client-hello.ts';
import { openTicket12, sealTicket12, type Session12State, type Ticket12 } from './ticket12.ts';
import { sessionCache12 } from './server12-cache.ts';

/** A ticket issued this far in our future (clock steps) is still taken. */
const CLOCK_SKEW_MS = 10_000;

export interface ResumeOffer12 {
  ch: ClientHello;
  /** The session_ticket extension's data (the ticket). */
  ticket: Uint8Array;
  /** The handshake would use the extended master secret (both sides want it). */
  ems: boolean;
  serverName: string | undefined;
  /** The suite authentication our certificate gives (certificateAuth). */
  auth: 'ecdsa' | 'rsa';
  wallNow: number;
}

/**
 * The session to resume, or undefined for a full handshake: the ticket's
 * (`byId` false), else the one our cache holds under the client's session ID.
 */
export function chooseSession12(o: ResolvedOptions, offer: ResumeOffer12): { t: Ticket12; byId: boolean } | undefined {
  if (!offer.ems) return undefined;
  // RFC 5077 3.4: a client that sent no session ID tells a resumption by what follows our ServerHello (a ticket or our CCS).
  const ticket = offer.ticket.length ? openTicket12(o.crypto, o.ticketKeys(), offer.ticket) : undefined;
  if (ticket && acceptable(o, offer, ticket)) return { t: ticket, byId: false };
  // RFC 5077 3.4: a ticket we cannot use leaves the session ID to name a session of our cache.
  const cached = offer.ch.sessionId.length ? sessionCache12(o).get(offer.ch.sessionId, offer.wallNow) : undefined;
  if (cached && acceptable(o, offer, cached)) return { t: cached, byId: true };
  return undefined;
}

function acceptable(o: ResolvedOptions, offer: ResumeOffer12, t: Ticket12): boolean {
  const age = offer.wallNow - t.issuedAt;
  if (age < -CLOCK_SKEW_MS || age > t.lifetime * 1000) return false;
  // RFC 5246 7.4.1.2: the session's suite must still be offered (by both of us, and fit our certificate).
  if (!offer.ch.cipherSuites.includes(t.suite) || !o.cipherSuites.includes(t.suite) || suiteById(t.suite)?.auth !== offer.auth) return false;
  // RFC 6066 3: a session resumes only for the server name it was made for.
  if (t.serverName !== offer.serverName) return false;
  // A resumption asks for no certificate: a required one must be in the session.
  return !(o.requestClientCertificate === 'require' && !t.peerChain.length);
}

/** A ticket for this session under our first ticket key, valid options.ticketLifetime seconds from `wallNow`. */
export function issueTicket12(o: ResolvedOptions, s: Omit<Session12State, 'lifetime'>, wallNow: number): Uint8Array {
  return sealTicket12(o.crypto, o.ticketKeys()[0]!, { ...s, lifetime: o.ticketLifetime, issuedAt: wallNow });
}

/** A full handshake's session, cached under the session ID our ServerHello gave (RFC 5246 7.4.1.3). */
export function cacheSession12(o: ResolvedOptions, sessionId: Uint8Array, s: Omit<Session12State, 'lifetime'>, wallNow: number): void {
  sessionCache12(o).set(sessionId, { ...s, lifetime: o.ticketLifetime, issuedAt: wallNow });
}
