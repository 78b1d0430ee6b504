// When a DTLS 1.3 connection lets go of its handshake epoch (RFC 9147 5.8.1,
// 6.1). The epoch's keys go once the peer can need nothing more of them: both
// directions once the handshake flight we keep resending is gone (a client's
// final flight ACKed, or given up); a server's read keys, kept for copies of
// the client's final flight that its ACK answers, handshakeEpochRetention13()
// after the handshake. Checked at each input (no timer of its own: an idle
// connection is not woken for it); records of a retired epoch are dropped as
// 'stale_epoch'.
import type { RecordLayer } from './record/record-layer.ts';
import { type FlightSender } from './reliability/flight-sender.ts';
import { ACK_FLIGHT_MAX_RESENDS } from './reliability/flight-limits.ts';

/** DTLS 1.3's handshake epoch (RFC 9147 6.1). */
const EPOCH_HANDSHAKE13 = 2;
/** Twice the default MSL of RFC 793 (2 minutes): RFC 9147 5.8.1's least time to answer copies of the client's final flight. */
const TWO_MSL = 240_000;

/**
 * How long a DTLS 1.3 server keeps reading the handshake epoch after its
 * handshake completed, to answer copies of the client's final flight with an
 * ACK (RFC 9147 5.8.1: at least 2 MSL), and longer than a client resends that
 * flight while its ACKs are lost: ACK_FLIGHT_MAX_RESENDS resends and the wait
 * after the last, each at most the retransmission timer's cap (`retransmitMax`,
 * ours standing for the client's). 13 minutes with the defaults. The client
 * needs the epoch only until that flight is ACKed.
 */
export function handshakeEpochRetention13(retransmitMax: number): number {
  return Math.max(TWO_MSL, (ACK_FLIGHT_MAX_RESENDS + 1) * retransmitMax);
}

/**
 * Until when the handshake epoch is kept, fixed as the handshake completes
 * (setRetransmitTimeout() changes the timer's start, not its cap): a server's
 * time to drop its read keys, a client's Infinity (it waits on its final flight's ACK).
 */
export function handshakeEpochUntil13(role: 'client' | 'server', now: number, retransmitMax: number): number {
  return role === 'server' ? now + handshakeEpochRetention13(retransmitMax) : Infinity;
}

/**
 * Drops what is due of the handshake epoch at `now`, given handshakeEpochUntil13()'s
 * time: returns that time while the read keys stay, undefined once the epoch is gone.
 */
export function retireHandshakeEpoch13(records: RecordLayer, sender: FlightSender, until: number, now: number): number | undefined {
  if (until === Infinity) {
    // A client: until its final flight is ACKed or given up.
    const f = sender.current;
    if (f && !f.acked && !f.exhausted) return until;
  } else if (now < until) {
    // A server: nothing of ours is sent in it any more (our flight was answered; ACKs go in the newest epoch).
    if (records.canWrite(EPOCH_HANDSHAKE13)) records.discardEpoch(EPOCH_HANDSHAKE13, 'write');
    return until;
  }
  records.discardEpoch(EPOCH_HANDSHAKE13);
  records.discardEpoch(0);
  return undefined;
}
