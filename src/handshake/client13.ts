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
import { ContentType, HandshakeType, type HandshakeMessage } from '../wire/types.ts';
import { HandshakeType13 } from '../wire/types13.ts';
import { DtlsError } from '../errors.ts';
import type { HandshakeAction, HandshakeMachine } from './machine.ts';
import { handshakeName } from './dtls12.ts';
import { Client13Role, FallbackTo12 } from './client13-role.ts';

/** Builds the 1.2 machine that continues a handshake whose ClientHello offered 1.2 too, from the ServerHello on. */
export type Fallback12 = (
  options: ResolvedOptions,
  sent: { clientHello: HandshakeMessage; random: Uint8Array; answerable: Set<number> },
) => { machine: HandshakeMachine; onServerHello(now: number, rec: PlainRecord): HandshakeAction[] } | undefined;

const names13: Record<number, string> = {
  [HandshakeType13.encrypted_extensions]: 'EncryptedExtensions',
  [HandshakeType13.new_session_ticket]: 'NewSessionTicket',
  [HandshakeType13.key_update]: 'KeyUpdate',
};

export class Client13Handshake implements HandshakeMachine {
  readonly #o: ResolvedOptions;
  readonly #role: Client13Role;
  readonly #reassembler: Reassembler;
  readonly #fallback: Fallback12 | undefined;
  /** The 1.2 machine, once a 1.2 ServerHello handed the handshake over. */
  #v12: HandshakeMachine | undefined;
  /** The reassembler's nextSeq when our current flight was sent: the peer flight it answers ends just below. */
  #answeredUpTo = 0;

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
  get version(): '1.2' | '1.3' | undefined {
    if (this.#v12) return '1.2';
    return this.#role.stateName === 'wait_server_hello' || this.#role.stateName === 'start' ? undefined : '1.3';
  }

  start(_now: number): HandshakeAction[] {
    // A 1.3 ClientHello is read back in the 1.3 format, which also reads a 1.2 server's epoch-0 records.
    return [{ kind: 'record-version', version: '1.3' }, ...this.#noteFlights(this.#role.start())];
  }

  handleRecord(now: number, rec: PlainRecord, readEpoch: number): HandshakeAction[] {
    if (this.#v12) return this.#v12.handleRecord(now, rec, readEpoch);
    const out: HandshakeAction[] = [];
    try {
      if (rec.contentType === ContentType.handshake) this.#handshake(now, rec, readEpoch, out);
      // ACKs (RFC 9147 7) are the flight sender's; a ChangeCipherSpec has no place in DTLS 1.3 (RFC 9147 5).
      else out.push({ kind: 'drop', reason: 'unexpected' });
    } catch (e) {
      if (e instanceof FallbackTo12) return [...out, ...this.#toV12(now, rec, e)];
      if (!(e instanceof DtlsError)) throw e;
      out.push({ kind: 'fail', error: e });
    }
    return out;
  }

  #toV12(now: number, rec: PlainRecord, f: FallbackTo12): HandshakeAction[] {
    const sent = this.#role.clientHello!;
    const next = this.#fallback?.(this.#o, { clientHello: sent.message, random: this.#role.random, answerable: sent.answerable12 });
    if (!next) return [{ kind: 'fail', error: new DtlsError('protocol_version', 'the server chose DTLS 1.2, and this build cannot fall back') }];
    this.#v12 = next.machine;
    // The ServerHello's own record, from its message on; anything after it in the record comes through the 1.2 message layer.
    void f;
    return [{ kind: 'record-version', version: '1.2' }, ...next.onServerHello(now, rec)];
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
      if (rec.epoch === 0 && f.msgType !== HandshakeType.server_hello) {
        out.push({ kind: 'drop', reason: 'unexpected' });
        continue;
      }
      if (rec.epoch !== 0 && f.msgType === HandshakeType.server_hello) throw new DtlsError('unexpected_message', 'a ServerHello under encryption');
      // Once the peer uses a newer epoch, new messages must come in it (the old one carries only copies).
      if (rec.epoch < readEpoch && f.messageSeq >= r.nextSeq) {
        out.push({ kind: 'drop', reason: 'stale_epoch' });
        continue;
      }
      const res = r.add(f);
      if (res === 'old' && f.messageSeq === this.#answeredUpTo - 1 && f.fragmentOffset === 0) out.push({ kind: 'peer-copy' });
      else if (res === 'dropped') out.push({ kind: 'drop', reason: 'reassembly_limit' });
    }
    for (let m = r.poll(); m; m = r.poll()) {
      out.push({ kind: 'trace', direction: 'in', what: names13[m.msgType] ?? handshakeName(m.msgType), epoch: rec.epoch, bytes: m.body.length });
      if (this.#role.done) {
        out.push(...this.#postHandshake(m));
        continue;
      }
      out.push(...this.#noteFlights(this.#role.handleMessage(now, m)));
    }
  }

  /** After the handshake: NewSessionTicket is taken and not used (no resumption yet); KeyUpdate and others are not supported. */
  #postHandshake(m: HandshakeMessage): HandshakeAction[] {
    if (m.msgType === HandshakeType13.new_session_ticket) return [];
    throw new DtlsError('unexpected_message', `post-handshake message ${m.msgType} is not supported`);
  }

  #noteFlights(actions: HandshakeAction[]): HandshakeAction[] {
    if (actions.some((a) => a.kind === 'flight')) this.#answeredUpTo = this.#reassembler.nextSeq;
    return actions;
  }
}
