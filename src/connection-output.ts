// What a connection hands out beside its state: datagrams queued to send
// (bounded) and the events made from more than a state change: a session for
// resumption, the trace lines of a flight.
import type { ConnectionEvent, ConnectionStats } from './connection-types.ts';
import type { ResolvedOptions } from './options.ts';
import type { EncodedFlight, FlightItem } from './reliability/flight.ts';
import { sessionVersion } from './handshake/ticket12.ts';
import { messageName } from './handshake/dtls12.ts';

/** Datagrams queued out, at most (more are dropped as 'outbound_overflow'). */
const MAX_QUEUED_OUT = 1024;

/** One record, sent alone in a datagram. */
export function single(record: Uint8Array): EncodedFlight {
  return { datagrams: [record], records: 1, carried: [] };
}

/**
 * Queues datagrams on `out` and counts them in `stats`; `records` is how many
 * records they carry (one each unless a flight packed more). Returns how many
 * did not fit.
 */
export function queueOut(out: Uint8Array[], { datagrams, records }: EncodedFlight, stats: ConnectionStats): number {
  const queued = Math.min(datagrams.length, Math.max(0, MAX_QUEUED_OUT - out.length));
  for (let i = 0; i < queued; i++) out.push(datagrams[i]!);
  stats.datagramsOut += queued;
  // Only a flight packs several records per datagram; a partly dropped one counts what went.
  stats.recordsOut += queued === datagrams.length ? records : queued;
  return datagrams.length - queued;
}

/** The trace events of a flight we send. */
export function traceFlight(events: ConnectionEvent[], items: FlightItem[]): void {
  for (const it of items) {
    if (it.kind === 'ccs') events.push({ type: 'trace', direction: 'out', what: 'ChangeCipherSpec', epoch: it.epoch, bytes: 1 });
    else
      events.push({ type: 'trace', direction: 'out', what: messageName(it.message.msgType, it.message.body), epoch: it.epoch, bytes: it.message.body.length });
  }
}

/** Options whose onSession reports each session the handshake makes as an event too (for streams), then calls the application's. */
export function withSessionEvents(resolved: ResolvedOptions, events: ConnectionEvent[]): ResolvedOptions {
  const onSession = resolved.onSession;
  if (!onSession) return resolved;
  return {
    ...resolved,
    onSession: (session) => {
      events.push({ type: 'session', session: session.slice(), version: sessionVersion(session) ?? '1.3' });
      onSession(session);
    },
  };
}
