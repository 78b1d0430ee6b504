// The DTLS 1.3 client machine (RFC 9147 5): the message layer around the
// client's states (client13-role.ts). It reassembles handshake fragments
// (message_seq and fragments as in 1.2, RFC 9147 5.2), keeps epochs apart
// (only hellos in epoch 0, RFC 9147 4.1), notices the server's copies of its
// last flight, and hands a 1.2 ServerHello over to the 1.2 client when 1.2 was
// offered too (the fallback; `fallback12` builds that machine).
import type { ResolvedOptions } from '../options.ts';
import type { PlainRecord } from '../record/record-layer.ts';
import { Reassembler } from '../reliability/reassembly.ts';
import { decodeHandshakeFragments } from '../wire/handshake-header.ts';
import { ContentType, HandshakeType, ProtocolVersion, type HandshakeMessage } from '../wire/types.ts';
import { DtlsError } from '../errors.ts';
import type { HandshakeAction, HandshakeMachine } from './machine.ts';
import { messageName } from './dtls12.ts';
import { endOfEpoch, postHandshakeEpoch } from './key-update13.ts';
import { Client13Role, FallbackTo12 } from './client13-role.ts';
import { isConnectionIdMessage, noConnectionIds, type ConnectionIds13 } from './cid13.ts';

/**
 * Builds the 1.2 machine that continues a handshake whose ClientHello offered
 * 1.2 too: in state wait_server_hello, with that ClientHello (its random, its
 * message_seq, the extensions a 1.2 ServerHello may answer) in its transcript.
 */
export type Fallback12 = (options: ResolvedOptions, sent: { clientHello: HandshakeMessage; random: Uint8Array; answerable: Set<number> }) => HandshakeMachine;

/**
 * Epoch-0 records kept until the version is known, so a 1.2 machine taking over
 * sees the whole ServerHello (or HelloVerifyRequest). Bounded by their bytes: a
 * server may send a hello one byte per record (a cap of 16 records lost the rest).
 */
const MAX_HELD_HELLO_BYTES = 32768;
/** Per held record: what it costs beyond its payload, counted against the bound above. */
const HELD_RECORD_COST = 64;

export class Client13Handshake implements HandshakeMachine {
  readonly #o: ResolvedOptions;
  readonly #role: Client13Role;
  readonly #reassembler: Reassembler;
  readonly #fallback: Fallback12 | undefined;
  /** The 1.2 machine, once a 1.2 ServerHello handed the handshake over. */
  #v12: HandshakeMachine | undefined;
  /** The reassembler's nextSeq when our current flight was sent: the peer flight it answers ends just below. */
  #answeredUpTo = 0;
  /** When that flight was sent. */
  #answeredAt = -Infinity;
  /** Copies of the epoch-0 handshake records taken before the version was known (for a fallback to 1.2). */
  #hello: { rec: PlainRecord; readEpoch: number }[] = [];
  #helloBytes = 0;

  constructor(o: ResolvedOptions, fallback?: Fallback12) {
    this.#o = o;
    this.#role = new Client13Role(o);
    this.#fallback = fallback;
    this.#reassembler = new Reassembler({ maxMessageLength: o.limits.maxHandshakeMessage, maxBufferedBytes: o.limits.maxReassemblyBytes });
  }

  get done(): boolean {
    return this.#v12 ? this.#v12.done : this.#role.done;
  }
  get stateName(): string {
    return this.#v12 ? this.#v12.stateName : this.#role.stateName;
  }
  get cids(): ConnectionIds13 | undefined {
    // After a fallback, the 1.2 machine's (RFC 9146), if it negotiated any.
    return this.#v12 ? this.#v12.cids : this.#role.cids;
  }
  get version(): '1.2' | '1.3' | undefined {
    if (this.#v12) return '1.2';
    return this.#role.stateName === 'wait_server_hello' || this.#role.stateName === 'start' ? undefined : '1.3';
  }

  start(now: number): HandshakeAction[] {
    // A 1.3 ClientHello is read back in the 1.3 format, which also reads a 1.2 server's epoch-0 records.
    return [
      { kind: 'record-version', version: '1.3' },
      { kind: 'hello-record-version', version: ProtocolVersion.DTLS1_0 },
      ...this.#noteFlights(this.#role.start(now), now),
    ];
  }

  handleRecord(now: number, rec: PlainRecord, readEpoch: number): HandshakeAction[] {
    if (this.#v12) return this.#v12.handleRecord(now, rec, readEpoch);
    if (
      this.#fallback &&
      this.version === undefined &&
      rec.epoch === 0 &&
      rec.contentType === ContentType.handshake &&
      this.#helloBytes + rec.payload.length + HELD_RECORD_COST <= MAX_HELD_HELLO_BYTES
    ) {
      this.#hello.push({ rec: { ...rec, payload: rec.payload.slice() }, readEpoch });
      this.#helloBytes += rec.payload.length + HELD_RECORD_COST;
    }
    const out: HandshakeAction[] = [];
    try {
      if (rec.contentType === ContentType.handshake) this.#handshake(now, rec, readEpoch, out);
      // ACKs (RFC 9147 7) are the flight sender's; a ChangeCipherSpec has no place in DTLS 1.3 (RFC 9147 5).
      else out.push({ kind: 'drop', reason: 'unexpected' });
    } catch (e) {
      if (e instanceof FallbackTo12) return [...out.filter((a) => a.kind !== 'trace'), ...this.#toV12(now)];
      if (!(e instanceof DtlsError)) throw e;
      out.push({ kind: 'fail', error: e });
    }
    return out;
  }

  /**
   * The server chose DTLS 1.2: the 1.2 client continues from our ClientHello,
   * and reads every epoch-0 record that came so far (the ServerHello or
   * HelloVerifyRequest, in whatever fragments), in the 1.2 record format.
   */
  #toV12(now: number): HandshakeAction[] {
    const sent = this.#role.clientHello!;
    if (!this.#fallback) return [{ kind: 'fail', error: new DtlsError('protocol_version', 'the server chose DTLS 1.2, and this client cannot fall back') }];
    this.#v12 = this.#fallback(this.#o, { clientHello: sent.message, random: this.#role.random, answerable: sent.answerable12 });
    const out: HandshakeAction[] = [{ kind: 'record-version', version: '1.2' }];
    for (const h of this.#hello) {
      out.push(...this.#v12.handleRecord(now, h.rec, h.readEpoch));
      if (out.some((a) => a.kind === 'fail')) break;
    }
    this.#hello = [];
    this.#helloBytes = 0;
    return out;
  }

  #handshake(now: number, rec: PlainRecord, readEpoch: number, out: HandshakeAction[]): void {
    let fragments;
    try {
      fragments = decodeHandshakeFragments(rec.payload);
    } catch (e) {
      if (rec.epoch === 0) return void out.push({ kind: 'drop', reason: 'malformed' });
      throw e;
    }
    const r = this.#reassembler;
    for (const f of fragments) {
      // RFC 9147 4.1: only the hellos travel in the clear; anything else in epoch 0 is unauthenticated noise.
      // A 1.2 server answers with a HelloVerifyRequest (RFC 6347 4.2.1): a fallback when 1.2 was offered, else protocol_version.
      const clear = f.msgType === HandshakeType.server_hello || f.msgType === HandshakeType.hello_verify_request;
      if (rec.epoch === 0 && !clear) {
        out.push({ kind: 'drop', reason: 'unexpected' });
        continue;
      }
      if (rec.epoch !== 0 && f.msgType === HandshakeType.server_hello) throw new DtlsError('unexpected_message', 'a ServerHello under encryption');
      // RFC 8446 5.1: after its Finished the server sends nothing new under the handshake keys (authenticated: its fault).
      if (this.#role.done && rec.epoch === 2 && f.messageSeq >= r.nextSeq)
        throw new DtlsError('unexpected_message', 'a new handshake message after the server Finished, under the handshake keys');
      // After the handshake a new message in an epoch the server's KeyUpdate ended is its fault (RFC 9147 8), as at the server.
      if (this.#role.done && rec.epoch >= 3 && f.messageSeq >= r.nextSeq) postHandshakeEpoch(rec.epoch, readEpoch);
      // Once the peer uses a newer epoch, new messages must come in it (the old one carries only copies).
      if (rec.epoch < readEpoch && f.messageSeq >= r.nextSeq) {
        out.push({ kind: 'drop', reason: 'stale_epoch' });
        continue;
      }
      const res = r.add(f);
      // A copy of the last message of the flight ours answers: the server lost ours, unless it comes at the
      // instant ours left (no round trip: the server sent that message twice in one flight, as BoGo's
      // MixCompleteMessageWithFragments does; resending ours would only put a duplicate in its way).
      if (res === 'old' && f.messageSeq === this.#answeredUpTo - 1 && f.fragmentOffset === 0 && now > this.#answeredAt)
        out.push({ kind: 'peer-copy', keyed: rec.epoch > 0 });
      else if (res === 'dropped') out.push({ kind: 'drop', reason: 'reassembly_limit' });
    }
    for (let m = r.poll(); m; m = r.poll()) {
      out.push({ kind: 'trace', direction: 'in', what: messageName(m.msgType, m.body), epoch: rec.epoch, bytes: m.body.length });
      if (this.#role.done) {
        out.push(...this.#postHandshake(now, m));
        if (m.msgType === HandshakeType.key_update) endOfEpoch(r, 'KeyUpdate');
        continue;
      }
      const state = this.#role.stateName;
      out.push(...this.#noteFlights(this.#role.handleMessage(now, m), now));
      // The ServerHello (not a HelloRetryRequest) and the server Finished each end an epoch of the server's.
      if (state === 'wait_server_hello' && this.#role.stateName !== 'wait_server_hello') endOfEpoch(r, 'ServerHello');
      else if (this.#role.done) endOfEpoch(r, 'server Finished');
    }
  }

  /** After the handshake: NewSessionTicket makes a session (resumption); KeyUpdate updates keys; nothing else is expected. */
  #postHandshake(now: number, m: HandshakeMessage): HandshakeAction[] {
    if (m.msgType === HandshakeType.new_session_ticket) return this.#role.handleNewSessionTicket(now, m);
    if (m.msgType === HandshakeType.key_update) return this.#role.handleKeyUpdate(m);
    if (isConnectionIdMessage(m.msgType)) {
      if (!this.#role.cids) throw noConnectionIds();
      return this.#role.cids.onMessage(m);
    }
    throw new DtlsError('unexpected_message', `post-handshake message ${m.msgType} is not supported`);
  }

  #noteFlights(actions: HandshakeAction[], now: number): HandshakeAction[] {
    if (actions.some((a) => a.kind === 'flight')) {
      this.#answeredUpTo = this.#reassembler.nextSeq;
      this.#answeredAt = now;
    }
    return actions;
  }
}
