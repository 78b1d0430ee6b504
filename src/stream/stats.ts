// What a DtlsStream counts: the core's counters plus what the stream layer drops.
import type { ConnectionStats } from '../connection-types.ts';

export interface DtlsStreamStats extends ConnectionStats {
  /** Plaintext messages dropped because inbound.readable was full (the app was not reading). */
  inboundOverflow: number;
  /** Plaintext messages written after the peer's close_notify, discarded (the peer would ignore them). */
  discardedAfterClose: number;
}

/** A snapshot: copies, so that later counting does not change what the caller holds. */
export function streamStats(core: ConnectionStats, inboundOverflow: number, discardedAfterClose: number): DtlsStreamStats {
  return { ...core, dropped: { ...core.dropped }, inboundOverflow, discardedAfterClose };
}
