// A scripted lock-step exchange shaped like a DTLS 1.3 handshake, built only
// from the reliability pieces (FlightSender, AckTracker, Reassembler) over
// plaintext epoch-0 records, as a ConnectionLike the simulated network drives:
//   client: flight A (ClientHello-sized)            ──►
//   server: flight B (ServerHello .. Finished, large) ◄──
//   client: flight C (Finished), 'ack' mode          ──►   client connected
//   server: ACK                                     ◄──   server connected
//   client: KeyUpdate (startKeyUpdate), 'ack' mode  ──►
//   server: ACK                                     ◄──   client writes in epoch 1
// With `acks: false` the same exchange runs the DTLS 1.2 way: no ACK records,
// the last flight is 'final' (resent on the peer's copies and a few timers).
// It lets the ACK machinery be measured on loss before a 1.3 handshake is wired.
import type { ConnectionEvent, ConnectionLike, ConnectionState, ConnectionStats, HandshakeInfo } from '../../src/connection-types.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { FlightSender, type Resend } from '../../src/reliability/flight-sender.ts';
import { AckTracker } from '../../src/reliability/ack-tracker.ts';
import { PostHandshakeSender } from '../../src/reliability/post-handshake.ts';
import { Reassembler } from '../../src/reliability/reassembly.ts';
import type { EncodedFlight, FlightItem } from '../../src/reliability/flight.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { ContentType } from '../../src/wire/types.ts';
import { decodeAck, encodeAck } from '../../src/wire/ack.ts';

/** Message sizes of each flight (A, B, C), in message_seq order per side. */
export const FLIGHTS = { A: [300], B: [90, 60, 2400, 280, 40], C: [40] };

export interface EndpointOptions {
  acks: boolean;
  mtu?: number;
}

function items(sizes: number[], firstSeq: number, type: number): FlightItem[] {
  return sizes.map((n, i) => ({ kind: 'handshake', epoch: 0, message: { msgType: type, messageSeq: firstSeq + i, body: new Uint8Array(n).fill(i + 1) } }));
}

export class ScriptedEndpoint implements ConnectionLike {
  readonly stats: ConnectionStats = { datagramsIn: 0, datagramsOut: 0, recordsIn: 0, recordsOut: 0, retransmits: 0, dropped: {} };
  readonly handshakeInfo: HandshakeInfo | undefined = undefined;
  readonly error = undefined;
  state: ConnectionState = 'idle';
  /** The client's flight C acknowledged (the exchange is over for it), or the server's ACK sent. */
  settled = false;
  settledAt: number | undefined;
  /** Bytes sent: all, and those of resends. */
  bytes = 0;
  resentBytes = 0;
  acksSent = 0;
  /** Client: the epoch it writes in (1 once its KeyUpdate is acknowledged) and when it switched. Server: when the KeyUpdate arrived. */
  writeEpoch = 0;
  switchedAt: number | undefined;
  keyUpdateAt: number | undefined;
  /** Client: when an ACK first covered its KeyUpdate. */
  keyUpdateAckedAt: number | undefined;
  readonly #role: 'client' | 'server';
  readonly #acks: boolean;
  readonly #records = new RecordLayer(nobleProvider, () => {});
  readonly #sender: FlightSender;
  readonly #post: PostHandshakeSender;
  readonly #tracker = new AckTracker();
  readonly #in = new Reassembler();
  /** The next byte expected in order: message_seq and offset (RFC 9147 7.1's "next piece"). */
  #expSeq = 0;
  #expOff = 0;
  #out: Uint8Array[] = [];
  #events: ConnectionEvent[] = [];

  constructor(role: 'client' | 'server', o: EndpointOptions) {
    this.#role = role;
    this.#acks = o.acks;
    const opts = { retransmit: { initial: 100, max: 60_000, min: 100, adaptive: true, rtt: undefined }, mtu: o.mtu ?? 600 };
    this.#sender = new FlightSender(this.#records, opts);
    this.#post = new PostHandshakeSender(this.#records, opts, this.#sender);
  }

  /** Client, with ACKs, after the exchange: a KeyUpdate (RFC 9147 8), the next epoch used once it is acknowledged. */
  startKeyUpdate(now: number): void {
    const item: FlightItem = { kind: 'handshake', epoch: 0, message: { msgType: 24, messageSeq: 2, body: new Uint8Array([0]) } };
    this.#queue(this.#post.send(now, item, this.writeEpoch + 1).out, false);
  }

  /** Which peer flight (1: A, 2: B, 3: C) a message of the peer belongs to. */
  #peerFlight(seq: number): number {
    if (this.#role === 'server') return seq === 0 ? 1 : seq === 1 ? 3 : 4;
    return 2;
  }

  start(now: number): void {
    this.state = 'handshaking';
    if (this.#role === 'client') this.#queue(this.#sender.send(now, items(FLIGHTS.A, 0, 1), 1, 'retransmit', false), false);
  }

  handleDatagram(now: number, datagram: Uint8Array): void {
    this.stats.datagramsIn++;
    for (const rec of this.#records.open(datagram)) {
      if (rec.contentType === ContentType.ack) {
        if (!this.#acks) continue;
        const list = decodeAck(rec.payload);
        const r = this.#sender.onAck(now, list, rec.epoch);
        if (r.resend) this.#queue(r.resend, true);
        if (r.flightAcked && this.#role === 'client' && this.state === 'connected') {
          this.settled = true;
          this.settledAt = now;
        }
        const post = this.#post.onAck(now, list, rec.epoch);
        if (post.acked.length) this.keyUpdateAckedAt ??= now;
        for (const d of post.resends) this.#queue(d, true);
        if (post.switchTo !== undefined) {
          this.writeEpoch = post.switchTo;
          this.switchedAt = now;
        }
        continue;
      }
      if (rec.contentType !== ContentType.handshake) continue;
      this.#handshakeRecord(now, rec.epoch, rec.sequenceNumber, rec.payload);
    }
    this.#sendAckIfDue(now);
  }

  #handshakeRecord(now: number, epoch: number, seq: number, payload: Uint8Array): void {
    let copyOf: number | undefined;
    for (const f of decodeHandshakeFragments(payload)) {
      const flight = this.#peerFlight(f.messageSeq);
      const r = this.#in.add(f);
      if (r === 'old') {
        copyOf = flight;
        if (this.#acks) this.#tracker.onRecord(now, epoch, seq, flight, true, this.#sender.timeout);
        continue;
      }
      if (r !== 'buffered') continue;
      // 1.3: any record of the answer implicitly acknowledges the whole flight it answers (RFC 9147 7.2).
      if (this.#acks && this.#role === 'client' && this.#sender.current?.number === 1) this.#sender.answered(now);
      const inOrder = f.messageSeq === this.#expSeq && f.fragmentOffset <= this.#expOff;
      if (inOrder) this.#expOff = Math.max(this.#expOff, f.fragmentOffset + f.body.length);
      if (this.#acks) this.#tracker.onRecord(now, epoch, seq, flight, inOrder, this.#sender.timeout);
      for (let m = this.#in.poll(); m; m = this.#in.poll()) {
        this.#expSeq = m.messageSeq + 1;
        this.#expOff = 0;
        this.#message(now, m.messageSeq);
      }
    }
    // The peer resent the flight ours answers: resend ours (bounded by the sender).
    if (copyOf !== undefined && copyOf === this.#answering()) this.#resent(this.#sender.onPeerCopy(now, 'old'));
  }

  /** The peer flight our current flight answers, if any. */
  #answering(): number | undefined {
    const c = this.#sender.current?.number;
    if (this.#role === 'server') return c === 2 ? 1 : undefined;
    return c === 3 ? 2 : undefined;
  }

  #message(now: number, messageSeq: number): void {
    if (this.#role === 'server' && messageSeq === 0) {
      this.#tracker.onFlightComplete(now, true, 1);
      this.#sender.answered(now);
      this.#queue(this.#sender.send(now, items(FLIGHTS.B, 0, 2), 2, 'retransmit', true), false);
    } else if (this.#role === 'client' && messageSeq === FLIGHTS.B.length - 1) {
      this.#tracker.onFlightComplete(now, true, 2);
      this.#queue(this.#sender.send(now, items(FLIGHTS.C, 1, 20), 3, this.#acks ? 'ack' : 'final', true), false);
      this.state = 'connected';
      // Without ACKs nothing tells the client its last flight arrived (1.2's final flight).
      if (!this.#acks) this.settled = true;
    } else if (this.#role === 'server' && messageSeq === 2) {
      // A post-handshake message: nothing answers it, it MUST be ACKed (RFC 9147 7.1).
      this.#tracker.onFlightComplete(now, false, 4);
      this.keyUpdateAt = now;
    } else if (this.#role === 'server' && messageSeq === 1) {
      this.#tracker.onFlightComplete(now, false, 3);
      this.#sender.answered(now);
      this.state = 'connected';
      if (!this.#acks) this.settled = true;
    }
  }

  #sendAckIfDue(now: number): void {
    if (!this.#acks) return;
    const list = this.#tracker.poll(now);
    if (!list) return;
    const record = this.#records.seal(ContentType.ack, encodeAck(list), 0);
    this.#out.push(record);
    this.bytes += record.length;
    this.acksSent++;
    if (this.#role === 'server' && this.state === 'connected') this.settled = true;
  }

  handleTimeout(now: number): void {
    this.#resent(this.#sender.onTimeout(now));
    for (const r of this.#post.onTimeout(now).resends) this.#resent(r);
    this.#sendAckIfDue(now);
  }

  #resent(r: Resend | undefined): void {
    if (!r) return;
    this.stats.retransmits++;
    this.#queue(r.out, true);
  }

  #queue(f: EncodedFlight, resend: boolean): void {
    for (const d of f.datagrams) {
      this.#out.push(d);
      this.bytes += d.length;
      if (resend) this.resentBytes += d.length;
    }
  }

  send(): void {
    throw new TypeError('no application data in the scripted exchange');
  }
  close(): void {
    this.state = 'closed';
  }
  pollTransmit(): Uint8Array | undefined {
    const d = this.#out.shift();
    if (d) this.stats.datagramsOut++;
    return d;
  }
  pollReceived(): Uint8Array | undefined {
    return undefined;
  }
  pollEvent(): ConnectionEvent | undefined {
    return this.#events.shift();
  }
  pollTimeout(): number | undefined {
    if (this.state === 'closed') return undefined;
    const all = [this.#sender.deadline, this.#post.deadline, this.#acks ? this.#tracker.deadline : undefined].filter((t) => t !== undefined);
    return all.length ? Math.min(...all) : undefined;
  }
  exportKeyingMaterial(): Uint8Array {
    throw new TypeError('no keys in the scripted exchange');
  }
}
