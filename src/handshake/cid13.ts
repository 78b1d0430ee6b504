// Connection IDs in DTLS 1.3 (RFC 9147 9, on RFC 9146's connection_id
// extension), for both roles: what the hellos offer and take, and the
// post-handshake NewConnectionId and RequestConnectionId, each sent as a
// post-handshake message (resent until ACKed, RFC 9147 5.8.4). The record
// layer is told through 'connection-ids' actions: our CIDs (records to us
// carry one of them, all of one length) and the peer's current one (on every
// record we send from epoch 2 on).
//
//   ClientHello  connection_id = the CID the client wants to receive (may be empty)
//   ServerHello  connection_id = the CID the server wants to receive (may be empty)
//   both sent it: negotiated; either side may then send NewConnectionId
//   (if its own CID is non-empty) and RequestConnectionId (if the peer's is).
import type { ResolvedOptions } from '../options.ts';
import type { ConnectionIdInfo } from '../connection-types.ts';
import type { HandshakeAction } from './machine.ts';
import { DtlsError } from '../errors.ts';
import { ExtensionType, HandshakeType, type Extension, type HandshakeMessage } from '../wire/types.ts';
import { findExtension } from '../wire/extensions/index.ts';
import { decodeConnectionIdExtension, encodeConnectionIdExtension } from '../wire/extensions13/connection-id.ts';
import {
  ConnectionIdUsage,
  decodeNewConnectionId,
  decodeRequestConnectionId,
  encodeNewConnectionId,
  encodeRequestConnectionId,
} from '../wire/messages13/connection-id.ts';
import { MAX_LOCAL_CIDS, MAX_PEER_CIDS } from '../record/cid.ts';
import { equalBytes } from '../wire/codec.ts';
import { decodeAs } from './common.ts';

/** RequestConnectionId messages a peer may send over a connection's life before it is too many (RFC 9147 9: too_many_cids_requested). */
export const MAX_CID_REQUESTS = 16;

/** Whether a post-handshake message is one of RFC 9147 9's. */
export function isConnectionIdMessage(msgType: number): boolean {
  return msgType === HandshakeType.new_connection_id || msgType === HandshakeType.request_connection_id;
}

export type { ConnectionIdInfo };

/** A NewConnectionId or RequestConnectionId on a connection that did not negotiate connection IDs. */
export function noConnectionIds(): DtlsError {
  return new DtlsError('unexpected_message', 'a connection ID message, and no connection IDs were negotiated (RFC 9147 9)');
}

export class ConnectionIds13 {
  readonly #o: ResolvedOptions;
  /** Builds a handshake message with the role's next message_seq. */
  readonly #message: (msgType: number, body: Uint8Array) => HandshakeMessage;
  /** The role's current write epoch (post-handshake messages go in it). */
  readonly #writeEpoch: () => number;
  /** A KeyUpdate of ours waits for its ACK: no post-handshake message may go until then (RFC 9147 8). */
  readonly #blocked: () => boolean;
  /** CIDs a RequestConnectionId asked for while we were blocked: sent by flush(). */
  #owed = 0;
  /** The CID we offered or chose (undefined: the extension is not ours to send). */
  readonly #own: Uint8Array | undefined;
  #negotiated = false;
  #local: Uint8Array[] = [];
  #peer: Uint8Array | undefined;
  #spares: Uint8Array[] = [];
  /** Our RequestConnectionId waits for its NewConnectionId (RFC 9147 9: one at a time). */
  #requested = false;
  #requestsSeen = 0;

  constructor(
    o: ResolvedOptions,
    message: (msgType: number, body: Uint8Array) => HandshakeMessage,
    writeEpoch: () => number,
    blocked: () => boolean = () => false,
  ) {
    this.#o = o;
    this.#message = message;
    this.#writeEpoch = writeEpoch;
    this.#blocked = blocked;
    const c = o.connectionId;
    this.#own = c === undefined ? undefined : typeof c === 'number' ? this.#draw(c) : c.slice();
  }

  /** Both sides sent connection_id. */
  get negotiated(): boolean {
    return this.#negotiated;
  }

  get info(): ConnectionIdInfo {
    return { local: this.#local.map((c) => c.slice()), peer: this.#peer?.slice(), spares: this.#spares.length };
  }

  #draw(length: number): Uint8Array {
    return length === 0 ? new Uint8Array(0) : this.#o.crypto.random(length);
  }

  #state(): HandshakeAction {
    return { kind: 'connection-ids', local: this.#local, peer: this.#peer };
  }

  // ---- the hellos ----

  /** Client: the extension for its ClientHello (the same CID in both after a HelloRetryRequest). */
  offer(): Extension | undefined {
    return this.#own && { type: ExtensionType.connection_id, data: encodeConnectionIdExtension(this.#own) };
  }

  /**
   * Client, when its ClientHello goes out: the server's epoch-2 records may
   * share a datagram with its ServerHello, so they are split with our CID's
   * length before the ServerHello says whether CIDs are on.
   */
  expect(): HandshakeAction[] {
    if (!this.#own?.length) return [];
    return [{ kind: 'connection-ids', local: [this.#own], peer: undefined, tentative: true }];
  }

  /** Client: the ServerHello's extensions settle it (RFC 9146 3: a server that does not answer turns CIDs off). */
  onServerHello(exts: readonly Extension[]): HandshakeAction[] {
    const e = findExtension(exts, ExtensionType.connection_id);
    if (!e || !this.#own) {
      this.#local = [];
      this.#peer = undefined;
      return this.#own?.length ? [this.#state()] : [];
    }
    return this.#settle(decodeAs('connection_id', () => decodeConnectionIdExtension(e.data)));
  }

  /**
   * Server: the client's connection_id (undefined if it sent none). Returns the
   * extension for our ServerHello and the record layer's state, or nothing
   * when CIDs stay off (we were not configured for them, or the client did not offer).
   */
  onClientHello(clientCid: Uint8Array | undefined): { extension: Extension; actions: HandshakeAction[] } | undefined {
    if (clientCid === undefined || !this.#own) return undefined;
    return { extension: { type: ExtensionType.connection_id, data: encodeConnectionIdExtension(this.#own) }, actions: this.#settle(clientCid) };
  }

  #settle(peer: Uint8Array): HandshakeAction[] {
    this.#negotiated = true;
    this.#local = this.#own!.length ? [this.#own!] : [];
    this.#peer = peer.length ? peer.slice() : undefined;
    return [this.#state()];
  }

  // ---- post-handshake (RFC 9147 9) ----

  /** A NewConnectionId or RequestConnectionId from the peer. */
  onMessage(m: HandshakeMessage): HandshakeAction[] {
    if (!this.#negotiated) throw noConnectionIds();
    if (m.msgType === HandshakeType.new_connection_id) return this.#onNew(m.body);
    return this.#onRequest(m.body);
  }

  #onNew(body: Uint8Array): HandshakeAction[] {
    // The peer negotiated receiving no CID: it must not send any (RFC 9147 9).
    if (!this.#peer) throw new DtlsError('unexpected_message', 'NewConnectionId from a peer that receives no connection ID (RFC 9147 9)');
    const m = decodeAs('NewConnectionId', () => decodeNewConnectionId(body));
    if (m.usage !== ConnectionIdUsage.cid_immediate && m.usage !== ConnectionIdUsage.cid_spare)
      throw new DtlsError('illegal_parameter', `NewConnectionId usage ${m.usage}`);
    const fresh: Uint8Array[] = [];
    for (const c of m.cids) if (c.length > 0 && !this.#known(c) && !fresh.some((f) => equalBytes(f, c))) fresh.push(c.slice());
    this.#requested = false;
    if (m.usage === ConnectionIdUsage.cid_immediate) {
      // One of them from now on, for every record (RFC 9147 9); the first, in the order given.
      if (!m.cids.length) throw new DtlsError('illegal_parameter', 'NewConnectionId cid_immediate with no CID');
      const next = fresh.shift();
      if (next) this.#peer = next;
    }
    // Extras past what we keep are discarded, as RFC 9147 9 allows.
    this.#spares = [...this.#spares, ...fresh].slice(0, MAX_PEER_CIDS);
    return [this.#state()];
  }

  #known(c: Uint8Array): boolean {
    return (this.#peer !== undefined && equalBytes(this.#peer, c)) || this.#spares.some((s) => equalBytes(s, c));
  }

  #onRequest(body: Uint8Array): HandshakeAction[] {
    const m = decodeAs('RequestConnectionId', () => decodeRequestConnectionId(body));
    // We receive no CID: the peer sends an empty one and must not ask (RFC 9147 9).
    if (!this.#local.length) throw new DtlsError('unexpected_message', 'RequestConnectionId to a peer that receives no connection ID (RFC 9147 9)');
    if (++this.#requestsSeen > MAX_CID_REQUESTS) throw new DtlsError('too_many_cids_requested', `more than ${MAX_CID_REQUESTS} RequestConnectionId messages`);
    // Answered with spares, fewer than asked when it is more than we keep (RFC 9147 9 allows it);
    // while our KeyUpdate waits for its ACK, once it is acknowledged (flush()).
    this.#owed = Math.min(m.numCids, MAX_LOCAL_CIDS - 1);
    return this.flush();
  }

  /** The answer to a RequestConnectionId that came while we could not send, now that we can. */
  flush(): HandshakeAction[] {
    if (!this.#owed || this.#blocked()) return [];
    const n = this.#owed;
    this.#owed = 0;
    return this.#issue(n, ConnectionIdUsage.cid_spare);
  }

  /** Sends `count` new CIDs of ours (NewConnectionId); the oldest of ours retire past MAX_LOCAL_CIDS. */
  #issue(count: number, usage: number): HandshakeAction[] {
    const length = this.#local[0]!.length;
    const cids: Uint8Array[] = [];
    while (cids.length < count) {
      const c = this.#draw(length);
      if (!this.#local.some((l) => equalBytes(l, c)) && !cids.some((l) => equalBytes(l, c))) cids.push(c);
    }
    // Records with the new CIDs may come as soon as the message arrives: readable before it goes.
    this.#local = [...this.#local, ...cids].slice(-MAX_LOCAL_CIDS);
    const msg = this.#message(HandshakeType.new_connection_id, encodeNewConnectionId({ cids, usage }));
    return [this.#state(), { kind: 'post-handshake', item: { kind: 'handshake', epoch: this.#writeEpoch(), message: msg } }];
  }

  /** Public: new CIDs of ours for the peer; 'immediate' makes it switch to the first now. */
  issue(count: number, usage: 'immediate' | 'spare'): HandshakeAction[] {
    this.#usable('issue connection IDs');
    if (!Number.isInteger(count) || count < 1 || count >= MAX_LOCAL_CIDS) throw new RangeError(`count must be an integer in 1..${MAX_LOCAL_CIDS - 1}`);
    if (!this.#local.length) throw new TypeError('this connection receives no connection ID: it has none to issue (RFC 9147 9)');
    return this.#issue(count, usage === 'spare' ? ConnectionIdUsage.cid_spare : ConnectionIdUsage.cid_immediate);
  }

  /** Public: asks the peer for `count` CIDs (RequestConnectionId); one request at a time. */
  request(count: number): HandshakeAction[] {
    this.#usable('request connection IDs');
    if (!Number.isInteger(count) || count < 1 || count > 255) throw new RangeError('count must be an integer in 1..255');
    if (!this.#peer) throw new TypeError('the peer receives no connection ID: it cannot be asked for more (RFC 9147 9)');
    if (this.#requested) throw new TypeError('a RequestConnectionId is still unanswered (RFC 9147 9: one at a time)');
    this.#requested = true;
    const msg = this.#message(HandshakeType.request_connection_id, encodeRequestConnectionId({ numCids: count }));
    return [{ kind: 'post-handshake', item: { kind: 'handshake', epoch: this.#writeEpoch(), message: msg } }];
  }

  /** Public: the next spare CID of the peer from now on (after our address changed, RFC 9147 9); none left: nothing. */
  switchPeer(): HandshakeAction[] {
    this.#usable('switch connection IDs', false);
    const next = this.#spares.shift();
    if (!next) return [];
    this.#peer = next;
    return [this.#state()];
  }

  #usable(what: string, sends = true): void {
    if (!this.#negotiated) throw new TypeError(`cannot ${what}: no DTLS 1.3 connection IDs were negotiated`);
    if (sends && this.#blocked()) throw new TypeError(`cannot ${what} now: a KeyUpdate waits for its ACK (RFC 9147 8); try again once it is acknowledged`);
  }
}
