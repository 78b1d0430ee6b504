// Sealing a ticket's contents under one of the server's ticket keys, shared by
// DTLS 1.2 (RFC 5077 4's recommended construction, with AES-256-GCM) and 1.3
// tickets. The first byte names the version whose contents follow, and it is
// authenticated, so a 1.2 ticket never opens as a 1.3 PSK identity, nor back.
import type { CryptoProvider } from '../crypto/provider.ts';
import { DecodeError, Reader, Writer, concat, equalBytes, fromUtf8, utf8 } from '../wire/codec.ts';

/** What a sealed ticket holds; the values are its first byte. */
export const TicketFormat = { dtls13: 1, dtls12: 2 } as const;
export type TicketFormat = (typeof TicketFormat)[keyof typeof TicketFormat];

/** AES-256-GCM: the ticket AEAD every provider has. */
const TICKET_AEAD = 'aes-256-gcm';
const KEY_NAME_LENGTH = 4;
const NONCE_LENGTH = 12;
const HEADER_LENGTH = 1 + KEY_NAME_LENGTH + NONCE_LENGTH;

/** The first bytes of SHA-256(key): which of our ticket keys sealed a ticket, without trying them all. */
function keyName(crypto: CryptoProvider, key: Uint8Array): Uint8Array {
  return crypto.hash('sha256', key).subarray(0, KEY_NAME_LENGTH);
}

/** Format byte, key name, nonce, then AES-256-GCM of `plain` with those three as associated data. */
function sealTicketBytes(crypto: CryptoProvider, key: Uint8Array, format: TicketFormat, plain: Uint8Array): Uint8Array {
  const header = concat(Uint8Array.of(format), keyName(crypto, key), crypto.random(NONCE_LENGTH));
  const sealed = crypto.aead(TICKET_AEAD, key).seal(header.subarray(1 + KEY_NAME_LENGTH), plain, header);
  return concat(header, sealed);
}

/**
 * The contents of a ticket of `format` sealed by one of `keys` (the caller
 * zeroes them after reading), or undefined: another format, a key we no longer
 * hold, forged or tampered.
 */
function openTicketBytes(crypto: CryptoProvider, keys: readonly Uint8Array[], format: TicketFormat, ticket: Uint8Array): Uint8Array | undefined {
  if (ticket.length < HEADER_LENGTH + 16 || ticket[0] !== format) return undefined;
  const name = ticket.subarray(1, 1 + KEY_NAME_LENGTH);
  for (const key of keys) {
    if (!equalBytes(keyName(crypto, key), name)) continue;
    return (
      crypto
        .aead(TICKET_AEAD, key)
        .open(ticket.subarray(1 + KEY_NAME_LENGTH, HEADER_LENGTH), ticket.subarray(HEADER_LENGTH), ticket.subarray(0, HEADER_LENGTH)) ?? undefined
    );
  }
  return undefined;
}

/**
 * Seals what `write` writes, then the issue time: the contents of a ticket of
 * `format`, under `key` (32 bytes, the first of options.ticketKeys).
 */
export function sealTicketState(crypto: CryptoProvider, key: Uint8Array, format: TicketFormat, write: (w: Writer) => void, issuedAt: number): Uint8Array {
  const w = new Writer();
  write(w);
  w.u48(issuedAt);
  const plain = w.finish();
  const ticket = sealTicketBytes(crypto, key, format, plain);
  plain.fill(0);
  return ticket;
}

/**
 * What `read` reads from a ticket of `format` that one of `keys` sealed, with
 * its issue time; undefined when none did, it does not authenticate (forged,
 * tampered, a retired key, the other version's), or it is authenticated yet
 * unreadable (another format version of ours): a full handshake follows.
 */
export function openTicketState<T extends object>(
  crypto: CryptoProvider,
  keys: readonly Uint8Array[],
  format: TicketFormat,
  ticket: Uint8Array,
  read: (r: Reader) => T,
): (T & { issuedAt: number }) | undefined {
  const plain = openTicketBytes(crypto, keys, format, ticket);
  if (!plain) return undefined;
  try {
    const r = new Reader(plain);
    const state = read(r);
    const issuedAt = r.u48('issued_at');
    r.end('ticket');
    return { ...state, issuedAt };
  } catch {
    return undefined;
  } finally {
    plain.fill(0);
  }
}

/** At most this many peer certificates are carried (a longer chain is not kept for resumption). */
const MAX_CHAIN = 10;

/** What a session of either version remembers of the connection beside its secret. */
export interface SessionPeer {
  alpn: string | undefined;
  serverName: string | undefined;
  /** The peer's certificates on that connection (DER, leaf first; empty: it sent none). */
  peerChain: Uint8Array[];
}

export function writeSessionPeer(w: Writer, s: SessionPeer): void {
  w.vec(1, utf8(s.alpn ?? '')).vec(2, utf8(s.serverName ?? ''));
  const chain = s.peerChain.length <= MAX_CHAIN ? s.peerChain : [];
  w.u8(chain.length);
  for (const c of chain) w.vec(3, c);
}

export function readSessionPeer(r: Reader): SessionPeer {
  const alpn = fromUtf8(r.vec(1, 'alpn'));
  const serverName = fromUtf8(r.vec(2, 'server_name'));
  const n = r.u8('chain length');
  if (n > MAX_CHAIN) throw new DecodeError(`resumption state: ${n} certificates`);
  const peerChain: Uint8Array[] = [];
  for (let i = 0; i < n; i++) peerChain.push(r.vec(3, 'certificate', 1).slice());
  return { alpn: alpn || undefined, serverName: serverName || undefined, peerChain };
}
