// DTLS 1.2 resumption state (RFC 5077 tickets; RFC 5246 7.3 abbreviated
// handshake): what the server seals into a ticket, and the session a client
// keeps (the bytes `onSession` hands out and `session` takes back). A 1.2
// session is its master secret and what the resumed connection's summary
// needs: the server keeps nothing per session. Sessions exist only with the
// extended master secret (RFC 7627 5.3): one without it is never made, so
// never resumed.
import type { CryptoProvider } from '../crypto/provider.ts';
import { DecodeError, Reader, Writer, equalBytes, utf8 } from '../wire/codec.ts';
import { TicketFormat, openTicketState, readSessionPeer, sealTicketState, writeSessionPeer, type SessionPeer } from './ticket-seal.ts';

/** What a ticket and a client session both carry about the connection that made them. */
export interface Session12State extends SessionPeer {
  /** The DTLS 1.2 cipher suite: a resumption keeps it (RFC 5246 7.4.1.3). */
  suite: number;
  /** The 48-byte master secret, made with the extended master secret (RFC 7627). */
  master: Uint8Array;
  /** Seconds. */
  lifetime: number;
}

/** Server side: a ticket's contents. `issuedAt`: our wall clock (ms). */
export interface Ticket12 extends Session12State {
  issuedAt: number;
}

/**
 * Client side: a session to offer again, by its ticket (RFC 5077) or, from a
 * server that issued none, by the session ID it gave (RFC 5246 7.4.1.2).
 * `receivedAt`: wall clock (ms).
 */
export interface ClientSession12 extends Session12State {
  version: '1.2';
  /** Empty: the server issued no ticket; the session ID names the session. */
  ticket: Uint8Array;
  sessionId: Uint8Array;
  receivedAt: number;
}

const MASTER_LENGTH = 48;
const SESSION_MAGIC_12 = utf8('dtls-stream session 1.2');
const SESSION_MAGIC_13 = utf8('dtls-stream session 1.3');

function writeState(w: Writer, s: Session12State): void {
  w.u16(s.suite).vec(1, s.master).u32(s.lifetime);
  writeSessionPeer(w, s);
}

function readState(r: Reader): Session12State {
  const suite = r.u16('suite');
  const master = r.vec(1, 'master_secret', MASTER_LENGTH, MASTER_LENGTH).slice();
  const lifetime = r.u32('lifetime');
  return { suite, master, lifetime, ...readSessionPeer(r) };
}

/** Seals a DTLS 1.2 ticket under `key` (32 bytes), the first of options.ticketKeys. */
export function sealTicket12(crypto: CryptoProvider, key: Uint8Array, t: Ticket12): Uint8Array {
  return sealTicketState(crypto, key, TicketFormat.dtls12, (w) => writeState(w, t), t.issuedAt);
}

/** A DTLS 1.2 ticket of ours, or undefined (forged, tampered, a retired key, a 1.3 ticket): a full handshake follows (RFC 5077 3.4). */
export function openTicket12(crypto: CryptoProvider, keys: readonly Uint8Array[], ticket: Uint8Array): Ticket12 | undefined {
  return openTicketState(crypto, keys, TicketFormat.dtls12, ticket, readState);
}

/** The opaque, serialisable form of a client's DTLS 1.2 session. */
export function encodeClientSession12(s: Omit<ClientSession12, 'version'>): Uint8Array {
  const w = new Writer();
  w.vec(1, SESSION_MAGIC_12);
  writeState(w, s);
  w.vec(2, s.ticket).vec(1, s.sessionId).u48(s.receivedAt);
  return w.finish();
}

/** Throws DecodeError on bytes that are not encodeClientSession12's. */
export function decodeClientSession12(bytes: Uint8Array): ClientSession12 {
  const r = new Reader(bytes);
  if (!equalBytes(r.vec(1, 'magic'), SESSION_MAGIC_12)) throw new DecodeError('not a dtls-stream DTLS 1.2 session');
  const state = readState(r);
  const ticket = r.vec(2, 'ticket').slice();
  const sessionId = r.vec(1, 'session_id', 0, 32).slice();
  if (!ticket.length && !sessionId.length) throw new DecodeError('a DTLS 1.2 session with neither a ticket nor a session ID');
  const receivedAt = r.u48('received_at');
  r.end('session');
  return { version: '1.2', ...state, ticket, sessionId, receivedAt };
}

/** The protocol version a session from `onSession` resumes, read from its first bytes; undefined for anything else. */
export function sessionVersion(bytes: Uint8Array): '1.2' | '1.3' | undefined {
  const n = bytes[0];
  if (n === undefined || bytes.length < 1 + n) return undefined;
  const magic = bytes.subarray(1, 1 + n);
  if (equalBytes(magic, SESSION_MAGIC_12)) return '1.2';
  if (equalBytes(magic, SESSION_MAGIC_13)) return '1.3';
  return undefined;
}
