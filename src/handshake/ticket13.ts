// DTLS 1.3 resumption state (RFC 8446 2.2, 4.6.1): what a server seals into
// the tickets it issues, what a client keeps of one (the session the
// application stores), and the PSK binder both sides compute (RFC 8446
// 4.2.11.2). The server keeps nothing per ticket: the ticket itself holds
// the resumption PSK and what the resumed connection's summary needs (suite,
// ALPN, SNI, the peer's certificates), AEAD-sealed under a ticket key of
// ours, so only we can read it and a tampered one simply fails to open.
import type { CryptoProvider, HashName } from '../crypto/provider.ts';
import { KeySchedule13 } from '../crypto/key-schedule13.ts';
import { DecodeError, Reader, Writer, concat, equalBytes, utf8 } from '../wire/codec.ts';
import { encodeTranscriptMessage } from '../wire/messages13/transcript.ts';
import { HandshakeType } from '../wire/types.ts';
import { TicketFormat, openTicketState, readSessionPeer, sealTicketState, writeSessionPeer, type SessionPeer } from './ticket-seal.ts';

/** What a ticket and a session both carry about the connection that issued it. */
export interface ResumptionState extends SessionPeer {
  /** The DTLS 1.3 suite of that connection: a resumption must use one of the same hash (RFC 8446 4.2.11). */
  suite: number;
  /** The resumption PSK (RFC 8446 4.6.1). */
  psk: Uint8Array;
  /** Seconds, at most seven days (RFC 8446 4.6.1). */
  lifetime: number;
  ageAdd: number;
}

/** Server side: the ticket's contents. `issuedAt` is our wall clock (ms). */
export interface TicketContents extends ResumptionState {
  issuedAt: number;
}

/** Client side: a session the application stores and hands back (`options.session`). `receivedAt`: wall clock (ms). */
export interface ClientSession extends ResumptionState {
  ticket: Uint8Array;
  receivedAt: number;
}

const SESSION_MAGIC = utf8('dtls-stream session 1.3');

function writeState(w: Writer, s: ResumptionState): void {
  w.u16(s.suite).vec(1, s.psk).u32(s.lifetime).u32(s.ageAdd);
  writeSessionPeer(w, s);
}

function readState(r: Reader): ResumptionState {
  const suite = r.u16('suite');
  const psk = r.vec(1, 'psk', 32, 64).slice();
  const lifetime = r.u32('lifetime');
  const ageAdd = r.u32('age_add');
  return { suite, psk, lifetime, ageAdd, ...readSessionPeer(r) };
}

/**
 * Seals a ticket under `key` (32 bytes) in the 1.3 format (ticket-seal.ts):
 * a 1.2 ticket of ours never opens here, nor this one there.
 */
export function sealTicket(crypto: CryptoProvider, key: Uint8Array, t: TicketContents): Uint8Array {
  return sealTicketState(crypto, key, TicketFormat.dtls13, (w) => writeState(w, t), t.issuedAt);
}

/**
 * Opens a ticket with whichever of `keys` sealed it; undefined when none did
 * or it does not authenticate (forged, tampered, from a retired key, or a
 * DTLS 1.2 ticket): the client then gets a full handshake (RFC 8446 4.2.11).
 */
export function openTicket(crypto: CryptoProvider, keys: readonly Uint8Array[], ticket: Uint8Array): TicketContents | undefined {
  return openTicketState(crypto, keys, TicketFormat.dtls13, ticket, readState);
}

/** The opaque, serialisable form of a client session (what `onSession` hands out). */
export function encodeClientSession(s: ClientSession): Uint8Array {
  const w = new Writer();
  w.vec(1, SESSION_MAGIC);
  writeState(w, s);
  w.vec(2, s.ticket).u48(s.receivedAt);
  return w.finish();
}

/** Throws DecodeError on bytes that are not encodeClientSession's. */
export function decodeClientSession(bytes: Uint8Array): ClientSession {
  const r = new Reader(bytes);
  if (!equalBytes(r.vec(1, 'magic'), SESSION_MAGIC)) throw new DecodeError('not a dtls-stream DTLS 1.3 session');
  const state = readState(r);
  const ticket = r.vec(2, 'ticket', 1).slice();
  const receivedAt = r.u48('received_at');
  r.end('session');
  return { ...state, ticket, receivedAt };
}

/**
 * A PSK binder (RFC 8446 4.2.11.2): HMAC(finished_key of binder_key, Transcript-Hash(
 * what came before this ClientHello, then the ClientHello cut before its binders list)).
 * `before` holds the transcript messages before it (after a HelloRetryRequest:
 * message_hash and the HRR); `body` is the whole ClientHello, `cut` where its binders start.
 * In DTLS 1.3 the transcript frames messages as TLS does (RFC 9147 5.2).
 */
export function pskBinder(crypto: CryptoProvider, hash: HashName, psk: Uint8Array, before: readonly Uint8Array[], body: Uint8Array, cut: number): Uint8Array {
  const truncated = encodeTranscriptMessage(HandshakeType.client_hello, body).subarray(0, 4 + cut);
  const ks = new KeySchedule13(crypto, hash, psk);
  const key = ks.binderFinishedKey();
  const mac = crypto.hmac(hash, key, crypto.hash(hash, concat(...before, truncated)));
  key.fill(0);
  return mac;
}
