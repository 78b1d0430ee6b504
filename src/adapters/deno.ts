// Deno's UDP (Deno.listenDatagram, behind --unstable-net) as datagram streams.
// Deno's own types are not needed: the little of its API used here is typed
// locally, so this module typechecks under Node and imports no Node built-in.
//
// The caller owns the socket: closing the socket (conn.close()) ends the
// readable; cancelling the readable or closing the writable only detaches.
// Reading is pull-based: while nobody reads, datagrams wait in the kernel's
// socket buffer (and are dropped there when it is full, as UDP does) beyond
// `highWaterMark` queued in the stream.
import type { Datagram, DatagramDuplex, DatagramSocket } from './types.ts';

/** Deno.NetAddr for UDP. */
export interface DenoUdpAddr {
  transport: 'udp';
  hostname: string;
  port: number;
}

/** The part of Deno.DatagramConn used here. */
export interface DenoDatagramConnLike {
  /** Waits for the next datagram and its source address. */
  receive(p?: Uint8Array): Promise<[Uint8Array, { transport: string; hostname?: string; port?: number }]>;
  /** Sends one datagram to `addr`. */
  send(p: Uint8Array, addr: DenoUdpAddr): Promise<number>;
  /** Closes the socket. */
  close(): void;
  readonly addr: { transport: string; hostname?: string; port?: number };
}

/** Options of the Deno adapter. */
export interface DenoUdpOptions {
  /** Datagrams read ahead into the stream's queue. Default 16. */
  highWaterMark?: number;
}

/** What the Deno adapter adds to the streams: counters. */
export interface DenoUdpStreams {
  /** Sends that failed for a reason other than a closed socket (the datagram was lost). */
  readonly sendErrors: number;
}

interface Counts {
  sendErrors: number;
}

/** A receive() that failed because the socket was closed (now or before). */
function isClosedError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'BadResource' || name === 'Interrupted';
}

/** Errors a UDP receive may report for one lost exchange (e.g. ICMP unreachable): not fatal. */
function isTransientError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'ConnectionRefused' || name === 'ConnectionReset';
}

function highWaterMark(opts: DenoUdpOptions): number {
  const hwm = opts.highWaterMark ?? 16;
  if (!Number.isInteger(hwm) || hwm < 1) throw new RangeError('highWaterMark must be an integer >= 1');
  return hwm;
}

function readableOf<T>(conn: DenoDatagramConnLike, hwm: number, map: (data: Uint8Array, hostname: string, port: number) => T | undefined): ReadableStream<T> {
  let cancelled = false;
  return new ReadableStream<T>(
    {
      pull: async (controller) => {
        for (;;) {
          let got: Awaited<ReturnType<DenoDatagramConnLike['receive']>>;
          try {
            got = await conn.receive();
          } catch (e) {
            if (cancelled) return;
            if (isTransientError(e)) continue;
            if (isClosedError(e)) return controller.close();
            return controller.error(e);
          }
          if (cancelled) return;
          const [data, from] = got;
          const value = map(data.byteLength * 2 < data.buffer.byteLength ? data.slice() : data, from.hostname ?? '', from.port ?? 0);
          if (value === undefined) continue; // not from the peer we want
          controller.enqueue(value);
          return;
        }
      },
      cancel: () => void (cancelled = true),
    },
    { highWaterMark: hwm },
  );
}

function writableOf<T>(conn: DenoDatagramConnLike, counts: Counts, target: (chunk: T) => [Uint8Array, DenoUdpAddr]): WritableStream<T> {
  return new WritableStream<T>({
    write: async (chunk) => {
      const [data, addr] = target(chunk);
      try {
        await conn.send(data, addr);
      } catch (e) {
        if (isClosedError(e)) throw e;
        counts.sendErrors++; // one lost datagram, not a dead socket
      }
    },
  });
}

function withCounts<T extends object>(streams: T, counts: Counts): T & DenoUdpStreams {
  return Object.defineProperty(streams, 'sendErrors', { get: () => counts.sendErrors, enumerable: true }) as T & DenoUdpStreams;
}

/** A Deno.DatagramConn as { readable, writable } of Datagrams (any peer); for listen(). */
export function denoUdpSocket(conn: DenoDatagramConnLike, opts: DenoUdpOptions = {}): DatagramSocket & DenoUdpStreams {
  const counts: Counts = { sendErrors: 0 };
  const readable = readableOf<Datagram>(conn, highWaterMark(opts), (data, address, port) => ({ data, address, port }));
  const writable = writableOf<Datagram>(conn, counts, (d) => [d.data, { transport: 'udp', hostname: d.address, port: d.port }]);
  return withCounts({ readable, writable }, counts);
}

/** The addresses a datagram from `host` may come from: an IP literal as it is; "localhost" as 127.0.0.1 or ::1. */
export function peerAddresses(host: string): Set<string> {
  if (host === 'localhost') return new Set(['127.0.0.1', '::1']);
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!/^[0-9.]+$/.test(h) && !h.includes(':')) throw new TypeError(`an IP address or "localhost" is needed, not ${JSON.stringify(host)}`);
  return new Set([h.startsWith('::ffff:') ? h.slice(7) : h]);
}

function plain(address: string): string {
  return address.startsWith('::ffff:') && /^[0-9.]+$/.test(address.slice(7)) ? address.slice(7) : address;
}

/**
 * A Deno.DatagramConn as a duplex to one peer (an IP address or "localhost",
 * and a port): datagrams from anyone else are ignored. For connect().
 */
export function denoUdpConnected(conn: DenoDatagramConnLike, host: string, port: number, opts: DenoUdpOptions = {}): DatagramDuplex & DenoUdpStreams {
  const allowed = peerAddresses(host);
  const sendTo = host === 'localhost' ? '127.0.0.1' : [...allowed][0]!;
  const counts: Counts = { sendErrors: 0 };
  const readable = readableOf<Uint8Array>(conn, highWaterMark(opts), (data, address, p) => (p === port && allowed.has(plain(address)) ? data : undefined));
  const writable = writableOf<Uint8Array>(conn, counts, (data) => [data, { transport: 'udp', hostname: sendTo, port }]);
  return withCounts({ readable, writable }, counts);
}

/**
 * Deno.listenDatagram({ transport: 'udp', hostname, port }) (port 0: any free
 * port). Needs `deno run --unstable-net --allow-net`.
 */
export function bindDenoUdp(opts: { hostname?: string; port?: number } = {}): DenoDatagramConnLike & { readonly addr: DenoUdpAddr } {
  const deno = (globalThis as { Deno?: { listenDatagram?: (o: DenoUdpAddr) => DenoDatagramConnLike } }).Deno;
  if (typeof deno?.listenDatagram !== 'function') {
    throw new TypeError(deno ? 'Deno.listenDatagram needs the --unstable-net flag' : 'not running in Deno');
  }
  return deno.listenDatagram({ transport: 'udp', hostname: opts.hostname ?? '0.0.0.0', port: opts.port ?? 0 }) as DenoDatagramConnLike & {
    readonly addr: DenoUdpAddr;
  };
}
