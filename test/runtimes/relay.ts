// A WebSocket-to-UDP relay for the tests: each WebSocket connection gets its own
// UDP socket towards the DTLS server; one binary message is one datagram, both
// ways. It sees only ciphertext. Loopback only.
import { createSocket, type Socket } from 'node:dgram';
import { WebSocketServer, type WebSocket } from 'ws';

export interface Relay {
  readonly url: string;
  /** Datagrams carried client → server and server → client. */
  readonly counts: { up: number; down: number };
  /** Every byte the relay carried (to check it never saw plaintext). */
  readonly carried: Uint8Array[];
  close(): Promise<void>;
}

export async function startRelay(udpPort: number, udpHost = '127.0.0.1'): Promise<Relay> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const counts = { up: 0, down: 0 };
  const carried: Uint8Array[] = [];
  const sockets = new Set<Socket>();
  wss.on('connection', (ws: WebSocket) => {
    const udp = createSocket('udp4');
    sockets.add(udp);
    udp.bind(0, '127.0.0.1');
    udp.on('message', (msg) => {
      counts.down++;
      carried.push(new Uint8Array(msg));
      ws.send(msg);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      counts.up++;
      carried.push(new Uint8Array(data));
      if (sockets.has(udp)) udp.send(data, udpPort, udpHost);
    });
    ws.on('close', () => {
      if (sockets.delete(udp)) udp.close();
    });
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    counts,
    carried,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      for (const s of [...sockets]) if (sockets.delete(s)) s.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
