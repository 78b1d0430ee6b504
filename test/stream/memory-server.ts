// A listen() server with the real core and the real cookie gate over an
// in-memory socket, and the clients that talk to it: the shared bench of
// attacks.test.ts and limits.test.ts. Time is the caller's ManualClock.
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { resolveOptions, type ResolvedOptions } from '../../src/options.ts';
import { createCookieGate, gateCookies } from '../../src/handshake/cookie.ts';
import { createCookieGate13 } from '../../src/handshake/hrr-gate.ts';
import type { ManualClock } from '../../src/stream/clock.ts';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { listen, type HandshakeErrorDetail, type ListenOptions } from '../../src/stream/server.ts';
import type { Datagram } from '../../src/adapters/types.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { ContentType, ProtocolVersion, type HandshakeFragment } from '../../src/wire/types.ts';
import { concat } from '../../src/wire/codec.ts';
import { certs } from '../handshake/helpers.ts';

export const cert = certs().server;
// A DTLS 1.2 client: these tests count HelloVerifyRequests and 1.2 flights; the server keeps the default (1.3 and 1.2).
export const clientOptions = resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [cert.fingerprint] } });
export const noop = (): void => {};
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Waits (event-loop turns, never wall time) until `cond` holds. */
export async function until(cond: () => boolean, what: string, rounds = 2000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (cond()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  assert.fail(`still waiting for: ${what}`);
}

/** A datagram socket in memory: send() delivers to the server; what it sends goes to routes[address|port]. */
export function memoryNet() {
  let ctl!: ReadableStreamDefaultController<Datagram>;
  const readable = new ReadableStream<Datagram>({ start: (c) => void (ctl = c) });
  const sent: Datagram[] = [];
  const routes = new Map<string, (d: Uint8Array) => void>();
  const writable = new WritableStream<Datagram>(
    {
      write: (d) => {
        sent.push(d);
        routes.get(`${d.address}|${d.port}`)?.(d.data);
      },
    },
    new CountQueuingStrategy({ highWaterMark: 64 }),
  );
  const send = (data: Uint8Array, address: string, port: number): void => ctl.enqueue({ data, address, port });
  return { socket: { readable, writable }, send, sent, routes };
}
export type Net = ReturnType<typeof memoryNet>;

/**
 * listen() with the real core and the real cookie gate (as listen() makes
 * them: the 1.3 gate when the server speaks 1.3, its connections opening its
 * HelloRetryRequest cookies), echoing; keeps each peer's Connection and the
 * gate for assertions. `skip(port)`: accepted but never read.
 */
export function realServer(net: Net, clock: ManualClock, options: ListenOptions = {}, skip: (port: number) => boolean = () => false) {
  const conns: Connection[] = [];
  const { maxConnections: _c, maxHandshakes: _h, idleTimeout: _i, ...dtlsOptions } = options;
  const resolved = resolveOptions({ role: 'server', clock, certificate: cert, ...dtlsOptions });
  const gate13 = resolved.versions.includes('1.3') ? createCookieGate13({ options: resolved }) : undefined;
  const cookieGate = gate13 ?? createCookieGate({ crypto: resolved.crypto });
  const server = listen(
    net.socket,
    { clock, certificate: cert, ...options },
    {
      cookieGate: options.requireCookie === false ? null : cookieGate,
      createConnection: (o) => {
        const r = resolveOptions(o);
        const c = new Connection(gate13 ? ({ ...r, hrrCookies: gateCookies(gate13) } as ResolvedOptions) : r);
        conns.push(c);
        return c;
      },
    },
  );
  const errors: HandshakeErrorDetail[] = [];
  server.addEventListener('handshakeerror', (e) => errors.push((e as CustomEvent<HandshakeErrorDetail>).detail));
  const accepted: DtlsStream[] = [];
  const serving = (async () => {
    for await (const c of server) {
      accepted.push(c);
      if (!skip(c.remote!.port)) void c.inbound.readable.pipeTo(c.outbound.writable).catch(noop);
    }
  })();
  return { server, conns, errors, accepted, serving, gate13 };
}

/**
 * A client Connection driven by hand. `silentAfterCookie`: answers the
 * HelloVerifyRequest, then ignores the server (hangs mid-handshake).
 * `pauseAfterCookie` or `pause()`: it goes on reading, but what it sends is
 * held until resume(). `retransmit()`: sends the current flight again, as the
 * client's timer would.
 */
export function rawClient(net: Net, clock: ManualClock, address: string, port: number, opts: { silentAfterCookie?: boolean; pauseAfterCookie?: boolean } = {}) {
  const conn = new Connection(clientOptions);
  const received: Uint8Array[] = [];
  const held: Uint8Array[] = [];
  let silent = false;
  let paused = false;
  const flush = (): void => {
    for (let d = conn.pollTransmit(); d; d = conn.pollTransmit()) {
      if (paused) held.push(d);
      else net.send(d, address, port);
    }
  };
  net.routes.set(`${address}|${port}`, (d) => {
    received.push(d);
    if (silent) return;
    conn.handleDatagram(clock.now(), d);
    flush();
    if (opts.silentAfterCookie) silent = true;
    if (opts.pauseAfterCookie) paused = true;
  });
  conn.start(clock.now());
  flush();
  return {
    conn,
    received,
    held,
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      for (const d of held.splice(0)) net.send(d, address, port);
    },
    retransmit: () => {
      conn.handleTimeout(Math.max(clock.now(), conn.pollTimeout() ?? 0));
      flush();
    },
  };
}

/** A client DtlsStream (real core) wired to the memory net; `options`: other than clientOptions' (a 1.2 client). */
export function streamClient(net: Net, clock: ManualClock, address: string, port: number, options: ResolvedOptions = clientOptions): DtlsStream {
  const dtls = DtlsStream.fromConnection(new Connection(options), { clock });
  const w = dtls.inbound.writable.getWriter();
  net.routes.set(`${address}|${port}`, (d) => void w.write(d).catch(noop));
  void dtls.outbound.readable.pipeTo(new WritableStream({ write: (data) => net.send(data, address, port) })).catch(noop);
  return dtls;
}

/** Sends `message` and reads one record back. */
export { echoOnce } from './echo-once.ts';

/** An epoch-0 handshake record carrying these fragments. */
export function handshakeRecord(seq: number, fragments: HandshakeFragment[]): Uint8Array {
  const fragment = concat(...fragments.map(encodeHandshakeFragment));
  return encodeRecord({ contentType: ContentType.handshake, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: seq, fragment });
}
