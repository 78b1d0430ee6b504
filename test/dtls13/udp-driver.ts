// A sans-IO client driven over real UDP sockets on loopback, for the listen()
// tests with connection IDs (DTLS 1.3 and 1.2): the socket can be swapped for
// another, as a NAT rebinding would do, and every datagram in and out is kept.
import type { Socket } from 'node:dgram';
import type { ConnectionLike } from '../../src/core.ts';

/** Drives a sans-IO client over whichever socket is attached; every datagram it sends is kept. */
export class Driver {
  readonly conn: ConnectionLike;
  readonly sent: Uint8Array[] = [];
  readonly received: string[] = [];
  /** Every datagram that came in. */
  readonly inbound: Uint8Array[] = [];
  #socket: Socket | undefined;
  readonly #port: number;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(conn: ConnectionLike, port: number) {
    this.conn = conn;
    this.#port = port;
    this.#timer = setInterval(() => {
      const t = conn.pollTimeout();
      if (t !== undefined && Date.now() >= t) conn.handleTimeout(Date.now());
      this.flush();
    }, 5);
  }

  attach(socket: Socket): void {
    this.#socket = socket;
    socket.on('message', (msg) => {
      if (this.#socket !== socket) return;
      this.inbound.push(new Uint8Array(msg));
      this.conn.handleDatagram(Date.now(), new Uint8Array(msg));
      this.flush();
    });
  }

  flush(): void {
    for (let d = this.conn.pollTransmit(); d; d = this.conn.pollTransmit()) {
      this.sent.push(d);
      this.#socket?.send(d, this.#port, '127.0.0.1');
    }
    for (let p = this.conn.pollReceived(); p; p = this.conn.pollReceived()) this.received.push(new TextDecoder().decode(p));
  }

  send(text: string): void {
    this.conn.send(Date.now(), new TextEncoder().encode(text));
    this.flush();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Polls `cond` every 5 ms until it holds, for at most `ms`. */
export async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
