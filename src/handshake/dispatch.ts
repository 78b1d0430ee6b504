// The version dispatcher: the one place that picks a handshake machine by
// protocol version, behind the same HandshakeMachine interface, so the
// connection does not change. A client offering DTLS 1.3 runs the 1.3 client,
// which hands a 1.2 ServerHello to the 1.2 client when 1.2 was offered too;
// a 1.2-only client runs the 1.2 machine. The server's half (the first
// ClientHello decides) is createServerHandshake in server-dispatch.ts.
import type { ResolvedOptions } from '../options.ts';
import type { HandshakeMachine } from './machine.ts';
import { Dtls12Handshake } from './dtls12.ts';
import { createServerHandshake } from './server-dispatch.ts';
import { Client13Handshake } from './client13.ts';

export function createHandshake(options: ResolvedOptions): HandshakeMachine {
  return options.role === 'server' ? createServerHandshake(options) : createClientHandshake(options);
}

function createClientHandshake(o: ResolvedOptions): HandshakeMachine {
  if (!o.versions.includes('1.3')) return new Dtls12Handshake(o);
  // A 1.2 ServerHello (or HelloVerifyRequest) hands over to the 1.2 client, which continues from our ClientHello.
  return new Client13Handshake(o, o.versions.includes('1.2') ? (opts, sent) => new Dtls12Handshake(opts, sent) : undefined);
}
