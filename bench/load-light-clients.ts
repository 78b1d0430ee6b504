// The light client generator of bench/load.ts (--light-clients): each client is
// a bare Connection from the core on its own UDP socket (the server tells peers
// apart by address|port), fed synchronously from the socket's 'message' event,
// with one timer for all of them. No Web Streams, no promise per datagram, no
// timer per client: what the clients cost the shared cores shrinks to about the
// core's own client handshake, so the server's capacity shows. The server is
// the same listen() either way; nothing of its work is skipped.
import type { Socket } from 'node:dgram';
import type { ConnectionLike } from '../src/connection-types.ts';
import { defaultConnection } from '../src/stream/default-connection.ts';
import type { DtlsOptions } from '../src/options.ts';

export interface LightResult {
  latency?: number;
  echoed: number;
  error?: string;
  /** Datagrams in and out, and the core's resends. */
  datagramsIn: number;
  datagramsOut: number;
  retransmits: number;
  /** Echoes sent again after ECHO_RETRY ms without an answer (application data is not resent by DTLS). */
  echoRetries: number;
}

/** An echo unanswered this long is sent again, as an application on UDP would. */
const ECHO_RETRY = 1000;

interface Client {
  readonly conn: ConnectionLike;
  readonly sock: Socket;
  readonly result: LightResult;
  t0: number;
  /** The echo sent and not yet answered (one at a time), and when it went. */
  waiting: string | undefined;
  sentAt: number;
  done: boolean;
}

/**
 * Runs one client per socket against 127.0.0.1:port: handshake, `messages`
 * echoes, then the result. `startAt(i)`: when client i starts (performance.now() ms).
 */
export function runLightClients(
  socks: Socket[],
  port: number,
  options: DtlsOptions,
  messages: number,
  startAt: (i: number) => number,
): { results: Promise<LightResult[]>; close(): Promise<void>; status(): string } {
  const prepared = defaultConnection.prepare({ ...options, role: 'client' });
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const clients: Client[] = [];
  let pending = socks.length;
  let finish!: () => void;
  const all = new Promise<void>((resolve) => (finish = resolve));
  if (!pending) finish();

  // One timer for every client: armed at the earliest deadline any of them has.
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Infinity;
  const arm = (at: number | undefined): void => {
    if (at === undefined || at >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(onTimer, Math.max(0, at - performance.now()));
  };
  const onTimer = (): void => {
    timer = undefined;
    timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const c of clients) {
      if (c.done && c.conn.state === 'closed') continue;
      if (c.waiting !== undefined && !c.done && now - c.sentAt >= ECHO_RETRY) {
        c.result.echoRetries++;
        c.sentAt = now;
        c.conn.send(now, enc.encode(c.waiting));
        flush(c);
      }
      if (c.waiting !== undefined && !c.done) next = Math.min(next, c.sentAt + ECHO_RETRY);
      const at = c.conn.pollTimeout();
      if (at !== undefined && at <= now) {
        c.conn.handleTimeout(now);
        flush(c);
      }
      const later = c.conn.pollTimeout();
      if (later !== undefined && later < next) next = later;
    }
    if (next !== Infinity) arm(next);
  };

  const settle = (c: Client, error?: string): void => {
    if (c.done) return;
    c.done = true;
    if (error) c.result.error = error;
    if (--pending === 0) finish();
  };

  const echo = (c: Client): void => {
    if (c.result.echoed === messages) return settle(c);
    c.waiting = `echo ${c.result.echoed} from ${c.sock.address().port}`;
    c.sentAt = performance.now();
    c.conn.send(c.sentAt, enc.encode(c.waiting));
    arm(c.sentAt + ECHO_RETRY);
  };

  // Everything the core has for us after an input: datagrams out, messages in, events.
  function flush(c: Client): void {
    const { conn } = c;
    for (let d = conn.pollTransmit(); d !== undefined; d = conn.pollTransmit()) {
      c.result.datagramsOut++;
      c.sock.send(d, port, '127.0.0.1');
    }
    for (let e = conn.pollEvent(); e !== undefined; e = conn.pollEvent()) {
      if (e.type === 'handshake' && c.result.latency === undefined) {
        c.result.latency = performance.now() - c.t0;
        echo(c);
      }
    }
    for (let m = conn.pollReceived(); m !== undefined; m = conn.pollReceived()) {
      const text = dec.decode(m);
      // A second answer to an echo sent twice (an earlier one, already answered).
      if (c.result.echoRetries && text !== c.waiting && Number(/^echo (\d+) /.exec(text)?.[1]) < c.result.echoed) continue;
      if (c.waiting === undefined || text !== c.waiting) {
        settle(c, 'echo mismatch');
        continue;
      }
      c.waiting = undefined;
      c.result.echoed++;
      echo(c);
    }
    if (conn.state === 'failed') settle(c, conn.error?.code ?? 'failed');
    // What echo() sent goes out now; then the next deadline.
    for (let d = conn.pollTransmit(); d !== undefined; d = conn.pollTransmit()) {
      c.result.datagramsOut++;
      c.sock.send(d, port, '127.0.0.1');
    }
    arm(conn.pollTimeout());
  }

  socks.forEach((sock, i) => {
    const result: LightResult = { echoed: 0, datagramsIn: 0, datagramsOut: 0, retransmits: 0, echoRetries: 0 };
    const c: Client = { conn: prepared.createConnection(), sock, result, t0: 0, waiting: undefined, sentAt: 0, done: false };
    clients.push(c);
    sock.on('message', (msg) => {
      result.datagramsIn++;
      c.conn.handleDatagram(performance.now(), new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
      flush(c);
    });
    const begin = (): void => {
      c.t0 = performance.now();
      c.conn.start(c.t0);
      flush(c);
    };
    const delay = startAt(i) - performance.now();
    if (delay > 0) setTimeout(begin, delay);
    else begin();
  });

  return {
    status() {
      const by: Record<string, number> = {};
      for (const c of clients) {
        const k = `${c.conn.state}${c.done ? ' done' : ''}${c.waiting !== undefined ? ' waiting for an echo' : ''}`;
        by[k] = (by[k] ?? 0) + 1;
      }
      return JSON.stringify(by);
    },
    results: all.then(() =>
      clients.map((c) => {
        c.result.retransmits = c.conn.stats.retransmits;
        return c.result;
      }),
    ),
    async close() {
      const now = performance.now();
      for (const c of clients) {
        if (c.conn.state !== 'connected') continue;
        c.conn.close(now);
        flush(c);
      }
      // close_notify goes out with the sends above; give the socket a turn to carry them.
      await new Promise((resolve) => setImmediate(resolve));
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
