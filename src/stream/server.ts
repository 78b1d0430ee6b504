// listen(): many peers on one datagram socket. An unknown peer first passes the
// stateless cookie exchange (RFC 6347 4.2.1); only then does it get a
// Connection, wrapped in a DtlsStream and offered on `connections` once its
// handshake completes. Peers are independent: the socket loop never waits on one.
//
// Everything a peer (or a crowd of them) can grow is bounded here or in the core:
//
//   datagram from an unknown address|port
//     ├─ server closing / app stopped accepting ........ ignored
//     ├─ size >= maxConnections ......................... droppedOverCapacity
//     ├─ handshaking >= maxHandshakes ................... droppedHandshakeLimit
//     ├─ cookie gate: not a ClientHello ................. droppedUnknown
//     ├─ cookie gate: no or wrong cookie ................ HelloVerifyRequest (cookieReplies),
//     │                                                   or droppedBackpressure if the socket is full
//     ├─ cookie gate: a piece of a ClientHello (1.3) .... held by the gate, bounded (heldFragments)
//     └─ cookie gate: valid cookie ...................... new peer (the only place state is made);
//                                                         it reads every datagram the ClientHello came in
//
//   datagram from a known peer: to its connection, except an epoch-0 ClientHello
//   with another random (the client restarted, RFC 6347 4.2.8): that goes through
//   the cookie gate like a new peer's, and with a valid cookie replaces the old
//   connection (restarts); so do the next datagrams while the gate holds a piece
//   of that new ClientHello.
//
//   with connectionId (DTLS 1.3, RFC 9147 9; DTLS 1.2, RFC 9146): a datagram
//   whose first record is a unified header with the C bit, or a tls12_cid
//   record, goes by its CID first (cid.ts datagramCid), to the peer that
//   issued it, whatever its address (NAT rebinding). From a new address it is
//   handed over unauthenticated; the peer moves there only if its connection
//   reports a record of it authenticated and newer than any before (RFC 9146 6):
//   a forged or replayed datagram moves nothing. Each connection holds at most
//   MAX_LOCAL_CIDS CIDs, so the CID table is bounded by maxConnections.
//
//   a peer: limits (reassembly, future-epoch records, pending sends) in the core;
//   removed at handshakeTimeout (handshakeTimeouts) or after idleTimeout without
//   input once connected (idleTimeouts); record-level drops add up in droppedRecords.
import type { ConnectionLike, DropReason } from '../connection-types.ts';
import type { Datagram, DatagramSocket } from '../adapters/types.ts';
import type { DtlsOptions } from '../options.ts';
import { DtlsError } from '../errors.ts';
import { ContentType, HandshakeType } from '../wire/types.ts';
import { systemClock, type Clock } from './clock.ts';
import type { CookieGateLike } from './defaults.ts';
import { defaultConnection } from './default-connection.ts';
import { DtlsStream } from './dtls-stream.ts';
import { attachTransport, deliverDatagram } from './transport.ts';
import { cidKey, datagramCid } from '../record/cid.ts';
import { HandshakeRtt } from './server-rtt.ts';
import { DEFAULTS } from '../options.ts';
import { LISTEN_DEFAULTS, idleOption, positiveInt, type ListenOptions } from './server-options.ts';
import { addDrops, newServerCounters, type ConnectionStartDetail, type DtlsServerStats, type HandshakeErrorDetail } from './server-stats.ts';

export { LISTEN_DEFAULTS, type ListenOptions } from './server-options.ts';
export type { ConnectionStartDetail, DtlsServerStats, HandshakeErrorDetail } from './server-stats.ts';

/** HelloVerifyRequests that may wait beyond the socket writer's high-water mark before more are dropped. */
const MAX_QUEUED_REPLIES = 64;

interface Peer {
  /** Where its datagrams go; changes when it moves (connectionId). */
  address: string;
  port: number;
  readonly dtls: DtlsStream;
  readonly conn: ConnectionLike;
  /** The CIDs it is routed by (keys of #byCid), and the connection's report they came from. */
  cids: readonly string[];
  cidInfo: ConnectionLike['connectionIds'];
  /** Datagrams it sent while a datagram from a new address was being judged (#deliverByCid). */
  held: { data: Uint8Array; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] | undefined;
  /** The random of the ClientHello that made this peer (randomKey; empty if it had none). */
  readonly random: string;
  /** True until its handshake settles (counted against maxHandshakes). */
  handshaking: boolean;
}

/** @internal Test hooks, never part of the public API. `cookieGate: null` turns cookies off like requireCookie: false. */
export interface ListenHooks {
  createConnection?: (options: DtlsOptions) => ConnectionLike;
  cookieGate?: CookieGateLike | null;
}

const noop = (): void => {};
/** A peer's CIDs when it has none: one shared empty list (the lists are replaced, never changed). */
const NO_CIDS: readonly string[] = Object.freeze([]);

/** `address|port`: unambiguous for IPv6 too. */
function peerKey(address: string, port: number): string {
  return `${address}|${port}`;
}

/**
 * The random of an epoch-0 ClientHello whose first fragment starts the
 * datagram, else undefined. Fixed offsets: record header (13 bytes: type,
 * version, epoch, sequence, length), handshake header (12: type, length,
 * message_seq, fragment_offset, fragment_length), client_version (2), random (32).
 */
function clientHelloRandom(d: Uint8Array): Uint8Array | undefined {
  if (d.length < 59 || d[0] !== ContentType.handshake || d[3] !== 0 || d[4] !== 0) return undefined;
  if (d[13] !== HandshakeType.client_hello || d[19] !== 0 || d[20] !== 0 || d[21] !== 0) return undefined;
  return d.subarray(27, 59);
}

/** A random kept as a one-byte string: 56 bytes of heap where a Uint8Array of its own costs about 180, per peer. */
function randomKey(random: Uint8Array): string {
  return String.fromCharCode(...random);
}

/**
 * Accepts DTLS connections on one socket. Events: 'connection'
 * (CustomEvent<ConnectionStartDetail>) when a peer's handshake starts, before
 * its first message is handled (listen there for its `trace` events);
 * 'handshakeerror' (CustomEvent<HandshakeErrorDetail>) for each peer whose
 * handshake failed (including at handshakeTimeout): such peers never appear
 * on `connections`.
 */
export class DtlsServer extends EventTarget {
  /** Connections whose handshake completed, in order. */
  readonly connections: ReadableStream<DtlsStream>;

  readonly #clock: Clock | undefined;
  readonly #maxConnections: number;
  readonly #maxHandshakes: number;
  readonly #gate: CookieGateLike | undefined;
  readonly #createConnection: () => ConnectionLike;
  readonly #peers = new Map<string, Peer>();
  readonly #reader: ReadableStreamDefaultReader<Datagram>;
  readonly #writer: WritableStreamDefaultWriter<Datagram>;
  #accepted!: ReadableStreamDefaultController<DtlsStream>;
  #acceptOpen = true;
  #closing: Promise<void> | undefined;
  #handshaking = 0;
  readonly #stats = newServerCounters();
  /** Length of the CIDs our connections draw (0: none), and the peers by CID. */
  readonly #cidLength: number;
  readonly #byCid = new Map<string, Peer>();
  /** Record drops of peers already removed. */
  readonly #pastDrops: Partial<Record<DropReason, number>> = {};
  /** How long recent handshakes took: new connections' first timer (server-rtt.ts); undefined with a timer of the caller's. */
  readonly #rtt: HandshakeRtt | undefined;
  /** Event types that ever had a listener: no CustomEvent is made per peer for nobody (as DtlsStream's). */
  #listened: Set<string> | undefined;

  /** Use listen(). */
  constructor(socket: DatagramSocket, options: ListenOptions = {}) {
    super();
    const hooks = nextHooks;
    nextHooks = {};
    const { maxConnections = LISTEN_DEFAULTS.maxConnections, maxHandshakes = LISTEN_DEFAULTS.maxHandshakes, idleTimeout, ...rest } = options;
    // One CID per connection, drawn by each: a fixed one could not tell peers apart.
    if (rest.connectionId instanceof Uint8Array && rest.connectionId.length)
      throw new RangeError('listen(): connectionId is a length (each connection draws its own CID), not bytes');
    this.#cidLength = typeof rest.connectionId === 'number' ? rest.connectionId : 0;
    this.#maxConnections = positiveInt(maxConnections, 'maxConnections');
    this.#maxHandshakes = positiveInt(maxHandshakes, 'maxHandshakes');
    // Each peer's Connection: a server whose cookie exchange was already done here.
    const perPeer: DtlsOptions = { ...rest, role: 'server', requireCookie: false, idleTimeout: idleOption(idleTimeout) };
    this.#clock = rest.clock;
    const r = rest.retransmit;
    if (r?.initial === undefined && r?.min === undefined && r?.max === undefined && r?.adaptive !== false)
      this.#rtt = new HandshakeRtt(DEFAULTS.retransmit.initial);
    const { createConnection, cookieGate } = hooks;
    const prepared = createConnection && cookieGate !== undefined ? undefined : defaultConnection.prepare(perPeer);
    this.#createConnection = createConnection ? () => createConnection(perPeer) : prepared!.createConnection;
    if (cookieGate !== undefined) this.#gate = cookieGate ?? undefined;
    else if (options.requireCookie !== false) this.#gate = prepared!.createCookieGate();
    this.connections = new ReadableStream<DtlsStream>({
      start: (c) => void (this.#accepted = c),
      // The app wants no more connections: later handshakes are closed as they complete.
      cancel: () => void (this.#acceptOpen = false),
    });
    this.#reader = socket.readable.getReader();
    this.#writer = socket.writable.getWriter();
    void this.#readLoop();
  }

  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void {
    (this.#listened ??= new Set()).add(type);
    super.addEventListener(type, listener, options);
  }

  /** Peers currently known (handshaking or connected). */
  get size(): number {
    return this.#peers.size;
  }

  /** Peers whose handshake is in progress (counted against maxHandshakes). */
  get handshaking(): number {
    return this.#handshaking;
  }

  /** The addresses of the current peers. */
  get addresses(): { address: string; port: number }[] {
    return [...this.#peers.values()].map(({ address, port }) => ({ address, port }));
  }

  /** A snapshot of the counters; droppedRecords adds up current and past peers. */
  get stats(): DtlsServerStats {
    const droppedRecords = { ...this.#pastDrops };
    for (const p of this.#peers.values()) addDrops(droppedRecords, p.dtls.stats.dropped);
    return { ...this.#stats, droppedRecords };
  }

  /** `for await (const conn of server)`: each connection whose handshake completed; ends when the server closes. */
  async *[Symbol.asyncIterator](): AsyncGenerator<DtlsStream, void, undefined> {
    const reader = this.connections.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }

  /** Stops reading the socket and closes every connection (close_notify, flushed to the socket). */
  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  async #close(): Promise<void> {
    this.#reader.cancel().catch(noop);
    await Promise.all([...this.#peers.values()].map((p) => p.dtls.close()));
    if (this.#acceptOpen) {
      this.#acceptOpen = false;
      this.#accepted.close();
    }
    this.#writer.releaseLock();
  }

  async #readLoop(): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        this.#onDatagram(value);
      }
    } catch {
      // The socket failed: same as it closing.
    }
    void this.close();
  }

  #onDatagram({ data, address, port }: Datagram): void {
    if (this.#cidLength) {
      const cid = datagramCid(data, this.#cidLength);
      const owner = cid && this.#byCid.get(cidKey(cid));
      if (owner) return this.#deliverByCid(owner, data, address, port);
    }
    const key = peerKey(address, port);
    const peer = this.#peers.get(key);
    if (peer) {
      const random = this.#gate && clientHelloRandom(data);
      if (random && randomKey(random) !== peer.random) return this.#restart(peer, data, address, port, key);
      // Pieces of a restarting client's ClientHello (1.3, in fragments) go on to the gate (which hands on what is not one).
      if (this.#gate?.holds?.(key) && !this.#closing && this.#acceptOpen) return this.#restart(peer, data, address, port, key);
      this.#deliver(peer, data);
      return;
    }
    if (this.#closing || !this.#acceptOpen) return;
    // Capacity first: the cheapest checks, and no cookie work while full.
    if (this.#peers.size >= this.#maxConnections) {
      this.#stats.droppedOverCapacity++;
      return;
    }
    if (this.#handshaking >= this.#maxHandshakes) {
      this.#stats.droppedHandshakeLimit++;
      return;
    }
    if (this.#gate) {
      let verdict: ReturnType<CookieGateLike['check']>;
      try {
        verdict = this.#gate.check(data, key, (this.#clock ?? systemClock).now());
      } catch {
        verdict = { action: 'drop' };
      }
      if (verdict.action === 'reply') return this.#reply(verdict.datagram, address, port);
      if (verdict.action === 'hold') {
        this.#stats.heldFragments++;
        return;
      }
      if (verdict.action === 'drop') {
        this.#stats.droppedUnknown++;
        return;
      }
      return this.#accept(verdict.datagrams ?? [data], address, port, key);
    } else if (data[0] !== ContentType.handshake) {
      // Without cookies, only a handshake record may allocate state.
      this.#stats.droppedUnknown++;
      return;
    }
    this.#accept([data], address, port, key);
  }

  /**
   * RFC 6347 4.2.8: a ClientHello with a new random from a known address|port.
   * The old association stays until the cookie proves the client is at that
   * address; then the new handshake replaces it (the old one is closed).
   */
  #restart(old: Peer, data: Uint8Array, address: string, port: number, key: string): void {
    if (this.#closing || !this.#acceptOpen) return;
    let verdict: ReturnType<CookieGateLike['check']>;
    try {
      verdict = this.#gate!.check(data, key, (this.#clock ?? systemClock).now());
    } catch {
      verdict = { action: 'drop' };
    }
    if (verdict.action === 'reply') return this.#reply(verdict.datagram, address, port);
    if (verdict.action === 'hold') {
      // A piece of a new ClientHello, kept by the gate; the old connection sees it as it always did.
      this.#stats.heldFragments++;
      deliverDatagram(old.dtls, data);
      return;
    }
    if (verdict.action === 'drop') {
      deliverDatagram(old.dtls, data); // not a ClientHello after all: the connection drops it
      return;
    }
    if (this.#handshaking - (old.handshaking ? 1 : 0) >= this.#maxHandshakes) {
      this.#stats.droppedHandshakeLimit++;
      return;
    }
    this.#stats.restarts++;
    this.#remove(key, old);
    void old.dtls.close();
    this.#accept(verdict.datagrams ?? [data], address, port, key);
  }

  /** To its connection; then the CIDs it is routed by follow what the connection now uses. */
  #deliver(peer: Peer, data: Uint8Array): void {
    deliverDatagram(peer.dtls, data);
    if (this.#cidLength && peer.conn.connectionIds !== peer.cidInfo) this.#routeCids(peer);
  }

  #routeCids(peer: Peer): void {
    for (const k of peer.cids) if (this.#byCid.get(k) === peer) this.#byCid.delete(k);
    peer.cidInfo = peer.conn.connectionIds;
    // Only this server's own connections may claim a CID, and never one another peer holds.
    peer.cids = (peer.cidInfo?.local ?? []).map(cidKey).filter((k) => !this.#byCid.has(k));
    if (!this.#peers.has(peerKey(peer.address, peer.port))) peer.cids = NO_CIDS;
    for (const k of peer.cids) this.#byCid.set(k, peer);
  }

  /**
   * A datagram under a peer's CID. From another address it is the peer's only
   * if a record of it authenticates and is the newest yet (RFC 9146 6); only
   * then do its datagrams go there. What the connection sends while the
   * datagram is handled (an echo, an ACK) waits for the verdict.
   */
  #deliverByCid(peer: Peer, data: Uint8Array, address: string, port: number): void {
    if (peer.address === address && peer.port === port) return this.#deliver(peer, data);
    const before = peer.conn.newestDatagrams ?? 0;
    const held: NonNullable<Peer['held']> = (peer.held = []);
    try {
      this.#deliver(peer, data);
      if ((peer.conn.newestDatagrams ?? 0) > before) this.#move(peer, address, port);
    } finally {
      peer.held = undefined;
      for (const h of held) this.#writer.write({ data: h.data, address: peer.address, port: peer.port }).then(h.resolve, h.reject);
    }
  }

  #move(peer: Peer, address: string, port: number): void {
    const oldKey = peerKey(peer.address, peer.port);
    const key = peerKey(address, port);
    // Another live peer at that address|port keeps it (the move is not believed over it).
    if (this.#peers.get(oldKey) !== peer || this.#peers.has(key)) return;
    this.#peers.delete(oldKey);
    this.#peers.set(key, peer);
    peer.address = address;
    peer.port = port;
    // remote is the stream's snapshot of where its peer is: it follows.
    Object.assign(peer.dtls.remote as { address: string; port: number }, { address, port });
    this.#stats.migrations++;
    // A new path, a new CID where the peer gave us a spare (from the next record sealed; the
    // answer held above went out with the old one): the paths are not linked by it (RFC 9147 9, 11).
    try {
      peer.dtls.switchConnectionId();
    } catch {
      // No CIDs to switch (the connection just closed): nothing to do.
    }
  }

  #reply(data: Uint8Array, address: string, port: number): void {
    // Stateless: if the socket is backed up, drop rather than queue (the client
    // retries). A little slack beyond the socket's own high-water mark (often 1:
    // one send in flight) lets a burst of ClientHellos be answered at once.
    const room = this.#writer.desiredSize;
    if (room === null || room <= -MAX_QUEUED_REPLIES) {
      this.#stats.droppedBackpressure++;
      return;
    }
    this.#stats.cookieReplies++;
    this.#writer.write({ data, address, port }).catch(noop);
  }

  /** A new peer; `first`: the datagrams that brought its ClientHello, read in order. */
  #accept(first: Uint8Array[], address: string, port: number, key: string): void {
    let dtls: DtlsStream;
    let conn: ConnectionLike;
    try {
      conn = this.#createConnection();
      dtls = DtlsStream.fromConnection(conn, { clock: this.#clock, remote: { address, port } });
    } catch {
      this.#stats.droppedUnknown++;
      return;
    }
    const hello = first.map(clientHelloRandom).find((r) => r !== undefined);
    const random = hello ? randomKey(hello) : '';
    const peer: Peer = { address, port, dtls, conn, cids: NO_CIDS, cidInfo: undefined, held: undefined, random, handshaking: true };
    // Its datagrams go straight to the socket, addressed to it, wherever it moved (no outbound.readable
    // and inbound.writable per peer: memory and two promise hops per datagram).
    // A socket that fails to send ends the connection.
    attachTransport(dtls, (data) => {
      // While a datagram from a new address is judged, what the peer says waits: it goes where the peer then is.
      if (peer.held) return new Promise((resolve, reject) => peer.held!.push({ data, resolve, reject }));
      return this.#writer.write({ data, address: peer.address, port: peer.port });
    });
    this.#peers.set(key, peer);
    this.#stats.accepted++;
    this.#handshaking++;
    const rtt = this.#rtt;
    const started = rtt && (this.#clock ?? systemClock).now();
    const initial = rtt?.initial;
    if (initial !== undefined) conn.setRetransmitTimeout?.(initial);
    if (this.#listened?.has('connection')) this.dispatchEvent(new CustomEvent<ConnectionStartDetail>('connection', { detail: { dtls, address, port } }));
    dtls.closed.then(
      () => this.#remove(peerKey(peer.address, peer.port), peer),
      (error: unknown) => {
        if (error instanceof DtlsError && error.code === 'idle_timeout') this.#stats.idleTimeouts++;
        this.#remove(peerKey(peer.address, peer.port), peer);
      },
    );
    dtls.handshake.then(
      () => {
        peer.handshaking = false;
        this.#handshaking--;
        this.#stats.handshakes++;
        if (rtt) {
          rtt.sample((this.#clock ?? systemClock).now() - started!);
          // Its own later flights start from the default again (and what it measured).
          if (initial !== undefined) conn.setRetransmitTimeout?.(DEFAULTS.retransmit.initial);
        }
        this.#offer(dtls);
      },
      (error: unknown) => {
        peer.handshaking = false;
        this.#handshaking--;
        if (error instanceof DtlsError && error.code === 'handshake_timeout') this.#stats.handshakeTimeouts++;
        else if (!this.#closing) this.#stats.handshakeFailures++;
        if (this.#listened?.has('handshakeerror'))
          this.dispatchEvent(new CustomEvent<HandshakeErrorDetail>('handshakeerror', { detail: { address, port, error } }));
      },
    );
    for (const d of first) this.#deliver(peer, d);
  }

  #remove(key: string, peer: Peer): void {
    if (this.#peers.get(key) !== peer) return;
    this.#peers.delete(key);
    for (const k of peer.cids) if (this.#byCid.get(k) === peer) this.#byCid.delete(k);
    peer.cids = NO_CIDS;
    addDrops(this.#pastDrops, peer.dtls.stats.dropped);
  }

  #offer(dtls: DtlsStream): void {
    if (this.#acceptOpen && !this.#closing) this.#accepted.enqueue(dtls);
    else void dtls.close();
  }
}

/** Hooks for the next DtlsServer constructed (set only by listen() for its call). */
let nextHooks: ListenHooks = {};

/**
 * Serves DTLS on a datagram socket. Cookies (HelloVerifyRequest) are on unless
 * options.requireCookie is false. Accepted connections come from
 * `for await (const conn of server)` or `server.connections`.
 */
export function listen(socket: DatagramSocket, options?: ListenOptions): DtlsServer;
/** @internal Tests replace the core or the cookie gate. */
export function listen(socket: DatagramSocket, options: ListenOptions, hooks: ListenHooks): DtlsServer;
export function listen(socket: DatagramSocket, options: ListenOptions = {}, hooks: ListenHooks = {}): DtlsServer {
  nextHooks = hooks;
  try {
    return new DtlsServer(socket, options);
  } finally {
    nextHooks = {};
  }
}
