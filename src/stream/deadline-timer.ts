// The one real timer a DtlsStream keeps: armed at the core's pollTimeout(),
// re-armed when that deadline comes earlier or moves much later. A deadline a
// little later (the idle deadline moves with every datagram received) keeps
// the running timer, which on firing re-arms for the rest instead of calling
// out: clearing and setting a timer per datagram was a measurable share of the
// streams' record path.
//
// On the system clock a timer that falls due fires after the event loop's next
// look at its sockets (setImmediate, where the runtime has it): when the process
// was busy, the answer to the flight about to be resent is often already
// waiting there, and a timer run first would resend for nothing (RFC 9147 5.8:
// a timer is a lower bound). Under load that was most of the resends.
import { systemClock, type Clock } from './clock.ts';

type Defer = (fn: () => void) => unknown;
const g = globalThis as { setImmediate?: Defer; clearImmediate?: (h: unknown) => void };
const afterIo: Defer | undefined = typeof g.setImmediate === 'function' && typeof g.clearImmediate === 'function' ? g.setImmediate : undefined;

/** setTimeout takes at most 2^31-1 ms (larger fires at once): a far deadline is re-armed on firing. */
const MAX_DELAY = 0x7fffffff;

export class DeadlineTimer<T> {
  readonly #clock: Clock;
  readonly #owner: T;
  /** Shared by every owner (a closure per owner would cost memory per connection). */
  readonly #fire: (owner: T) => void;
  #handle: unknown;
  /** The deadline last set. */
  #at: number | undefined;
  /** The deadline the running timer was armed for (at most #at). */
  #armedAt: number | undefined;
  /** The delay it was armed with: a deadline later by up to a quarter of it keeps the timer. */
  #armedDelay = 0;
  /** The fire waiting for the event loop's next look at its sockets (afterIo). */
  #deferred: unknown;

  /** `fire(owner)` runs once the clock reaches the deadline last set. */
  constructor(clock: Clock, owner: T, fire: (owner: T) => void) {
    this.#clock = clock;
    this.#owner = owner;
    this.#fire = fire;
  }

  /** Fires at `at` (undefined: never); the same or a slightly later deadline keeps the running timer. */
  set(at: number | undefined): void {
    if (at === undefined) return this.cancel();
    // A fire already on its way covers a deadline that is due; a later one replaces it.
    if (this.#deferred !== undefined) {
      if (at <= this.#clock.now()) return;
      this.#cancelDeferred();
    }
    if (this.#handle !== undefined && this.#armedAt! <= at && (at - this.#armedAt!) * 4 <= this.#armedDelay) {
      this.#at = at;
      return;
    }
    this.cancel();
    this.#arm(at);
  }

  cancel(): void {
    this.#cancelDeferred();
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = this.#armedAt = undefined;
  }

  #arm(at: number): void {
    this.#at = this.#armedAt = at;
    this.#armedDelay = Math.min(MAX_DELAY, Math.max(0, at - this.#clock.now()));
    // A closure per arming (rare now), not one held per connection.
    this.#handle = this.#clock.setTimeout(() => this.#fired(), this.#armedDelay);
  }

  #fired(): void {
    const at = this.#at!;
    this.#handle = undefined;
    // The deadline moved later while the timer ran: wait for the rest of it.
    if (at > this.#armedAt! && this.#clock.now() < at) return this.#arm(at);
    this.#at = this.#armedAt = undefined;
    if (afterIo && this.#clock === systemClock) {
      this.#deferred = afterIo(() => {
        this.#deferred = undefined;
        this.#fire(this.#owner);
      });
      return;
    }
    this.#fire(this.#owner);
  }

  #cancelDeferred(): void {
    if (this.#deferred === undefined) return;
    g.clearImmediate!(this.#deferred);
    this.#deferred = undefined;
  }
}
