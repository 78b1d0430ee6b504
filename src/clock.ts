// Time. systemClock is the one place in src that reads the real clock and sets
// real timers; ManualClock lets tests step time by hand. A leaf module: the core
// imports only the Clock type (and x509/generate the wall time), never stream/.

/** Time for the stream layer: monotonic `now` and timers; injectable so tests step time by hand. */
export interface Clock {
  /** Milliseconds, monotonic; the core compares it with the deadlines it hands back. */
  now(): number;
  /**
   * The wall-clock time (ms since the epoch) at `now`, for certificate
   * validity. Absent: `now` itself is taken as wall time.
   */
  wallTime?(now: number): number;
  /** Calls `fn` after `ms`; returns a handle for clearTimeout. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer set by setTimeout. */
  clearTimeout(handle: unknown): void;
}

/**
 * Monotonic time (a wall-clock step, e.g. NTP on a device that booted without
 * a clock, must not fire or stall the retransmission and handshake timers),
 * with the wall clock kept apart for certificate validity.
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  wallTime: (now) => now + (Date.now() - (performance.timeOrigin + performance.now())),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

/** The system's wall-clock time, ms since the epoch (for certificate validity and generation). */
export function systemWallTime(): number {
  return systemClock.wallTime!(systemClock.now());
}

interface ManualTimer {
  at: number;
  fn: () => void;
}

/** A clock that moves only when told to; timers fire in deadline order (ties: set order). */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers = new Map<number, ManualTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at now + ms (fires in advance() or runUntilIdle()). */
  setTimeout(fn: () => void, ms: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  /** Cancels a scheduled timer. */
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** How many timers are set and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** The earliest pending deadline, or undefined. */
  get nextDeadline(): number | undefined {
    return this.#earliest(Infinity)?.[1].at;
  }

  /** Moves time forward by `ms`, firing every timer that falls due (including ones set meanwhile). Returns how many fired. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError('ManualClock.advance: ms must be >= 0');
    const target = this.#now + ms;
    let fired = 0;
    for (let next = this.#earliest(target); next; next = this.#earliest(target)) {
      this.#fire(next);
      fired++;
    }
    this.#now = target;
    return fired;
  }

  /** Jumps from deadline to deadline until no timer is left. Throws after maxSteps (a timer loop). */
  runUntilIdle(maxSteps = 10_000): number {
    let fired = 0;
    for (let next = this.#earliest(Infinity); next; next = this.#earliest(Infinity)) {
      if (fired >= maxSteps) throw new Error(`ManualClock.runUntilIdle: still busy after ${maxSteps} timers`);
      this.#fire(next);
      fired++;
    }
    return fired;
  }

  #earliest(limit: number): [number, ManualTimer] | undefined {
    let best: [number, ManualTimer] | undefined;
    for (const entry of this.#timers) {
      if (entry[1].at <= limit && (!best || entry[1].at < best[1].at)) best = entry;
    }
    return best;
  }

  #fire([id, timer]: [number, ManualTimer]): void {
    this.#timers.delete(id);
    if (timer.at > this.#now) this.#now = timer.at;
    timer.fn();
  }
}
