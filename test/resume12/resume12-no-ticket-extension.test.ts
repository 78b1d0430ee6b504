// A DTLS 1.2 client that does not send the session_ticket extension to a
// server that issues tickets (RFC 5077 3.2: it gets none) still gets a session
// ID, and the server caches the session under it (RFC 5246 7.4.1.3), so it
// can resume by ID. BoGo's Resume-Server-NoTickets-TLS12-TLS12-DTLS is that
// client; test/interop/resume12-session-id-openssl.test.ts runs OpenSSL's.
// Our own client always sends the extension when it keeps sessions, so here
// its ClientHello is edited in flight: the extension's type is renamed to one
// the server does not know (same length, so nothing else moves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { resolveOptions } from '../../src/options.ts';
import { testCertificates } from '../../src/testing/index.ts';
import { decodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { ExtensionType } from '../../src/wire/types.ts';

const RECORD_HEADER = 13;
const HANDSHAKE_HEADER = 12;
/** A type no one assigned (not GREASE either): the server ignores it (RFC 5246 7.4.1.4). */
const UNKNOWN_EXTENSION = 0xfe23;

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

/** The ClientHello datagram with its session_ticket extension renamed; throws if it has none. */
function withoutTicketExtension(datagram: Uint8Array): Uint8Array {
  const out = datagram.slice();
  let at = RECORD_HEADER + HANDSHAKE_HEADER + 2 + 32; // client_version, random
  at += 1 + out[at]!; // session_id
  at += 1 + out[at]!; // cookie
  at += 2 + u16(out, at); // cipher_suites
  at += 1 + out[at]!; // compression_methods
  const end = at + 2 + u16(out, at);
  for (at += 2; at < end; at += 4 + u16(out, at + 2)) {
    if (u16(out, at) === ExtensionType.session_ticket) {
      out.set([UNKNOWN_EXTENSION >> 8, UNKNOWN_EXTENSION & 0xff], at);
      return out;
    }
  }
  throw new Error('the ClientHello has no session_ticket extension');
}

/** The session_id and extension types of the ServerHello that opens the server's first datagram. */
function serverHello(datagram: Uint8Array): { sessionId: Uint8Array; extensions: number[] } {
  assert.equal(datagram[0], 22, 'a handshake record');
  assert.equal(datagram[RECORD_HEADER], 2, 'a ServerHello');
  const length = (datagram[RECORD_HEADER + 9]! << 16) | u16(datagram, RECORD_HEADER + 10);
  const body = datagram.subarray(RECORD_HEADER + HANDSHAKE_HEADER, RECORD_HEADER + HANDSHAKE_HEADER + length);
  const sh = decodeServerHello(body);
  return { sessionId: sh.sessionId, extensions: sh.extensions.map((e) => e.type) };
}

test('a client without the session_ticket extension gets a 32-byte session ID from a server with tickets on, and no ticket', () => {
  const certs = testCertificates();
  const server = new Connection(resolveOptions({ role: 'server', certificate: certs.server, versions: ['1.2'] }));
  const client = new Connection(
    resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [certs.server.fingerprint] }, onSession: () => {} }),
  );
  client.start(0);
  server.start(0);
  const hello = client.pollTransmit()!;

  // Unedited: a ticket is coming, so the server keeps nothing and names no session.
  const asked = new Connection(resolveOptions({ role: 'server', certificate: certs.server, versions: ['1.2'] }));
  asked.start(0);
  asked.handleDatagram(0, hello);
  const withTicket = serverHello(asked.pollTransmit()!);
  assert.equal(withTicket.sessionId.length, 0);
  assert.ok(withTicket.extensions.includes(ExtensionType.session_ticket));

  server.handleDatagram(0, withoutTicketExtension(hello));
  const sh = serverHello(server.pollTransmit()!);
  assert.equal(sh.sessionId.length, 32, 'a session ID names the session the server caches');
  assert.ok(!sh.extensions.includes(ExtensionType.session_ticket), 'no ticket for a client that did not ask (RFC 5077 3.2)');
});
