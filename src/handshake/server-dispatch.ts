// The server half of the version dispatcher: the first ClientHello decides
// (RFC 8446 4.2.1, RFC 9147 5.3). One that offers DTLS 1.3 in
// supported_versions, with an empty legacy_cookie, goes to the 1.3 server when
// options.versions allows 1.3; anything else to the 1.2 server exactly as
// before (HelloVerifyRequest, cookie). A ClientHello can come in fragments
// (a hybrid key share is over 1 KB, BoGo splits it to single bytes): they are
// reassembled here, within the reassembly limits, and the machine chosen gets
// the whole ClientHello as one record. Nothing else is kept before that.
import type { ResolvedOptions } from '../options.ts';
import type { PlainRecord } from '../record/record-layer.ts';
import { Reassembler } from '../reliability/reassembly.ts';
import { decodeHandshakeFragments, encodeHandshakeMessage } from '../wire/handshake-header.ts';
import { ContentType, HandshakeType, ProtocolVersion, type HandshakeFragment, ExtensionType } from '../wire/types.ts';
import { decodeClientHello } from '../wire/messages/client-hello.ts';
import { offeredVersions } from '../wire/messages13/hello13.ts';
import type { ConnectionIds13 } from './cid13.ts';
import type { HandshakeAction, HandshakeMachine } from './machine.ts';
import { Dtls12Handshake } from './dtls12.ts';
import { Server13Handshake } from './server13.ts';
import { versionsOf } from './common13.ts';
import { DtlsError } from '../errors.ts';
import { findExtension } from '../wire/extensions/index.ts';

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

/**
 * RFC 8446 4.2.1: when the ClientHello has supported_versions, it alone decides,
 * and a list with no version we accept is protocol_version (legacy_version is
 * not a fallback). Undefined when the extension is absent or names one we accept.
 */
export function unsupportedVersions(o: ResolvedOptions, clientHelloBody: Uint8Array): DtlsError | undefined {
  let offered: number[];
  try {
    const ch = decodeClientHello(clientHelloBody);
    if (!findExtension(ch.extensions, ExtensionType.supported_versions)) return undefined;
    offered = offeredVersions(ch);
  } catch {
    return undefined; // the machine chosen judges a malformed ClientHello, as before
  }
  const ours: number[] = versionsOf(o).map((v) => (v === '1.3' ? ProtocolVersion.DTLS1_3 : ProtocolVersion.DTLS1_2));
  if (offered.some((v) => ours.includes(v))) return undefined;
  return new DtlsError(
    'protocol_version',
    `supported_versions offers ${offered.map((v) => '0x' + v.toString(16)).join(', ') || 'nothing'}: no version we accept`,
  );
}

/** The server's handshake: the 1.2 machine at once when 1.3 is off, else the first ClientHello picks. */
export function createServerHandshake(o: ResolvedOptions): HandshakeMachine {
  if (!versionsOf(o).includes('1.3')) return new Dtls12Handshake(o);
  return new ServerVersionDispatch(o);
}

class ServerVersionDispatch implements HandshakeMachine {
  readonly #o: ResolvedOptions;
  #chosen: HandshakeMachine | undefined;
  /** The ClientHello's pieces until a machine is chosen; then gone (about 380 bytes a connection would keep). */
  #reassembler: Reassembler | undefined;
  /** The highest record number that carried a piece of the ClientHello (a stateless answer continues above it). */
  #lastSeq = 0;

  constructor(o: ResolvedOptions) {
    this.#o = o;
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
  get cids(): ConnectionIds13 | undefined {
    return this.#chosen?.cids;
  }

  start(_now: number): HandshakeAction[] {
    return [];
  }

  #newReassembler(): Reassembler {
    const l = this.#o.limits;
    return new Reassembler({ maxMessageLength: l.maxHandshakeMessage, maxBufferedBytes: l.maxReassemblyBytes });
  }

  handleRecord(now: number, rec: PlainRecord, readEpoch: number): HandshakeAction[] {
    if (this.#chosen) return this.#chosen.handleRecord(now, rec, readEpoch);
    const all = this.#fragments(rec);
    // Undecodable fragments: counted as the 1.2 server counts them (anyone can inject epoch 0, so a drop).
    if (all === 'malformed') return [{ kind: 'drop', reason: 'malformed' }];
    const r = (this.#reassembler ??= this.#newReassembler());
    // Another message where the first one belongs: the 1.2 server judges it, as it always did
    // (unexpected_message, BoGo's WrongMessageType-ClientHello); it cannot be a 1.3 handshake.
    if (all?.some((f) => f.msgType !== HandshakeType.client_hello && f.messageSeq <= r.nextSeq)) {
      this.#chosen = new Dtls12Handshake(this.#o);
      this.#reassembler = undefined;
      return this.#chosen.handleRecord(now, rec, readEpoch);
    }
    const fragments = all?.filter((f) => f.msgType === HandshakeType.client_hello);
    // Before any machine exists only pieces of a ClientHello mean something; later messages are unauthenticated noise.
    if (!fragments?.length) return [{ kind: 'drop', reason: 'unexpected' }];
    for (const f of fragments) {
      // After a (stateless) HelloVerifyRequest the ClientHello carries message_seq 1 (RFC 6347 4.2.2).
      if (f.messageSeq > r.nextSeq && f.messageSeq < 8) r.nextSeq = f.messageSeq;
      if (r.add(f) === 'buffered') this.#lastSeq = Math.max(this.#lastSeq, rec.sequenceNumber);
    }
    // Pieces wait in the reassembler, bounded by its limits; a ClientHello that never completes decides nothing.
    const hello = r.poll();
    if (!hello) return [];
    const refused = unsupportedVersions(this.#o, hello.body);
    if (refused) return [{ kind: 'fail', error: refused }];
    const version = chooseServerVersion(this.#o, hello.body);
    const m = version === '1.3' ? new Server13Handshake(this.#o) : new Dtls12Handshake(this.#o);
    this.#chosen = m;
    this.#reassembler = undefined;
    // The machine chosen gets the whole ClientHello as one record, as if it had come so.
    const whole: PlainRecord = { contentType: ContentType.handshake, epoch: 0, sequenceNumber: this.#lastSeq, payload: encodeHandshakeMessage(hello) };
    // The record layer reads and writes 1.3 records (unified header from epoch 2) once 1.3 is chosen.
    const out: HandshakeAction[] = version === '1.3' ? [{ kind: 'record-version', version: '1.3' }] : [];
    return [...out, ...m.handleRecord(now, whole, readEpoch)];
  }

  /** The handshake fragments of an epoch-0 record, undefined if it is not one, 'malformed' if they do not decode. */
  #fragments(rec: PlainRecord): HandshakeFragment[] | 'malformed' | undefined {
    if (rec.epoch !== 0 || rec.contentType !== ContentType.handshake) return undefined;
    try {
      return decodeHandshakeFragments(rec.payload);
    } catch {
      return 'malformed';
    }
  }
}
