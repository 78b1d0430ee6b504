// The WebSocket ⇄ UDP relay: each binary WebSocket message is one datagram to
// the DTLS server, each datagram back is one message. One UDP socket per
// WebSocket, so the server sees each browser tab as its own peer. The relay
// holds no keys: it only ever sees DTLS records, i.e. ciphertext after the
// handshake.
import { createSocket } from 'node:dgram';
import type { Server } from 'node:http';
import { WebSocketServer, type RawData } from 'ws';

export interface RelayTarget {
  host: string;
  port: number;
}

export interface Relay {
  /** Open relayed connections. */
  readonly connections: number;
  /** Datagrams carried each way, over all connections. */
  readonly counts: { toServer: number; toBrowser: number };
  close(): Promise<void>;
}

function bytesOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Relays WebSocket connections on `path` of `server` to the UDP `target`. */
export function attachRelay(server: Server, target: RelayTarget, opts: { path?: string; log?: (line: string) => void } = {}): Relay {
  const log = opts.log ?? (() => {});
  const wss = new WebSocketServer({ server, path: opts.path ?? '/relay', maxPayload: 65_536 });
  const counts = { toServer: 0, toBrowser: 0 };
  let connections = 0;
  let nextId = 1;

  wss.on('connection', (ws, req) => {
    const id = nextId++;
    connections++;
    const udp = createSocket('udp4');
    let up = 0;
    let down = 0;
    udp.on('error', (err) => log(`relay #${id}: udp error ${err.message}`));
    udp.connect(target.port, target.host, () => {
      log(`relay #${id}: ${req.socket.remoteAddress} ⇄ udp://${target.host}:${target.port} via udp port ${udp.address().port}`);
    });
    const pending: Buffer[] = [];
    let connected = false;
    udp.on('connect', () => {
      connected = true;
      for (const d of pending.splice(0)) udp.send(d);
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return; // datagrams are binary messages only
      const datagram = bytesOf(data);
      up++;
      counts.toServer++;
      if (connected) udp.send(datagram);
      else pending.push(datagram);
    });
    udp.on('message', (datagram) => {
      if (ws.readyState !== ws.OPEN) return;
      down++;
      counts.toBrowser++;
      ws.send(datagram, { binary: true });
    });
    ws.on('close', () => {
      connections--;
      log(`relay #${id}: closed after ${up} datagrams to the server, ${down} back`);
      try {
        udp.close();
      } catch {
        // already closed
      }
    });
    ws.on('error', () => ws.terminate());
  });

  return {
    get connections() {
      return connections;
    },
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
