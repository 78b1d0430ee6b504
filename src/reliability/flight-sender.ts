// The flight sender: everything about getting our current flight across
// (RFC 6347 4.2.4; RFC 9147 5.8), shared by every version and role. It owns
// the retransmission timer, the round-trip estimate, which record carried
// which fragment, resends on timeout, resends that answer the peer's copies
// (bounded), and the final flight's extra resends. Pure state: `now` comes in,
// encoded datagrams go out; the connection queues them.
//
//   send() ──► SENDING ──► WAITING ──timer──► resend what is unacknowledged (doubling), re-arm
//                            │  ▲
//                  peer copy │  │ under keys: each answered (32 per flight); in epoch 0:
//                            │  │ one per timer period, 10 per flight
//                            │  │ (only what is unacknowledged; nothing once all is)
//     ACK of a later record  │  │ resend at once what earlier records carried, unacknowledged
//                            ▼  │
//                         answered() / confirmed() / ACK of the whole flight ──► idle
//
// DTLS 1.3 ACKs (RFC 9147 7.2) name records; every transmission seals under
// fresh record numbers, so an ACK says exactly which transmission arrived:
// its fragments leave the retransmit set; a record not acknowledged while one
// sent after it was is taken as lost and its bytes are resent at once (RFC
// 9147 5.8.1, WAITING exit 2; QUIC's packet threshold, RFC 9002 6.1.1, at 1);
// and the first ACK of a flight is a round-trip sample, from the send time of
// the newest record it acknowledges (RFC 9147 5.8.2). Karn's rule keeps a
// resent message from measuring because its answer cannot say which copy it
// answers; a record number is never reused, so an ACK can, and a 1.3 flight
// resent early on a slow path still measures it. An implicit answer (the
// peer's next flight) keeps Karn's rule. Without ACKs (DTLS 1.2) nothing here
// changes what goes on the wire.
//
// DTLS 1.3 under an adaptive timer (the default; not the plain RFC schedule,
// which BoringSSL's runner checks to the packet) also takes as lost what was
// sent with the newest record an ACK names and left out (the receiver waited
// for it, RFC 9147 7.1; 5.8.1 WAITING exit 2), and sends a small resend that
// ACKs or silent expiries show lost twice; a copy of the peer's flight is not
// news that ours arrived. At 50% loss each way these took the handshakes that
// complete within 30 s from 99.96% to 100% (docs/RELIABILITY-DTLS13.md).
import type { RecordLayer } from '../record/record-layer.ts';
import { RetransmitTimer } from './timer.ts';
import { encodeFlight, type EncodedFlight, type FlightItem, type SentFragment } from './flight.ts';
import { encodePieces } from './flight-pieces.ts';
import { Unacked } from './unacked.ts';
import type { RecordNumber } from '../wire/record-number.ts';
import { DtlsError } from '../errors.ts';
import {
  FINAL_FLIGHT_TIMER_RESENDS,
  FINAL_FLIGHT_MAX_RESENDS,
  MAX_PEER_ANSWERS,
  MAX_KEYED_ANSWERS,
  ACK_FLIGHT_MAX_RESENDS,
  TIMEOUT_COPY_MAX_DATAGRAMS,
  TIMEOUT_COPY_AFTER_SILENT,
  MAX_RECORDS_PER_TRANSMISSION,
  MAX_REMEMBERED_RECORDS,
  MAX_ACK_RESENDS,
} from './flight-limits.ts';

/**
 * How a flight is sent (RFC 6347 4.2.4): 'retransmit' arms the timer;
 * 'final' is the last flight, kept and resent when the peer resends its own
 * (and on a few timer expiries); 'once' (a stateful server's
 * HelloVerifyRequest) has no timer and is resent only to answer a resent ClientHello.
 * 'ack' (DTLS 1.3: the client's final flight, post-handshake messages such as
 * KeyUpdate and NewSessionTicket, RFC 9147 7.1) is resent on its timer until
 * an ACK covers it (or the peer's data under the new keys, confirmed()); the
 * handshake completing does not end it.
 */
export type FlightMode = 'retransmit' | 'final' | 'once' | 'ack';

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

/** What an ACK did to the flight held. */
export interface AckOutcome {
  /** Records of ours it acknowledged for the first time. */
  newlyAcked: number;
  /** Every fragment of the flight is now acknowledged: its retransmissions are cancelled (RFC 9147 7.2). */
  flightAcked: boolean;
  /**
   * What records sent before an acknowledged one carried and the ACK left out
   * (lost, RFC 9147 5.8.1 WAITING exit 2), sent again at once in new records.
   */
  resend?: EncodedFlight;
}

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
  /** Something of the peer's about this flight (an ACK, a copy of its previous flight) came since our last transmission. */
  heard: boolean;
  /** Timer expiries in a row that found `heard` unset. */
  silent: number;
  retransmitted: boolean;
  /** Already resent because the peer's next-epoch records showed it finished. */
  resentAhead: boolean;
  /** Resends of this flight so far; those our timer made; those that answered peer copies. */
  resends: number;
  timerResends: number;
  peerAnswers: number;
  /** Answers to copies that came under keys (MAX_KEYED_ANSWERS). */
  keyedAnswers: number;
  /** Which record (epoch, sequence number) carried which fragment, in the latest transmission. */
  carried: SentFragment[];
  /** Records of every transmission not yet acknowledged, by "epoch/seq" (the oldest first). */
  sent: Map<string, SentRecord>;
  /** Send order of the next record; the highest order acknowledged so far (-1: none). */
  order: number;
  largestAcked: number;
  unacked: Unacked;
  /** Every fragment acknowledged: nothing more to send. */
  acked: boolean;
  /** An 'ack' flight that used its resends without an ACK. */
  exhausted: boolean;
  /** Resends drawn by partial ACKs. */
  ackResends: number;
  /** The flight gave its round-trip sample (once per flight). */
  sampled: boolean;
}

interface SentRecord {
  /** What it carried: one fragment, or in DTLS 1.3 several packed (all acknowledged together). */
  fragments: SentFragment[];
  /** Send order across the flight's transmissions. */
  order: number;
  /** When it was sent. */
  sentAt: number;
  /** Its bytes have not been sent again since: it is what is in flight for them. */
  live: boolean;
}

function key(epoch: number, seq: number): string {
  return `${epoch}/${seq}`;
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

  /**
   * Number (RFC 6347 4.2.4's 1-6) and mode of the flight held, if any; whether
   * ACKs covered all of it; whether an 'ack' flight gave up unacknowledged.
   */
  get current(): { number: number; mode: FlightMode; acked: boolean; exhausted: boolean } | undefined {
    const f = this.#flight;
    return f && { number: f.number, mode: f.mode, acked: f.acked, exhausted: f.exhausted };
  }

  /** The largest datagram this connection sends (ACKs are sized to it too). */
  get mtu(): number {
    return this.#o.mtu;
  }

  /** The smoothed round trip, once measured or given. */
  get rtt(): number | undefined {
    return this.#rtt;
  }

  /** Which record carried which fragment of the flight held (what ACKs refer to). */
  get carried(): readonly SentFragment[] {
    return this.#flight?.carried ?? [];
  }

  /** The current retransmission timeout, ms (a quarter of it is how long AckTracker lets a partial flight wait). */
  get timeout(): number {
    return this.#timer.current;
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
      heard: false,
      silent: 0,
      resentAhead: false,
      resends: 0,
      timerResends: 0,
      peerAnswers: 0,
      keyedAnswers: 0,
      carried: out.carried,
      sent: new Map(),
      order: 0,
      largestAcked: -1,
      unacked: new Unacked(items),
      acked: false,
      exhausted: false,
      ackResends: 0,
      sampled: false,
    };
    this.#remember(this.#flight, out.carried);
    if (mode !== 'once') this.#timer.start(now);
    else this.#timer.stop();
    return out;
  }

  /** The timer fired (RFC 6347 4.2.4.1): double it and resend, unless a final flight used its resends. */
  onTimeout(now: number): Resend | undefined {
    const f = this.#flight;
    if (!f || f.mode === 'once' || f.acked || !this.#timer.expired(now)) return undefined;
    if (this.#spent(f)) {
      this.#timer.stop();
      if (f.mode === 'ack') f.exhausted = true;
      return undefined;
    }
    this.#timer.backoff();
    f.timerResends++;
    f.answeredThisPeriod = false;
    // Two silent expiries in a row are loss, not a round trip longer than
    // the first timeouts: on a path losing half its datagrams a single copy
    // per doubling fits 9 tries into 30 s (0.5^9 = 0.2% of first flights
    // lost); two copies per try from the second make it 0.5^2 x 0.25^7
    // (docs/RELIABILITY-DTLS13.md). The doubling (RFC 9147 5.8.2) is kept,
    // so what is sent per unit of time still halves at every expiry.
    f.silent = f.heard ? 0 : f.silent + 1;
    f.heard = false;
    const out = this.#resend(now, f, 'timeout');
    // `adaptive: false` is the plain RFC schedule: one transmission per
    // expiry, which BoringSSL's conformance runner checks to the packet.
    if (this.#o.retransmit.adaptive && f.silent >= TIMEOUT_COPY_AFTER_SILENT) {
      if (this.#small(out.out)) this.#copy(f, out.out);
      // A larger DTLS 1.3 flight: its head twice (see #copyHead).
      else if (this.#records.protocol === '1.3') this.#copyHead(f, out.out);
    }
    this.#rearm(f, now);
    return out;
  }

  /**
   * The peer resent the flight ours answers ('old'), or showed with records of
   * the next epoch that it finished ours without our having its answer
   * ('ahead', RFC 9147 5.8.1: answered once per flight, at once). `keyed`:
   * the copy came under keys (epoch > 0), so each one is answered
   * (MAX_KEYED_ANSWERS); an epoch-0 copy could be forged, and at most one per
   * timer period is (MAX_PEER_ANSWERS).
   */
  onPeerCopy(now: number, why: 'old' | 'ahead', keyed = false): Resend | undefined {
    const f = this.#flight;
    // RFC 9147 5.8.1 (WAITING exit 3) resends on a copy while none of ours was
    // acknowledged. Once some was, a copy still shows the peer lacks the rest,
    // which the ACKs cannot show when the lost records are the last ones (no
    // later record acknowledged): what is unacknowledged and not sent within
    // the last round trip (still on its way) is resent, not the whole flight.
    if (!f || f.acked) return undefined;
    // In DTLS 1.3 a copy of the peer's flight is not news of ours: ACKs say
    // what of ours arrived, and a copy is "the likely result of timer expiry
    // on the peer" that "suggests that part of one's previous flight was
    // lost" (RFC 9147 5.8.1), so the next expiry still counts as silent.
    if (why === 'ahead' || this.#records.protocol !== '1.3') f.heard = true;
    let stale: SentRecord[] | undefined;
    if (f.unacked.anyAcked) {
      const fresh = this.#rtt ?? this.#timer.current;
      stale = [...f.sent.values()].filter((s) => s.live && now - s.sentAt >= fresh);
      if (!stale.length) return undefined;
    }
    if (why === 'ahead') {
      if (f.resentAhead) return undefined;
      f.resentAhead = true;
    } else if (keyed) {
      if (f.keyedAnswers >= MAX_KEYED_ANSWERS) {
        this.suppressed++;
        return undefined;
      }
      f.answeredThisPeriod = true;
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
    // A keyed answer has its own cap (MAX_KEYED_ANSWERS), outside a final flight's FINAL_FLIGHT_MAX_RESENDS.
    if ((f.mode === 'final' && !keyed && this.#ownResends(f) >= FINAL_FLIGHT_MAX_RESENDS) || (f.mode === 'ack' && f.timerResends >= ACK_FLIGHT_MAX_RESENDS))
      return undefined;
    const out = stale ? this.#resendStale(now, f, stale) : this.#resend(now, f, 'peer-retransmit');
    if (!out) return undefined;
    if (keyed) f.keyedAnswers++;
    // Re-arm, so our own timer does not fire right after (RFC 9147 5.8.1).
    if (f.mode !== 'once' && this.#timer.deadline !== undefined) this.#rearm(f, now);
    return out;
  }

  /**
   * An ACK (RFC 9147 7.2) naming these records. Records not of the flight held
   * (older flights, forged, beyond 2^53) are ignored; acknowledged fragments
   * leave the retransmit set; the flight fully acknowledged stops its timer.
   * `ackEpoch`: the epoch the ACK came in; naming a record of a higher one is
   * illegal_parameter (RFC 9147 7.2), thrown as a DtlsError.
   */
  onAck(now: number, recordNumbers: readonly RecordNumber[], ackEpoch: number): AckOutcome {
    for (const rn of recordNumbers) {
      if (rn.epoch > BigInt(ackEpoch))
        throw new DtlsError('illegal_parameter', `an ACK in epoch ${ackEpoch} names record ${rn.epoch}/${rn.sequenceNumber} of a later epoch`);
    }
    const f = this.#flight;
    if (!f || f.acked) return { newlyAcked: 0, flightAcked: false };
    f.heard = true;
    let newlyAcked = 0,
      sentAt = -Infinity;
    for (const rn of recordNumbers) {
      if (rn.epoch > BigInt(Number.MAX_SAFE_INTEGER) || rn.sequenceNumber > BigInt(Number.MAX_SAFE_INTEGER)) continue;
      const k = key(Number(rn.epoch), Number(rn.sequenceNumber));
      const s = f.sent.get(k);
      if (!s) continue;
      f.sent.delete(k);
      newlyAcked++;
      sentAt = Math.max(sentAt, s.sentAt);
      f.largestAcked = Math.max(f.largestAcked, s.order);
      for (const c of s.fragments) f.unacked.ack(c.messageSeq, c.offset, c.length);
    }
    if (!newlyAcked) return { newlyAcked, flightAcked: false };
    // The acknowledged records name their transmission: no ambiguity for Karn's rule to avoid.
    if (f.mode !== 'once') this.#sample(f, now - sentAt);
    if (f.unacked.done) {
      f.acked = true;
      f.sent.clear();
      this.#timer.stop();
      return { newlyAcked, flightAcked: true };
    }
    // Lost: what is in flight in records sent before one the peer acknowledged,
    // and, with an adaptive timer in DTLS 1.3, in records sent with it (the
    // same transmission, later in it: the ACK of a partial flight comes after
    // the peer waited for the rest, RFC 9147 7.1, and 5.8.1 WAITING exit 2
    // resends the unacknowledged portion). The plain RFC schedule (adaptive
    // false) leaves those to the timer, as BoringSSL does (its runner checks).
    const burst = this.#lossy13 ? sentAt : -Infinity;
    const lost: SentRecord[] = [];
    for (const s of f.sent.values()) if (s.live && (s.order < f.largestAcked || s.sentAt <= burst)) lost.push(s);
    if (!lost.length || f.mode === 'once' || f.ackResends >= MAX_ACK_RESENDS || this.#spent(f)) return { newlyAcked, flightAcked: false };
    for (const s of lost) s.live = false;
    const pieces = f.unacked.within(lost.flatMap((s) => s.fragments));
    if (!pieces.length) return { newlyAcked, flightAcked: false };
    f.ackResends++;
    const resend = this.#transmit(now, f, encodePieces(f.items, pieces, this.#records, this.#o.mtu));
    // The ACK showed loss, as two silent expiries do: a small resend goes twice.
    if (this.#lossy13 && this.#small(resend)) this.#push(f, resend, encodePieces(f.items, pieces, this.#records, this.#o.mtu));
    // What the peer says about this resend is news again.
    f.heard = false;
    // The peer is making progress: re-armed at the current value, not doubled.
    if (this.#timer.deadline !== undefined) this.#rearm(f, now);
    return { newlyAcked, flightAcked: false, resend };
  }

  /**
   * A record of the peer's next flight arrived (DTLS 1.3): it is an implicit
   * acknowledgement of the whole flight it answers (RFC 9147 7.2), even when
   * the rest of that flight is still to come, so our flight is not resent
   * again. Only a flight waiting for an answer: a final flight ('ack') needs
   * its ACK, as the peer's next messages may precede its arrival (half-RTT).
   * The first record of the answer is the round-trip sample (when the flight
   * went once): the answer completing later, after the peer's own resends,
   * would count those too.
   */
  implicitlyAcked(now: number): void {
    const f = this.#flight;
    if (!f || f.mode !== 'retransmit' || f.acked) return;
    this.#sampleRtt(now);
    f.acked = true;
    f.sent.clear();
    this.#timer.stop();
  }

  /** The handshake completed: a flight waiting for an answer got it (RFC 6347 4.2.4); a final or 'ack' one stays. */
  answered(now: number): void {
    this.#sampleRtt(now);
    if (this.#flight?.mode === 'retransmit') this.stop();
  }

  /** The peer's data under the new keys proves our final flight arrived: nothing more to resend. */
  confirmed(): void {
    if (this.#flight?.mode === 'final' || this.#flight?.mode === 'ack') this.stop();
  }

  stop(): void {
    this.#flight = undefined;
    this.#timer.stop();
  }

  /** Our flight was answered: if it went out once, its age is a round trip (RFC 9147 5.8.2). */
  #sampleRtt(now: number): void {
    const f = this.#flight;
    if (!f || f.mode !== 'retransmit' || f.retransmitted) return;
    this.#sample(f, now - f.firstSent);
  }

  #sample(f: Flight, sample: number): void {
    if (f.sampled) return;
    f.sampled = true;
    // The first measurement replaces a given estimate (as RFC 6298 2.2 starts SRTT).
    this.#rtt = this.#rttMeasured && this.#rtt !== undefined ? (7 * this.#rtt + sample) / 8 : sample;
    this.#rttMeasured = true;
  }

  /** Notes which record carried which fragment, for the ACKs to come; bounded, the oldest records first out. */
  #remember(f: Flight, carried: readonly SentFragment[]): void {
    for (const c of carried) {
      const k = key(c.epoch, c.sequenceNumber);
      const s = f.sent.get(k);
      // Fragments packed in one record (DTLS 1.3) share its number: one entry, one send order.
      if (s) s.fragments.push(c);
      else f.sent.set(k, { fragments: [c], order: f.order++, sentAt: f.lastSent, live: true });
    }
    // A Map iterates in insertion order: the first keys are the oldest records.
    for (const k of f.sent.keys()) {
      if (f.sent.size <= MAX_REMEMBERED_RECORDS) break;
      f.sent.delete(k);
    }
  }

  /** Resends the whole flight but what the peer acknowledged (RFC 9147 5.8.1); every record before is superseded. */
  #resend(now: number, f: Flight, reason: Resend['reason']): Resend {
    for (const s of f.sent.values()) s.live = false;
    // Every transmission re-fragments and seals under fresh sequence numbers.
    const out = f.unacked.anyAcked ? encodePieces(f.items, f.unacked.pieces(), this.#records, this.#o.mtu) : encodeFlight(f.items, this.#records, this.#o.mtu);
    return { flight: f.number, reason, out: this.#transmit(now, f, out) };
  }

  /** Resends the unacknowledged bytes of these records, which are superseded. */
  #resendStale(now: number, f: Flight, stale: SentRecord[]): Resend | undefined {
    for (const s of stale) s.live = false;
    const pieces = f.unacked.within(stale.flatMap((s) => s.fragments));
    if (!pieces.length) return undefined;
    return { flight: f.number, reason: 'peer-retransmit', out: this.#transmit(now, f, encodePieces(f.items, pieces, this.#records, this.#o.mtu)) };
  }

  /**
   * A second copy of the transmission just made, in fresh records, appended to
   * it: RFC 9002 6.2.4 lets a QUIC probe be two datagrams so that one lost
   * datagram does not cost another doubled timeout. The doubling is kept.
   */
  #copy(f: Flight, out: EncodedFlight): void {
    const again = f.unacked.anyAcked
      ? encodePieces(f.items, f.unacked.pieces(), this.#records, this.#o.mtu)
      : encodeFlight(f.items, this.#records, this.#o.mtu);
    this.#remember(f, again.carried);
    out.datagrams.push(...again.datagrams);
    out.records += again.records;
    out.carried.push(...again.carried);
  }

  /**
   * The first message not yet acknowledged, once more after a transmission of
   * a flight too large to copy whole, if it fits one datagram and the 10
   * records of RFC 9147 5.8.3. The peer can use nothing of a DTLS 1.3 flight
   * before its head: the rest of a server's flight is sealed under keys its
   * ServerHello brings, and messages are taken in order (message_seq); until
   * then it cannot even ACK what came. One datagram more per silent expiry.
   */
  #copyHead(f: Flight, out: EncodedFlight): void {
    const pieces = f.unacked.pieces();
    const head = pieces.filter((p) => p.item === pieces[0]?.item);
    if (!head.length) return;
    const again = encodePieces(f.items, head, this.#records, this.#o.mtu);
    if (again.datagrams.length === 1 && out.records + again.records <= MAX_RECORDS_PER_TRANSMISSION) this.#push(f, out, again);
  }

  /** `again` (fresh records, already sealed) appended to the transmission `out` just made; its records remembered for ACKs. */
  #push(f: Flight, out: EncodedFlight, again: EncodedFlight): void {
    this.#remember(f, again.carried);
    out.datagrams.push(...again.datagrams);
    out.records += again.records;
    out.carried.push(...again.carried);
  }

  /** Small enough to send twice: at most TIMEOUT_COPY_MAX_DATAGRAMS datagrams, and twice its records within RFC 9147 5.8.3's 10. */
  #small(out: EncodedFlight): boolean {
    return out.datagrams.length <= TIMEOUT_COPY_MAX_DATAGRAMS && 2 * out.records <= MAX_RECORDS_PER_TRANSMISSION;
  }

  /** DTLS 1.3 with an adaptive timer: what ACKs show lost is resent at once, twice when small. */
  get #lossy13(): boolean {
    return this.#o.retransmit.adaptive && this.#records.protocol === '1.3';
  }

  #transmit(now: number, f: Flight, out: EncodedFlight): EncodedFlight {
    f.lastSent = now;
    f.retransmitted = true;
    f.resends++;
    f.carried = out.carried;
    this.#remember(f, out.carried);
    return out;
  }

  /** Resends but the answers to keyed copies (which MAX_KEYED_ANSWERS bounds). */
  #ownResends(f: Flight): number {
    return f.resends - f.keyedAnswers;
  }

  /** A final or 'ack' flight that has used its resends. */
  #spent(f: Flight): boolean {
    if (f.mode === 'final') return f.timerResends >= FINAL_FLIGHT_TIMER_RESENDS || this.#ownResends(f) >= FINAL_FLIGHT_MAX_RESENDS;
    if (f.mode === 'ack') return f.timerResends >= ACK_FLIGHT_MAX_RESENDS;
    return false;
  }

  /**
   * Arms the timer for the flight's next resend, unless a final flight has used
   * its resends. An 'ack' flight waits one more period for the ACK of its last
   * resend: its timer firing then gives it up (onTimeout).
   */
  #rearm(f: Flight, now: number): void {
    if (f.mode === 'final' && this.#spent(f)) this.#timer.stop();
    else this.#timer.start(now);
  }
}
