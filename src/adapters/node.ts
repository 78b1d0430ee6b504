// Node's dgram as datagram streams. The caller owns the socket: closing or
// cancelling these streams only detaches from it; closing the socket ends the
// readable. UDP cannot push back, so the readable's queue is bounded and
// overflow is dropped and counted.
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv6 } from 'node:net';
import { DtlsError } from '../errors.ts';
import type { Datagram, DatagramDuplex, DatagramSocket } from './types.ts';

/** Options of the node:dgram adapter. */
export interface NodeUdpOptions {
  /** Datagrams queued for a reader that is behind, before dropping. Default 256. */
  highWaterMark?: number;
}

/** Streams with a drop counter for the readable side. */
export interface NodeUdpSocketStreams extends DatagramSocket {
  /** Datagrams dropped because the readable's queue was full. */
  readonly dropped: number;
  /** Sends whose callback reported an error (the datagram was lost). */
  readonly sendErrors: number;
}

export interface NodeUdpConnectedStreams extends DatagramDuplex {
  readonly dropped: number;
  readonly sendErrors: number;
  /** Port-unreachable reports (connected sockets) after the peer had answered, ignored. */
  readonly unreachable: number;
}

interface Counts {
  dropped: number;
  sendErrors: number;
  unreachable: number;
}

function withCounts<T extends object>(streams: T, counts: Counts, extra: (keyof Counts)[] = []): T & Readonly<Counts> {
  const props: PropertyDescriptorMap = {};
  for (const k of ['dropped', 'sendErrors', ...extra] as const) props[k] = { get: () => counts[k], enumerable: true };
  return Object.defineProperties(streams, props) as T & Readonly<Counts>;
}

type Accept = (address: string, port: number) => boolean;

/** "::ffff:1.2.3.4" (a v4 peer on a udp6 socket) compares as "1.2.3.4". */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function sendTo(socket: Socket, data: Uint8Array, port: number, address: string, counter: Counts): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      // A failed send to one peer (e.g. unreachable) is a lost datagram, not a dead socket.
      socket.send(data, port, address, (err) => {
        if (err) counter.sendErrors++;
        resolve();
      });
    } catch (e) {
      reject(e); // the socket is closed
    }
  });
}

/** A socket error handled by the adapter: true when it was dealt with (the readable goes on). */
type ErrorFilter = (err: NodeJS.ErrnoException, fail: (reason: unknown) => void) => boolean;

/** Datagrams from `socket` whose source passes `accept` (once `ready` settles), mapped by `wrap`. */
function socketReadable<T>(
  socket: Socket,
  hwm: number,
  ready: Promise<Accept>,
  wrap: (data: Uint8Array, address: string, port: number) => T,
  onDrop: () => void,
  filter: ErrorFilter = () => false,
  started: (fail: (reason: unknown) => void) => void = () => {},
): ReadableStream<T> {
  let detach = (): void => {};
  return new ReadableStream<T>(
    {
      start: (controller) => {
        let accept: Accept | undefined; // datagrams before `ready` are ignored
        const onMessage = (msg: Buffer, rinfo: { address: string; port: number }): void => {
          if (!accept?.(plainAddress(rinfo.address), rinfo.port)) return;
          if ((controller.desiredSize ?? 0) <= 0) return onDrop();
          controller.enqueue(wrap(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), rinfo.address, rinfo.port));
        };
        const onClose = (): void => {
          detach();
          controller.close();
        };
        const fail = (err: unknown): void => {
          detach();
          controller.error(err);
        };
        const onError = (err: Error): void => {
          if (!filter(err as NodeJS.ErrnoException, fail)) fail(err);
        };
        started(fail);
        detach = () => {
          detach = () => {};
          socket.off('message', onMessage);
          socket.off('close', onClose);
          socket.off('error', onError);
        };
        socket.on('message', onMessage);
        socket.on('close', onClose);
        socket.on('error', onError);
        ready.then((a) => void (accept = a), onError);
      },
      cancel: () => detach(),
    },
    { highWaterMark: hwm },
  );
}

function highWaterMark(opts: NodeUdpOptions): number {
  const hwm = opts.highWaterMark ?? 256;
  if (!Number.isInteger(hwm) || hwm < 1) throw new RangeError('highWaterMark must be an integer >= 1');
  return hwm;
}

/** 4 or 6 when the socket is bound, else 0 (any). */
function boundFamily(socket: Socket): 0 | 4 | 6 {
  try {
    return socket.address().family === 'IPv6' ? 6 : 4;
  } catch {
    return 0;
  }
}

/** A dgram socket as { readable, writable } of Datagrams (any peer); for listen(). */
export function nodeUdpSocket(socket: Socket, opts: NodeUdpOptions = {}): NodeUdpSocketStreams {
  const counts: Counts = { dropped: 0, sendErrors: 0, unreachable: 0 };
  const readable = socketReadable<Datagram>(
    socket,
    highWaterMark(opts),
    Promise.resolve(() => true),
    (data, address, port) => ({ data, address, port }),
    () => void counts.dropped++,
  );
  const writable = new WritableStream<Datagram>({
    write: (d) => sendTo(socket, d.data, d.port, d.address, counts),
  });
  return withCounts({ readable, writable }, counts);
}

/** The peer of a connected socket, else undefined. */
function remoteOf(socket: Socket): { address: string; port: number } | undefined {
  try {
    return socket.remoteAddress();
  } catch {
    return undefined; // ERR_SOCKET_DGRAM_NOT_CONNECTED
  }
}

/** "host:port", with IPv6 literals in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A dgram socket as a duplex to one peer (host, port): datagrams from anyone
 * else are ignored. For connect(). A host name is resolved once.
 *
 * On a connected socket (see connectUdp()) the kernel reports an ICMP port
 * unreachable as ECONNREFUSED: until the peer has sent anything this errors
 * the readable with DtlsError('closed', "no DTLS server at HOST:PORT (port
 * unreachable)"), so a handshake to a closed port fails at once instead of
 * retransmitting until its timeout. Once the peer has answered, such reports
 * are counted and ignored, as TCP treats them once connected (RFC 5461 4.1):
 * a forged ICMP message must not end an established connection.
 */
export function nodeUdpConnected(socket: Socket, host: string, port: number, opts: NodeUdpOptions = {}): NodeUdpConnectedStreams {
  const counts: Counts = { dropped: 0, sendErrors: 0, unreachable: 0 };
  const connected = remoteOf(socket) !== undefined;
  const addresses = isIP(host) ? Promise.resolve([host]) : lookup(host, { all: true, family: boundFamily(socket) }).then((list) => list.map((a) => a.address));
  let heard = false;
  const ready = addresses.then((list): Accept => {
    const allowed = new Set(list.map(plainAddress));
    return (address, p) => {
      const ok = p === port && allowed.has(address);
      if (ok) heard = true;
      return ok;
    };
  });
  let failReadable: ((reason: unknown) => void) | undefined;
  const refused: ErrorFilter = (err, fail) => {
    if (err.code !== 'ECONNREFUSED' || !connected) return false;
    if (heard) counts.unreachable++;
    else fail(new DtlsError('closed', `no DTLS server at ${hostPort(host, port)} (port unreachable)`, { cause: err }));
    return true;
  };
  const readable = socketReadable<Uint8Array>(
    socket,
    highWaterMark(opts),
    ready,
    (data) => data,
    () => void counts.dropped++,
    refused,
    (fail) => void (failReadable = fail),
  );
  const writable = new WritableStream<Uint8Array>({
    write: async (data) => {
      if (!connected) return sendTo(socket, data, port, (await addresses)[0]!, counts);
      return new Promise<void>((resolve, reject) => {
        try {
          socket.send(data, (err) => {
            if (err) {
              counts.sendErrors++;
              if (failReadable) refused(err, failReadable);
            }
            resolve();
          });
        } catch (e) {
          reject(e); // the socket is closed
        }
      });
    },
  });
  return withCounts({ readable, writable }, counts, ['unreachable']);
}

/**
 * A UDP socket bound to any free port and connected to (host, port), for
 * nodeUdpConnected(): the kernel then reports an ICMP port unreachable, so a
 * client learns at once that nothing listens there. A host name is resolved
 * once (IPv4 first).
 */
export async function connectUdp(host: string, port: number): Promise<Socket> {
  const address = isIP(host) ? host : await lookup(host, { all: true }).then((all) => (all.find((a) => a.family === 4) ?? all[0]!).address);
  const socket = await bindUdp({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

/** Creates and binds a UDP socket (port 0: any free port). The type follows the address when not given. */
export async function bindUdp(opts: { address?: string; port?: number; type?: 'udp4' | 'udp6' } = {}): Promise<Socket> {
  const type = opts.type ?? (opts.address && isIPv6(opts.address) ? 'udp6' : 'udp4');
  const socket = createSocket(type);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.port ?? 0, opts.address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}
