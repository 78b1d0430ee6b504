// Retransmission timer of RFC 6347 4.2.4.1: start at `initial`, double on
// every timeout up to `max`, back to the initial value (or a measured one) once
// the peer makes progress. Its own defaults are the RFC's (1 s, 60 s); the
// library's are in options.ts. Pure state: the caller supplies `now` (ms) and
// asks whether it expired.

export interface RetransmitTimerOptions {
  /** First timeout, ms. Default 1000 (RFC 6347 4.2.4.1). */
  initial?: number;
  /** Cap of the doubled timeout, ms. Default 60000. */
  max?: number;
}

export class RetransmitTimer {
  readonly initial: number;
  readonly max: number;
  #current: number;
  #deadline: number | undefined;
  #attempts = 0;

  constructor(opts: RetransmitTimerOptions = {}) {
    const initial = opts.initial ?? 1000;
    const max = opts.max ?? 60000;
    if (!(Number.isFinite(initial) && initial > 0)) throw new RangeError(`initial must be a positive number, got ${initial}`);
    if (!(Number.isFinite(max) && max >= initial)) throw new RangeError(`max must be a number >= initial, got ${max}`);
    this.initial = initial;
    this.max = max;
    this.#current = initial;
  }

  /** The timeout the next start() uses, ms. */
  get current(): number {
    return this.#current;
  }

  /** Absolute time (ms) the timer fires at, or undefined when stopped. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  /** backoff() calls since the last reset(), i.e. retransmissions of the current flight. */
  get attempts(): number {
    return this.#attempts;
  }

  /** Arms the timer at now + current. */
  start(now: number): void {
    this.#deadline = now + this.#current;
  }

  /** True when armed and `now` has reached the deadline. */
  expired(now: number): boolean {
    return this.#deadline !== undefined && now >= this.#deadline;
  }

  /** On a timeout: doubles the timeout, capped at max, and counts an attempt. Does not re-arm. */
  backoff(): void {
    this.#current = Math.min(this.#current * 2, this.max);
    this.#attempts++;
  }

  /**
   * On progress: back to the initial timeout (or `value`, e.g. 1.5 x a measured
   * RTT, RFC 9147 5.8.2, capped at max), attempts to 0. Leaves the deadline as is.
   */
  reset(value?: number): void {
    this.#current = value === undefined ? this.initial : Math.min(Math.max(1, value), this.max);
    this.#attempts = 0;
  }

  /** Disarms the timer. */
  stop(): void {
    this.#deadline = undefined;
  }
}
