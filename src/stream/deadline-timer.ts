// The one real timer a DtlsStream keeps: armed at the core's pollTimeout(),
// re-armed only when that deadline moves.
import type { Clock } from './clock.ts';

/** setTimeout takes at most 2^31-1 ms (larger fires at once): a far deadline is re-armed on firing. */
const MAX_DELAY = 0x7fffffff;

export class DeadlineTimer {
  readonly #clock: Clock;
  readonly #fire: () => void;
  #handle: unknown;
  #at: number | undefined;

  /** `fire` runs once the clock reaches the deadline last set. */
  constructor(clock: Clock, fire: () => void) {
    this.#clock = clock;
    this.#fire = fire;
  }

  /** Fires at `at` (undefined: never); the same deadline again keeps the running timer. */
  set(at: number | undefined): void {
    if (at === this.#at && (at === undefined || this.#handle !== undefined)) return;
    this.cancel();
    if (at === undefined) return;
    this.#at = at;
    this.#handle = this.#clock.setTimeout(() => this.#onFire(), Math.min(MAX_DELAY, Math.max(0, at - this.#clock.now())));
  }

  cancel(): void {
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = undefined;
  }

  #onFire(): void {
    this.#handle = undefined;
    this.#at = undefined;
    this.#fire();
  }
}
