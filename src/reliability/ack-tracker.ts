// Which of the peer's handshake records to acknowledge, and when (RFC 9147 7,
// 7.1). Pure state: the connection reports each handshake record it processed
// or buffered (never one it discarded as not the next expected message, 7:
// "deadlock can ensue"), and each peer flight that completed; the tracker
// answers with a deadline, folded into the connection's next one, and at that
// deadline with the record numbers to put in an ACK.
//
//   record of a new flight ──► list cleared of what no longer needs an ACK
//   first record, flight partial ──► ACK due in timeout / 4 (7.1's suggestion)
//   record out of order ──► ACK due now (after the datagram; at most one per quarter timer)
//   flight complete, none of ours answers it ──► ACK due now (the client's
//     Finished at the server: it MUST be ACKed)
//   post-handshake message (KeyUpdate, NewSessionTicket, ...) ──► ACK due after
//     a short delay (7.1 "subject to some delay"), several coalesced in one
//   flight complete and answered by our next flight ──► no ACK (implicit)
//   a record of a flight we ACKed, again ──► ACK due in timeout / 4 (the peer
//     lost ours; 7.1 lets ACKs wait, and every copy of that window shares one)
//
// Waits measured in the timer (a quarter of it) count from when they started
// and follow the timer when it changes (setRetransmitTimeout()), as the
// retransmission timer does (timer.ts) and BoringSSL's ACK timer does.
//
// The ACK's epoch (the highest sending one, never 1: 7) and sending no ACK
// before DTLS 1.3 is known to be negotiated are the connection's part.
import { MAX_ACK_RECORDS } from '../wire/ack.ts';
import { compareRecordNumbers, recordNumber, type RecordNumber } from '../wire/record-number.ts';

/** Flights we acknowledged (explicitly: to answer their copies with an ACK again, RFC 9147 5.8.1 FINISHED; or by our answer). */
const REMEMBERED_FLIGHTS = 16;
/**
 * Records already ACKed that later ACKs name again, across the peer's flights, until a flight of
 * ours goes (RFC 9147 7.1: an ACK lost is made good by the next; BoringSSL does the same, and its
 * runner checks the list): what one ACK holds at an MTU of 1200. Older ones are not repeated.
 */
const REPEATED_RECORDS = 73;

interface Entry {
  epoch: number;
  seq: number;
  flight: number;
  /** Sent in an ACK already. */
  acked: boolean;
  /** Of a flight complete and owed an explicit ACK (kept until sent, even once that flight is no longer remembered). */
  owed?: true;
}

export interface AckTrackerOptions {
  /** Most record numbers held (and put in one ACK). Default MAX_ACK_RECORDS, what one ACK can carry. */
  maxRecords?: number;
  /**
   * Our current retransmission timeout, ms, read whenever a deadline is asked for, so that a wait
   * already scheduled follows a change of the timer. Without it, the `timeout` onRecord() was last given.
   */
  timeout?: { readonly timeout: number };
}

/** A wait measured in the timer: its length for a given retransmission timeout. */
export type AckDelay = (timeout: number) => number;

export class AckTracker {
  readonly #max: number;
  /** Records to acknowledge, in arrival order; keys in #keys. */
  #entries: Entry[] = [];
  readonly #keys = new Set<string>();
  /** The peer's current flight (its ordinal, from the caller) and whether it is complete. */
  #flight = -1;
  #complete = false;
  /** Records of the current flight seen so far. */
  #flightRecords = 0;
  /** Flights acknowledged by an explicit ACK, and by our answer (most recent last). */
  #explicit: number[] = [];
  #implicit: number[] = [];
  /** An ACK due at a fixed time (at once, or a delay in ms). */
  #at: number | undefined;
  /** ACKs due a timer-measured delay after a start: the earliest start per delay (two delays at most; made at first use). */
  #waits: Map<AckDelay, number> | undefined;
  readonly #timeoutOf: { readonly timeout: number } | undefined;
  /** The timeout onRecord() was last given (used without a `timeout` option). */
  #timeout = 1000;
  /** When the last ACK went (for the pace of out-of-order ACKs). */
  #lastSent: number | undefined;
  /** Records not held because of the bound (for tests and stats). */
  overflow = 0;

  constructor(o: AckTrackerOptions = {}) {
    const max = o.maxRecords ?? MAX_ACK_RECORDS;
    if (!Number.isInteger(max) || max < 1 || max > MAX_ACK_RECORDS) throw new RangeError(`maxRecords must be an integer in 1..${MAX_ACK_RECORDS}, got ${max}`);
    this.#max = max;
    this.#timeoutOf = o.timeout;
  }

  /** When an ACK is due (poll() then returns it), or undefined. Waits measured in the timer follow its current value. */
  get deadline(): number | undefined {
    let d = this.#at;
    if (!this.#waits?.size) return d;
    const timeout = this.#timeoutOf?.timeout ?? this.#timeout;
    for (const [delay, from] of this.#waits) {
      const t = from + delay(timeout);
      if (d === undefined || t < d) d = t;
    }
    return d;
  }

  /** Records held for the next ACK. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * A handshake record (epoch, sequence number) was processed or buffered.
   * `flight`: the ordinal of the peer flight it belongs to (increasing; the
   * caller's count of the peer's flights, post-handshake messages each their
   * own). `inOrder`: it held the next expected message or fragment (RFC 9147
   * 7.1). `timeout`: our current retransmission timeout (FlightSender.timeout),
   * a quarter of which is how long a partial flight waits for its rest.
   * Copies of an earlier flight are records too: pass that flight's ordinal.
   */
  onRecord(now: number, epoch: number, seq: number, flight: number, inOrder: boolean, timeout: number): void {
    this.#timeout = timeout;
    if (flight > this.#flight) this.#startFlight(flight);
    else if (flight < this.#flight || this.#complete) {
      // A copy of a flight already complete: the peer did not get our ACK
      // (ACK again, with this record too: 7.1 lists records of discarded
      // copies for post-handshake flights), or our answer, which the flight
      // sender resends (not an ACK). The ACK waits a quarter of the timer
      // (7.1 allows the delay): the rest of a resent flight arrives meanwhile
      // and one ACK names it all, where an ACK per copy doubled the traffic.
      if (this.#explicit.includes(flight)) {
        this.#add(epoch, seq, flight);
        this.#wait(quarter, now);
        return;
      }
      if (flight === this.#flight || this.#implicit.includes(flight)) return;
      // An earlier flight not complete yet, overtaken by a later one (a
      // post-handshake message before the client's lost Finished): its records
      // are reported as a disruption, at the out-of-order pace.
      this.#add(epoch, seq, flight);
      this.#paced(now);
      return;
    }
    const first = this.#flightRecords++ === 0;
    this.#add(epoch, seq, flight);
    // Out of order: at once, but at most one such ACK per quarter of the timer,
    // or every datagram after one lost would draw its own.
    if (!inOrder) this.#paced(now);
    // Partial so far: if the rest does not follow soon, say what came (7.1's
    // quarter of the timer). Re-armed after an ACK went, so progress is reported.
    else if (first || this.deadline === undefined) this.#wait(quarter, now);
  }

  /**
   * The peer's flight `flight` (by default the current one) is complete.
   * `answered`: a flight of ours answers it now, an implicit ACK (RFC 9147
   * 7.1), so no ACK is sent for it; otherwise it MUST be ACKed: at once, or
   * `delay` later (post-handshake messages, RFC 9147 7.1: an ACK due
   * earlier still goes at its time, carrying this flight too): ms, or a
   * length measured in the timer (it follows a change of the timer).
   */
  onFlightComplete(now: number, answered: boolean, flight = this.#flight, delay: number | AckDelay = 0): void {
    if (flight === this.#flight) this.#complete = true;
    if (answered) {
      // Nothing of this flight needs acknowledging; an ACK already due for an
      // earlier post-handshake flight still goes.
      remember(this.#implicit, flight);
      this.#keep((e) => e.flight !== flight);
      return;
    }
    remember(this.#explicit, flight);
    for (const e of this.#entries) if (e.flight === flight) e.owed = true;
    if (typeof delay === 'number') this.#due(now + delay);
    else this.#wait(delay, now);
  }

  /**
   * The record numbers to send in an ACK now, if one is due (in increasing
   * order, RFC 9147 7). `limit`: how many fit the ACK record (the MTU's
   * share); beyond it, those not yet acknowledged go first (7.1), the newest
   * of them (the peer's latest transmission says most about what it lacks).
   * All held count as acknowledged; the list is kept for the next ACK.
   */
  poll(now: number, limit = this.#max): RecordNumber[] | undefined {
    const due = this.deadline;
    if (due === undefined || now < due) return undefined;
    this.#clearDue();
    this.#lastSent = now;
    let chosen = this.#entries;
    if (chosen.length > limit) {
      const fresh = chosen.filter((e) => !e.acked).slice(-limit);
      const room = limit - fresh.length;
      chosen = room > 0 ? [...chosen.filter((e) => e.acked).slice(-room), ...fresh] : fresh;
    }
    for (const e of this.#entries) e.acked = true;
    const out = chosen.map((e) => recordNumber(e.epoch, e.seq)).sort(compareRecordNumbers);
    // Kept for the connection's life: exact-size copies, without the spare room push() left (memory per connection).
    this.#entries = this.#entries.slice();
    this.#explicit = this.#explicit.slice();
    this.#implicit = this.#implicit.slice();
    return out;
  }

  /** A flight of ours went (a post-handshake message): what was acknowledged is not named again. */
  forgetAcknowledged(): void {
    this.#keep((e) => !e.acked);
  }

  #startFlight(flight: number): void {
    // The peer moved on: records of a flight it will not resend (one our flight
    // answered, one it left for its next) go; records of a complete flight still
    // owed an ACK stay until it is sent, and those ACKed already are named again
    // in later ACKs (the most recent REPEATED_RECORDS), in case ours was lost.
    this.#keep((e) => (e.acked ? !this.#implicit.includes(e.flight) : e.owed === true || this.#explicit.includes(e.flight)));
    // poll() marks every entry and new ones go last: the acknowledged ones are a prefix.
    let extra = this.#entries.filter((e) => e.acked).length - REPEATED_RECORDS;
    if (extra > 0) this.#keep((e) => !(e.acked && extra-- > 0));
    this.#flight = flight;
    this.#flightRecords = 0;
    this.#complete = false;
  }

  /** Keeps the entries `pred` holds for; with none left to acknowledge, no ACK is due. */
  #keep(pred: (e: Entry) => boolean): void {
    const kept: Entry[] = [];
    for (const e of this.#entries) {
      if (pred(e)) kept.push(e);
      else this.#keys.delete(key(e.epoch, e.seq));
    }
    this.#entries = kept;
    if (!kept.some((e) => !e.acked)) this.#clearDue();
  }

  #add(epoch: number, seq: number, flight: number): void {
    const k = key(epoch, seq);
    if (this.#keys.has(k)) return;
    if (this.#entries.length >= this.#max) {
      // Full: make room by the oldest record (7.1: favour those not yet
      // acknowledged; poll() marks every entry and new ones go last, so the
      // acknowledged ones are a prefix and go first). The newest stay: the
      // peer's latest transmission says most about what it lacks.
      this.overflow++;
      const gone = this.#entries.shift()!;
      this.#keys.delete(key(gone.epoch, gone.seq));
    }
    this.#keys.add(k);
    this.#entries.push({ epoch, seq, flight, acked: false });
  }

  #due(at: number): void {
    if (this.#at === undefined || at < this.#at) this.#at = at;
  }

  /** An ACK due `delay` (of the timer) after `from`; the earliest start of each delay is kept. */
  #wait(delay: AckDelay, from: number): void {
    const waits = (this.#waits ??= new Map());
    const was = waits.get(delay);
    if (was === undefined || from < was) waits.set(delay, from);
  }

  /** At once, unless an ACK went less than a quarter of the timer ago: then a quarter after it. */
  #paced(now: number): void {
    const last = this.#lastSent;
    if (last === undefined || now >= last + quarter(this.#timeoutOf?.timeout ?? this.#timeout)) this.#due(now);
    else this.#wait(quarter, last);
  }

  #clearDue(): void {
    this.#at = undefined;
    // Let go of the map (a cleared Map keeps its table): most connections wait rarely.
    this.#waits = undefined;
  }
}

/** Adds `flight` to a short list of flights, the oldest forgotten past REMEMBERED_FLIGHTS. */
function remember(list: number[], flight: number): void {
  if (list.includes(flight)) return;
  list.push(flight);
  if (list.length > REMEMBERED_FLIGHTS) list.shift();
}

/** A quarter of the timer, not rounded (a 250 ms timer gives 62.5 ms, as BoringSSL's runner checks). */
function quarter(timeout: number): number {
  return Math.max(1, timeout / 4);
}

function key(epoch: number, seq: number): string {
  return `${epoch}/${seq}`;
}
