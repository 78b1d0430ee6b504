// The sans-IO core of one DTLS connection: a thin orchestrator between the
// record layer, the reassembler, the flight timer and one handshake state
// machine. Inputs carry `now`; outputs are polled. No clock, no timer, no I/O.
import type { ConnectionEvent, ConnectionLike, ConnectionState, ConnectionStats, DropReason, HandshakeInfo } from './connection-types.ts';
import type { ResolvedOptions } from './options.ts';
import { AlertDescription, DtlsError, alertName, peerAlertError } from './errors.ts';
import { RecordLayer, type PlainRecord } from './record/record-layer.ts';
import type { RecordProtection } from './record/protection.ts';
import { Reassembler } from './reliability/reassembly.ts';
import { FlightSender, type FlightMode, type Resend } from './reliability/flight-sender.ts';
import type { EncodedFlight, FlightItem } from './reliability/flight.ts';
import { ContentType, HandshakeType } from './wire/types.ts';
import { decodeHandshakeFragments } from './wire/handshake-header.ts';
import { AlertLevel, decodeAlert, encodeAlert } from './wire/alert.ts';
import { exportKeyingMaterial } from './crypto/prf.ts';
import type { HandshakeHost, HandshakeMachine, HandshakeResult } from './handshake/host.ts';
import { Client12 } from './handshake/client12.ts';
import { Server12 } from './handshake/server12.ts';

/** Early epoch-1 data held until the handshake completes, and datagrams queued out (bounded). */
const MAX_EARLY_DATA = 16;
const MAX_QUEUED_OUT = 1024;
const MAX_RECORD_PLAINTEXT = 16384;
const handshakeNames: Record<number, string> = Object.fromEntries(
  Object.entries(HandshakeType).map(([k, v]) => [v, k.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase())]),
);

function single(record: Uint8Array): EncodedFlight {
  return { datagrams: [record], records: 1, carried: [] };
}

export class Connection implements ConnectionLike, HandshakeHost {
  readonly options: ResolvedOptions;
  readonly stats: ConnectionStats = { datagramsIn: 0, datagramsOut: 0, recordsIn: 0, recordsOut: 0, retransmits: 0, dropped: {} };
  #state: ConnectionState = 'idle';
  #error: DtlsError | undefined;
  readonly #records: RecordLayer;
  readonly #reassembler: Reassembler;
  readonly #sender: FlightSender;
  readonly #machine: HandshakeMachine;
  #handshakeDeadline: number | undefined;
  #result: HandshakeResult | undefined;
  #now = 0;
  /** When an authenticated record last arrived (for idleTimeout). */
  #lastHeard = 0;
  /** Set while handling a datagram: the peer resent a flight ('old'), or showed it finished ours ('ahead'). */
  #peerRetransmitted: false | 'old' | 'ahead' = false;
  /** The reassembler's nextSeq when our current flight was sent: the peer flight it answers ends just below. */
  #answeredUpTo = 0;
  #pendingSends: Uint8Array[] = [];
  #closeAfterHandshake = false;
  #earlyData: Uint8Array[] = [];
  #out: Uint8Array[] = [];
  #received: Uint8Array[] = [];
  #events: ConnectionEvent[] = [];

  constructor(options: ResolvedOptions) {
    this.options = options;
    const l = options.limits;
    this.#records = new RecordLayer((r) => this.#drop(r), { maxRecords: l.maxFutureEpochRecords, maxBytes: l.maxFutureEpochBytes });
    this.#reassembler = new Reassembler({ maxMessageLength: l.maxHandshakeMessage, maxBufferedBytes: l.maxReassemblyBytes });
    this.#sender = new FlightSender(this.#records, options);
    this.#machine = options.role === 'client' ? new Client12(this) : new Server12(this);
  }

  get state(): ConnectionState {
    return this.#state;
  }
  get error(): DtlsError | undefined {
    return this.#error;
  }
  get handshakeInfo(): HandshakeInfo | undefined {
    return this.#result?.info;
  }

  // ---- inputs ----

  start(now: number): void {
    if (this.#state !== 'idle') throw new TypeError('start() called twice');
    this.#now = now;
    this.#setState('handshaking');
    this.#handshakeDeadline = now + this.options.handshakeTimeout;
    this.#guard(() => this.#machine.start(now));
  }

  handleDatagram(now: number, datagram: Uint8Array): void {
    this.#now = now;
    if (this.#state === 'closed' || this.#state === 'failed') return this.#drop('after_close');
    if (this.#state === 'idle') this.start(now);
    this.stats.datagramsIn++;
    this.#peerRetransmitted = false;
    this.#guard(() => {
      const early = this.#records.pendingCount;
      for (const rec of this.#records.open(datagram)) {
        // Once connected, only records under the keys prove the peer is alive.
        if (rec.epoch > 0 || this.#state !== 'connected') this.#lastHeard = now;
        this.#handleRecord(now, rec);
        if (this.#state === 'failed' || this.#state === 'closed') return;
      }
      // A record of the next epoch before its ChangeCipherSpec: the peer moved
      // on and its CCS was lost; resending our flight makes it resend (RFC 9147 5.8.1).
      if (this.#state === 'handshaking' && this.#records.pendingCount > early) this.#peerRetransmitted ||= 'ahead';
      if (this.#peerRetransmitted) this.#answerPeerRetransmit(now, this.#peerRetransmitted);
    });
  }

  handleTimeout(now: number): void {
    this.#now = now;
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#state === 'handshaking' && this.#handshakeDeadline !== undefined && now >= this.#handshakeDeadline) {
      return this.#fail(new DtlsError('handshake_timeout', `handshake did not complete within ${this.options.handshakeTimeout} ms (state ${this.#machine.stateName})`), false);
    }
    const idle = this.#idleDeadline();
    if (idle !== undefined && now >= idle) {
      this.#sendAlert(AlertLevel.warning, AlertDescription.close_notify);
      return this.#fail(new DtlsError('idle_timeout', `nothing received for ${this.options.idleTimeout} ms`), false);
    }
    this.#guard(() => this.#resent(this.#sender.onTimeout(now)));
  }

  send(now: number, plaintext: Uint8Array): void {
    this.#now = now;
    if (!(plaintext instanceof Uint8Array)) throw new TypeError('send() takes a Uint8Array');
    if (plaintext.length > MAX_RECORD_PLAINTEXT) throw new RangeError(`a record carries at most ${MAX_RECORD_PLAINTEXT} bytes, not ${plaintext.length}`);
    if (this.#state === 'connected') return this.#sendApplicationData(plaintext);
    if ((this.#state === 'idle' || this.#state === 'handshaking') && !this.#closeAfterHandshake) {
      if (this.#pendingSends.length >= this.options.limits.maxPendingSends) throw new DtlsError('internal_error', 'too much data queued before the handshake completed');
      this.#pendingSends.push(plaintext.slice());
      return;
    }
    throw this.#error ?? new DtlsError('closed', 'the connection is closed');
  }

  close(now: number): void {
    this.#now = now;
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#state === 'handshaking' && this.#pendingSends.length) {
      // Data accepted by send() is delivered first: close once the handshake completes.
      this.#closeAfterHandshake = true;
      return;
    }
    if (this.#state !== 'idle') this.#sendAlert(AlertLevel.warning, AlertDescription.close_notify);
    this.#finish(undefined);
  }

  // ---- outputs ----

  pollTransmit(): Uint8Array | undefined {
    return this.#out.shift();
  }
  pollReceived(): Uint8Array | undefined {
    return this.#received.shift();
  }
  pollEvent(): ConnectionEvent | undefined {
    return this.#events.shift();
  }
  pollTimeout(): number | undefined {
    if (this.#state !== 'handshaking' && this.#state !== 'connected') return undefined;
    const t = this.#sender.deadline;
    const h = this.#state === 'handshaking' ? this.#handshakeDeadline : this.#idleDeadline();
    if (t === undefined) return h;
    if (h === undefined) return t;
    return Math.min(t, h);
  }

  #idleDeadline(): number | undefined {
    const idle = this.options.idleTimeout;
    return idle !== undefined && this.#state === 'connected' ? this.#lastHeard + idle : undefined;
  }

  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array {
    const r = this.#result;
    if (!r) throw new TypeError('keying material can be exported only after the handshake completed');
    return exportKeyingMaterial(this.options.crypto, r.suite.prfHash, r.masterSecret, label, r.clientRandom, r.serverRandom, context, length);
  }

  // ---- HandshakeHost ----

  sendFlight(items: FlightItem[], flight: number, mode: FlightMode): void {
    this.#answeredUpTo = this.#reassembler.nextSeq;
    // A HelloVerifyRequest answer costs the peer no crypto: not a fair round trip for later flights.
    this.#transmit(this.#sender.send(this.#now, items, flight, mode, flight !== 3));
    this.#traceFlight(items);
  }

  installWrite(epoch: number, protection: RecordProtection): void {
    this.#records.installWrite(epoch, protection);
  }

  installRead(epoch: number, protection: RecordProtection): void {
    // Records of the new epoch that arrived before the CCS are handled now.
    for (const rec of this.#records.installRead(epoch, protection)) this.#handleRecord(this.#now, rec);
  }

  complete(result: HandshakeResult): void {
    this.#result = result;
    this.#sender.answered(this.#now);
    this.#lastHeard = this.#now;
    this.#setState('connected');
    this.#events.push({ type: 'handshake', info: result.info });
    for (const p of this.#pendingSends) this.#sendApplicationData(p);
    this.#pendingSends = [];
    for (const d of this.#earlyData) this.#received.push(d);
    this.#earlyData = [];
    if (this.#closeAfterHandshake) this.close(this.#now);
  }

  trace(direction: 'in' | 'out', what: string, epoch: number, bytes: number): void {
    this.#events.push({ type: 'trace', direction, what, epoch, bytes });
  }

  // ---- internals ----

  #handleRecord(now: number, rec: PlainRecord): void {
    // Records replayed from the next-epoch buffer come in a row: once one ended
    // the connection, the rest are not acted on.
    if (this.#state === 'failed' || this.#state === 'closed') return this.#drop('after_close');
    this.stats.recordsIn++;
    // The previous epoch stays readable only for the peer's handshake
    // retransmissions while we negotiate; an alert or data there is
    // unauthenticated (RFC 6347 4.1.2.7). Once the handshake is done nothing
    // in it counts: a copy of the peer's last flight that draws our final
    // flight again is its Finished, under the new keys.
    if (rec.epoch < this.#records.readEpoch && (this.#machine.done || (rec.contentType !== ContentType.handshake && rec.contentType !== ContentType.change_cipher_spec))) {
      return this.#drop('stale_epoch');
    }
    switch (rec.contentType) {
      case ContentType.handshake:
        return this.#handleHandshakeRecord(now, rec);
      case ContentType.change_cipher_spec:
        if (rec.payload.length !== 1 || rec.payload[0] !== 1) {
          if (rec.epoch === 0) return this.#drop('malformed');
          throw new DtlsError('decode_error', 'malformed ChangeCipherSpec');
        }
        this.trace('in', 'ChangeCipherSpec', rec.epoch, 1);
        // A CCS before the messages that give us its keys (lost or reordered),
        // or a retransmitted one, is dropped; the peer's flight will come again.
        if (this.#machine.stateName !== 'wait_ccs') return this.#drop('unexpected');
        return this.#machine.handleChangeCipherSpec(now);
      case ContentType.alert:
        return this.#handleAlert(rec);
      case ContentType.application_data:
        return this.#handleApplicationData(rec);
      default:
        return this.#drop('unexpected');
    }
  }

  #handleHandshakeRecord(now: number, rec: PlainRecord): void {
    let fragments;
    try {
      fragments = decodeHandshakeFragments(rec.payload);
    } catch (e) {
      // Unauthenticated epoch-0 garbage is dropped; from a keyed epoch it is the peer's fault.
      if (rec.epoch === 0) return this.#drop('malformed');
      throw e;
    }
    for (const f of fragments) {
      const r = this.#reassembler;
      if (this.#machine.done && rec.epoch > 0 && this.#isRenegotiation(f.msgType)) {
        // A new handshake restarts at message_seq 0 (RFC 6347 4.2.2), so the
        // reassembler would take it for an old retransmission: refuse it here.
        if (f.fragmentOffset === 0) this.#sendAlert(AlertLevel.warning, AlertDescription.no_renegotiation);
        continue;
      }
      if (f.msgType === HandshakeType.hello_request && this.options.role === 'client') {
        // RFC 5246 7.4.1.1: ignored while negotiating, and not part of the
        // handshake's sequence: dropped before reassembly, so a forged one
        // cannot take the message_seq of the ServerHello.
        this.#drop('unexpected');
        continue;
      }
      const awaitingHello = this.options.role === 'server' && this.#machine.stateName === 'wait_client_hello' && f.msgType === HandshakeType.client_hello && rec.epoch === 0;
      if (awaitingHello && f.messageSeq > r.nextSeq && f.messageSeq < 8) {
        // RFC 6347 4.2.2: a ClientHello after a (stateless) HelloVerifyRequest
        // carries seq 1. Only forward: a late duplicate of an earlier hello is old.
        r.nextSeq = f.messageSeq;
      }
      if (awaitingHello && rec.sequenceNumber < 0x10000) {
        // RFC 6347 4.2.1: our HelloVerifyRequest, or our initial ServerHello,
        // carries the ClientHello's record number (a stateless server's
        // numbers are then not reused); bounded, since the peer picks it.
        this.#records.advanceWriteSeq(0, rec.sequenceNumber);
      }
      if (this.#machine.done && f.messageSeq >= r.nextSeq) {
        // DTLS 1.2 has no post-handshake messages to wait for: nothing new is buffered.
        this.#drop('unexpected');
        continue;
      }
      // Once the peer has switched epochs, new handshake messages must come in it.
      if (rec.epoch < this.#records.readEpoch && f.messageSeq >= r.nextSeq) {
        this.#drop('stale_epoch');
        continue;
      }
      const res = r.add(f);
      // The first fragment of the last message of the peer flight that our
      // current flight answered marks one retransmission of it (the flight
      // sender bounds the answers). Older messages, ones of a flight we are
      // still receiving, or ones in an epoch the peer has left, are not.
      if (res === 'old' && f.messageSeq === this.#answeredUpTo - 1 && f.fragmentOffset === 0 && rec.epoch >= this.#records.readEpoch) {
        this.#peerRetransmitted = 'old';
      }
      else if (res === 'dropped') this.#drop('reassembly_limit');
    }
    for (let m = this.#reassembler.poll(); m; m = this.#reassembler.poll()) {
      this.trace('in', handshakeNames[m.msgType] ?? `handshake(${m.msgType})`, rec.epoch, m.body.length);
      if (this.#machine.done) {
        this.#handlePostHandshake(m.msgType);
        continue;
      }
      if (m.msgType === HandshakeType.hello_verify_request) this.#records.resetReplay(0);
      this.#machine.handleMessage(now, m, rec.epoch);
      if (this.#state !== 'handshaking') return;
    }
  }

  #isRenegotiation(msgType: number): boolean {
    return this.options.role === 'server' ? msgType === HandshakeType.client_hello : msgType === HandshakeType.hello_request;
  }

  #handlePostHandshake(msgType: number): void {
    // Renegotiation is refused with a warning (RFC 5246 7.2.2); the connection goes on.
    if (this.#isRenegotiation(msgType)) {
      this.#sendAlert(AlertLevel.warning, AlertDescription.no_renegotiation);
      return;
    }
    this.#drop('unexpected');
  }

  #handleAlert(rec: PlainRecord): void {
    let alert;
    try {
      alert = decodeAlert(rec.payload);
    } catch {
      return this.#drop('malformed');
    }
    const fatal = alert.level === AlertLevel.fatal;
    this.trace('in', `Alert(${alertName(alert.description)})`, rec.epoch, 2);
    this.#events.push({ type: 'alert', level: fatal ? 'fatal' : 'warning', description: alert.description, name: alertName(alert.description), fromPeer: true });
    if (alert.description === AlertDescription.close_notify) {
      // RFC 5246 7.2.1: answer close_notify with our own, then close.
      if (this.#state === 'connected') this.#sendAlert(AlertLevel.warning, AlertDescription.close_notify);
      if (this.#state === 'handshaking') return this.#fail(peerAlertError(alert.description), false);
      return this.#finish(undefined);
    }
    if (fatal) return this.#fail(peerAlertError(alert.description), false);
  }

  #handleApplicationData(rec: PlainRecord): void {
    if (rec.epoch === 0) return this.#drop('unexpected');
    if (this.#state === 'connected') {
      // The peer's data in the new epoch proves our final flight arrived.
      this.#sender.confirmed();
      this.#received.push(rec.payload);
      return;
    }
    if (this.#state === 'handshaking' && this.#earlyData.length < MAX_EARLY_DATA) {
      // The peer finished, so our final flight arrived but its answer was lost:
      // resend ours now rather than at the timer (RFC 9147 5.8.1 allows this).
      this.#earlyData.push(rec.payload);
      this.#peerRetransmitted ||= 'ahead';
      return;
    }
    this.#drop('unexpected');
  }

  #answerPeerRetransmit(now: number, why: 'old' | 'ahead'): void {
    this.#resent(this.#sender.onPeerCopy(now, why));
  }

  #resent(r: Resend | undefined): void {
    if (!r) return;
    this.stats.retransmits++;
    this.#events.push({ type: 'retransmit', flight: r.flight, attempt: this.stats.retransmits, reason: r.reason });
    this.#transmit(r.out);
  }

  #traceFlight(items: FlightItem[]): void {
    for (const it of items) {
      if (it.kind === 'ccs') this.trace('out', 'ChangeCipherSpec', it.epoch, 1);
      else this.trace('out', handshakeNames[it.message.msgType] ?? 'handshake', it.epoch, it.message.body.length);
    }
  }

  #sendApplicationData(plaintext: Uint8Array): void {
    this.#transmit(single(this.#records.seal(ContentType.application_data, plaintext)));
  }

  #sendAlert(level: number, description: number): void {
    this.trace('out', `Alert(${alertName(description)})`, this.#records.writeEpoch, 2);
    this.#events.push({ type: 'alert', level: level === AlertLevel.fatal ? 'fatal' : 'warning', description, name: alertName(description), fromPeer: false });
    try {
      this.#transmit(single(this.#records.seal(ContentType.alert, encodeAlert({ level, description }))));
    } catch {
      // Nothing more can be sent (sequence space exhausted): closing anyway.
    }
  }

  /** Queues datagrams out; `records` is how many records they carry (one each unless a flight packed more). */
  #transmit({ datagrams, records }: EncodedFlight): void {
    let queued = 0;
    for (const d of datagrams) {
      if (this.#out.length >= MAX_QUEUED_OUT) {
        this.#drop('outbound_overflow');
        continue;
      }
      this.#out.push(d);
      queued++;
    }
    this.stats.datagramsOut += queued;
    // Only a flight packs several records per datagram; a partly dropped one counts what went.
    this.stats.recordsOut += queued === datagrams.length ? records : queued;
  }

  /** Runs handshake logic; a DtlsError fails the connection with its alert. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof DtlsError) return this.#fail(e, true);
      // A bug, not the peer's fault: still never crash the caller's process.
      this.#fail(new DtlsError('internal_error', `internal error: ${(e as Error)?.message ?? String(e)}`, { cause: e }), true);
    }
  }

  #fail(error: DtlsError, sendAlert: boolean): void {
    if (this.#state === 'failed' || this.#state === 'closed') return;
    if (sendAlert && !error.fromPeer && error.alert !== undefined) this.#sendAlert(AlertLevel.fatal, error.alert);
    this.#error = error;
    this.#sender.stop();
    this.#setState('failed');
    this.#events.push({ type: 'close', error });
  }

  #finish(error: DtlsError | undefined): void {
    this.#sender.stop();
    this.#setState('closed');
    this.#events.push({ type: 'close', error });
  }

  #setState(next: ConnectionState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.#events.push({ type: 'statechange', state: next, previous });
  }

  #drop(reason: DropReason): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1;
  }
}
