// Socket and datagram helpers shared by the interop tests.
import type { Socket } from 'node:dgram';
import type { Datagram, DatagramDuplex, DatagramSocket } from '../../src/adapters/types.ts';

export function closeSocket(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

/** Records every datagram crossing a duplex. */
export function tap(duplex: DatagramDuplex, log: { in: Uint8Array[]; out: Uint8Array[] }): DatagramDuplex {
  const out = new TransformStream<Uint8Array, Uint8Array>({
    transform(d, c) {
      log.out.push(d.slice());
      c.enqueue(d);
    },
  });
  void out.readable.pipeTo(duplex.writable).catch(() => {});
  return {
    readable: duplex.readable.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(d, c) {
          log.in.push(d.slice());
          c.enqueue(d);
        },
      }),
    ),
    writable: out.writable,
  };
}

/** Records the payload of every datagram a server socket sends. */
export function tapSent(socket: DatagramSocket, sent: Uint8Array[]): DatagramSocket {
  const out = new TransformStream<Datagram, Datagram>({
    transform(d, c) {
      sent.push(d.data.slice());
      c.enqueue(d);
    },
  });
  void out.readable.pipeTo(socket.writable).catch(() => {});
  return { readable: socket.readable, writable: out.writable };
}

/** Handshake fragments in epoch-0 records of `datagrams`: [msgType, length, fragOffset, fragLength]. */
export function handshakeFragments(datagrams: readonly Uint8Array[]): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  for (const d of datagrams) {
    for (let off = 0; off + 13 <= d.length;) {
      const epoch = (d[off + 3]! << 8) | d[off + 4]!;
      const len = (d[off + 11]! << 8) | d[off + 12]!;
      const body = d.subarray(off + 13, off + 13 + len);
      if (d[off] === 22 && epoch === 0 && body.length >= 12) {
        const u24 = (i: number): number => (body[i]! << 16) | (body[i + 1]! << 8) | body[i + 2]!;
        out.push([body[0]!, u24(1), u24(6), u24(9)]);
      }
      off += 13 + len;
    }
  }
  return out;
}
