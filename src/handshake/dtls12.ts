// The DTLS 1.2 handshake (RFC 6347 4.2) as one machine per role: the message
// layer both roles share (reassembly, ChangeCipherSpec, the
// HelloVerifyRequest sequence rules, renegotiation refusal, post-handshake
// messages) around the role's state machine (client12.ts, server12.ts), which
// sees only whole, in-order messages. It returns what is to be done.
import type { ResolvedOptions } from '../options.ts';
import type { PlainRecord } from '../record/record-layer.ts';
import { Reassembler } from '../reliability/reassembly.ts';
import { decodeHandshakeFragments } from '../wire/handshake-header.ts';
import { ContentType, HandshakeType, type HandshakeMessage } from '../wire/types.ts';
import { isHelloRetryRequest } from '../wire/messages13/hello13.ts';
import { AlertDescription, DtlsError } from '../errors.ts';
import type { HandshakeAction, HandshakeMachine } from './machine.ts';
import { Client12, type SentClientHello } from './client12.ts';
import { Server12 } from './server12.ts';
import type { ConnectionIds13 } from './cid13.ts';

/** States in which the peer's ChangeCipherSpec may come early, from the flight still arriving (RFC 6347 4.1.2.7: records reorder). */
const HOLD_CCS_IN = new Set(['wait_new_session_ticket', 'wait_client_certificate', 'wait_client_key_exchange', 'wait_certificate_verify']);

/** One role's state machine: whole messages in, actions out. */
export interface Role12 {
  readonly done: boolean;
  readonly stateName: string;
  start(now: number): HandshakeAction[];
  handleMessage(now: number, msg: HandshakeMessage, epoch: number): HandshakeAction[];
  handleChangeCipherSpec(now: number): HandshakeAction[];
  /** RFC 9146 connection IDs, when this role offers or accepts them (cid12.ts). */
  readonly cids?: ConnectionIds13 | undefined;
}

/** Message names for traces and errors, DTLS 1.2's and 1.3's (NewSessionTicket, KeyUpdate, NewConnectionId ...). */
const handshakeNames: Record<number, string> = Object.fromEntries(
  Object.entries(HandshakeType).map(([k, v]) => [v, k.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase())]),
);

export function handshakeName(msgType: number): string {
  return handshakeNames[msgType] ?? `handshake(${msgType})`;
}

/** handshakeName, and a ServerHello that is a HelloRetryRequest (its special random, RFC 8446 4.1.3) by that name. */
export function messageName(msgType: number, body: Uint8Array): string {
  if (msgType === HandshakeType.server_hello && body.length >= 34 && isHelloRetryRequest({ random: body.subarray(2, 34) })) return 'HelloRetryRequest';
  return handshakeName(msgType);
}

export class Dtls12Handshake implements HandshakeMachine {
  readonly #role: Role12;
  readonly #server: boolean;
  readonly #reassembler: Reassembler;
  /** The reassembler's nextSeq when our current flight was sent: the peer flight it answers ends just below. */
  #answeredUpTo = 0;
  /**
   * A fragment of the peer's next flight came since our current flight went
   * out: the peer has that flight, so its late or replayed copies of the flight
   * before draw no resend (the resend would reach a peer already past it).
   */
  #nextFlightStarted = false;
  /**
   * When our current flight was first sent. While negotiating, copies handled
   * at that same instant came in the batch that completed the peer's flight:
   * duplicated or overlapping fragments of one transmission (RFC 6347 4.2.3
   * allows both), not the peer's timer resending it. (Our final flight keeps
   * answering every copy: after it the peer has nothing else to send.)
   */
  #flightSentAt = -Infinity;
  /** Messages with a fragment that came under the keys (epoch > 0): the peer's own, not an epoch-0 injection. */
  readonly #keyedSeqs = new Set<number>();
  /** A ChangeCipherSpec that came before the messages of its flight that precede it (see #changeCipherSpec). */
  #heldCcs = false;

  constructor(o: ResolvedOptions, sent?: SentClientHello) {
    this.#server = o.role === 'server';
    this.#role = this.#server ? new Server12(o) : new Client12(o, sent);
    this.#reassembler = new Reassembler({ maxMessageLength: o.limits.maxHandshakeMessage, maxBufferedBytes: o.limits.maxReassemblyBytes });
  }

  get done(): boolean {
    return this.#role.done;
  }
  get stateName(): string {
    return this.#role.stateName;
  }
  get cids(): ConnectionIds13 | undefined {
    return this.#role.cids;
  }

  start(now: number): HandshakeAction[] {
    return this.#noteFlights(now, this.#role.start(now));
  }

  handleRecord(now: number, rec: PlainRecord, readEpoch: number): HandshakeAction[] {
    const out: HandshakeAction[] = [];
    try {
      if (rec.contentType === ContentType.change_cipher_spec) this.#changeCipherSpec(now, rec, out);
      else if (rec.contentType === ContentType.handshake) this.#handshake(now, rec, readEpoch, out);
      else out.push({ kind: 'drop', reason: 'unexpected' });
    } catch (e) {
      // What this record asked for before the failure still happens, then the failure.
      if (!(e instanceof DtlsError)) throw e;
      out.push({ kind: 'fail', error: e });
    }
    return out;
  }

  #changeCipherSpec(now: number, rec: PlainRecord, out: HandshakeAction[]): void {
    if (rec.payload.length !== 1 || rec.payload[0] !== 1) {
      if (rec.epoch === 0) return void out.push({ kind: 'drop', reason: 'malformed' });
      throw new DtlsError('decode_error', 'malformed ChangeCipherSpec');
    }
    out.push({ kind: 'trace', direction: 'in', what: 'ChangeCipherSpec', epoch: rec.epoch, bytes: 1 });
    const state = this.#role.stateName;
    if (state !== 'wait_ccs') {
      // Reordered within the peer's flight, ahead of the messages that come before
      // it there (the client's NewSessionTicket, RFC 5077 3.3; the server's
      // Certificate, ClientKeyExchange or CertificateVerify): held, and taken once
      // they are in, as if in order (it never acts before its keys exist). Dropped
      // elsewhere: a retransmitted one, or one ahead of a flight we have not answered yet.
      if (HOLD_CCS_IN.has(state)) return void (this.#heldCcs = true);
      return void out.push({ kind: 'drop', reason: 'unexpected' });
    }
    this.#heldCcs = false;
    out.push(...this.#role.handleChangeCipherSpec(now));
  }

  #handshake(now: number, rec: PlainRecord, readEpoch: number, out: HandshakeAction[]): void {
    let fragments;
    try {
      fragments = decodeHandshakeFragments(rec.payload);
    } catch (e) {
      // Unauthenticated epoch-0 garbage is dropped; from a keyed epoch it is the peer's fault.
      if (rec.epoch === 0) return void out.push({ kind: 'drop', reason: 'malformed' });
      throw e;
    }
    const r = this.#reassembler;
    for (const f of fragments) {
      if (this.done && rec.epoch > 0 && this.#isRenegotiation(f.msgType)) {
        // A new handshake restarts at message_seq 0 (RFC 6347 4.2.2), so the
        // reassembler would take it for an old retransmission: refuse it here.
        if (f.fragmentOffset === 0) out.push({ kind: 'alert', description: AlertDescription.no_renegotiation });
        continue;
      }
      if (f.msgType === HandshakeType.hello_request && !this.#server) {
        // RFC 5246 7.4.1.1: ignored while negotiating, and not part of the
        // handshake's sequence: dropped before reassembly, so a forged one
        // cannot take the message_seq of the ServerHello.
        out.push({ kind: 'drop', reason: 'unexpected' });
        continue;
      }
      const awaitingHello = this.#server && this.#role.stateName === 'wait_client_hello' && f.msgType === HandshakeType.client_hello && rec.epoch === 0;
      if (awaitingHello && f.messageSeq > r.nextSeq && f.messageSeq < 8) {
        // RFC 6347 4.2.2: a ClientHello after a (stateless) HelloVerifyRequest
        // carries seq 1. Only forward: a late duplicate of an earlier hello is old.
        r.nextSeq = f.messageSeq;
      }
      if (awaitingHello && rec.sequenceNumber < 0x10000) {
        // RFC 6347 4.2.1: our HelloVerifyRequest, or our initial ServerHello,
        // carries the ClientHello's record number (a stateless server's
        // numbers are then not reused); bounded, since the peer picks it.
        out.push({ kind: 'advance-write-seq', epoch: 0, seq: rec.sequenceNumber });
      }
      if (this.done && f.messageSeq >= r.nextSeq) {
        // DTLS 1.2 has no post-handshake messages to wait for: nothing new is
        // buffered. Under the keys one is the peer's error (RFC 5246 7.2.2);
        // at epoch 0 anyone could have sent it.
        if (rec.epoch > 0) throw new DtlsError('unexpected_message', `${handshakeName(f.msgType)} (message ${f.messageSeq}) after the handshake completed`);
        out.push({ kind: 'drop', reason: 'unexpected' });
        continue;
      }
      // Once the peer has switched epochs, new handshake messages must come in it.
      if (rec.epoch < readEpoch && f.messageSeq >= r.nextSeq) {
        out.push({ kind: 'drop', reason: 'stale_epoch' });
        continue;
      }
      const res = r.add(f);
      // The first fragment of the last message of the peer flight that our
      // current flight answered marks one retransmission of it (the flight
      // sender bounds the answers). Older messages, ones of a flight we are
      // still receiving, or ones in an epoch the peer has left, are not.
      if (res === 'buffered') {
        this.#nextFlightStarted = true;
        if (rec.epoch > 0) this.#keyedSeqs.add(f.messageSeq);
      }
      if (res === 'old' && f.messageSeq === this.#answeredUpTo - 1 && f.fragmentOffset === 0 && rec.epoch >= readEpoch && this.#isRetransmission(now)) {
        out.push({ kind: 'peer-copy', keyed: rec.epoch > 0 });
      } else if (res === 'dropped') {
        const why = r.lastDrop;
        if ((why === 'inconsistent' || why === 'malformed') && rec.epoch > 0) {
          // Under the keys, fragments of one message that disagree on its type
          // or length are the peer's own error: waiting would only stall. At
          // epoch 0 anyone can inject one, and the association is kept (RFC
          // 6347 4.1.2.7): a counted drop, the handshake timeout bounds it.
          throw new DtlsError('illegal_parameter', `handshake fragment of message ${f.messageSeq} does not match its other fragments (type or length)`);
        }
        out.push({ kind: 'drop', reason: 'reassembly_limit' });
      }
    }
    for (let m = r.poll(); m; m = r.poll()) {
      out.push({ kind: 'trace', direction: 'in', what: handshakeName(m.msgType), epoch: rec.epoch, bytes: m.body.length });
      if (this.done) {
        // A message buffered beyond the one that completed the handshake (an
        // extra Finished, packed or sent first): the peer's excess data.
        if (this.#keyedSeqs.has(m.messageSeq) && !this.#isRenegotiation(m.msgType)) {
          throw new DtlsError('unexpected_message', `${handshakeName(m.msgType)} (message ${m.messageSeq}) after the handshake completed`);
        }
        out.push(this.#postHandshake(m.msgType));
        continue;
      }
      if (m.msgType === HandshakeType.hello_verify_request) out.push({ kind: 'reset-replay', epoch: 0 });
      out.push(...this.#noteFlights(now, this.#role.handleMessage(now, m, rec.epoch)));
      if (this.#heldCcs && this.#role.stateName === 'wait_ccs') {
        this.#heldCcs = false;
        // Not with a message of the old epoch already buffered behind it: that one came
        // before the key change, so it cannot be what follows it (it is polled next,
        // in wait_ccs, and refused: BoGo KeyChangeWithBufferedMessages).
        if (this.#reassembler.bufferedMessages === 0) out.push(...this.#role.handleChangeCipherSpec(now));
      }
    }
  }

  /** A copy of the peer flight ours answered is its retransmission, not more of the transmission we answered. */
  #isRetransmission(now: number): boolean {
    return this.done || (!this.#nextFlightStarted && now > this.#flightSentAt);
  }

  #isRenegotiation(msgType: number): boolean {
    return this.#server ? msgType === HandshakeType.client_hello : msgType === HandshakeType.hello_request;
  }

  /** Renegotiation is refused with a warning (RFC 5246 7.2.2); the connection goes on. Nothing else comes after a 1.2 handshake. */
  #postHandshake(msgType: number): HandshakeAction {
    if (this.#isRenegotiation(msgType)) return { kind: 'alert', description: AlertDescription.no_renegotiation };
    return { kind: 'drop', reason: 'unexpected' };
  }

  /** A flight answers the peer messages reassembled so far: its copies are what the peer resends. */
  #noteFlights(now: number, actions: HandshakeAction[]): HandshakeAction[] {
    if (actions.some((a) => a.kind === 'flight')) {
      this.#flightSentAt = now;
      this.#answeredUpTo = this.#reassembler.nextSeq;
      this.#nextFlightStarted = this.#reassembler.bufferedMessages > 0;
    }
    return actions;
  }
}
