// The version dispatcher: the one place that picks a handshake machine by
// protocol version. Only DTLS 1.2 exists, so the choice is made at once; a
// second version (1.3, RFC 9147) is picked here once the hellos are exchanged
// (the client's supported_versions, the server's answer), behind the same
// HandshakeMachine interface, so the connection does not change.
import type { ResolvedOptions } from '../options.ts';
import type { HandshakeMachine } from './machine.ts';
import { Dtls12Handshake } from './dtls12.ts';
import { createServerHandshake } from './server-dispatch.ts';

export function createHandshake(options: ResolvedOptions): HandshakeMachine {
  return options.role === 'server' ? createServerHandshake(options) : new Dtls12Handshake(options);
}
