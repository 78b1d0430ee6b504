// The flight sender's bounds (flight-sender.ts): how many times a flight is
// resent, and for what (its timer, the peer's copies, ACKs), so that no peer,
// honest or forging epoch-0 datagrams, can turn resending into a loop or a
// flood, and how much it remembers for ACKs (RFC 6347 4.2.4, RFC 9147 5.8, 7).

/**
 * The final flight is also resent on our own timer, a few times, until the
 * peer's data shows it arrived. RFC 6347 leaves this to the peer's retransmissions
 * alone, each of which needs a round trip to succeed where ours needs one
 * direction; with 6 the last exchange no longer decides the failures at 30% loss
 * (docs/RELIABILITY.md). Bounded, with all resends of that flight capped (but
 * answers to keyed copies, capped on their own: MAX_KEYED_ANSWERS), so no peer
 * behaviour can turn it into a loop.
 */
export const FINAL_FLIGHT_TIMER_RESENDS = 6;
export const FINAL_FLIGHT_MAX_RESENDS = 16;
/**
 * Answers to the peer's copies, per flight. RFC 6347 4.2.4 resends a flight
 * when the peer's previous flight comes again, and RFC 9147 5.8.1 lets an
 * implementation answer at once; but an epoch-0 copy is unauthenticated, so
 * a forged 25-byte fragment could draw a whole flight every time. A genuine
 * peer resends on its own doubling timer, so its copies come a handful of
 * times per flight, spaced more and more: answering at most one copy per
 * period of our own timer (between two of its resends; for a flight without
 * a timer, per its would-be timeout) and at most this many times per flight
 * loses nothing a real peer needs (our own timer still runs) and caps what a
 * forger can draw.
 */
export const MAX_PEER_ANSWERS = 10;
/**
 * Answers to copies that came under keys (epoch > 0), per flight. Such a copy
 * is authenticated and passed the replay window: the peer itself sent it
 * again, so each is answered (RFC 6347 4.2.4: the sender of the last flight
 * MUST answer a retransmission of the peer's last flight with its own; a peer
 * resending its flight several times at once, as BoringSSL's conformance
 * runner does, gets as many answers). The per-period bound is for forgeable
 * epoch-0 copies only. A genuine peer resends a flight some 13 times at most
 * (BoringSSL gives up at its 13th timeout), each maybe sent twice (ours, from
 * the second silent expiry): this cap covers them, outside a final flight's
 * FINAL_FLIGHT_MAX_RESENDS so that they do not use up its timer resends, and
 * ends the loop with a peer that answers each answer.
 */
export const MAX_KEYED_ANSWERS = 32;
/**
 * Timer resends of an 'ack' flight, after which it is given up
 * (`current.exhausted`, which fails the connection): with the timer doubling
 * to its cap that is minutes, and a peer that acknowledges nothing for so long
 * is not there. 12, so the 13th expiry gives up, as BoringSSL does (its
 * conformance runner checks it); RFC 9147 sets no number. Resends that answer
 * the peer's copies or ACKs do not count (they are bounded on their own,
 * MAX_PEER_ANSWERS, MAX_ACK_RESENDS): on a lossy path they would use up the
 * flight's tries before its timer did.
 */
export const ACK_FLIGHT_MAX_RESENDS = 12;
/**
 * A timer resend goes out twice, back to back, from the second expiry in a
 * row that drew nothing from the peer (no ACK, no copy of its flight), when
 * it is small: at most this many datagrams, and twice its records within the
 * 10 per transmission of RFC 9147 5.8.3; not with `retransmit.adaptive`
 * false (the plain RFC schedule). See onTimeout.
 */
export const TIMEOUT_COPY_MAX_DATAGRAMS = 2;
export const TIMEOUT_COPY_AFTER_SILENT = 2;
/** Records per transmission at most (RFC 9147 5.8.3). */
export const MAX_RECORDS_PER_TRANSMISSION = 10;
/** Records remembered per flight across its transmissions (ACKs may name any of them, RFC 9147 7.2); the oldest go first. */
export const MAX_REMEMBERED_RECORDS = 4096;
/**
 * Resends drawn by ACKs, per flight. Each needs an ACK that newly acknowledges
 * a record sent after a live unacknowledged one, so a real peer draws a few;
 * the cap bounds what ACKs forged in epoch 0 (unauthenticated) could draw.
 */
export const MAX_ACK_RESENDS = 32;
