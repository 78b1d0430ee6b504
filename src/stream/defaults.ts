// The shapes through which the stream layer creates connections and cookie
// gates (./default-connection.ts gives the real ones; tests inject fakes).
import type { ConnectionLike } from '../connection-types.ts';
import type { DtlsOptions } from '../options.ts';
import type { CookieGate } from '../handshake/cookie.ts';

/** The stateless HelloVerifyRequest exchange (handshake/cookie.ts); tests pass their own. */
export type CookieGateLike = CookieGate;

/** Options validated and resolved once (TypeError/RangeError on misuse); cheap to call repeatedly. */
export interface PreparedOptions {
  createConnection(): ConnectionLike;
  createCookieGate(): CookieGateLike;
}

export interface StreamDefaults {
  /** Resolving once matters: a server without a certificate gets one generated here, shared by every peer. */
  prepare(options: DtlsOptions): PreparedOptions;
}
