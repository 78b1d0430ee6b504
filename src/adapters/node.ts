// Node's dgram as datagram streams. The caller owns the socket: closing or
// cancelling these streams only detaches from it; closing the socket ends the
// readable. UDP cannot push back, so the readable's queue is bounded and
// overflow is dropped and counted.
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv6 } from 'node:net';
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
}

interface Counts {
  dropped: number;
  sendErrors: number;
}

function withCounts<T extends object>(streams: T, counts: Counts): T & Readonly<Counts> {
  return Object.defineProperties(streams, {
    dropped: { get: () => counts.dropped, enumerable: true },
    sendErrors: { get: () => counts.sendErrors, enumerable: true },
  }) as T & Readonly<Counts>;
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

/** Datagrams from `socket` whose source passes `accept` (once `ready` settles), mapped by `wrap`. */
function socketReadable<T>(
  socket: Socket,
  hwm: number,
  ready: Promise<Accept>,
  wrap: (data: Uint8Array, address: string, port: number) => T,
  onDrop: () => void,
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
        const onError = (err: Error): void => {
          detach();
          controller.error(err);
        };
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
  const counts: Counts = { dropped: 0, sendErrors: 0 };
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

/**
 * A dgram socket as a duplex to one peer (host, port): datagrams from anyone
 * else are ignored. For connect(). A host name is resolved once.
 */
export function nodeUdpConnected(socket: Socket, host: string, port: number, opts: NodeUdpOptions = {}): NodeUdpConnectedStreams {
  const counts: Counts = { dropped: 0, sendErrors: 0 };
  const addresses = isIP(host)
    ? Promise.resolve([host])
    : lookup(host, { all: true, family: boundFamily(socket) }).then((list) => list.map((a) => a.address));
  const ready = addresses.then((list): Accept => {
    const allowed = new Set(list.map(plainAddress));
    return (address, p) => p === port && allowed.has(address);
  });
  const readable = socketReadable<Uint8Array>(socket, highWaterMark(opts), ready, (data) => data, () => void counts.dropped++);
  const writable = new WritableStream<Uint8Array>({
    write: async (data) => sendTo(socket, data, port, (await addresses)[0]!, counts),
  });
  return withCounts({ readable, writable }, counts);
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
