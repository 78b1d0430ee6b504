/**
 * A deterministic simulated network for testing sans-IO endpoints
 * (`ConnectionLike`). Everything runs on a virtual clock and a seeded PRNG,
 * so one seed always gives the same run: same losses, same timings, same
 * events. Nothing here reads the real clock or sets a real timer.
 *
 * @example
 * const pair = new SimPair(client, server, { seed: 7, link: { loss: 0.2, delay: 10 } });
 * const r = pair.run({ until: (p) => p.a.state === 'connected' && p.b.state === 'connected' });
 * assert.equal(r.reason, 'until');
 *
 * @module
 */
import type { ConnectionEvent, ConnectionLike } from '../connection-types.ts';

// ---------------------------------------------------------------------------
// PRNG

/** A small seeded PRNG (mulberry32): fast, 32-bit state, good enough for tests. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p (never draws when p <= 0, so a 0 option does not shift the stream). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    return this.next() < p;
  }
}

// ---------------------------------------------------------------------------
// Link

/** How one direction of the network treats datagrams. All probabilities are in [0, 1]. */
export interface LinkOptions {
  /** Probability a datagram is lost. Default 0. */
  loss?: number;
  /** Probability a datagram is delivered twice. Default 0. */
  duplicate?: number;
  /** Probability a datagram is held back by `reorderDelay` extra, so later ones overtake it. Default 0. */
  reorder?: number;
  /** Extra delay of a reordered datagram, ms. Default 20. */
  reorderDelay?: number;
  /** One-way delay, ms. Default 0. */
  delay?: number;
  /** Uniform extra delay in [0, jitter), ms. Default 0. */
  jitter?: number;
  /** Datagrams longer than this many bytes are dropped (and counted). Default: no limit. */
  mtu?: number;
  /** Probability one random bit of a delivered datagram is flipped. Default 0. */
  corrupt?: number;
  /**
   * Called with every datagram offered to the link and its 0-based index on
   * this link; returning false drops it (counted as `filtered`). Use it to
   * drop a chosen datagram, e.g. `(_, i) => i !== 2`.
   */
  filter?: (datagram: Uint8Array, index: number) => boolean;
  /**
   * Called with every datagram that passed `filter` and its index; returns
   * the datagrams to put on the link in its place (none drops it). Each then
   * meets the MTU, loss, duplication, reordering and corruption as usual. Use
   * it to re-fragment or re-pack what a peer sends. Default: the datagram itself.
   */
  rewrite?: (datagram: Uint8Array, index: number) => Uint8Array[];
}

/** Counters of one link. `sent` counts every datagram offered to it. */
export interface LinkStats {
  sent: number;
  delivered: number;
  lost: number;
  filtered: number;
  /** Datagrams passed to `rewrite` (the ones it returned are counted as sent by it, not here). */
  rewritten: number;
  oversize: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  /** Datagrams scheduled but not yet delivered. */
  inFlight: number;
}

interface InFlight {
  at: number;
  order: number;
  data: Uint8Array;
}

/** One direction of the simulated network: a queue of datagrams due at virtual times. */
export class Link {
  readonly options: Readonly<LinkOptions>;
  readonly #rng: Rng;
  #queue: InFlight[] = [];
  #order = 0;
  #index = 0;
  readonly #stats: Omit<LinkStats, 'inFlight'> = {
    sent: 0,
    delivered: 0,
    lost: 0,
    filtered: 0,
    rewritten: 0,
    oversize: 0,
    duplicated: 0,
    reordered: 0,
    corrupted: 0,
  };

  /** `rng` may be a seed; give each link its own. */
  constructor(options: LinkOptions = {}, rng: Rng | number = 1) {
    for (const k of ['loss', 'duplicate', 'reorder', 'corrupt'] as const) {
      const p = options[k];
      if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`${k} must be a probability, got ${p}`);
    }
    for (const k of ['delay', 'jitter', 'reorderDelay', 'mtu'] as const) {
      const v = options[k];
      if (v !== undefined && !(v >= 0)) throw new RangeError(`${k} must be >= 0, got ${v}`);
    }
    this.options = { ...options };
    this.#rng = typeof rng === 'number' ? new Rng(rng) : rng;
  }

  /** A snapshot of the counters. */
  get stats(): LinkStats {
    return { ...this.#stats, inFlight: this.#queue.length };
  }

  /** Offers a datagram at time `now`; it is copied, so the sender may reuse its buffer. */
  send(now: number, datagram: Uint8Array): void {
    const o = this.options;
    const index = this.#index++;
    this.#stats.sent++;
    if (o.filter && !o.filter(datagram, index)) {
      this.#stats.filtered++;
      return;
    }
    if (!o.rewrite) return this.#carry(now, datagram);
    this.#stats.rewritten++;
    for (const d of o.rewrite(datagram, index)) this.#carry(now, d);
  }

  /** MTU, loss, duplication, corruption, delay and reordering of one datagram. */
  #carry(now: number, datagram: Uint8Array): void {
    const o = this.options;
    const rng = this.#rng;
    if (o.mtu !== undefined && datagram.length > o.mtu) {
      this.#stats.oversize++;
      return;
    }
    if (rng.chance(o.loss ?? 0)) {
      this.#stats.lost++;
      return;
    }
    const copies = rng.chance(o.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) this.#stats.duplicated++;
    for (let c = 0; c < copies; c++) {
      const data = datagram.slice();
      if (data.length > 0 && rng.chance(o.corrupt ?? 0)) {
        const bit = rng.int(data.length * 8);
        data[bit >>> 3]! ^= 1 << (bit & 7);
        this.#stats.corrupted++;
      }
      let at = now + (o.delay ?? 0);
      if ((o.jitter ?? 0) > 0) at += rng.next() * o.jitter!;
      if (rng.chance(o.reorder ?? 0)) {
        at += o.reorderDelay ?? 20;
        this.#stats.reordered++;
      }
      this.#insert({ at, order: this.#order++, data });
    }
  }

  /** The time of the earliest scheduled delivery, or undefined when nothing is in flight. */
  nextDelivery(): number | undefined {
    return this.#queue[0]?.at;
  }

  /** Removes and returns the datagrams due at or before `now`, in delivery order. */
  takeDue(now: number): Uint8Array[] {
    let n = 0;
    while (n < this.#queue.length && this.#queue[n]!.at <= now) n++;
    const due = this.#queue.splice(0, n);
    this.#stats.delivered += due.length;
    return due.map((d) => d.data);
  }

  /** Drops everything in flight (e.g. to model a network outage). Returns how many were dropped. */
  clear(): number {
    const n = this.#queue.length;
    this.#queue = [];
    this.#stats.lost += n;
    return n;
  }

  /** Keeps the queue sorted by (at, order). */
  #insert(d: InFlight): void {
    const q = this.#queue;
    let i = q.length;
    while (i > 0 && (q[i - 1]!.at > d.at || (q[i - 1]!.at === d.at && q[i - 1]!.order > d.order))) i--;
    q.splice(i, 0, d);
  }
}

// ---------------------------------------------------------------------------
// SimPair

/** What one endpoint produced, over the whole life of a SimPair. */
export interface SideLog {
  /** Everything pollReceived() returned, in order. */
  received: Uint8Array[];
  /** Everything pollEvent() returned, in order. */
  events: ConnectionEvent[];
  /** Every event with the virtual time it was polled at. */
  timeline: { time: number; event: ConnectionEvent }[];
}

/** Options of a SimPair: the links each way and the seed. */
export interface SimPairOptions {
  /** Seed of the PRNGs (each link derives its own). Default 1. */
  seed?: number;
  /** Options of both links; `aToB` / `bToA` override them per direction. */
  link?: LinkOptions;
  aToB?: LinkOptions;
  bToA?: LinkOptions;
  /** Virtual time at creation, ms. Default 0. */
  startTime?: number;
}

/** When a run stops: a condition, idleness, or a step or time limit. */
export interface RunOptions {
  /** Stop as soon as this holds (checked after every step, and before the first). */
  until?: (pair: SimPair) => boolean;
  /** Bound on loop iterations. Default 100000. */
  maxSteps?: number;
  /** Bound on virtual time elapsed in this run, ms. Default 600000 (10 min). */
  maxDuration?: number;
}

/** Why a run stopped. */
export type StopReason = 'until' | 'idle' | 'maxSteps' | 'maxDuration';

/** The outcome of a run: why it stopped, when, and what each side and link did. */
export interface RunResult {
  /** Why the run stopped: the predicate held, nothing was scheduled, or a bound was reached. */
  reason: StopReason;
  /** Virtual time at the end, ms. */
  now: number;
  /** Loop iterations in this run. */
  steps: number;
  links: { aToB: LinkStats; bToA: LinkStats };
  a: SideLog;
  b: SideLog;
}

/**
 * Two endpoints joined by two Links on a virtual clock. Each step delivers
 * the datagrams due, calls handleTimeout on endpoints whose pollTimeout()
 * has come, drains pollTransmit/pollReceived/pollEvent, then jumps the
 * clock to the next scheduled event. Runs always terminate (see RunOptions).
 */
export class SimPair {
  readonly a: ConnectionLike;
  readonly b: ConnectionLike;
  readonly aToB: Link;
  readonly bToA: Link;
  readonly log: { a: SideLog; b: SideLog } = { a: emptyLog(), b: emptyLog() };
  #now: number;
  #started = false;

  constructor(a: ConnectionLike, b: ConnectionLike, opts: SimPairOptions = {}) {
    const seed = opts.seed ?? 1;
    this.a = a;
    this.b = b;
    this.aToB = new Link({ ...opts.link, ...opts.aToB }, new Rng(seed));
    this.bToA = new Link({ ...opts.link, ...opts.bToA }, new Rng((Math.imul(seed, 0x9e3779b1) ^ 0x5bd1e995) >>> 0));
    this.#now = opts.startTime ?? 0;
  }

  /** Current virtual time, ms. */
  get now(): number {
    return this.#now;
  }

  /** Calls a.start(now) then b.start(now). run() does this itself if needed. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.a.start(this.#now);
    this.b.start(this.#now);
    this.flush();
  }

  /** Drains both endpoints' outputs into the links and logs. Call after acting on an endpoint directly. */
  flush(): void {
    this.#drain(this.a, this.aToB, this.log.a);
    this.#drain(this.b, this.bToA, this.log.b);
  }

  /** Runs until the predicate holds, nothing is scheduled, or a bound is hit. Can be called again to continue. */
  run(opts: RunOptions = {}): RunResult {
    const maxSteps = opts.maxSteps ?? 100_000;
    const limit = this.#now + (opts.maxDuration ?? 600_000);
    this.start();
    this.flush();
    let steps = 0;
    let reason: StopReason;
    for (;;) {
      if (opts.until?.(this)) {
        reason = 'until';
        break;
      }
      if (steps >= maxSteps) {
        reason = 'maxSteps';
        break;
      }
      const next = this.#nextEvent();
      if (next === undefined) {
        reason = 'idle';
        break;
      }
      if (next > limit) {
        this.#now = Math.max(this.#now, limit);
        reason = 'maxDuration';
        break;
      }
      this.#now = Math.max(this.#now, next);
      this.#step();
      steps++;
    }
    return {
      reason,
      now: this.#now,
      steps,
      links: { aToB: this.aToB.stats, bToA: this.bToA.stats },
      a: this.log.a,
      b: this.log.b,
    };
  }

  #nextEvent(): number | undefined {
    let t: number | undefined;
    for (const x of [this.aToB.nextDelivery(), this.bToA.nextDelivery(), this.a.pollTimeout(), this.b.pollTimeout()]) {
      if (x !== undefined && (t === undefined || x < t)) t = x;
    }
    return t;
  }

  #step(): void {
    const now = this.#now;
    for (const d of this.aToB.takeDue(now)) {
      this.b.handleDatagram(now, d);
      this.flush();
    }
    for (const d of this.bToA.takeDue(now)) {
      this.a.handleDatagram(now, d);
      this.flush();
    }
    for (const ep of [this.a, this.b]) {
      const t = ep.pollTimeout();
      if (t !== undefined && t <= now) {
        ep.handleTimeout(now);
        this.flush();
      }
    }
  }

  #drain(ep: ConnectionLike, link: Link, log: SideLog): void {
    for (let d = ep.pollTransmit(); d !== undefined; d = ep.pollTransmit()) link.send(this.#now, d);
    for (let m = ep.pollReceived(); m !== undefined; m = ep.pollReceived()) log.received.push(m);
    for (let e = ep.pollEvent(); e !== undefined; e = ep.pollEvent()) {
      log.events.push(e);
      log.timeline.push({ time: this.#now, event: e });
    }
  }
}

/** Convenience: builds a SimPair, starts both endpoints and runs it once. */
export function runPair(a: ConnectionLike, b: ConnectionLike, opts: SimPairOptions & RunOptions = {}): RunResult & { pair: SimPair } {
  const pair = new SimPair(a, b, opts);
  return { ...pair.run(opts), pair };
}

/** True when both endpoints of the pair are in `state` (a handy `until`). */
export function bothIn(state: ConnectionLike['state']): (pair: SimPair) => boolean {
  return (p) => p.a.state === state && p.b.state === state;
}

function emptyLog(): SideLog {
  return { received: [], events: [], timeline: [] };
}
