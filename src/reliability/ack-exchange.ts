// DTLS 1.3 ACKs both ways for one connection (RFC 9147 7), so that the
// connection needs only a few calls: each handshake record with what the
// machine made of it, each ACK record, and a poll for the ACK due. It tells
// the peer's flights apart by our answers: records until we send a flight
// belong to one peer flight, the flight we send answers it (an implicit
// ACK); a flight that completes with no answer (the client's Finished at the
// server) and every post-handshake message are ACKed explicitly, the latter
// after a short delay that lets several share one ACK (RFC 9147 7.1).
import type { PlainRecord, RecordLayer } from '../record/record-layer.ts';
import { ContentType } from '../wire/types.ts';
import { decodeAck, encodeAck } from '../wire/ack.ts';
import { DecodeError } from '../wire/codec.ts';
import { DtlsError } from '../errors.ts';
import { AckTracker } from './ack-tracker.ts';
import type { FlightSender } from './flight-sender.ts';
import type { PostHandshakeAckOutcome, PostHandshakeSender } from './post-handshake.ts';
import type { EncodedFlight } from './flight.ts';

/** What an ACK record did. */
export type AckRecordResult =
  /** Not DTLS 1.3 (yet), or unreadable in epoch 0: dropped, counted (RFC 9147 7: ignored before 1.3 is known). */
  | { kind: 'drop'; reason: 'unexpected' | 'malformed' }
  /**
   * Taken; `resend` is what it showed lost of our handshake flight, to send
   * now; `flightAcked` that all of that flight arrived; `post` what it did to
   * the post-handshake messages (their resends, and `switchTo`: the KeyUpdate
   * acknowledged, write in that epoch now), when a PostHandshakeSender is given.
   */
  | { kind: 'acked'; resend: EncodedFlight | undefined; flightAcked: boolean; post?: PostHandshakeAckOutcome };

/** What this needs of a handshake action (machine.ts HandshakeAction): its kind, and a trace's direction. */
export interface ActionLike {
  readonly kind: string;
  readonly direction?: string;
}

/**
 * Longest wait before ACKing a post-handshake message (RFC 9147 7.1 allows
 * "some delay"; BoringSSL delays too, and a peer reading data right after its
 * NewSessionTicket may refuse an ACK at once). Well under the peer's shortest
 * retransmission timer (RFC 9147 5.8.2 suggests 1 s initially), so no resend is drawn.
 */
export const POST_HANDSHAKE_ACK_DELAY_MAX = 100;

/**
 * The delay of a post-handshake message's ACK: a quarter of our retransmission timeout (7.1's suggestion),
 * not rounded (a partial message waits exactly that: one rule for both), at most POST_HANDSHAKE_ACK_DELAY_MAX.
 */
export function postHandshakeAckDelay(timeout: number): number {
  return Math.min(POST_HANDSHAKE_ACK_DELAY_MAX, Math.max(1, timeout / 4));
}

/** An ACK is a 2-byte length, then 16 bytes (epoch, sequence number) per record (RFC 9147 7). */
const ACK_LENGTH_PREFIX = 2;
const RECORD_NUMBER_LENGTH = 16;

/**
 * The message_seq of each fragment in a handshake record (none if it does not
 * decode: the machine judged it). Read from the 12-byte fragment headers
 * (RFC 9147 5.2) alone, with decodeHandshakeFragments()' checks: the machine
 * decoded the record already, so no fragment objects are made again.
 */
export function messageSeqs(p: Uint8Array | undefined): number[] {
  if (!p || p.length === 0) return [];
  const seqs: number[] = [];
  for (let at = 0; at < p.length;) {
    if (p.length - at < 12) return [];
    const length = (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!;
    const offset = (p[at + 6]! << 16) | (p[at + 7]! << 8) | p[at + 8]!;
    const fragmentLength = (p[at + 9]! << 16) | (p[at + 10]! << 8) | p[at + 11]!;
    if (p.length - at - 12 < fragmentLength || offset + fragmentLength > length) return [];
    seqs.push((p[at + 4]! << 8) | p[at + 5]!);
    at += 12 + fragmentLength;
  }
  return seqs;
}

export class AckExchange {
  readonly #sender: FlightSender;
  readonly #post: PostHandshakeSender | undefined;
  readonly #tracker: AckTracker;
  /** How many flights we sent in answer so far: the ordinal of the peer flight being received. */
  #ordinal = 0;
  /** The peer's next new message_seq (after the handshake: past every message it completed). */
  #peerNextSeq = 0;
  /** The peer's message_seq our latest handshake flight answered up to (its earlier messages come only as copies). */
  #answeredSeq = 0;
  /** A post-handshake message of the peer is partly received: its later records join its flight. */
  #postOpen = false;
  /** ACKs sent (for tests and stats). */
  sent = 0;

  constructor(sender: FlightSender, post?: PostHandshakeSender) {
    this.#sender = sender;
    this.#post = post;
    // The timer read live: an ACK scheduled follows setRetransmitTimeout(), as the retransmissions do.
    // The sender itself (its timeout getter), not a closure over it: one less object per connection.
    this.#tracker = new AckTracker({ timeout: sender });
  }

  /** When the ACK due must be polled, or undefined. */
  get deadline(): number | undefined {
    return this.#tracker.deadline;
  }

  /**
   * A handshake record of a DTLS 1.3 peer (call only once 1.3 is negotiated,
   * RFC 9147 7), after the machine handled it: `actions` is what it returned,
   * `wasDone` whether the handshake was complete before this record.
   * A record the machine dropped or failed on is not acknowledged (7: never
   * one not processed or buffered).
   */
  onHandshakeRecord(
    now: number,
    rec: Pick<PlainRecord, 'epoch' | 'sequenceNumber'> & { payload?: Uint8Array },
    actions: readonly ActionLike[],
    wasDone: boolean,
  ): void {
    if (actions.some((a) => a.kind === 'drop' || a.kind === 'fail')) return;
    // The peer's copy of the flight our current flight answers: the flight sender resends ours; not ACKed.
    if (actions.some((a) => a.kind === 'peer-copy')) return;
    const timeout = this.#sender.timeout;
    const seqs = messageSeqs(rec.payload);
    const completed = actions.filter((a) => a.kind === 'trace' && a.direction === 'in').length;
    // Messages complete in order: below this message_seq the peer sent nothing new.
    const before = this.#peerNextSeq;
    if (wasDone) this.#peerNextSeq += completed;
    else if (seqs.length) this.#peerNextSeq = Math.max(before, ...seqs.map((q) => q + 1));
    if (wasDone) {
      // Post-handshake: every message is a flight of its own, ACKed (7.1),
      // after a short delay (a KeyUpdate too: its sender goes on writing in
      // its old epoch meanwhile, RFC 9147 8). A copy of a message we had (the
      // client's Finished at the server, a NewSessionTicket) comes under that
      // message's ordinal: the tracker ACKs it again, a quarter of the timer later. The first
      // fragments of a new message open its flight: ACKed when it completes,
      // or after a quarter of the timer if it stays partial.
      const copy = completed === 0 && seqs.every((q) => q < before);
      if (!copy && !this.#postOpen) this.#ordinal++;
      this.#postOpen = !copy && completed === 0;
      this.#tracker.onRecord(now, rec.epoch, rec.sequenceNumber, this.#ordinal, true, timeout);
      if (completed) this.#tracker.onFlightComplete(now, false, undefined, postHandshakeAckDelay);
      return;
    }
    // A record holding only messages of a flight our last one answered (a fragment
    // of its copy the machine did not report: not the first) is neither the
    // peer's answer to ours nor to be ACKed (7.1: our flight acknowledged it).
    if (seqs.length && seqs.every((q) => q < this.#answeredSeq)) return;
    // Any record of the peer's next flight answers ours: an implicit ACK of all of it (7.2).
    this.#sender.implicitlyAcked(now);
    this.#tracker.onRecord(now, rec.epoch, rec.sequenceNumber, this.#ordinal, true, timeout);
    if (actions.some((a) => a.kind === 'flight')) {
      // Our answer acknowledges the peer's flight implicitly (7.1).
      this.#tracker.onFlightComplete(now, true);
      this.#ordinal++;
      this.#answeredSeq = this.#peerNextSeq;
    } else if (actions.some((a) => a.kind === 'complete')) {
      // The client's Finished at the server: nothing answers it, it MUST be ACKed.
      this.#tracker.onFlightComplete(now, false);
    }
  }

  /** A post-handshake message of ours went: the records ACKed before it are not named again (a flight of ours, as BoringSSL counts). */
  onOurMessage(): void {
    this.#tracker.forgetAcknowledged();
  }

  /**
   * An ACK record (content type 26). `v13`: DTLS 1.3 is negotiated; before
   * that an ACK is ignored (7). A malformed one under the keys is the peer's
   * decode_error; naming a record of a later epoch, illegal_parameter (7.2).
   */
  onAckRecord(now: number, rec: PlainRecord, v13: boolean): AckRecordResult {
    if (!v13) return { kind: 'drop', reason: 'unexpected' };
    let list;
    try {
      list = decodeAck(rec.payload);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      if (rec.epoch === 0) return { kind: 'drop', reason: 'malformed' };
      throw new DtlsError('decode_error', `ACK: ${e.message}`);
    }
    const r = this.#sender.onAck(now, list, rec.epoch);
    if (!this.#post) return { kind: 'acked', resend: r.resend, flightAcked: r.flightAcked };
    // After the handshake sender, so that its final flight counts as acknowledged for a waiting KeyUpdate.
    return { kind: 'acked', resend: r.resend, flightAcked: r.flightAcked, post: this.#post.onAck(now, list, rec.epoch) };
  }

  /**
   * The ACK record due now, sealed in the highest write epoch (7: never epoch
   * 1; we send no early data, so the write epoch is 0, 2 or above), or undefined.
   */
  poll(now: number, records: RecordLayer): Uint8Array | undefined {
    // As many record numbers as one datagram of the MTU holds (RFC 9147 7.1:
    // "as many ... as can fit"): an ACK over the MTU may never arrive.
    const room = this.#sender.mtu - records.overhead(records.writeEpoch) - ACK_LENGTH_PREFIX;
    const list = this.#tracker.poll(now, Math.max(1, Math.floor(room / RECORD_NUMBER_LENGTH)));
    if (!list) return undefined;
    this.sent++;
    return records.seal(ContentType.ack, encodeAck(list));
  }
}
