// The shapes through which the stream layer creates connections and cookie
// gates (./default-connection.ts gives the real ones; tests inject fakes).
import type { ConnectionLike } from '../connection-types.ts';
import type { DtlsOptions } from '../options.ts';
import type { GateVerdict } from '../handshake/hrr-gate.ts';

/**
 * The cookie exchange in front of listen()'s connections (handshake/cookie.ts,
 * handshake/hrr-gate.ts); tests pass their own. `holds(peer)`: a partial
 * ClientHello from that peer is held, so its next pieces go to the gate.
 */
export interface CookieGateLike {
  check(datagram: Uint8Array, peer: string, now?: number): GateVerdict;
  holds?(peer: string): boolean;
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
