// The server half of the version dispatcher: the first ClientHello decides
// (RFC 8446 4.2.1, RFC 9147 5.3). One that offers DTLS 1.3 in
// supported_versions, with an empty legacy_cookie, goes to the 1.3 server when
// options.versions allows 1.3; anything else to the 1.2 server exactly as
// before (HelloVerifyRequest, cookie). A ClientHello can come in fragments
// (a hybrid key share is over 1 KB): the records are held, bounded, until it
// is whole, then handed to the machine chosen, in order, so it sees what it
// would have seen alone.
import type { ResolvedOptions } from '../options.ts';
import type { PlainRecord } from '../record/record-layer.ts';
import { Reassembler } from '../reliability/reassembly.ts';
import { decodeHandshakeFragments } from '../wire/handshake-header.ts';
import { ContentType, HandshakeType, ProtocolVersion } from '../wire/types.ts';
import { decodeClientHello } from '../wire/messages/client-hello.ts';
import { offeredVersions } from '../wire/messages13/hello13.ts';
import type { HandshakeAction, HandshakeMachine } from './machine.ts';
import { Dtls12Handshake } from './dtls12.ts';
import { Server13Handshake } from './server13.ts';
import { versionsOf } from './common13.ts';

/** Records held before the first ClientHello is whole; past this the 1.2 server takes them, as before. */
const MAX_HELD_RECORDS = 32;

/** Which server a ClientHello body leads to. */
export function chooseServerVersion(o: ResolvedOptions, clientHelloBody: Uint8Array): '1.2' | '1.3' {
  const versions = versionsOf(o);
  if (!versions.includes('1.3')) return '1.2';
  let ch;
  try {
    ch = decodeClientHello(clientHelloBody);
    // A legacy_cookie means the client answers a HelloVerifyRequest: a 1.2 exchange is under way.
    if (ch.cookie.length !== 0) return '1.2';
    if (offeredVersions(ch).includes(ProtocolVersion.DTLS1_3)) return '1.3';
  } catch {
    // The 1.2 server fails it as it always did (or the 1.3 one, when 1.2 is off).
  }
  return versions.includes('1.2') ? '1.2' : '1.3';
}

/** The server's handshake: the 1.2 machine at once when 1.3 is off, else the first ClientHello picks. */
export function createServerHandshake(o: ResolvedOptions): HandshakeMachine {
  if (!versionsOf(o).includes('1.3')) return new Dtls12Handshake(o);
  return new ServerVersionDispatch(o);
}

class ServerVersionDispatch implements HandshakeMachine {
  readonly #o: ResolvedOptions;
  #chosen: HandshakeMachine | undefined;
  #held: { rec: PlainRecord; readEpoch: number }[] = [];
  readonly #reassembler: Reassembler;

  constructor(o: ResolvedOptions) {
    this.#o = o;
    this.#reassembler = new Reassembler({ maxMessageLength: o.limits.maxHandshakeMessage, maxBufferedBytes: o.limits.maxReassemblyBytes });
  }

  get done(): boolean {
    return this.#chosen?.done ?? false;
  }
  get stateName(): string {
    return this.#chosen?.stateName ?? 'wait_client_hello';
  }
  get version(): '1.2' | '1.3' | undefined {
    return this.#chosen?.version;
  }

  start(_now: number): HandshakeAction[] {
    return [];
  }

  handleRecord(now: number, rec: PlainRecord, readEpoch: number): HandshakeAction[] {
    if (this.#chosen) return this.#chosen.handleRecord(now, rec, readEpoch);
    // Held records are copies: the caller's datagram buffer may be reused.
    this.#held.push({ rec: { ...rec, payload: rec.payload.slice() }, readEpoch });
    const body = this.#clientHello(rec);
    if (body) return this.#choose(now, chooseServerVersion(this.#o, body));
    if (this.#held.length >= MAX_HELD_RECORDS) return this.#choose(now, '1.2');
    return [];
  }

  /** Feeds an epoch-0 handshake record to the side reassembler; the first whole message's body if it is a ClientHello. */
  #clientHello(rec: PlainRecord): Uint8Array | undefined {
    if (rec.epoch !== 0 || rec.contentType !== ContentType.handshake) return undefined;
    let fragments;
    try {
      fragments = decodeHandshakeFragments(rec.payload);
    } catch {
      return undefined;
    }
    const r = this.#reassembler;
    for (const f of fragments) {
      if (f.msgType !== HandshakeType.client_hello) continue;
      // After a (stateless) HelloVerifyRequest the ClientHello carries message_seq 1 (RFC 6347 4.2.2).
      if (f.messageSeq > r.nextSeq && f.messageSeq < 8) r.nextSeq = f.messageSeq;
      r.add(f);
    }
    return r.poll()?.body;
  }

  #choose(now: number, version: '1.2' | '1.3'): HandshakeAction[] {
    const m = version === '1.3' ? new Server13Handshake(this.#o) : new Dtls12Handshake(this.#o);
    this.#chosen = m;
    // The record layer reads and writes 1.3 records (unified header from epoch 2) once 1.3 is chosen.
    const out: HandshakeAction[] = version === '1.3' ? [{ kind: 'record-version', version: '1.3' }] : [];
    for (const { rec, readEpoch } of this.#held) {
      out.push(...m.handleRecord(now, rec, readEpoch));
      if (out.some((a) => a.kind === 'fail')) break;
    }
    this.#held = [];
    return out;
  }
}
