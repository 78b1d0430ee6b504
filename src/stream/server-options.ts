// listen()'s options: its defaults and their checks.
import type { DtlsOptions } from '../options.ts';

/** listen()'s defaults where they differ from DtlsOptions' or are its own. */
export const LISTEN_DEFAULTS = {
  maxConnections: 1000,
  maxHandshakes: 200,
  /** 5 minutes: a connected peer that sends nothing for this long is closed. */
  idleTimeout: 300_000,
} as const;

/** Largest delay a JavaScript timer takes (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 0x7fffffff;

/** listen()'s options: every DtlsOptions field (for each peer's connection) plus the server's bounds. */
export interface ListenOptions extends DtlsOptions {
  /** Peers (handshaking or connected) kept at once; datagrams from further new peers are dropped. Default 1000. */
  maxConnections?: number;
  /**
   * Handshakes in progress at once. While this many peers are handshaking,
   * datagrams from new peers are dropped before the cookie check (no state, no
   * reply); their clients retransmit. Default 200.
   */
  maxHandshakes?: number;
  /**
   * Close a connected peer that has sent nothing for this many ms (close_notify,
   * then it is removed). listen()'s default is 300000 (5 minutes); Infinity turns it off.
   */
  idleTimeout?: number;
}

export function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1`);
  return value;
}

/** listen()'s idleTimeout: a default of 5 minutes, Infinity for none, and no longer than a timer can wait. */
export function idleOption(value: number | undefined): number | undefined {
  if (value === undefined) return LISTEN_DEFAULTS.idleTimeout;
  if (value === Infinity) return undefined;
  if (!(value > 0) || value > MAX_TIMER_MS) throw new RangeError(`idleTimeout must be in 1..${MAX_TIMER_MS} ms, or Infinity for none`);
  return value;
}
