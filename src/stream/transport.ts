// The transport attachment: listen() and connect() bind a DtlsStream straight to
// a datagram transport, without its inbound.writable and outbound.readable
// (about 7 KiB a connection, and two promise hops per datagram). The stream's
// datagrams go to `send`; the owner hands datagrams in with deliverDatagram().
import type { DtlsStream } from './dtls-stream.ts';

/** Sends one datagram; a rejection is a broken transport. */
export type TransportSend = (datagram: Uint8Array) => Promise<unknown>;

/**
 * The entry points into a DtlsStream's private state, handed over once by its
 * static block (only the class can reach its #private fields).
 */
export interface TransportHooks {
  attach(stream: DtlsStream, send: TransportSend, start: boolean): void;
  deliver(stream: DtlsStream, datagram: Uint8Array): void;
  end(stream: DtlsStream, reason: unknown): Promise<void>;
}

let hooks!: TransportHooks;

/** Internal: called once, by DtlsStream's static block. */
export function registerTransportHooks(h: TransportHooks): void {
  hooks = h;
}

/**
 * Internal (listen(), connect()): the stream's datagrams go to `send` instead of
 * outbound.readable, and the owner hands datagrams in with deliverDatagram()
 * instead of writing inbound.writable. Those two streams are then never made;
 * if asked for, they come locked, as they would be to the owner's pipes. A
 * rejected send is a broken transport: the connection closes. Call before the
 * stream is used. `start`: the connection starts (a client sends its
 * ClientHello) without waiting for a datagram.
 */
export function attachTransport(stream: DtlsStream, send: TransportSend, start = false): void {
  hooks.attach(stream, send, start);
}

/** Internal: a datagram from the transport attached with attachTransport (errors of a finished stream are ignored). */
export function deliverDatagram(stream: DtlsStream, datagram: Uint8Array): void {
  hooks.deliver(stream, datagram);
}

/**
 * Internal: the attached transport stopped delivering (as inbound.writable
 * closed, or aborted with `reason`, which a handshake failure then carries as its cause).
 */
export function endTransport(stream: DtlsStream, reason?: unknown): Promise<void> {
  return hooks.end(stream, reason);
}

const noop = (): void => {};
const flushes = new WeakMap<DtlsStream, Promise<unknown>[]>();

/** Internal: close() also waits for `done` (a pipe carrying outbound.readable to the socket). */
export function trackFlush(stream: DtlsStream, done: Promise<unknown>): void {
  const list = flushes.get(stream) ?? [];
  list.push(done.then(noop, noop));
  flushes.set(stream, list);
}

/** Settles once every pipe tracked with trackFlush for `stream` has finished. */
export function flushed(stream: DtlsStream): Promise<unknown> {
  return Promise.all(flushes.get(stream) ?? []);
}

/**
 * An attached transport's sending side: the datagrams it has not finished
 * sending bound how many more the stream hands it before plaintext writers
 * wait (the role outbound.readable's queue plays otherwise).
 */
export class AttachedTransport {
  readonly #send: TransportSend;
  readonly #limit: number;
  readonly #onSent: () => void;
  readonly #onFailed: () => void;
  #inFlight = 0;
  /** The last datagram handed over: close() waits for it. */
  last: Promise<unknown> | undefined;

  /** `onSent`: a datagram went out (room for one more); `onFailed`: the transport could not send. */
  constructor(send: TransportSend, limit: number, onSent: () => void, onFailed: () => void) {
    this.#send = send;
    this.#limit = limit;
    this.#onSent = onSent;
    this.#onFailed = onFailed;
  }

  /** Datagrams it takes before plaintext writers wait. */
  get room(): number {
    return this.#limit - this.#inFlight;
  }

  send(datagram: Uint8Array): void {
    this.#inFlight++;
    this.last = this.#send(datagram).then(
      () => {
        this.#inFlight--;
        this.#onSent();
      },
      () => {
        this.#inFlight--;
        this.#onFailed();
      },
    );
  }
}
