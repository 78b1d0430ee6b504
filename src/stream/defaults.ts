// The shapes through which the stream layer creates connections and cookie
// gates (./default-connection.ts gives the real ones; tests inject fakes).
import type { ConnectionLike } from '../connection-types.ts';
import type { DtlsOptions } from '../options.ts';

/** The stateless HelloVerifyRequest exchange (the shape of handshake/cookie.ts's CookieGate). */
export interface CookieGateLike {
  check(
    datagram: Uint8Array,
    peer: string,
    now?: number,
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

