// listen()'s shared round-trip estimate: how long its recent handshakes took
// from the peer's cookie-bearing ClientHello to its last flight (one round trip
// plus both sides' queueing and work), smoothed as RFC 6298 2.2-2.3 smooths
// RTT samples (gain 1/8). A new peer's connection starts its retransmission
// timer there instead of at the configured 100 ms when that is longer, as TCP
// starts a connection from what earlier ones to the same place measured (RFC
// 6298 2.1 leaves the first RTO to the implementation). The server's own
// stateless cookie exchange leaves nothing to measure a new peer by, and under
// load (1000 clients at once on one machine) a round trip took seconds: each
// peer's flight was resent 4-5 times for nothing, each resend sealed anew and
// opened by a client just as busy.
//
// Capped at 1 s, RFC 6347 4.2.4.1's own initial value: on a path that loses
// datagrams (where samples grow by the timeouts waited), a handshake waits at
// most as long as RFC 6347 asks. Only with the default timer (no
// retransmit.initial, min, max or adaptive: false given), and each connection goes
// back to the default once its handshake is done (its later flights start from
// what it measured itself).

/** The longest timer a connection starts with from the shared estimate, ms (RFC 6347 4.2.4.1). */
export const SHARED_RTT_CAP = 1000;

export class HandshakeRtt {
  readonly #floor: number;
  #smoothed: number | undefined;

  /** `floor`: the timer connections start with by default; the estimate is used only above it. */
  constructor(floor: number) {
    this.#floor = floor;
  }

  /** A handshake took `ms` from its peer's accepted ClientHello to completion. */
  sample(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    this.#smoothed = this.#smoothed === undefined ? ms : this.#smoothed + (ms - this.#smoothed) / 8;
  }

  /** The timer a new connection starts with, ms, when longer than the default; else undefined. */
  get initial(): number | undefined {
    const s = this.#smoothed;
    if (s === undefined || s <= this.#floor) return undefined;
    return Math.min(Math.round(s), SHARED_RTT_CAP);
  }
}
