// One DTLS connection as Web Streams. This class drives a sans-IO ConnectionLike:
// after every input (datagram, plaintext, timeout, close) it drains the core's
// outputs into the streams and events, then arms one real timer at pollTimeout().
//
// Lifecycle, as a user sees it:
// - Nothing starts (no datagram, no timer) until the stream is used: outbound.readable
//   read or piped, or a write to either writable. A DtlsStream made and dropped holds
//   nothing, so it never keeps a process alive.
// - A clean end (close_notify either way, close(), a writable closed) closes both
//   readables and leaves the writables open: the idiomatic pipes
//   (`inbound.readable.pipeTo(outbound.writable)`, `socket.readable.pipeTo(inbound.writable)`)
//   then resolve instead of rejecting. Datagrams that arrive later are dropped and
//   counted (RFC 5246 7.2.1: nothing after close_notify is read); plaintext written
//   after the peer's close_notify is discarded and counted (the peer ignores it);
//   plaintext written after our own close() rejects, as that is the app's mistake.
// - A failure (fatal alert, timeout, a broken transport) errors inbound.readable and
//   both writables with the DtlsError: only real failures reject.
//
//   network ──► inbound.writable ──┐              ┌──► inbound.readable ──► app
//                                  │  Connection  │
//   network ◄── outbound.readable ◄┘              └─── outbound.writable ◄── app
import type { ConnectionIdInfo, ConnectionLike, ConnectionState, HandshakeInfo } from '../connection-types.ts';
import { DtlsError, type AlertName } from '../errors.ts';
import type { DtlsOptions } from '../options.ts';
import { systemClock, type Clock } from './clock.ts';
import { DeadlineTimer } from './deadline-timer.ts';
import { defaultConnection } from './default-connection.ts';
import { DtlsEvent, DtlsEventTarget, toDtlsEvent } from './events.ts';
import { highWaterMark, type DtlsStreamSetup } from './setup.ts';
import { Outcome, closedError } from './outcome.ts';
import { kStream, Side } from './side.ts';
import { streamStats, type DtlsStreamStats } from './stats.ts';
import { AttachedTransport, flushed, registerTransportHooks } from './transport.ts';

export type { DtlsStreamSetup } from './setup.ts';
export type { DtlsStreamStats } from './stats.ts';
export type { DtlsEventListener, DtlsEventListenerObject } from './events.ts';

const kFromConnection = Symbol('DtlsStream.fromConnection');
/** The timer's callback, one for every stream (set by the class's static block, which reaches its private state). */
let onDeadline: (stream: DtlsStream) => void;
const noop = (): void => {};

/**
 * Streams around any {@link ConnectionLike} (the sans-IO core of
 * dtls-stream/core, or another implementation of the same contract): the
 * stream drives it (timers from `setup.clock`, default the system clock).
 */
export function wrapConnection(conn: ConnectionLike, setup: DtlsStreamSetup = {}): DtlsStream {
  return DtlsStream.fromConnection(conn, setup);
}

/**
 * One DTLS connection as Web Streams: `inbound` (ciphertext datagrams in,
 * plaintext out) and `outbound` (plaintext in, ciphertext datagrams out).
 * The handshake, retransmissions, alerts and close_notify run inside.
 *
 * It starts when first used (outbound.readable read or piped, or a write to
 * either writable). A clean close ends the readables and lets pipes resolve;
 * a failure errors the streams with a {@link DtlsError}.
 *
 * ```ts
 * const dtls = new DtlsStream({ role: 'client', verify: { fingerprints: [fp] } });
 * socket.readable.pipeThrough(dtls.inbound).pipeTo(app.writable);
 * app.readable.pipeThrough(dtls.outbound).pipeTo(socket.writable);
 * ```
 */
export class DtlsStream extends DtlsEventTarget {
  /** Ciphertext datagrams in (writable), plaintext messages out (readable). */
  readonly inbound: { readonly writable: WritableStream<Uint8Array>; readonly readable: ReadableStream<Uint8Array> };
  /** Plaintext in (writable), ciphertext datagrams out (readable). */
  readonly outbound: { readonly writable: WritableStream<Uint8Array>; readonly readable: ReadableStream<Uint8Array> };
  /** Resolves when the handshake completes; rejects with the DtlsError if it never does. */
  readonly handshake: Promise<HandshakeInfo>;
  /** Resolves when the connection closes; rejects with the DtlsError when it fails. */
  readonly closed: Promise<void>;
  /** The peer's address, when known (connections accepted by listen()). */
  readonly remote: { readonly address: string; readonly port: number } | undefined;

  readonly #conn: ConnectionLike;
  /** Settles `handshake` and `closed`. */
  readonly #outcome = new Outcome();
  readonly #clock: Clock;
  /** One real timer, at the core's pollTimeout(). */
  readonly #timer: DeadlineTimer<DtlsStream>;
  // The four streams are made when first asked for (or, for the readables, when
  // something is to be queued): a Web Stream costs 2-4.5 KiB in Node, and a
  // server's connections need only two of them (attachTransport).
  readonly #inHwm: number;
  readonly #outHwm: number;
  #inReadable: ReadableStream<Uint8Array> | undefined;
  #inWritable: WritableStream<Uint8Array> | undefined;
  #outReadable: ReadableStream<Uint8Array> | undefined;
  #outWritable: WritableStream<Uint8Array> | undefined;
  #inRead: ReadableStreamDefaultController<Uint8Array> | undefined;
  #outRead: ReadableStreamDefaultController<Uint8Array> | undefined;
  #inWrite: WritableStreamDefaultController | undefined;
  #outWrite: WritableStreamDefaultController | undefined;
  /** Set by attachTransport (./transport.ts): datagrams go there instead of outbound.readable. */
  #transport: AttachedTransport | undefined;
  #inOpen = true; // inbound.readable still takes messages
  #outOpen = true; // outbound.readable still takes datagrams
  #inWriteClosing = false;
  #outWriteClosing = false;
  #started = false;
  #closing = false;
  #finished = false;
  #error: DtlsError | undefined;
  #draining = false;
  #dirty = false;
  #closeDispatched = false;
  #inboundOverflow = 0;
  #discardedAfterClose = 0;
  /** The peer's close_notify ended the connection (not our close()). */
  #closedByPeer = false;
  #transportError: unknown;
  #wakeWriter: (() => void) | undefined;

  /** @internal Wraps a connection (listen(), connect(), tests); the public form is `wrapConnection` in dtls-stream/core. */
  static fromConnection(conn: ConnectionLike, setup: DtlsStreamSetup = {}): DtlsStream {
    return new DtlsStream(kFromConnection, conn, setup);
  }

  /** A new connection; options are validated now (TypeError/RangeError on misuse). */
  constructor(options?: DtlsOptions);
  /** @internal */
  constructor(token: typeof kFromConnection, conn: ConnectionLike, setup: DtlsStreamSetup);
  constructor(options: DtlsOptions | typeof kFromConnection = {}, conn?: ConnectionLike, setup: DtlsStreamSetup = {}) {
    super();
    if (options === kFromConnection) {
      if (!conn) throw new TypeError('DtlsStream.fromConnection: a connection is required');
      this.#conn = conn;
    } else {
      this.#conn = defaultConnection.prepare(options).createConnection();
      setup = { clock: options.clock };
    }
    this.#clock = setup.clock ?? systemClock;
    this.#timer = new DeadlineTimer<DtlsStream>(this.#clock, this, onDeadline);
    this.remote = setup.remote ? { ...setup.remote } : undefined;
    this.#inHwm = highWaterMark(setup.inboundHighWaterMark, 64, 'inboundHighWaterMark');
    this.#outHwm = highWaterMark(setup.outboundHighWaterMark, 16, 'outboundHighWaterMark');

    this.handshake = this.#outcome.handshake;
    this.closed = this.#outcome.closed;
    this.inbound = new Side(this, true);
    this.outbound = new Side(this, false);
  }

  static {
    onDeadline = (stream) => stream.#run((now) => stream.#conn.handleTimeout(now));
    registerTransportHooks({
      sent: (stream) => stream.#wake(),
      failed: (stream) => stream.#transportFailed(),
      attach: (stream, send, start) => {
        if (stream.#started || stream.#outReadable || stream.#inWritable) throw new TypeError('attachTransport: the stream is already in use');
        stream.#transport = new AttachedTransport(stream, send, stream.#outHwm);
        // `start`: begin now (a client), as a pipe reading outbound.readable would; after this
        // turn, so that listeners added right after attaching see the first events.
        if (start) queueMicrotask(() => stream.#ensureStarted());
      },
      end: (stream, reason) => {
        if (reason !== undefined) stream.#transportError ??= reason;
        return stream.#endWritable('in');
      },
      deliver: (stream, datagram) => {
        try {
          stream.#receive(datagram);
        } catch {
          // A finished stream refuses datagrams; the transport has nowhere to report it.
        }
      },
    });
  }

  /** @internal The streams behind `inbound` and `outbound`, made on first use. */
  [kStream](inbound: boolean, readable: boolean): ReadableStream<Uint8Array> | WritableStream<Uint8Array> {
    if (inbound) return readable ? this.#inReadableStream() : this.#inWritableStream();
    return readable ? this.#outReadableStream() : this.#outWritableStream();
  }

  #inWritableStream(): WritableStream<Uint8Array> {
    if (this.#inWritable) return this.#inWritable;
    this.#inWritable = new WritableStream<Uint8Array>({
      start: (c) => void (this.#inWrite = c),
      write: (datagram) => this.#receive(datagram),
      // The transport stopped delivering: close the connection.
      close: () => this.#endWritable('in'),
      // A transport error (a pipe aborting us) is kept as the cause.
      abort: (reason: unknown) => {
        this.#transportError ??= reason;
        return this.#endWritable('in');
      },
    });
    // The attached transport delivers instead: locked, as the owner's writer would hold it.
    if (this.#transport) this.#inWritable.getWriter();
    return this.#inWritable;
  }

  #inReadableStream(): ReadableStream<Uint8Array> {
    if (this.#inReadable) return this.#inReadable;
    this.#inReadable = new ReadableStream<Uint8Array>(
      {
        start: (c) => void (this.#inRead = c),
        // The app stopped reading: later plaintext is discarded.
        cancel: () => void (this.#inOpen = false),
      },
      { highWaterMark: this.#inHwm },
    );
    // First asked for after the end, or after the peer's close_notify: it ends as the connection did.
    if (this.#finished || !this.#inOpen) {
      this.#inOpen = false;
      if (this.#error) this.#inRead!.error(this.#error);
      else this.#inRead!.close();
    }
    return this.#inReadable;
  }

  #outWritableStream(): WritableStream<Uint8Array> {
    if (this.#outWritable) return this.#outWritable;
    this.#outWritable = new WritableStream<Uint8Array>({
      start: (c) => void (this.#outWrite = c),
      write: (plaintext) => this.#send(plaintext),
      // The app's writer.close() means close(): send close_notify.
      close: () => this.#endWritable('out'),
      abort: () => this.#endWritable('out'),
    });
    if (this.#finished && this.#error) this.#outWrite!.error(this.#error);
    return this.#outWritable;
  }

  #outReadableStream(): ReadableStream<Uint8Array> {
    if (this.#outReadable) return this.#outReadable;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => void (this.#outRead = c),
        // The first pull comes right after construction, reader or not; a
        // reader or pipe (the stream is locked) means the stream is in use.
        pull: () => {
          if (stream.locked) this.#ensureStarted();
          this.#wake();
        },
        // Nobody carries our datagrams any more: later ones are discarded. Not
        // closed here (a peer's alert may still be on its way in); whoever
        // owned the pipe (connect(), listen()) closes the connection.
        cancel: () => {
          this.#outOpen = false;
          this.#wake();
        },
      },
      { highWaterMark: this.#outHwm },
    );
    this.#outReadable = stream;
    // Datagrams go to the attached transport: locked, as the owner's reader would hold it.
    if (this.#transport) stream.getReader();
    else if (this.#finished) this.#outRead!.close();
    return stream;
  }

  get state(): ConnectionState {
    if (this.#finished) return this.#error ? 'failed' : 'closed';
    return this.#conn.state;
  }

  get stats(): DtlsStreamStats {
    return streamStats(this.#conn.stats, this.#inboundOverflow, this.#discardedAfterClose);
  }

  /** What the handshake negotiated, once it completed. */
  get info(): HandshakeInfo | undefined {
    return this.#conn.handshakeInfo;
  }

  /** RFC 5705 keying material exporter (e.g. label "EXTRACTOR-dtls_srtp"); throws before the handshake completes. */
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array {
    return this.#conn.exportKeyingMaterial(label, context, length);
  }

  /**
   * DTLS 1.3: replaces our sending keys with a KeyUpdate (RFC 8446 4.6.3,
   * RFC 9147 8), resent until the peer ACKs it; records use the new keys from
   * that ACK on. `requestPeerUpdate` asks the peer to replace its keys too.
   * A call while one waits for its ACK is covered by it (a request for the
   * peer's update it lacked follows right after). KeyUpdates
   * also start by themselves before the AEAD usage limits (RFC 9147 4.5.3).
   * Throws a TypeError before the handshake completed or under DTLS 1.2, the
   * connection's error once it is closed.
   */
  updateKeys(options: { requestPeerUpdate?: boolean } = {}): void {
    if (this.#finished) throw this.#error ?? closedError();
    if (!this.#conn.updateKeys) throw new TypeError('updateKeys(): this connection cannot update its keys');
    this.#conn.updateKeys(this.#clock.now(), options);
    this.#drain();
  }

  /**
   * Changes the largest datagram this connection sends, from the next one on
   * (a new flight, a resend of the flight in progress fragmented anew, ACKs):
   * after path MTU discovery or an ICE switch to a relay with a smaller MTU.
   * Nothing is sent now; records of application data are not split (send's
   * bound stays 2^14 bytes). RangeError outside 128..65507, as options.mtu.
   */
  setMtu(mtu: number): void {
    if (!this.#conn.setMtu) throw new TypeError('setMtu(): this connection cannot change its MTU');
    this.#conn.setMtu(mtu);
  }

  /**
   * Sets the retransmission timeout flights start with, ms (retransmit.initial
   * and its floor min), e.g. once the path's round trip is known: the next
   * flight's timer starts at it, and a running one is rescaled from when it
   * started (its doublings kept), which may fire it at once. RangeError unless
   * 0 < ms <= retransmit.max.
   */
  setRetransmitTimeout(ms: number): void {
    if (!this.#conn.setRetransmitTimeout) throw new TypeError('setRetransmitTimeout(): this connection cannot change its timer');
    this.#conn.setRetransmitTimeout(ms);
    // The deadline may have moved: the real timer follows (a deadline now or past fires at once).
    if (this.#started) this.#drain();
  }

  /**
   * Sends close_notify, then ends outbound.readable (after the alert) and
   * inbound.readable. Resolves once the connection is closed and any attached
   * pipe has carried the alert out. Never rejects.
   */
  async close(): Promise<void> {
    this.#requestClose();
    await this.closed.then(noop, noop);
    await flushed(this);
    await this.#transport?.last;
  }

  /**
   * Ends the connection now with a fatal alert of your choice (RFC 8446 6.2,
   * RFC 5246 7.2.2), e.g. 'access_denied' for a peer the application refuses
   * after its handshake. The streams error with a DtlsError of code 'aborted'
   * whose `alert` is the one sent. Resolves once the connection ended and any
   * attached pipe carried the alert out; rejects with a RangeError for
   * close_notify (that is close()) or a number outside 1..255, and does nothing
   * once the connection ended.
   */
  async abort(alert: AlertName | number): Promise<void> {
    if (!this.#conn.abort) throw new TypeError('abort(): this connection cannot send an alert of your choice');
    if (!this.#finished) {
      // Misuse throws here, before anything changes; a stream never started sends nothing.
      this.#conn.abort(this.#clock.now(), alert);
      if (this.#started) this.#drain();
      else this.#finalize(this.#conn.error);
    }
    await this.closed.then(noop, noop);
    await flushed(this);
    await this.#transport?.last;
  }

  // ---- DTLS 1.3 connection IDs (RFC 9147 9; options.connectionId on both sides) ----

  /** The CIDs in use once negotiated: ours (records to us carry one), the peer's, its spares; undefined without them. */
  get connectionIds(): ConnectionIdInfo | undefined {
    return this.#conn.connectionIds;
  }

  /** Sends the peer `count` new CIDs of ours (NewConnectionId); 'immediate' (default) makes it use one from now on. TypeError without CIDs. */
  issueConnectionIds(count = 1, usage: 'immediate' | 'spare' = 'immediate'): void {
    this.#cidCall((c, now) => c.issueConnectionIds?.(now, count, usage));
  }

  /** Asks the peer for `count` spare CIDs (RequestConnectionId), one request at a time. TypeError without CIDs. */
  requestConnectionIds(count = 1): void {
    this.#cidCall((c, now) => c.requestConnectionIds?.(now, count));
  }

  /** Puts the peer's next spare CID on what we send from now on (after our address changed); false when none is left. */
  switchConnectionId(): boolean {
    return this.#cidCall((c, now) => c.switchConnectionId?.(now)) ?? false;
  }

  /** Misuse throws here (TypeError, RangeError); what the call sends goes out. */
  #cidCall<T>(f: (c: ConnectionLike, now: number) => T): T {
    if (this.#finished || !this.#conn.issueConnectionIds) throw new TypeError('connection IDs need a connected DTLS 1.3 connection that negotiated them');
    const r = f(this.#conn, this.#clock.now());
    this.#drain();
    return r;
  }

  // ---- inputs ----

  #requestClose(): void {
    if (this.#finished || this.#closing) return;
    this.#closing = true;
    if (this.#started) this.#run((now) => this.#conn.close(now));
    else this.#finalize(undefined); // nothing was ever sent
  }

  #endWritable(which: 'in' | 'out'): Promise<void> {
    if (which === 'in') this.#inWriteClosing = true;
    else this.#outWriteClosing = true;
    return this.close();
  }

  #ensureStarted(): void {
    if (this.#started || this.#finished) return;
    this.#started = true;
    this.#run((now) => this.#conn.start(now));
  }

  #receive(datagram: Uint8Array): void {
    if (!(datagram instanceof Uint8Array)) throw new TypeError('inbound.writable takes Uint8Array datagrams');
    this.#ensureStarted();
    if (this.#finished) {
      if (this.#error) throw this.#error;
      // After a clean close the core drops it and counts it ('after_close').
      this.#conn.handleDatagram(this.#clock.now(), datagram);
      return;
    }
    // As #run, without a closure per datagram.
    try {
      this.#conn.handleDatagram(this.#clock.now(), datagram);
    } catch (e) {
      return this.#fail(e);
    }
    this.#drain();
  }

  // Async on purpose, even when nothing waits: a sink write that completes
  // synchronously lets a writer outrun the pipe carrying outbound.readable, whose
  // queue then stays full, and nearly every write pays the backpressure wait below
  // (measured: 29968 waits in 30000 writes, none with this form) and the stream
  // reached a smaller share of the raw core.
  async #send(plaintext: Uint8Array): Promise<void> {
    if (!(plaintext instanceof Uint8Array)) throw new TypeError('outbound.writable takes Uint8Array messages');
    this.#ensureStarted();
    for (;;) {
      // Backpressure: wait while outbound.readable's queue is full; pull() wakes us.
      while (!this.#finished && this.#outOpen && this.#outRoom() <= 0) {
        await new Promise<void>((resolve) => (this.#wakeWriter = resolve));
      }
      if (this.#finished) {
        if (this.#error || !this.#closedByPeer) throw this.#error ?? closedError();
        this.#discardedAfterClose++;
        return;
      }
      const early = this.#conn.state === 'idle' || this.#conn.state === 'handshaking';
      try {
        this.#conn.send(this.#clock.now(), plaintext);
        return;
      } catch (e) {
        // The core's pre-handshake hold is full: wait for the handshake, then try again.
        if (!early || !(e instanceof DtlsError)) throw e;
      } finally {
        this.#drain();
      }
      await this.handshake.then(noop, noop);
    }
  }

  /** Feeds one input to the core, then drains. A throw from the core is a bug: fail the stream. */
  #run(input: (now: number) => void): void {
    if (this.#finished) return;
    try {
      input(this.#clock.now());
    } catch (e) {
      this.#fail(e);
      return;
    }
    this.#drain();
  }

  // ---- outputs ----

  #drain(): void {
    if (this.#finished) return;
    if (this.#draining) {
      // Re-entered from an event listener: the outer loop picks the new output up.
      this.#dirty = true;
      return;
    }
    this.#draining = true;
    try {
      do {
        this.#dirty = false;
        this.#drainOnce();
      } while (this.#dirty);
    } catch (e) {
      this.#draining = false;
      this.#fail(e);
      return;
    }
    this.#draining = false;
    this.#settle();
  }

  /** Datagrams the outbound side takes before plaintext writers wait (pull() or a finished send wakes them). */
  #outRoom(): number {
    if (this.#transport) return this.#transport.room;
    this.#outReadableStream();
    return this.#outRead!.desiredSize ?? 0;
  }

  #emit(datagram: Uint8Array): void {
    if (this.#transport) return this.#transport.send(datagram);
    this.#outReadableStream();
    this.#outRead!.enqueue(datagram);
  }

  /** The attached transport could not send: as when a pipe cancels outbound.readable, then the connection closes. */
  #transportFailed(): void {
    if (!this.#outOpen) return;
    this.#outOpen = false;
    this.#wake();
    void this.close();
  }

  #drainOnce(): void {
    const conn = this.#conn;
    for (let d = conn.pollTransmit(); d !== undefined; d = conn.pollTransmit()) {
      if (this.#outOpen) this.#emit(d);
    }
    for (let m = conn.pollReceived(); m !== undefined; m = conn.pollReceived()) {
      if (!this.#inOpen) continue;
      this.#inReadableStream();
      // Like UDP, drop rather than buffer without bound when the app is not reading.
      if ((this.#inRead!.desiredSize ?? 0) <= 0) this.#inboundOverflow++;
      else this.#inRead!.enqueue(m);
    }
    for (let e = conn.pollEvent(); e !== undefined; e = conn.pollEvent()) {
      if (e.type === 'close') this.#closeDispatched = true;
      if (this.listens(e.type)) this.dispatchEvent(toDtlsEvent(e));
    }
  }

  /** After a drain: settle promises, finish on close/failure, re-arm the timer. */
  #settle(): void {
    if (this.#finished) return;
    const conn = this.#conn;
    const info = conn.handshakeInfo;
    if (info) this.#outcome.completed(info);
    const state = conn.state;
    if (state === 'failed') return this.#finalize(conn.error ?? new DtlsError('internal_error', 'the connection failed'));
    // A close requested mid-handshake with data held waits for the handshake (the core flushes, then closes).
    if (state === 'closed' || (this.#closing && state !== 'closing' && state !== 'handshaking')) {
      if (!this.#closing) this.#closedByPeer = true;
      return this.#finalize(undefined);
    }
    if (state === 'closing' && this.#inOpen) {
      this.#inOpen = false;
      this.#inRead?.close();
    }
    this.#timer.set(this.#conn.pollTimeout());
  }

  #wake(): void {
    const wake = this.#wakeWriter;
    this.#wakeWriter = undefined;
    wake?.();
  }

  #fail(e: unknown): void {
    const error = e instanceof DtlsError ? e : new DtlsError('internal_error', 'internal error in the DTLS connection', { cause: e });
    this.#finalize(error);
  }

  /**
   * The end, clean (error undefined) or not. outbound.readable is closed, not
   * errored, so a queued close_notify or fatal alert still reaches the peer.
   */
  #finalize(error: DtlsError | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#error = error;
    this.#timer.cancel();
    // Streams not made yet end the same way when they are (see their makers).
    if (this.#inOpen && this.#inRead) {
      this.#inOpen = false;
      if (error) this.#inRead.error(error);
      else this.#inRead.close();
    }
    if (this.#outOpen) {
      this.#outOpen = false;
      this.#outRead?.close();
    }
    // Only a failure errors the writables; after a clean end, pipes into them finish cleanly.
    if (error) {
      if (!this.#inWriteClosing) this.#inWrite?.error(error);
      if (!this.#outWriteClosing) this.#outWrite?.error(error);
    }
    this.#outcome.end(error, this.#transportError);
    this.#wake();
    if (!this.#closeDispatched) {
      this.#closeDispatched = true;
      if (this.listens('close')) this.dispatchEvent(new DtlsEvent('close', { error }));
    }
  }
}
