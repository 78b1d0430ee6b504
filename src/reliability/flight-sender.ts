// The flight sender: everything about getting our current flight across
// (RFC 6347 4.2.4; RFC 9147 5.8), shared by every version and role. It owns
// the retransmission timer, the round-trip estimate, which record carried
// which fragment, resends on timeout, resends that answer the peer's copies
// (bounded), and the final flight's extra resends. Pure state: `now` comes in,
// encoded datagrams go out; the connection queues them.
//
//   send() ──► SENDING ──► WAITING ──timer──► resend (doubling), re-arm
//                            │  ▲
//                  peer copy │  │ at most one answer per timer period, 10 per flight
//                            ▼  │
//                         answered() / confirmed() ──► idle
import type { RecordLayer } from '../record/record-layer.ts';
import { RetransmitTimer } from './timer.ts';
import { encodeFlight, type EncodedFlight, type FlightItem, type SentFragment } from './flight.ts';

/**
 * How a flight is sent (RFC 6347 4.2.4): 'retransmit' arms the timer;
 * 'final' is the last flight, kept and resent when the peer resends its own
 * (and on a few timer expiries); 'once' (a stateful server's
 * HelloVerifyRequest) has no timer and is resent only to answer a resent ClientHello.
 */
export type FlightMode = 'retransmit' | 'final' | 'once';

export interface FlightSenderOptions {
  retransmit: { initial: number; max: number; min: number; adaptive: boolean; rtt: number | undefined };
  mtu: number;
}

/** A resend the connection must queue and report. */
export interface Resend {
  flight: number;
  reason: 'timeout' | 'peer-retransmit';
  out: EncodedFlight;
}

/**
 * The final flight is also resent on our own timer, a few times, until the
 * peer's data shows it arrived. RFC 6347 leaves this to the peer's retransmissions
 * alone, each of which needs a round trip to succeed where ours needs one
 * direction; with 6 the last exchange no longer decides the failures at 30% loss
 * (docs/RELIABILITY.md). Bounded, with all resends of that flight capped, so no
 * peer behaviour can turn it into a loop.
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

interface Flight {
  items: FlightItem[];
  number: number;
  mode: FlightMode;
  firstSent: number;
  lastSent: number;
  /** The timeout the flight started with (a flight without a timer answers once per this much). */
  interval: number;
  /** A copy was answered since our timer last sent the flight (or since it was first sent). */
  answeredThisPeriod: boolean;
  retransmitted: boolean;
  /** Already resent because the peer's next-epoch records showed it finished. */
  resentAhead: boolean;
  /** Resends of this flight so far; those our timer made; those that answered peer copies. */
  resends: number;
  timerResends: number;
  peerAnswers: number;
  /** Which record (epoch, sequence number) carried which fragment, in the latest transmission. */
  carried: SentFragment[];
}

export class FlightSender {
  readonly #records: RecordLayer;
  readonly #o: FlightSenderOptions;
  readonly #timer: RetransmitTimer;
  #flight: Flight | undefined;
  /** Smoothed round trip measured on flights answered without retransmission, or given (retransmit.rtt) until one is. */
  #rtt: number | undefined;
  #rttMeasured = false;
  /** Peer copies not answered because of the bound (for tests and stats). */
  suppressed = 0;

  constructor(records: RecordLayer, o: FlightSenderOptions) {
    this.#records = records;
    this.#o = o;
    this.#timer = new RetransmitTimer(o.retransmit);
    this.#rtt = o.retransmit.rtt;
  }

  /** Number (RFC 6347 4.2.4's 1-6) and mode of the flight held, if any. */
  get current(): { number: number; mode: FlightMode } | undefined {
    return this.#flight && { number: this.#flight.number, mode: this.#flight.mode };
  }

  /** The smoothed round trip, once measured or given. */
  get rtt(): number | undefined {
    return this.#rtt;
  }

  /** Which record carried which fragment of the flight held (what ACKs refer to). */
  get carried(): readonly SentFragment[] {
    return this.#flight?.carried ?? [];
  }

  /** When handleTimeout must run for this flight, or undefined. */
  get deadline(): number | undefined {
    return this.#flight && this.#flight.mode !== 'once' ? this.#timer.deadline : undefined;
  }

  /**
   * Sends a new flight, replacing the one held. `answers`: whether it answers
   * a peer flight that was a fair round trip (false for a HelloVerifyRequest's
   * answer, which cost the peer no crypto) and so samples the RTT.
   */
  send(now: number, items: FlightItem[], number: number, mode: FlightMode, answers: boolean): EncodedFlight {
    if (answers) this.#sampleRtt(now);
    const r = this.#o.retransmit;
    this.#timer.reset(r.adaptive && this.#rtt !== undefined ? Math.max(r.min, 1.5 * this.#rtt) : undefined);
    const out = encodeFlight(items, this.#records, this.#o.mtu);
    this.#flight = {
      items,
      number,
      mode,
      firstSent: now,
      lastSent: now,
      interval: this.#timer.current,
      retransmitted: false,
      answeredThisPeriod: false,
      resentAhead: false,
      resends: 0,
      timerResends: 0,
      peerAnswers: 0,
      carried: out.carried,
    };
    if (mode !== 'once') this.#timer.start(now);
    else this.#timer.stop();
    return out;
  }

  /** The timer fired (RFC 6347 4.2.4.1): double it and resend, unless a final flight used its resends. */
  onTimeout(now: number): Resend | undefined {
    const f = this.#flight;
    if (!f || f.mode === 'once' || !this.#timer.expired(now)) return undefined;
    if (f.mode === 'final' && this.#finalSpent(f)) {
      this.#timer.stop();
      return undefined;
    }
    this.#timer.backoff();
    f.timerResends++;
    f.answeredThisPeriod = false;
    const out = this.#resend(now, f, 'timeout');
    this.#rearm(f, now);
    return out;
  }

  /**
   * The peer resent the flight ours answers ('old'), or showed with records of
   * the next epoch that it finished ours without our having its answer
   * ('ahead', RFC 9147 5.8.1: answered once per flight, at once).
   */
  onPeerCopy(now: number, why: 'old' | 'ahead'): Resend | undefined {
    const f = this.#flight;
    if (!f) return undefined;
    if (why === 'ahead') {
      if (f.resentAhead) return undefined;
      f.resentAhead = true;
    } else {
      // Without a running timer (a HelloVerifyRequest, a final flight whose
      // timer resends are spent) a period is the flight's first timeout.
      if (this.#timer.deadline === undefined && now - f.lastSent >= f.interval) f.answeredThisPeriod = false;
      if (f.answeredThisPeriod || f.peerAnswers >= MAX_PEER_ANSWERS) {
        this.suppressed++;
        return undefined;
      }
      f.answeredThisPeriod = true;
      f.peerAnswers++;
    }
    if (f.mode === 'final' && f.resends >= FINAL_FLIGHT_MAX_RESENDS) return undefined;
    const out = this.#resend(now, f, 'peer-retransmit');
    // Re-arm, so our own timer does not fire right after (RFC 9147 5.8.1).
    if (f.mode !== 'once' && this.#timer.deadline !== undefined) this.#rearm(f, now);
    return out;
  }

  /** The handshake completed: a flight waiting for an answer got it (RFC 6347 4.2.4); a final one stays. */
  answered(now: number): void {
    this.#sampleRtt(now);
    if (this.#flight?.mode === 'retransmit') this.stop();
  }

  /** The peer's data under the new keys proves our final flight arrived: nothing more to resend. */
  confirmed(): void {
    if (this.#flight?.mode === 'final') this.stop();
  }

  stop(): void {
    this.#flight = undefined;
    this.#timer.stop();
  }

  /** Our flight was answered: if it went out once, its age is a round trip (RFC 9147 5.8.2). */
  #sampleRtt(now: number): void {
    const f = this.#flight;
    if (!f || f.mode !== 'retransmit' || f.retransmitted) return;
    const sample = now - f.firstSent;
    // The first measurement replaces a given estimate (as RFC 6298 2.2 starts SRTT).
    this.#rtt = this.#rttMeasured && this.#rtt !== undefined ? (7 * this.#rtt + sample) / 8 : sample;
    this.#rttMeasured = true;
  }

  #resend(now: number, f: Flight, reason: Resend['reason']): Resend {
    f.lastSent = now;
    f.retransmitted = true;
    f.resends++;
    // Every transmission re-fragments and seals under fresh sequence numbers.
    const out = encodeFlight(f.items, this.#records, this.#o.mtu);
    f.carried = out.carried;
    return { flight: f.number, reason, out };
  }

  #finalSpent(f: Flight): boolean {
    return f.timerResends >= FINAL_FLIGHT_TIMER_RESENDS || f.resends >= FINAL_FLIGHT_MAX_RESENDS;
  }

  /** Arms the timer for the flight's next resend, unless a final flight has used its resends. */
  #rearm(f: Flight, now: number): void {
    if (f.mode === 'final' && this.#finalSpent(f)) this.#timer.stop();
    else this.#timer.start(now);
  }
}
