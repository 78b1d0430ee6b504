// listen(): many peers on one datagram socket. An unknown peer first passes the
// stateless cookie exchange (RFC 6347 4.2.1); only then does it get a
// Connection, wrapped in a DtlsStream and offered on `connections` once its
// handshake completes. Peers are independent: the socket loop never waits on one.
import type { ConnectionLike } from '../connection-types.ts';
import type { Datagram, DatagramSocket } from '../adapters/types.ts';
import type { DtlsOptions } from '../options.ts';
import { ContentType } from '../wire/types.ts';
import type { Clock } from './clock.ts';
import type { CookieGateLike } from './defaults.ts';
import { defaultConnection } from './default-connection.ts';
import { DtlsStream, trackFlush } from './dtls-stream.ts';

export interface ListenOptions extends DtlsOptions {
  /** Peers (handshaking or connected) kept at once; datagrams from further new peers are dropped. Default 1000. */
  maxConnections?: number;
}

/** Internal test hooks. `cookieGate: null` turns cookies off like requireCookie: false. */
export interface ListenHooks {
  createConnection?: (options: DtlsOptions) => ConnectionLike;
  cookieGate?: CookieGateLike | null;
}

export interface DtlsServerStats {
  /** HelloVerifyRequests sent. */
  cookieReplies: number;
  /** Datagrams from unknown peers that were not an acceptable ClientHello. */
  droppedUnknown: number;
  /** New peers dropped because maxConnections was reached (or a reply could not be queued). */
  droppedOverCapacity: number;
}

interface Peer {
  readonly address: string;
  readonly port: number;
  readonly dtls: DtlsStream;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
}

const noop = (): void => {};

/** `address|port`: unambiguous for IPv6 too. */
function peerKey(address: string, port: number): string {
  return `${address}|${port}`;
}

/** Detail of the server's 'handshakeerror' event: a peer whose handshake failed. */
export interface HandshakeErrorDetail {
  address: string;
  port: number;
  error: unknown;
}

/**
 * Accepts DTLS connections on one socket. Events: 'handshakeerror'
 * (CustomEvent<HandshakeErrorDetail>) for each peer whose handshake failed:
 * such peers never appear on `connections`.
 */
export class DtlsServer extends EventTarget {
  /** Connections whose handshake completed, in order. */
  readonly connections: ReadableStream<DtlsStream>;

  readonly #clock: Clock | undefined;
  readonly #max: number;
  readonly #gate: CookieGateLike | undefined;
  readonly #createConnection: () => ConnectionLike;
  readonly #peers = new Map<string, Peer>();
  readonly #reader: ReadableStreamDefaultReader<Datagram>;
  readonly #writer: WritableStreamDefaultWriter<Datagram>;
  #accepted!: ReadableStreamDefaultController<DtlsStream>;
  #acceptOpen = true;
  #closing: Promise<void> | undefined;
  #stats: DtlsServerStats = { cookieReplies: 0, droppedUnknown: 0, droppedOverCapacity: 0 };

  /** Use listen(). */
  constructor(socket: DatagramSocket, options: ListenOptions, hooks: ListenHooks) {
    super();
    const { maxConnections = 1000, ...rest } = options;
    if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new RangeError('maxConnections must be an integer >= 1');
    this.#max = maxConnections;
    // Each peer's Connection: a server whose cookie exchange was already done here.
    const perPeer: DtlsOptions = { ...rest, role: 'server', requireCookie: false };
    this.#clock = rest.clock;
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

  /** Peers currently known (handshaking or connected). */
  get size(): number {
    return this.#peers.size;
  }

  /** The addresses of the current peers. */
  get addresses(): { address: string; port: number }[] {
    return [...this.#peers.values()].map(({ address, port }) => ({ address, port }));
  }

  get stats(): DtlsServerStats {
    return { ...this.#stats };
  }

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
    const key = peerKey(address, port);
    const peer = this.#peers.get(key);
    if (peer) {
      peer.writer.write(data).catch(noop);
      return;
    }
    if (this.#closing || !this.#acceptOpen) return;
    if (this.#peers.size >= this.#max) {
      this.#stats.droppedOverCapacity++;
      return;
    }
    if (this.#gate) {
      let verdict: ReturnType<CookieGateLike['check']>;
      try {
        verdict = this.#gate.check(data, key);
      } catch {
        verdict = { action: 'drop' };
      }
      if (verdict.action === 'reply') return this.#reply(verdict.datagram, address, port);
      if (verdict.action === 'drop') {
        this.#stats.droppedUnknown++;
        return;
      }
    } else if (data[0] !== ContentType.handshake) {
      // Without cookies, only a handshake record may allocate state.
      this.#stats.droppedUnknown++;
      return;
    }
    this.#accept(data, address, port, key);
  }

  #reply(data: Uint8Array, address: string, port: number): void {
    // Stateless: if the socket is backed up, drop rather than queue (the client retries).
    if ((this.#writer.desiredSize ?? 0) <= 0) {
      this.#stats.droppedOverCapacity++;
      return;
    }
    this.#stats.cookieReplies++;
    this.#writer.write({ data, address, port }).catch(noop);
  }

  #accept(first: Uint8Array, address: string, port: number, key: string): void {
    let dtls: DtlsStream;
    try {
      dtls = DtlsStream.fromConnection(this.#createConnection(), { clock: this.#clock, remote: { address, port } });
    } catch {
      this.#stats.droppedUnknown++;
      return;
    }
    const peer: Peer = { address, port, dtls, writer: dtls.inbound.writable.getWriter() };
    this.#peers.set(key, peer);
    trackFlush(dtls, this.#pump(peer));
    const remove = (): void => {
      if (this.#peers.get(key) === peer) this.#peers.delete(key);
    };
    dtls.closed.then(remove, remove);
    dtls.handshake.then(
      () => this.#offer(dtls),
      (error: unknown) => this.dispatchEvent(new CustomEvent<HandshakeErrorDetail>('handshakeerror', { detail: { address, port, error } })),
    );
    peer.writer.write(first).catch(noop);
  }

  /** Carries one peer's outbound datagrams to the socket, addressed to it. */
  async #pump({ dtls, address, port }: Peer): Promise<void> {
    const reader = dtls.outbound.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        await this.#writer.write({ data: value, address, port });
      }
    } catch {
      // The socket failed: the peer's connection cannot go on.
      reader.cancel().catch(noop);
      void dtls.close();
    }
  }

  #offer(dtls: DtlsStream): void {
    if (this.#acceptOpen && !this.#closing) this.#accepted.enqueue(dtls);
    else void dtls.close();
  }
}

/**
 * Serves DTLS on a datagram socket. Cookies (HelloVerifyRequest) are on unless
 * options.requireCookie is false. The third parameter is for tests.
 */
export function listen(socket: DatagramSocket, options: ListenOptions = {}, hooks: ListenHooks = {}): DtlsServer {
  return new DtlsServer(socket, options, hooks);
}
