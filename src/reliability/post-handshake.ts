// Post-handshake messages of DTLS 1.3 (RFC 9147 5.8.4, 8): NewSessionTicket,
// KeyUpdate, NewConnectionId, RequestConnectionId. Each is a flight of its own
// with its own retransmission state ('ack' mode: resent until an ACK covers
// it), all fed by the same ACKs. KeyUpdate adds the epoch rules of RFC 9147 8:
//   - records under the new keys only once the KeyUpdate and every message
//     sent before it are acknowledged (`switchTo` tells the connection when);
//   - no new post-handshake message in the old epoch after it, and no second
//     KeyUpdate, until then (`blocked`; send() refuses).
// Pure state like the flight sender: `now` in, datagrams and a deadline out.
import type { RecordLayer } from '../record/record-layer.ts';
import type { EncodedFlight, FlightItem } from './flight.ts';
import { FlightSender, type FlightSenderOptions, type Resend } from './flight-sender.ts';
import type { RecordNumber } from '../wire/record-number.ts';

/** Post-handshake messages waiting for their ACK at once; more is API misuse (a TypeError). */
export const MAX_POST_HANDSHAKE_IN_FLIGHT = 8;
/** The flight number post-handshake resends are reported under (RFC 6347's 1-6 are the handshake's). */
export const POST_HANDSHAKE_FLIGHT = 7;

interface Outstanding {
  /** Order of sending: what "preceding" means in RFC 9147 8. */
  order: number;
  sender: FlightSender;
  /** A KeyUpdate: the epoch to write in once it and all before it are acknowledged. */
  nextEpoch: number | undefined;
}

export interface PostHandshakeAckOutcome {
  /** Unacknowledged rests resent at once (a partial ACK of the latest transmission, as FlightSender.onAck). */
  resends: EncodedFlight[];
  /** Messages this ACK completed, by the order their send() returned. */
  acked: number[];
  /** The pending KeyUpdate and everything sent before it are acknowledged: install and use this write epoch now (RFC 9147 8). */
  switchTo?: number;
}

export class PostHandshakeSender {
  readonly #records: RecordLayer;
  readonly #o: FlightSenderOptions;
  /** The handshake's sender: its round-trip estimate seeds ours, and its 'ack' flight (the client's Finished) precedes every post-handshake message. */
  readonly #handshake: FlightSender;
  readonly #out: Outstanding[] = [];
  #order = 0;
  /**
   * The round trip the latest ACK of a post-handshake message measured. Each
   * message has a sender of its own; without this a new one started from the
   * handshake's estimate, which a server whose flight was resent (Karn) never
   * has: on a 500 ms path every KeyUpdate of a server went out three times
   * before its ACK, not only the first (RFC 9147 5.8.2: the timer follows the
   * round trip measured once a message is acknowledged).
   */
  #rtt: number | undefined;
  /** The KeyUpdate waiting for its ACK (and for those before it). */
  #keyUpdate: Outstanding | undefined;

  constructor(records: RecordLayer, o: FlightSenderOptions, handshake: FlightSender) {
    this.#records = records;
    this.#o = o;
    this.#handshake = handshake;
  }

  /** A KeyUpdate was sent and the new epoch is not in use yet: nothing else may be sent as a post-handshake message, no second KeyUpdate. */
  get blocked(): boolean {
    return this.#keyUpdate !== undefined;
  }

  /** Messages sent and not acknowledged (nor given up). */
  get outstanding(): number {
    return this.#out.length;
  }

  /** When onTimeout must run, or undefined. */
  get deadline(): number | undefined {
    let d: number | undefined;
    for (const o of this.#out) {
      const t = o.sender.deadline;
      if (t !== undefined && (d === undefined || t < d)) d = t;
    }
    return d;
  }

  /**
   * Sends one post-handshake message (its item carries the epoch it goes in,
   * the current write epoch). `nextEpoch` marks a KeyUpdate: the epoch to
   * switch to once acknowledged. Returns the datagrams and the message's order.
   */
  send(now: number, item: FlightItem, nextEpoch?: number): { out: EncodedFlight; order: number } {
    if (this.#keyUpdate) throw new TypeError('a KeyUpdate is waiting for its ACK: no post-handshake message until the new epoch is in use (RFC 9147 8)');
    if (this.#out.length >= MAX_POST_HANDSHAKE_IN_FLIGHT)
      throw new TypeError(`${MAX_POST_HANDSHAKE_IN_FLIGHT} post-handshake messages already wait for their ACK`);
    // The connection's MTU and timer read at each use (setMtu, setRetransmitTimeout reach this
    // message and its resends), with the round trip known now beside them.
    const live = this.#o;
    const r = live.retransmit;
    const sender = new FlightSender(this.#records, {
      get mtu() {
        return live.mtu;
      },
      retransmit: {
        get initial() {
          return r.initial;
        },
        get min() {
          return r.min;
        },
        max: r.max,
        adaptive: r.adaptive,
        rtt: this.#rtt ?? this.#handshake.rtt ?? r.rtt,
      },
    });
    const o: Outstanding = { order: this.#order++, sender, nextEpoch };
    this.#out.push(o);
    if (nextEpoch !== undefined) this.#keyUpdate = o;
    // No answer is awaited as such, so no round-trip sample from send(); the ACK gives one.
    return { out: sender.send(now, [item], POST_HANDSHAKE_FLIGHT, 'ack', false), order: o.order };
  }

  /**
   * An ACK (after the handshake). The epoch rule (illegal_parameter) is
   * checked by FlightSender.onAck, thrown as a DtlsError.
   */
  onAck(now: number, recordNumbers: readonly RecordNumber[], ackEpoch: number): PostHandshakeAckOutcome {
    const resends: EncodedFlight[] = [];
    const acked: number[] = [];
    for (const o of [...this.#out]) {
      const r = o.sender.onAck(now, recordNumbers, ackEpoch);
      if (r.newlyAcked) this.#rtt = o.sender.rtt ?? this.#rtt;
      if (r.resend) resends.push(r.resend);
      if (r.flightAcked) {
        acked.push(o.order);
        if (o !== this.#keyUpdate) this.#out.splice(this.#out.indexOf(o), 1);
      }
    }
    const switchTo = this.#trySwitch();
    return switchTo === undefined ? { resends, acked } : { resends, acked, switchTo };
  }

  /**
   * The timers that expired: resends, and messages given up after
   * ACK_FLIGHT_MAX_RESENDS (`exhausted`, by order: a peer that acknowledges
   * nothing for minutes; the connection fails).
   */
  onTimeout(now: number): { resends: Resend[]; exhausted: number[] } {
    const resends: Resend[] = [];
    const exhausted: number[] = [];
    for (const o of [...this.#out]) {
      const r = o.sender.onTimeout(now);
      if (r) resends.push(r);
      if (o.sender.current?.exhausted) {
        exhausted.push(o.order);
        this.#out.splice(this.#out.indexOf(o), 1);
        if (o === this.#keyUpdate) this.#keyUpdate = undefined;
      }
    }
    return { resends, exhausted };
  }

  /** The handshake's own final flight was acknowledged or confirmed: a KeyUpdate waiting on it may now take effect. */
  onHandshakeAcked(): number | undefined {
    return this.#trySwitch();
  }

  /** The KeyUpdate's epoch, once it and all before it (the handshake's final flight too) are acknowledged. */
  #trySwitch(): number | undefined {
    const k = this.#keyUpdate;
    if (!k || !k.sender.current?.acked) return undefined;
    if (this.#out.some((o) => o.order < k.order)) return undefined;
    const h = this.#handshake.current;
    if (h?.mode === 'ack' && !h.acked) return undefined;
    this.#keyUpdate = undefined;
    this.#out.splice(this.#out.indexOf(k), 1);
    return k.nextEpoch;
  }
}
