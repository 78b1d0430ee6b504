// What a side's log (src/testing's SideLog) says happened, for the 1.3 ACK
// schedule tests: when a flight was resent, and when a message was traced.
import type { SideLog } from '../../src/testing/index.ts';

/** When the side resent its flight `flight`. */
export function resends(log: SideLog, flight: number): number[] {
  return log.timeline.filter((e) => e.event.type === 'retransmit' && e.event.flight === flight).map((e) => e.time);
}

/** When (and in which epoch) the side traced message `what` going `direction`. */
export function traces(log: SideLog, direction: 'in' | 'out', what: string): { time: number; epoch: number }[] {
  const out: { time: number; epoch: number }[] = [];
  for (const e of log.timeline)
    if (e.event.type === 'trace' && e.event.direction === direction && e.event.what === what) out.push({ time: e.time, epoch: e.event.epoch });
  return out;
}
