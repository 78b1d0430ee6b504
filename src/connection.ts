// The sans-IO core of one DTLS connection: a thin orchestrator between the
// record layer, the flight sender and the handshake machine the dispatcher
// picks. The machine returns what is to be done; this file applies it. Inputs
// carry `now`; outputs are polled. No clock, no timer, no I/O.
import type { ConnectionEvent, ConnectionLike, ConnectionState, ConnectionStats, DropReason, HandshakeInfo } from './connection-types.ts';
import type { ResolvedOptions } from './options.ts';
import { AlertDescription, DtlsError, alertName, peerAlertError, type AlertName } from './errors.ts';
import { RecordLayer, type PlainRecord } from './record/record-layer.ts';
import { isTrafficKeys13 } from './record/traffic-keys.ts';
import { FlightSender, type Resend } from './reliability/flight-sender.ts';
import { Acks13 } from './connection-acks.ts';
import { KeyLimits13, type ConnectionInternals } from './connection-key-limits.ts';
import type { EncodedFlight } from './reliability/flight.ts';
import { ContentType } from './wire/types.ts';
import { AlertLevel } from './wire/alert.ts';
import { alertEvent, peerAlertEffect, readPeerAlert, sealAlert } from './connection-alerts.ts';
import type { HandshakeAction, HandshakeMachine, HandshakeResult } from './handshake/machine.ts';
import { createHandshake } from './handshake/dispatch.ts';
import type { ConnectionIdInfo, ConnectionIds13 } from './handshake/cid13.ts';
import { handshakeEpochUntil13, retireHandshakeEpoch13 } from './connection-epoch13.ts';
import { LiveSettings } from './connection-live.ts';
import { isStaleRecord } from './connection-records.ts';
import { HeldData, checkSend, maxSendFor } from './connection-data.ts';
import { queueOut, single, traceFlight, withSessionEvents } from './connection-output.ts';

/** Actions that open a DTLS 1.3 epoch. */
function opens13(a: HandshakeAction): boolean {
  return (a.kind === 'write-keys' || a.kind === 'read-keys') && isTrafficKeys13(a.keys);
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Options of updateKeys(). */
export interface KeyUpdateOptions {
  /** Ask the peer to replace its sending keys too (update_requested, RFC 8446 4.6.3). Default false. */
  requestPeerUpdate?: boolean;
}

export type { ConnectionInternals } from './connection-key-limits.ts';
export { handshakeEpochRetention13 } from './connection-epoch13.ts';

export class Connection implements ConnectionLike {
  /** Private: the resolved options hold the private key. */
  readonly #options: ResolvedOptions;
  readonly stats: ConnectionStats = { datagramsIn: 0, datagramsOut: 0, recordsIn: 0, recordsOut: 0, retransmits: 0, dropped: {} };
  #state: ConnectionState = 'idle';
  #error: DtlsError | undefined;
  readonly #records: RecordLayer;
  readonly #sender: FlightSender;
  /** The MTU and timer settings the flight sender reads at each use: what setMtu() and setRetransmitTimeout() change. */
  readonly #live: LiveSettings;
  /**
   * DTLS 1.3 ACKs both ways and our post-handshake messages (RFC 9147 7, 8),
   * made when DTLS 1.3 keys first come (#acks()): a DTLS 1.2 connection never
   * has one (it was about 650 bytes of idle state per 1.2 connection).
   */
  #acks13: Acks13 | undefined;
  /** DTLS 1.3 AEAD usage: starts our KeyUpdate before a limit (RFC 9147 4.5.3); made as #acks13 is. */
  #keyLimits13: KeyLimits13 | undefined;
  readonly #aeadLimits: ConnectionInternals['aeadLimits'];
  readonly #machine: HandshakeMachine;
  #handshakeDeadline: number | undefined;
  #result: Omit<HandshakeResult, 'keyLogLines'> | undefined;
  readonly #maxSend: number;
  #now = 0;
  /** When an authenticated record last arrived (for idleTimeout). */
  #lastHeard = 0;
  /** Set while handling a datagram: the peer resent a flight ('old'), or showed it finished ours ('ahead'). */
  #peerRetransmitted: false | 'old' | 'ahead' = false;
  /** The peer's copy ('old') came under keys: authenticated, so answered each time (flight-sender.ts). */
  #peerCopyKeyed = false;
  /** Data that waits on the handshake (connection-data.ts); undefined once it completed. */
  #held: HeldData | undefined = new HeldData();
  #out: Uint8Array[] = [];
  #received: Uint8Array[] = [];
  #events: ConnectionEvent[] = [];
  /** The CIDs in use as last reported, rebuilt only when they change (listen() compares it to route). */
  #cidInfo: ConnectionIdInfo | undefined;
  /** DTLS 1.3, until the handshake epoch's keys are gone: handshakeEpochUntil13() (connection-epoch13.ts). */
  #handshakeEpochUntil: number | undefined;

  constructor(resolved: ResolvedOptions, internals: ConnectionInternals = {}) {
    const options = (this.#options = withSessionEvents(resolved, this.#events));
    this.#maxSend = maxSendFor(options);
    const l = options.limits;
    // A bound method, not an arrow: an arrow here would keep the constructor's scope for the connection's life.
    this.#records = new RecordLayer(options.crypto, this.#drop.bind(this), { maxRecords: l.maxFutureEpochRecords, maxBytes: l.maxFutureEpochBytes });
    this.#live = new LiveSettings(options);
    this.#sender = new FlightSender(this.#records, this.#live);
    this.#aeadLimits = internals.aeadLimits;
    this.#machine = createHandshake(options);
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
    this.#handshakeDeadline = now + this.#options.handshakeTimeout;
    this.#guard(() => this.#apply(now, this.#machine.start(now)));
  }

  handleDatagram(now: number, datagram: Uint8Array): void {
    this.#now = now;
    if (this.#state === 'closed' || this.#state === 'failed') return this.#drop('after_close');
    if (this.#state === 'idle') this.start(now);
    this.stats.datagramsIn++;
    this.#peerRetransmitted = false;
    this.#peerCopyKeyed = false;
    this.#guard(() => {
      // Past the retention, the handshake epoch (and the peer's epoch before its KeyUpdate) goes before this datagram is read.
      this.#retireHandshakeEpoch(now);
      this.#acks13?.retirePreviousEpoch(now);
      const early = this.#records.pendingCount;
      for (const rec of this.#records.open(datagram)) {
        // Once connected, only records under the keys prove the peer is alive.
        if (rec.epoch > 0 || this.#state !== 'connected') this.#lastHeard = now;
        this.#acks13?.opened(rec.epoch);
        this.#handleRecord(now, rec);
        if (this.#state === 'failed' || this.#state === 'closed') return;
      }
      // A record of the next epoch before its ChangeCipherSpec: the peer moved
      // on and its CCS was lost; resending our flight makes it resend (RFC 9147 5.8.1).
      // Not in DTLS 1.3: the peer's last flight is resent on its own timer until
      // we ACK it, and its next-epoch record may be an ACK or half-RTT data.
      if (this.#state === 'handshaking' && this.#records.protocol !== '1.3' && this.#records.pendingCount > early) this.#peerRetransmitted ||= 'ahead';
      if (this.#peerRetransmitted) this.#answerPeerRetransmit(now, this.#peerRetransmitted);
      this.#sendAckDue(now);
      this.#checkKeyLimits(now);
      this.#retireHandshakeEpoch(now);
    });
  }

  handleTimeout(now: number): void {
    this.#now = now;
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#state === 'handshaking' && this.#handshakeDeadline !== undefined && now >= this.#handshakeDeadline) {
      return this.#fail(
        new DtlsError('handshake_timeout', `handshake did not complete within ${this.#options.handshakeTimeout} ms (state ${this.#machine.stateName})`),
        false,
      );
    }
    const idle = this.#idleDeadline();
    if (idle !== undefined && now >= idle) {
      this.#sendAlert(AlertLevel.warning, AlertDescription.close_notify);
      return this.#fail(new DtlsError('idle_timeout', `nothing received for ${this.#options.idleTimeout} ms`), false);
    }
    this.#guard(() => {
      this.#resent(this.#sender.onTimeout(now));
      if (this.#acks13) for (const r of this.#acks13.onTimeout(now)) this.#resent(r);
      this.#sendAckDue(now);
      this.#retireHandshakeEpoch(now);
    });
  }

  send(now: number, plaintext: Uint8Array): void {
    this.#now = now;
    checkSend(plaintext, this.#maxSend);
    if (this.#state === 'connected') {
      this.#sendApplicationData(plaintext);
      if (this.#handshakeEpochUntil !== undefined) this.#retireHandshakeEpoch(now);
      return this.#checkKeyLimits(now);
    }
    const held = this.#held;
    if ((this.#state === 'idle' || this.#state === 'handshaking') && held && !held.closeAfter)
      return held.send(plaintext, this.#options.limits.maxPendingSends);
    throw this.#error ?? new DtlsError('closed', 'the connection is closed');
  }

  /**
   * Replaces our sending keys (DTLS 1.3 KeyUpdate, RFC 8446 4.6.3, RFC 9147
   * 8). The KeyUpdate goes out now, resent until the peer ACKs it; records
   * use the new keys from that ACK on. While one waits for its ACK, a call
   * is covered by it (RFC 9147 8 allows no second one before the ACK), except
   * that a `requestPeerUpdate` it did not carry goes in a KeyUpdate right
   * after. `requestPeerUpdate` asks the peer to replace its keys too. A KeyUpdate
   * also starts by itself before the AEAD usage limits (RFC 9147 4.5.3).
   * Throws a TypeError before the handshake completed or under DTLS 1.2 (no
   * KeyUpdate there), the connection's error once it is closed.
   */
  updateKeys(now: number, options: KeyUpdateOptions = {}): void {
    this.#now = now;
    if (this.#state === 'closed' || this.#state === 'failed') throw this.#error ?? new DtlsError('closed', 'the connection is closed');
    if (this.#state !== 'connected') throw new TypeError('updateKeys(): the handshake has not completed');
    const ku = this.#acks13?.keyUpdate;
    if (!ku) throw new TypeError('updateKeys(): KeyUpdate is DTLS 1.3 only, and this connection uses DTLS 1.2');
    this.#guard(() => this.#apply(now, ku.start(options.requestPeerUpdate === true)));
  }

  /**
   * Changes the largest datagram we send from the next one on: flights, their
   * resends (fragmented anew, RFC 9147 4.4), ACKs and post-handshake messages;
   * never an application record (LiveSettings.setMtu, connection-live.ts).
   * Nothing is sent now. RangeError outside 128..65507, as options.mtu.
   */
  setMtu(mtu: number): void {
    this.#live.setMtu(mtu);
  }

  /** The largest datagram we send (options.mtu, or the last setMtu()). */
  get mtu(): number {
    return this.#live.mtu;
  }

  /**
   * Sets the retransmission timeout flights start with, ms, e.g. once the
   * application knows the path's round trip (LiveSettings.setRetransmitTimeout,
   * connection-live.ts). A running timer is rescaled, its doublings kept:
   * `pollTimeout()` may move, even to now, so ask it again. RangeError unless
   * 0 < ms <= retransmit.max.
   */
  setRetransmitTimeout(ms: number): void {
    this.#live.setRetransmitTimeout(ms);
  }

  /**
   * Ends the connection now with a fatal alert of the application's choice
   * (RFC 8446 6.2, RFC 5246 7.2.2), e.g. 'access_denied' for a peer it refuses
   * after the handshake. The connection fails with code 'aborted', its `alert`
   * the one sent; nothing is sent before start(), or after the end (then this
   * does nothing). An alert is a name or a number, not close_notify (close()).
   */
  abort(now: number, alert: AlertName | number): void {
    const description = typeof alert === 'number' ? alert : AlertDescription[alert];
    if (!Number.isInteger(description) || description <= 0 || description > 255)
      throw new RangeError(`abort(): alert must be an alert name or 1..255 (close_notify is close()), not ${String(alert)}`);
    this.#now = now;
    if (this.#state === 'closed' || this.#state === 'failed') return;
    this.#fail(new DtlsError('aborted', `aborted by the application: ${alertName(description)} sent`, { alert: description }), this.#state !== 'idle');
  }

  close(now: number): void {
    this.#now = now;
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#state === 'handshaking' && this.#held?.sends.length) {
      // Data accepted by send() is delivered first: close once the handshake completes.
      this.#held.closeAfter = true;
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
    const h = this.#state === 'handshaking' ? this.#handshakeDeadline : this.#idleDeadline();
    return earliest(earliest(this.#sender.deadline, this.#acks13?.deadline), h);
  }

  /** DTLS 1.3: the handshake epoch's keys go once the peer can need nothing more of them (connection-epoch13.ts). */
  #retireHandshakeEpoch(now: number): void {
    const until = this.#handshakeEpochUntil;
    if (until !== undefined && this.#state === 'connected') this.#handshakeEpochUntil = retireHandshakeEpoch13(this.#records, this.#sender, until, now);
  }

  #acks(): Acks13 {
    return (this.#acks13 ??= new Acks13(this.#records, this.#live, this.#sender));
  }

  #limits13(): KeyLimits13 {
    return (this.#keyLimits13 ??= new KeyLimits13(this.#records, this.#aeadLimits));
  }

  #idleDeadline(): number | undefined {
    const idle = this.#options.idleTimeout;
    return idle !== undefined && this.#state === 'connected' ? this.#lastHeard + idle : undefined;
  }

  // ---- DTLS 1.3 connection IDs (RFC 9147 9) ----

  /** The CIDs in use, once negotiated (the same object until they change); undefined without them. */
  get connectionIds(): ConnectionIdInfo | undefined {
    return this.#cidInfo;
  }
  /** Datagrams that carried a record newer than any before, authenticated (RFC 9146 6: only such a datagram may move the peer). */
  get newestDatagrams(): number {
    return this.#records.newestDatagrams;
  }
  /** Sends `count` new CIDs of ours (NewConnectionId); 'immediate' (default) makes the peer use one from now on. */
  issueConnectionIds(now: number, count = 1, usage: 'immediate' | 'spare' = 'immediate'): void {
    this.#cids(now, (c) => c.issue(count, usage));
  }
  /** Asks the peer for `count` spare CIDs (RequestConnectionId); one request at a time. */
  requestConnectionIds(now: number, count = 1): void {
    this.#cids(now, (c) => c.request(count));
  }
  /** Puts the peer's next spare CID on what we send from now on (e.g. after our address changed); false if none is left. */
  switchConnectionId(now: number): boolean {
    const before = this.#cidInfo;
    this.#cids(now, (c) => c.switchPeer());
    return this.#cidInfo !== before;
  }

  #cids(now: number, f: (c: ConnectionIds13) => HandshakeAction[]): void {
    const c = this.#machine.cids;
    if (this.#state !== 'connected' || !c?.negotiated) throw new TypeError('connection IDs need a connected DTLS 1.3 connection that negotiated them');
    this.#now = now;
    const actions = f(c);
    this.#guard(() => this.#apply(now, actions));
  }

  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array {
    const r = this.#result;
    if (!r) throw new TypeError('keying material can be exported only after the handshake completed');
    return r.exportKeyingMaterial(label, context, length);
  }

  // ---- internals ----

  /** Carries out what the handshake machine returned, in order. */
  #apply(now: number, actions: HandshakeAction[]): void {
    for (const a of actions) {
      if (this.#state === 'failed' || this.#state === 'closed') return;
      switch (a.kind) {
        case 'flight':
          this.#transmit(this.#sender.send(now, a.items, a.number, a.mode, a.sampleRtt));
          traceFlight(this.#events, a.items);
          break;
        case 'write-keys':
          this.#records.installWrite(a.epoch, a.keys);
          break;
        case 'read-keys':
          // Records of the new epoch that arrived before the CCS are handled now.
          for (const rec of this.#records.installRead(a.epoch, a.keys)) this.#handleRecord(now, rec);
          break;
        case 'post-handshake': {
          // An ACK due now (the client Finished's) goes before: a peer may refuse it after our new message.
          this.#sendAckDue(now);
          this.#transmit(this.#acks().send(now, a));
          traceFlight(this.#events, [a.item]);
          break;
        }
        case 'record-version':
          this.#records.protocol = a.version;
          break;
        case 'hello-record-version':
          this.#records.version = a.version;
          break;
        case 'connection-ids':
          this.#records.cids.setLocal(a.local, a.tentative);
          this.#records.cids.peer = a.peer;
          this.#cidInfo = this.#machine.cids?.negotiated ? this.#machine.cids.info : undefined;
          break;
        case 'complete':
          this.#complete(a.result);
          break;
        case 'peer-copy':
          this.#peerRetransmitted = 'old';
          this.#peerCopyKeyed ||= a.keyed;
          break;
        case 'alert':
          this.#sendAlert(AlertLevel.warning, a.description);
          break;
        case 'drop':
          this.#drop(a.reason);
          break;
        case 'reset-replay':
          this.#records.resetReplay(a.epoch);
          break;
        case 'advance-write-seq':
          this.#records.advanceWriteSeq(a.epoch, a.seq);
          break;
        case 'trace':
          this.#trace(a.direction, a.what, a.epoch, a.bytes);
          break;
        case 'fail':
          return this.#fail(a.error, true);
      }
    }
  }

  #complete(result: HandshakeResult): void {
    // Kept for the connection's life: the summary, the exporter and KeyUpdate; the key log is used here only.
    this.#result = { info: result.info, exportKeyingMaterial: result.exportKeyingMaterial, keyUpdate: result.keyUpdate };
    if (result.keyUpdate) this.#acks().keyUpdate = result.keyUpdate;
    if (this.#records.protocol === '1.3') this.#handshakeEpochUntil = handshakeEpochUntil13(this.#options.role, this.#now, this.#live.retransmit.max);
    this.#sender.answered(this.#now);
    this.#lastHeard = this.#now;
    this.#setState('connected');
    this.#events.push({ type: 'handshake', info: result.info });
    // NSS key log lines for capture decryption (options.keyLog), in the version's own form.
    const keyLog = this.#options.keyLog;
    if (keyLog) for (const line of result.keyLogLines()) keyLog(line);
    const held = this.#held;
    this.#held = undefined;
    if (!held) return;
    for (const p of held.sends) this.#sendApplicationData(p);
    for (const d of held.early) this.#received.push(d);
    if (held.closeAfter) this.close(this.#now);
  }

  #trace(direction: 'in' | 'out', what: string, epoch: number, bytes: number): void {
    this.#events.push({ type: 'trace', direction, what, epoch, bytes });
  }

  #handleRecord(now: number, rec: PlainRecord): void {
    // Records replayed from the next-epoch buffer come in a row: once one ended
    // the connection, the rest are not acted on.
    if (this.#state === 'failed' || this.#state === 'closed') return this.#drop('after_close');
    this.stats.recordsIn++;
    // Older epochs than the newest stay readable for some records only (connection-records.ts).
    if (isStaleRecord(rec, this.#records.protocol, this.#records.readEpoch, this.#machine.done)) return this.#drop('stale_epoch');
    switch (rec.contentType) {
      case ContentType.handshake:
      case ContentType.change_cipher_spec: {
        const wasDone = this.#machine.done;
        const actions = this.#machine.handleRecord(now, rec, this.#records.readEpoch);
        // Acks13 notes handshake records from the first DTLS 1.3 keys on (a server's come with the ClientHello's actions).
        if (rec.contentType === ContentType.handshake && (this.#acks13 || this.#records.protocol === '1.3' || actions.some(opens13)))
          this.#acks().onHandshakeRecord(now, rec, actions, wasDone);
        return this.#apply(now, actions);
      }
      case ContentType.ack:
        return this.#handleAck(now, rec);
      case ContentType.alert:
        return this.#handleAlert(rec);
      case ContentType.application_data:
        return this.#handleApplicationData(rec);
      default:
        return this.#drop('unexpected');
    }
  }

  #handleAck(now: number, rec: PlainRecord): void {
    // Under DTLS 1.2 an ACK means nothing (AckExchange drops it the same way): no 1.3 state is made for it.
    if (!this.#acks13 && this.#records.protocol !== '1.3') return this.#drop('unexpected');
    const r = this.#acks().onAck(now, rec);
    if ('drop' in r) return this.#drop(r.drop);
    this.#trace('in', 'ACK', rec.epoch, rec.payload.length);
    for (const resend of r.resends) this.#resent(resend);
    this.#apply(now, r.actions);
  }

  /** DTLS 1.3: a KeyUpdate of ours when a key nears its AEAD limit; past the integrity limit, the end (RFC 9147 4.5.3). */
  #checkKeyLimits(now: number): void {
    const ku = this.#acks13?.keyUpdate;
    if (ku && this.#state === 'connected') this.#guard(() => this.#apply(now, this.#limits13().poll(ku)));
  }

  /** An ACK that is due goes out now, in our highest write epoch. */
  #sendAckDue(now: number): void {
    if (this.#state !== 'handshaking' && this.#state !== 'connected') return;
    const ack = this.#acks13?.poll(now);
    if (!ack) return;
    this.#trace('out', 'ACK', this.#records.writeEpoch, ack.length);
    this.#transmit(single(ack));
  }

  /** A peer's alert (connection-alerts.ts reads it and says what it does). */
  #handleAlert(rec: PlainRecord): void {
    const alert = readPeerAlert(rec);
    if (!alert) return this.#drop('malformed');
    this.#trace('in', `Alert(${alertName(alert.description)})`, rec.epoch, 2);
    this.#events.push(alertEvent(alert.level, alert.description, true));
    const effect = peerAlertEffect(alert, this.#state);
    if (effect === 'answer-and-close') this.#sendAlert(AlertLevel.warning, AlertDescription.close_notify);
    if (effect === 'fail') return this.#fail(peerAlertError(alert.description), false);
    if (effect !== 'none') this.#finish(undefined);
  }

  #handleApplicationData(rec: PlainRecord): void {
    if (rec.epoch === 0) return this.#drop('unexpected');

    if (this.#state === 'connected') {
      // DTLS 1.2: the peer's data in the new epoch proves our final flight arrived (not in 1.3: Acks13.confirmed()).
      if (this.#acks13) this.#apply(this.#now, this.#acks13.confirmed());
      else this.#sender.confirmed();
      this.#received.push(rec.payload);
      return;
    }
    // Held until the peer's Finished (connection-data.ts), if there is room.
    if (this.#state === 'handshaking' && this.#held?.holdEarly(rec.payload)) return;
    this.#drop('unexpected');
  }

  #answerPeerRetransmit(now: number, why: 'old' | 'ahead'): void {
    this.#resent(this.#sender.onPeerCopy(now, why, why === 'old' && this.#peerCopyKeyed));
  }

  #resent(r: Resend | undefined): void {
    if (!r) return;
    this.stats.retransmits++;
    this.#events.push({ type: 'retransmit', flight: r.flight, attempt: this.stats.retransmits, reason: r.reason });
    this.#transmit(r.out);
  }

  #sendApplicationData(plaintext: Uint8Array): void {
    this.#transmit(single(this.#records.seal(ContentType.application_data, plaintext)));
  }

  #sendAlert(level: number, description: number): void {
    this.#trace('out', `Alert(${alertName(description)})`, this.#records.writeEpoch, 2);
    this.#events.push(alertEvent(level, description, false));
    const record = sealAlert(this.#records, level, description);
    // Nothing more can be sent (sequence space exhausted): closing anyway.
    if (record) this.#transmit(single(record));
  }

  /** Queues datagrams out (bounded: connection-output.ts). */
  #transmit(flight: EncodedFlight): void {
    for (let lost = queueOut(this.#out, flight, this.stats); lost > 0; lost--) this.#drop('outbound_overflow');
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
    // Only DTLS 1.3 has limits on failed opens (RFC 9147 4.5.3).
    if (reason === 'auth_failed' && this.#records.protocol === '1.3') this.#limits13().onAuthFailed();
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1;
  }
}
