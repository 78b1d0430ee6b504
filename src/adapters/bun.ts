// Bun's native UDP (Bun.udpSocket) as datagram streams. Bun's own types are not
// needed: the little of its API used here is typed locally, so this module
// typechecks under Node and imports no Node built-in. (node:dgram also works
// in Bun, with the adapters in ./node.ts.)
//
// A Bun socket delivers datagrams to handlers given at creation or through
// socket.reload({ socket: handlers }); the adapter installs its own, so use one
// adapter per socket. Bun reports no 'close' event: end the streams and the
// socket together with the returned close(). Closing the writable or cancelling
// the readable only detaches. UDP cannot push back: the readable's queue is
// bounded and overflow is dropped and counted. send() returning false (the
// kernel buffer is full) makes the write wait for Bun's 'drain' and retry.
import type { Datagram, DatagramDuplex, DatagramSocket } from './types.ts';
import { peerAddresses } from './deno.ts';

/** The handlers Bun calls (the `socket` option of Bun.udpSocket). */
export interface BunUdpHandlers {
  /** A datagram arrived from address:port. */
  data?(socket: BunUdpSocketLike, data: Uint8Array, port: number, address: string): void;
  /** The socket can take more sends. */
  drain?(socket: BunUdpSocketLike): void;
  /** The socket failed. */
  error?(socket: BunUdpSocketLike, error: Error): void;
}

/** The part of Bun's UDPSocket used here (an unconnected socket). */
export interface BunUdpSocketLike {
  /** Sends one datagram; false when the socket's buffer is full (then `drain` follows). */
  send(data: Uint8Array, port: number, address: string): boolean;
  /** Closes the socket. */
  close(): void;
  readonly closed: boolean;
  readonly port: number;
  readonly hostname: string;
  /** Replaces the socket's handlers. */
  reload(options: { socket: BunUdpHandlers }): void;
}

/** Options of the Bun adapter. */
export interface BunUdpOptions {
  /** Datagrams queued for a reader that is behind, before dropping. Default 256. */
  highWaterMark?: number;
}

/** What the Bun adapter adds to the streams: counters and close(). */
export interface BunUdpStreams {
  /** Datagrams dropped because the readable's queue was full. */
  readonly dropped: number;
  /** Closes the socket and ends the readable (Bun has no close event to watch). */
  close(): void;
}

interface State {
  dropped: number;
  end: () => void;
}

function highWaterMark(opts: BunUdpOptions): number {
  const hwm = opts.highWaterMark ?? 256;
  if (!Number.isInteger(hwm) || hwm < 1) throw new RangeError('highWaterMark must be an integer >= 1');
  return hwm;
}

function plain(address: string): string {
  return address.startsWith('::ffff:') && /^[0-9.]+$/.test(address.slice(7)) ? address.slice(7) : address;
}

/** Installs handlers on `socket`; returns the readable and a writer of (data, port, address). */
function attach<T>(
  socket: BunUdpSocketLike,
  hwm: number,
  map: (data: Uint8Array, address: string, port: number) => T | undefined,
): { readable: ReadableStream<T>; send: (data: Uint8Array, port: number, address: string) => Promise<void>; state: State } {
  const state: State = { dropped: 0, end: () => {} };
  let drainWaiters: Array<() => void> = [];
  const drained = (): void => {
    const w = drainWaiters;
    drainWaiters = [];
    for (const f of w) f();
  };
  let controller!: ReadableStreamDefaultController<T>;
  let open = true;
  const readable = new ReadableStream<T>(
    {
      start: (c) => {
        controller = c;
      },
      cancel: () => void (open = false),
    },
    { highWaterMark: hwm },
  );
  state.end = () => {
    if (!open) return;
    open = false;
    controller.close();
    drained();
  };
  socket.reload({
    socket: {
      data: (_s, data, port, address) => {
        if (!open) return;
        // Bun hands a Buffer; keep a plain Uint8Array copy (the application may hold it).
        const value = map(new Uint8Array(data), address, port);
        if (value === undefined) return;
        if ((controller.desiredSize ?? 0) <= 0) return void state.dropped++;
        controller.enqueue(value);
      },
      drain: () => drained(),
      error: () => {}, // a failed send or receive loses one datagram; DTLS retransmits
    },
  });
  const send = async (data: Uint8Array, port: number, address: string): Promise<void> => {
    for (;;) {
      if (socket.closed) throw new Error('socket is closed');
      if (socket.send(data, port, address)) return;
      // Backpressure: wait for 'drain' (or 50 ms, in case it never comes), then retry.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        drainWaiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  };
  return { readable, send, state };
}

function finish<T extends object>(streams: T, socket: BunUdpSocketLike, state: State): T & BunUdpStreams {
  return Object.defineProperties(streams, {
    dropped: { get: () => state.dropped, enumerable: true },
    close: {
      value: () => {
        if (!socket.closed) socket.close();
        state.end();
      },
    },
  }) as T & BunUdpStreams;
}

/** A Bun UDP socket as { readable, writable } of Datagrams (any peer); for listen(). */
export function bunUdpSocket(socket: BunUdpSocketLike, opts: BunUdpOptions = {}): DatagramSocket & BunUdpStreams {
  const { readable, send, state } = attach<Datagram>(socket, highWaterMark(opts), (data, address, port) => ({ data, address, port }));
  const writable = new WritableStream<Datagram>({ write: (d) => send(d.data, d.port, d.address) });
  return finish({ readable, writable }, socket, state);
}

/**
 * A Bun UDP socket as a duplex to one peer (an IP address or "localhost", and
 * a port): datagrams from anyone else are ignored. For connect().
 */
export function bunUdpConnected(socket: BunUdpSocketLike, host: string, port: number, opts: BunUdpOptions = {}): DatagramDuplex & BunUdpStreams {
  const allowed = peerAddresses(host);
  const sendTo = host === 'localhost' ? '127.0.0.1' : [...allowed][0]!;
  const { readable, send, state } = attach<Uint8Array>(socket, highWaterMark(opts), (data, address, p) =>
    p === port && allowed.has(plain(address)) ? data : undefined,
  );
  const writable = new WritableStream<Uint8Array>({ write: (data) => send(data, port, sendTo) });
  return finish({ readable, writable }, socket, state);
}

/** Bun.udpSocket({ hostname, port }) (port 0: any free port), ready for bunUdpSocket / bunUdpConnected. */
export async function bindBunUdp(opts: { hostname?: string; port?: number } = {}): Promise<BunUdpSocketLike> {
  const bun = (globalThis as { Bun?: { udpSocket?: (o: object) => Promise<BunUdpSocketLike> } }).Bun;
  if (typeof bun?.udpSocket !== 'function') throw new TypeError('not running in Bun');
  // Handlers must exist at creation for reload() to take effect later.
  return bun.udpSocket({ hostname: opts.hostname ?? '0.0.0.0', port: opts.port ?? 0, socket: { data: () => {} } });
}
