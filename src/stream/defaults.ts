// Where the stream layer finds the real Connection and cookie gate. They are
// installed by ./index.ts (from ./default-connection.ts) so that modules and
// tests that only use DtlsStream.fromConnection never load the core.
import type { ConnectionLike } from '../connection-types.ts';
import type { DtlsOptions } from '../options.ts';

/** The stateless HelloVerifyRequest exchange (the shape of handshake/cookie.ts's CookieGate). */
export interface CookieGateLike {
  check(
    datagram: Uint8Array,
    peer: string,
  ): { action: 'accept' } | { action: 'reply'; datagram: Uint8Array } | { action: 'drop' };
}

/** Options validated and resolved once (TypeError/RangeError on misuse); cheap to call repeatedly. */
export interface PreparedOptions {
  createConnection(): ConnectionLike;
  createCookieGate(): CookieGateLike;
}

export interface StreamDefaults {
  /** Resolving once matters: a server without a certificate gets one generated here, shared by every peer. */
  prepare(options: DtlsOptions): PreparedOptions;
}

let installed: StreamDefaults | undefined;

export function installDefaults(defaults: StreamDefaults): void {
  installed = defaults;
}

export function getDefaults(): StreamDefaults {
  if (!installed) {
    throw new Error("dtls-stream: no Connection implementation is loaded; import from 'dtls-stream' (src/stream/index.ts)");
  }
  return installed;
}
