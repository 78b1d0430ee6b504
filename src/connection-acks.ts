// DTLS 1.3's ACKs and post-handshake messages for one connection (RFC 9147
// 7, 8), behind a few calls so connection.ts stays a short orchestrator: each
// handshake record with the machine's actions, each ACK record, the ACK due,
// our post-handshake messages (a KeyUpdate's write keys held until it is
// ACKed), and their timers. Idle while DTLS 1.2 is in use.
import type { DropReason } from './connection-types.ts';
import type { PlainRecord, RecordLayer } from './record/record-layer.ts';
import { isTrafficKeys13, type TrafficKeys } from './record/traffic-keys.ts';
import type { FlightSender, FlightSenderOptions, Resend } from './reliability/flight-sender.ts';
import type { EncodedFlight } from './reliability/flight.ts';
import { AckExchange } from './reliability/ack-exchange.ts';
import { POST_HANDSHAKE_FLIGHT, PostHandshakeSender } from './reliability/post-handshake.ts';
import type { HandshakeAction } from './handshake/machine.ts';
import type { KeyUpdate13 } from './handshake/key-update13.ts';
import { DtlsError } from './errors.ts';

/**
 * How long the peer's previous application epoch stays readable after its KeyUpdate: the default
 * MSL of TCP, 2 minutes (RFC 9147 4.2.1: keys of previous epochs MAY be kept "for up to the default
 * MSL" for reordered records; BoringSSL keeps them 4 minutes).
 */
export const PREVIOUS_EPOCH_RETENTION = 120_000;

export class Acks13 {
  readonly #records: RecordLayer;
  readonly #sender: FlightSender;
  readonly #post: PostHandshakeSender;
  readonly #acks: AckExchange;
  readonly #server: boolean;
  /** Write keys of a KeyUpdate of ours, used once it is ACKed (RFC 9147 8). */
  #nextWrite: { epoch: number; keys: TrafficKeys } | undefined;
  /** KeyUpdate both ways, once a DTLS 1.3 handshake completed: told when our pending one takes effect. */
  keyUpdate: KeyUpdate13 | undefined;
  /**
   * The peer's application epoch before its latest KeyUpdate: read until `until`, and past that
   * until a record of a later epoch opened (`proven`): RFC 9147 8, the keys MUST stay until a
   * message under the new ones arrives (our ACK of the KeyUpdate may have been lost).
   */
  #previousRead: { epoch: number; until: number; proven: boolean } | undefined;

  constructor(records: RecordLayer, options: FlightSenderOptions & { readonly role: 'client' | 'server' }, sender: FlightSender) {
    this.#records = records;
    this.#sender = sender;
    this.#server = options.role === 'server';
    this.#post = new PostHandshakeSender(records, options, sender);
    this.#acks = new AckExchange(sender, this.#post);
  }

  /** The earliest of the ACK due and our post-handshake messages' timers. */
  get deadline(): number | undefined {
    const a = this.#acks.deadline,
      p = this.#post.deadline;
    return a === undefined ? p : p === undefined ? a : Math.min(a, p);
  }

  /**
   * We know DTLS 1.3 is in use, so we may acknowledge (RFC 9147 7: never before): a client once
   * its keyed epochs opened (the ServerHello), a server once it chose 1.3 (an ACK of the second
   * ClientHello's fragments, after a HelloRetryRequest, goes in epoch 0).
   */
  get active(): boolean {
    return this.#records.protocol === '1.3' && (this.#records.writeEpoch >= 2 || this.#server);
  }

  /**
   * An ACK means something to us: a server once it chose 1.3, a client once the server answered
   * in 1.3 (a HelloRetryRequest, whose answer is our flight 3, or the ServerHello). A client
   * offering 1.3 tolerates and drops one in answer to its first ClientHello (RFC 9147 7: an
   * ACK before the version is known is ignored), as a 1.2 record layer drops any.
   */
  get #acceptsAcks(): boolean {
    if (this.#records.protocol !== '1.3') return false;
    return this.#server || this.#records.writeEpoch >= 2 || (this.#sender.current?.number ?? 1) > 1;
  }

  /**
   * A handshake record and what the machine made of it, noted before the
   * actions apply (opening an epoch hands back held records, which belong to
   * the flight after this record's). The ServerHello counts too: its actions open the 1.3 epochs.
   */
  onHandshakeRecord(now: number, rec: PlainRecord, actions: readonly HandshakeAction[], wasDone: boolean): void {
    // The peer's KeyUpdate (epochs 4 on; 3 is the first application epoch): its old epoch's time starts.
    if (wasDone)
      for (const a of actions)
        if (a.kind === 'read-keys' && a.epoch >= 4) this.#previousRead = { epoch: a.epoch - 1, until: now + PREVIOUS_EPOCH_RETENTION, proven: false };
    const keys13 = actions.some((a) => (a.kind === 'write-keys' || a.kind === 'read-keys') && isTrafficKeys13(a.keys));
    if (this.active || keys13) this.#acks.onHandshakeRecord(now, rec, actions, wasDone);
  }

  /**
   * An ACK record: dropped (with the reason), or what it showed lost, to
   * resend at once (RFC 9147 5.8.1, 7.2), and the actions of a KeyUpdate of
   * ours that it let take effect (a queued one going out).
   */
  onAck(now: number, rec: PlainRecord): { drop: DropReason } | { resends: Resend[]; actions: HandshakeAction[] } {
    // RFC 9147 7: ACKs come in an epoch at least that of what they name "during the handshake" only;
    // after it each direction's KeyUpdates move its epoch alone, so an ACK in epoch 3 may name our epoch 7.
    // FlightSender.onAck (handshake and post-handshake senders alike) applies the rule to every ACK, as
    // it cannot tell when the handshake ended: ACKs in the application epochs (3 on) are lifted past it
    // here. Without this, keyupdate-rules.test.ts and keyupdate-sim.test.ts fail with illegal_parameter.
    const r = this.#acks.onAckRecord(now, rec.epoch >= 3 ? { ...rec, epoch: Number.MAX_SAFE_INTEGER } : rec, this.#acceptsAcks);
    if (r.kind === 'drop') return { drop: r.reason };
    const resends: Resend[] = [];
    if (r.resend) resends.push({ flight: this.#sender.current?.number ?? 0, reason: 'peer-retransmit', out: r.resend });
    for (const out of r.post?.resends ?? []) resends.push({ flight: POST_HANDSHAKE_FLIGHT, reason: 'peer-retransmit', out });
    return { resends, actions: this.#switch(r.post?.switchTo) };
  }

  /**
   * The peer's data under the new keys proves our final flight arrived
   * (flight-sender.ts confirmed()): a KeyUpdate of ours that waited only for
   * that flight's ACK takes effect too.
   */
  confirmed(): HandshakeAction[] {
    // Not in DTLS 1.3: a server may send data before our Finished arrived (half-RTT data,
    // RFC 8446 2), so only an ACK ends our final flight (RFC 9147 7.1, 5.8.3).
    if (this.#records.protocol === '1.3') return [];
    this.#sender.confirmed();
    return this.#switch(this.#post.onHandshakeAcked());
  }

  /** Our KeyUpdate (and all before it) acknowledged: write in the new epoch now (RFC 9147 8); a queued KeyUpdate follows. */
  #switch(epoch: number | undefined): HandshakeAction[] {
    const next = this.#nextWrite;
    if (epoch === undefined || !next || next.epoch !== epoch) return [];
    this.#records.installWrite(next.epoch, next.keys);
    // The old epoch carried the KeyUpdate and what came before it, all ACKed now: nothing is sent in it again
    // (ACKs and alerts go in the newest), so its keys go, or each KeyUpdate would keep an epoch for good.
    this.#records.discardEpoch(next.epoch - 1, 'write');
    this.#nextWrite = undefined;
    return this.keyUpdate?.switched() ?? [];
  }

  /** A post-handshake message of ours goes out, resent until ACKed. */
  send(now: number, a: Extract<HandshakeAction, { kind: 'post-handshake' }>): EncodedFlight {
    if (a.nextEpoch !== undefined && a.keys) this.#nextWrite = { epoch: a.nextEpoch, keys: a.keys };
    this.#acks.onOurMessage();
    return this.#post.send(now, a.item, a.nextEpoch).out;
  }

  /** Timer: the post-handshake messages' resends; one never ACKed fails the connection. */
  onTimeout(now: number): Resend[] {
    // Our final handshake flight (the client's Finished) resent ACK_FLIGHT_MAX_RESENDS times, never ACKed.
    const f = this.#sender.current;
    if (f?.mode === 'ack' && f.exhausted) throw new DtlsError('handshake_timeout', 'our final flight (Finished) was never acknowledged');
    const p = this.#post.onTimeout(now);
    if (p.exhausted.length) throw new DtlsError('handshake_timeout', 'a post-handshake message (NewSessionTicket, KeyUpdate) was never acknowledged');
    return p.resends;
  }

  /**
   * Before a datagram is read: the peer's previous application epoch goes once its retention passed
   * and a later epoch was read (no timer of its own: an idle connection is not woken for it). Its
   * records are then 'stale_epoch' drops, a copy of the KeyUpdate among them (the peer has our ACK).
   */
  retirePreviousEpoch(now: number): void {
    const p = this.#previousRead;
    if (!p?.proven || now < p.until) return;
    this.#records.discardEpoch(p.epoch, 'read');
    this.#previousRead = undefined;
  }

  /** A record of the peer opened in `epoch`: one past the previous epoch proves the peer writes with its new keys. */
  opened(epoch: number): void {
    const p = this.#previousRead;
    if (p && epoch > p.epoch) p.proven = true;
  }

  /** The ACK due now, sealed in our highest write epoch, or undefined. */
  poll(now: number): Uint8Array | undefined {
    return this.#acks.poll(now, this.#records);
  }
}
