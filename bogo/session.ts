// One connection to the runner: the runner's frames in, the Connection's
// datagrams, echoes and checks out, on the runner's virtual clock.
import type { Socket } from 'node:net';
import { appendFileSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { AlertDescription, DtlsError, alertName } from '../src/index.ts';
import type { ConnectionLike } from '../src/core.ts';
import { Connection } from '../src/connection.ts';
import { resolveOptions, type DtlsOptions, type ResolvedOptions } from '../src/options.ts';
import { FrameReader, TIMEOUT_ACK, encodePacket, encodeShimId, type Frame } from './framing.ts';
import { DTLS12, DTLS13, type ShimFlags } from './flags.ts';
import { KEM_GROUP_IDS, type KemGroup } from '../src/crypto/hybrid-kem.ts';
import { NO_HANDSHAKE_TIMEOUT_MS, softVerify, startChecked, type VerifyPhase } from './options.ts';
import { serverHelloSessionId } from './server-hello.ts';

/** BOGO_SHIM_TRACE=<file>: one line per packet and event, to see what a failing test exchanged. */
const traceFile = process.env.BOGO_SHIM_TRACE;
function trace(now: number, line: string): void {
  if (traceFile) appendFileSync(traceFile, `${now.toFixed(1).padStart(9)} ${line}\n`);
}

/** A failure of the test (not of the library): the runner decides whether one was expected. */
export class ShimFailure extends Error {
  override name = 'ShimFailure';
}

/** Our error text: the runner looks for its expected error (through ErrorMap) in it. */
export function describe(e: unknown): string {
  if (e instanceof DtlsError) {
    const alert = e.alert === undefined ? 'no alert' : `alert ${alertName(e.alert)} ${e.fromPeer ? 'received' : 'sent'}`;
    return `DtlsError code=${e.code} (${alert}): ${e.message}`;
  }
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * The runner closed the TCP connection: a reset counts as its close. It resets
 * when our last datagrams (a resent flight, a close_notify) reach its socket
 * after its final read, which is no error of the test.
 */
export function runnerClosed(code: string | undefined): boolean {
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** One connection to the runner, driven to its end. Resolves when the runner is satisfied (its side closed). */
export class Session {
  readonly #flags: ShimFlags;
  readonly #conn: ConnectionLike;
  readonly #sock: Socket;
  readonly #frames = new FrameReader();
  /** The runner's clock, ms (float: the runner counts in ns). */
  #now = 0;
  #connected = false;
  /** A HelloRetryRequest was received (client) or sent (server), from the connection's trace. */
  #hrr = false;
  /** Server: whether our last ServerHello named the session by an ID (the session is cached under it), from the datagrams we sent. */
  #gaveSessionId: boolean | undefined;
  /** Sessions the connection made (its 'session' events). */
  #sessions = 0;
  readonly #phase: VerifyPhase | undefined;
  #ended = false;
  /** The test failed: what the runner still sends (the rest of its flight) is read and dropped until it closes (shim.ts endThen). */
  #failed = false;
  #done: (err?: unknown) => void = () => {};

  /** The runner's clock now, ms since this connection started. */
  get now(): number {
    return this.#now;
  }

  /** `phase`: the verify callback's (options.ts), told when start() checks a stored session. */
  constructor(flags: ShimFlags, conn: ConnectionLike, sock: Socket, phase?: VerifyPhase) {
    this.#flags = flags;
    this.#conn = conn;
    this.#sock = sock;
    this.#phase = phase;
  }

  /** How many sessions (tickets, or 1.2 sessions named by ID) the connection made. */
  get sessions(): number {
    return this.#sessions;
  }

  run(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#done = (err) => (err === undefined ? resolve() : reject(err));
      this.#sock.on('data', (chunk: Buffer) => this.#guard(() => this.#onData(chunk)));
      this.#sock.on('end', () => this.#guard(() => this.#onEnd()));
      this.#sock.on('error', (e: NodeJS.ErrnoException) =>
        this.#guard(() => {
          if (!runnerClosed(e.code)) throw new ShimFailure(`socket: ${e.message}`);
          this.#onEnd();
        }),
      );
      this.#sock.write(encodeShimId(this.#flags.shimId));
      this.#guard(() => {
        // A client checks the session it offers in start() (options.ts VerifyPhase).
        if (this.#phase) this.#phase.lastVerdict = undefined;
        startChecked(this.#conn, this.#now, this.#phase);
        this.#flush();
      });
    });
  }

  #guard(fn: () => void): void {
    if (this.#failed) return;
    try {
      fn();
    } catch (e) {
      this.#failed = true;
      this.#done(e);
    }
  }

  #onData(chunk: Buffer): void {
    this.#frames.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    for (let f = this.#frames.next(); f; f = this.#frames.next()) {
      this.#handleFrame(f);
      this.#flush();
    }
  }

  #onEnd(): void {
    if (this.#ended) return;
    this.#ended = true;
    // The runner closes its side when its checks are done: a clean end once
    // the handshake completed (BoringSSL's shim treats EOF as a close too).
    if (!this.#connected) throw new ShimFailure(`the runner closed the connection before the handshake completed (state ${this.#conn.state})`);
    this.#done();
  }

  #handleFrame(f: Frame): void {
    switch (f.op) {
      case 'P':
        trace(this.#now, `in  ${f.datagram.length} bytes`);
        this.#conn.handleDatagram(this.#now, f.datagram);
        return;
      case 'T': {
        this.#sock.write(TIMEOUT_ACK);
        this.#now += Number(f.ns) / 1e6;
        const at = this.#conn.pollTimeout();
        if (at !== undefined && this.#now >= at) this.#conn.handleTimeout(this.#now);
        return;
      }
      case 'E': {
        const want = f.ns === undefined ? undefined : f.ns / 1000n;
        const at = this.#retransmitDeadline();
        // Microseconds, as BoringSSL's shim compares DTLSv1_get_timeout's timeval.
        const got = at === undefined ? undefined : BigInt(Math.max(0, Math.round((at - this.#now) * 1000)));
        if (want !== got) {
          const show = (v: bigint | undefined) => (v === undefined ? 'none' : `${v} us`);
          throw new ShimFailure(`next timeout mismatch: the runner expected ${show(want)}, we have ${show(got)}`);
        }
        return;
      }
      case 'M':
        // SSL_set_mtu: what is sent next (a resend of the flight in progress too) fits it.
        trace(this.#now, `mtu ${f.mtu}`);
        this.#conn.setMtu!(f.mtu);
        return;
      case 'U':
        // DTLSv1_set_initial_timeout_duration: a running timer is rescaled, not fired;
        // one now due fires on the next T frame, as the runner expects (E reports 0).
        trace(this.#now, `timeout ${f.ms} ms`);
        this.#conn.setRetransmitTimeout!(f.ms);
        return;
    }
  }

  /** The next retransmission deadline: pollTimeout() without the handshake's give-up deadline. */
  #retransmitDeadline(): number | undefined {
    const at = this.#conn.pollTimeout();
    return at !== undefined && at >= NO_HANDSHAKE_TIMEOUT_MS / 2 ? undefined : at;
  }

  /** Everything the connection has to say: datagrams out, events, data to echo. */
  #flush(): void {
    const c = this.#conn;
    for (;;) {
      let progress = false;
      for (let e = c.pollEvent(); e; e = c.pollEvent()) {
        progress = true;
        if (traceFile)
          trace(this.#now, `event ${JSON.stringify(e, (_k, v: unknown) => (v instanceof Uint8Array ? v.length : v instanceof Error ? v.message : v))}`);
        if (e.type === 'trace' && e.what === 'HelloRetryRequest' && e.epoch === 0 && e.direction === (this.#flags.server ? 'out' : 'in')) this.#hrr = true;
        if (e.type === 'session') this.#sessions++;
        if (e.type === 'handshake') {
          this.#onHandshake();
          this.#keyUpdateBeforeRead();
        }
      }
      for (let d = c.pollReceived(); d; d = c.pollReceived()) {
        progress = true;
        // The runner expects every record back with each byte XOR 0xff.
        const echo = new Uint8Array(d.length);
        for (let i = 0; i < d.length; i++) echo[i] = d[i]! ^ 0xff;
        if (c.state === 'connected') {
          c.send(this.#now, echo);
          this.#keyUpdateBeforeRead();
        }
      }
      for (let d = c.pollTransmit(); d; d = c.pollTransmit()) {
        progress = true;
        trace(this.#now, `out ${d.length} bytes`);
        if (this.#flags.server) {
          const id = serverHelloSessionId(d);
          if (id) this.#gaveSessionId = id.length > 0;
        }
        this.#sock.write(encodePacket(d));
      }
      if (!progress) break;
    }
    if (c.state === 'failed') throw c.error ?? new ShimFailure('the connection failed without an error');
  }

  /** -key-update-before-read: a KeyUpdate before the next read (one still waiting for its ACK covers it: RFC 9147 8). */
  #keyUpdateBeforeRead(): void {
    if (this.#flags.keyUpdateBeforeRead && this.#conn.state === 'connected') this.#conn.updateKeys?.(this.#now);
  }

  #onHandshake(): void {
    this.#connected = true;
    const f = this.#flags;
    const info = this.#conn.handshakeInfo!;
    const check = (what: string, got: unknown, want: unknown) => {
      if (got !== want) throw new ShimFailure(`expected ${what} ${String(want)}, got ${String(got)}`);
    };
    if (f.expect.version !== undefined) check('version', info.version === 'DTLS 1.3' ? DTLS13 : DTLS12, f.expect.version);
    if (f.expect.alpn !== undefined) check('ALPN', info.alpn, f.expect.alpn);
    if (f.expect.noAlpn) check('ALPN', info.alpn, undefined);
    if (f.expect.noServerName) check('server name', info.serverName, undefined);
    if (f.expect.hrr !== undefined) check('HelloRetryRequest', info.version === 'DTLS 1.3' && this.#hrr, f.expect.hrr);
    if (f.expect.serverName !== undefined) check('server name', info.serverName, f.expect.serverName);
    if (f.expect.srtpProfile !== undefined) check('SRTP profile', info.srtpProfile, f.expect.srtpProfile);
    if (f.expect.curveId !== undefined) {
      check('group', info.group === undefined ? undefined : KEM_GROUP_IDS[info.group as KemGroup], f.expect.curveId);
    }
    // BoringSSL: a server caches a session it names by ID; checked on the first connection only (a
    // resumption echoes the client's ID).
    if (f.expect.sessionId !== undefined && !f.resumption) check('a session ID (the session cached)', this.#gaveSessionId ?? false, f.expect.sessionId);
    if (f.expect.verifyResult && softVerify(f)) check('verify result (ok)', this.#phase?.lastVerdict, !f.verifyFail);
    if (f.expect.peerCertFile !== undefined) {
      const want = readFileSync(f.expect.peerCertFile, 'latin1');
      const der = new X509Certificate(want).raw;
      const leaf = info.peerCertificates[0];
      if (!leaf || !Buffer.from(leaf).equals(der)) throw new ShimFailure('the peer certificate is not the expected one');
    }
    if (f.exportLength !== undefined) {
      const context = f.useExportContext ? new TextEncoder().encode(f.exportContext ?? '') : undefined;
      this.#conn.send(this.#now, this.#conn.exportKeyingMaterial(f.exportLabel!, context, f.exportLength));
    }
    if (f.sendAlert) {
      // As BoringSSL's shim: the alert instead of any data, and the test fails (the connection has).
      if (!this.#conn.abort) throw new ShimFailure('this connection has no abort()');
      return this.#conn.abort(this.#now, AlertDescription.decompression_failure);
    }
    if (f.shimWritesFirst) this.#conn.send(this.#now, new TextEncoder().encode('hello'));
    if (f.shimShutsDown) this.#conn.close(this.#now);
  }
}

/** What the connections of one shim server share across -resume-count, as the connections of one listen() do. */
export interface ServerState {
  /** The first connection's ticket key source, which also keys the DTLS 1.2 session-ID cache (src/handshake/server12-cache.ts). */
  ticketKeys?: ResolvedOptions['ticketKeys'];
}

/**
 * A connection for these options (the library's TypeError/RangeError when it
 * cannot express them). A server's connections resolve their options one by
 * one (the flags may differ: -on-resume-) but keep the first one's ticket key
 * source, so a session cached by ID in one is found by the next, as in the
 * connections of one listen() server, which share one set of options.
 */
export function shimConnection(options: DtlsOptions, server: ServerState): ConnectionLike {
  const o = resolveOptions(options);
  if (o.role === 'server') {
    if (server.ticketKeys) o.ticketKeys = server.ticketKeys;
    else server.ticketKeys = o.ticketKeys;
  }
  return new Connection(o);
}
