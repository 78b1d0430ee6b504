// How a DtlsStream wraps a connection: the setup wrapConnection() takes, checked once.
import type { Clock } from './clock.ts';

/** How a DtlsStream wraps a connection (wrapConnection in dtls-stream/core): clock and queue sizes. */
export interface DtlsStreamSetup {
  clock?: Clock;
  /** Plaintext messages inbound.readable queues before further ones are dropped. Default 64. */
  inboundHighWaterMark?: number;
  /** Datagrams outbound.readable queues before plaintext writers wait. Default 16. */
  outboundHighWaterMark?: number;
  /** The peer's address, when the transport has one (set by listen()). */
  remote?: { address: string; port: number };
}

/** A queue size from the setup, or its default (RangeError when not an integer >= 1). */
export function highWaterMark(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1`);
  return value;
}
