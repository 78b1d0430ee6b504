// Retransmission timer of RFC 6347 4.2.4.1: start at `initial`, double on
// every timeout up to `max`, back to the initial value (or a measured one) once
// the peer makes progress. Its own defaults are the RFC's (1 s, 60 s); the
// library's are in options.ts. Pure state: the caller supplies `now` (ms) and
// asks whether it expired.
//
// The timeout is derived, not stored: its base (`initial`, or a reset() value
// floored at `min`) doubled once per backoff(), capped at `max`; start()
// notes which base and how many doublings the running timer counts from. The
// options are read at each use, so their owner may change them on a live timer
// (Connection.setRetransmitTimeout): the next start uses the new value, and a
// running timer is rescaled with its start kept, as BoringSSL's
// DTLSv1_set_initial_timeout_duration does (its conformance runner checks the
// rescaled deadline).

export interface RetransmitTimerOptions {
  /** First timeout, ms. Default 1000 (RFC 6347 4.2.4.1). */
  initial?: number;
  /** Cap of the doubled timeout, ms. Default 60000. */
  max?: number;
  /** Floor of a reset() value (a measured round trip), ms. Default 1. */
  min?: number;
}

export class RetransmitTimer {
  readonly #opts: RetransmitTimerOptions;
  /** A reset() value the timeout doubles from; undefined: `initial`. */
  #base: number | undefined;
  #attempts = 0;
  /** When the running timer started, and the base and doublings it counts (later reset()/backoff() calls do not move it). */
  #armed: { at: number; base: number | undefined; attempts: number } | undefined;

  constructor(opts: RetransmitTimerOptions = {}) {
    this.#opts = opts;
    const { initial, max } = this;
    if (!(Number.isFinite(initial) && initial > 0)) throw new RangeError(`initial must be a positive number, got ${initial}`);
    if (!(Number.isFinite(max) && max >= initial)) throw new RangeError(`max must be a number >= initial, got ${max}`);
  }

  /** The first timeout of a flight without a measured round trip, ms. */
  get initial(): number {
    return this.#opts.initial ?? 1000;
  }

  /** Cap of the doubled timeout, ms. */
  get max(): number {
    return this.#opts.max ?? 60000;
  }

  /** The timeout the next start() uses, ms. */
  get current(): number {
    return this.#timeout(this.#base, this.#attempts);
  }

  /** Absolute time (ms) the timer fires at, or undefined when stopped. */
  get deadline(): number | undefined {
    const a = this.#armed;
    return a && a.at + this.#timeout(a.base, a.attempts);
  }

  /** backoff() calls since the last reset(), i.e. retransmissions of the current flight. */
  get attempts(): number {
    return this.#attempts;
  }

  /** Arms the timer at now + current. */
  start(now: number): void {
    this.#armed = { at: now, base: this.#base, attempts: this.#attempts };
  }

  /** True when armed and `now` has reached the deadline. */
  expired(now: number): boolean {
    const d = this.deadline;
    return d !== undefined && now >= d;
  }

  /** On a timeout: doubles the timeout, capped at max, and counts an attempt. Does not re-arm. */
  backoff(): void {
    this.#attempts++;
  }

  /**
   * On progress: back to the initial timeout (or `value`, e.g. 1.5 x a measured
   * RTT, RFC 9147 5.8.2, at least 1 and `min`, capped at max), attempts to 0.
   * Leaves an armed deadline as is.
   */
  reset(value?: number): void {
    this.#base = value === undefined ? undefined : Math.max(1, value);
    this.#attempts = 0;
  }

  /** Disarms the timer. */
  stop(): void {
    this.#armed = undefined;
  }

  #timeout(base: number | undefined, attempts: number): number {
    const b = base === undefined ? this.initial : Math.max(this.#opts.min ?? 1, base);
    return Math.min(b * 2 ** attempts, this.max);
  }
}
