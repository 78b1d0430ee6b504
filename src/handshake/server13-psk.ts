// The DTLS 1.3 server's side of resumption (RFC 8446 2.2, 4.2.9, 4.2.11):
// whether a client wants tickets, and which of the PSKs its ClientHello
// offers we take. Only psk_dhe_ke is accepted (the key exchange still runs,
// so a resumed connection has forward secrecy); a ticket we cannot open, one
// expired, for another hash or another server name is passed over, and the
// handshake is a full one; a ticket we take with a binder that does not
// verify ends it with decrypt_error (RFC 8446 4.2.11).
import type { ResolvedOptions } from '../options.ts';
import { DtlsError } from '../errors.ts';
import { suite13ById } from '../crypto/suites.ts';
import { equalBytes } from '../wire/codec.ts';
import { findExtension } from '../wire/extensions/index.ts';
import { HandshakeType, ExtensionType } from '../wire/types.ts';
import { clientHelloBinderCut, decodePreSharedKeyClient } from '../wire/extensions13/pre-shared-key.ts';
import { PskKeyExchangeMode, decodePskKeyExchangeModes } from '../wire/extensions13/psk-key-exchange-modes.ts';
import { encodeMessageHash, encodeTranscriptMessage } from '../wire/messages13/transcript.ts';
import type { ClientHello } from '../wire/messages/client-hello.ts';
import { decodeAs } from './common.ts';
import { openTicket, pskBinder, type TicketContents } from './ticket13.ts';
import type { Hello13 } from './server13-hello.ts';

/** Identities looked at in one ClientHello: each costs an AEAD open. */
const MAX_IDENTITIES = 8;
/** A ticket issued this far in our future (clock steps) is still taken. */
const CLOCK_SKEW_MS = 10_000;

/** The PSK the server takes: its index in the client's list and what its ticket held. */
export interface AcceptedPsk {
  index: number;
  ticket: TicketContents;
}

/** RFC 8446 4.2.9: psk_dhe_ke offered; a server sends tickets only for modes the client can use. */
export function wantsTickets(ch: Pick<ClientHello, 'extensions'>): boolean {
  const e = findExtension(ch.extensions, ExtensionType.psk_key_exchange_modes);
  return !!e && decodeAs('psk_key_exchange_modes', () => decodePskKeyExchangeModes(e.data)).includes(PskKeyExchangeMode.psk_dhe_ke);
}

/**
 * The PSK to resume with, or undefined for a full handshake. `body` is the
 * ClientHello as received (the binder covers its bytes); `wallNow` our wall clock (ms).
 */
export function choosePsk(o: ResolvedOptions, hello: Hello13, body: Uint8Array, wallNow: number): AcceptedPsk | undefined {
  const ext = findExtension(hello.ch.extensions, ExtensionType.pre_shared_key);
  if (!ext) return undefined;
  // RFC 8446 4.2.9: a PSK offered without the modes it may be used in ends the handshake.
  if (!findExtension(hello.ch.extensions, ExtensionType.psk_key_exchange_modes))
    throw new DtlsError('missing_extension', 'ClientHello offers pre_shared_key without psk_key_exchange_modes (RFC 8446 4.2.9)');
  // Must be the last extension (illegal_parameter), RFC 8446 4.2.11.
  const cut = clientHelloBinderCut(body);
  const offered = decodeAs('pre_shared_key', () => decodePreSharedKeyClient(ext.data));
  if (!wantsTickets(hello.ch)) return undefined;
  const suite = hello.suite;
  for (let index = 0; index < Math.min(offered.identities.length, MAX_IDENTITIES); index++) {
    const ticket = openTicket(o.crypto, o.ticketKeys(), offered.identities[index]!.identity);
    if (!ticket) continue;
    // RFC 8446 4.2.11: the PSK's hash must be the chosen suite's.
    if (suite13ById(ticket.suite)?.hash !== suite.hash) continue;
    const age = wallNow - ticket.issuedAt;
    if (age < -CLOCK_SKEW_MS || age > ticket.lifetime * 1000) continue;
    // RFC 8446 4.6.1 / 4.2.11: a session resumes only for the server name it was made for.
    if (ticket.serverName !== hello.serverName) continue;
    // No CertificateRequest in a PSK handshake (RFC 8446 4.3.2): a required client certificate must be in the ticket.
    if (o.requestClientCertificate === 'require' && !ticket.peerChain.length) continue;
    // RFC 8446 4.2.11.2: after a HelloRetryRequest the binder covers message_hash and the HRR too.
    const before = hello.retry
      ? [encodeMessageHash(hello.retry.state.clientHello1Hash), encodeTranscriptMessage(HandshakeType.server_hello, hello.retry.hrrBody)]
      : [];
    const expected = pskBinder(o.crypto, suite.hash, ticket.psk, before, body, cut);
    const binder = offered.binders[index]!;
    if (binder.length !== expected.length || !equalBytes(binder, expected))
      throw new DtlsError('decrypt_error', 'PSK binder does not verify (RFC 8446 4.2.11.2)');
    return { index, ticket };
  }
  return undefined;
}
