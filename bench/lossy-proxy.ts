// A lossy UDP proxy on 127.0.0.1 for benchmarks and tests: a client sends to
// the proxy, the proxy forwards to the server and the server's replies back to
// the client. On the way it drops, duplicates and reorders datagrams, each
// decision a pure function of (seed, client session, direction, datagram
// index), so a seed replays the same pattern whatever the timing. By default
// only handshake datagrams are impaired (DTLS records of type handshake,
// change_cipher_spec or ack); application data passes untouched.
//
// As a module:
//   const proxy = await startLossyProxy({ target: { port: 4433 }, loss: 0.3, seed: 1 });
//   ... client sends to 127.0.0.1:proxy.port ...
//   const counts = await proxy.close();
// From the command line (prints "Listening on 127.0.0.1:PORT", counts as JSON at exit):
//   npx tsx bench/lossy-proxy.ts --target 127.0.0.1:4433 --loss 0.3 --seed 1 [--listen 4434]
//       [--duplicate 0.05] [--reorder 0.05] [--impair handshake|all|datagrams:N|ms:T]
//       [--lifetime 60000] [--trace]
// It stops by itself after `lifetimeMs` (default 60 s), on close(), and (CLI) on SIGINT/SIGTERM.
import { createSocket, type Socket } from 'node:dgram';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export type Direction = 'c2s' | 's2c';

/**
 * Which datagrams are impaired:
 * - 'handshake': those holding a DTLS record of type change_cipher_spec (20),
 *   handshake (22) or ack (26), or a DTLS 1.3 unified-header record (encrypted,
 *   so it cannot be told apart from application data: impaired too);
 * - 'all': every datagram;
 * - { datagrams: N }: the first N datagrams the proxy receives (both directions together);
 * - { ms: T }: those received within T ms of the first one.
 */
export type ImpairScope = 'handshake' | 'all' | { datagrams: number } | { ms: number };

export interface LossyProxyOptions {
  /** The server. host defaults to 127.0.0.1. */
  target: { host?: string; port: number };
  /** Port to listen on, on 127.0.0.1. Default 0 (any free port). */
  port?: number;
  /** Seed of every decision. Default 1. */
  seed?: number;
  /** Probability of dropping an impaired datagram, 0..1. Default 0. */
  loss?: number;
  /** Probability of sending an impaired datagram (that was not dropped) twice. Default 0. */
  duplicate?: number;
  /** Probability of holding an impaired datagram back until after the next one in its direction. Default 0. */
  reorder?: number;
  /** Longest time a held-back datagram waits for a successor before it goes out anyway, ms. Default 50. */
  reorderHoldMs?: number;
  /** Default 'handshake'. */
  impair?: ImpairScope;
  /** The proxy closes itself this long after it started, ms. Default 60000. */
  lifetimeMs?: number;
  /** Client sessions (distinct client address:port) kept at once; datagrams from more are dropped. Default 64. */
  maxSessions?: number;
  /** Keep a log of every datagram (up to 10,000 entries) in `trace`. Default false. */
  trace?: boolean;
  /** Called for every datagram received, after its fate was decided. */
  onDatagram?: (entry: TraceEntry) => void;
}

export type Action = 'forward' | 'drop' | 'duplicate' | 'reorder' | 'pass';

export interface TraceEntry {
  /** ms since the proxy started. */
  t: number;
  session: number;
  direction: Direction;
  /** Index of this datagram among those received in this direction of this session, from 0. */
  index: number;
  bytes: number;
  /** 'pass': outside the impairment scope, forwarded untouched. */
  action: Action;
  /** The records it holds, e.g. "22:e0 ClientHello(seq 0)". */
  what: string;
}

export interface DirectionCounts {
  /** Datagrams received from this side. */
  received: number;
  /** Of those, inside the impairment scope. */
  impaired: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  /** Datagrams sent on to the other side (duplicates counted twice). */
  sent: number;
  sendErrors: number;
}

export interface ProxyCounts {
  c2s: DirectionCounts;
  s2c: DirectionCounts;
  sessions: number;
  /** Datagrams from new clients beyond maxSessions. */
  refused: number;
  /** ms since start of the first datagram, or undefined. */
  firstDatagramAt: number | undefined;
  /** Why the proxy stopped, once it did. */
  stopped: 'closed' | 'lifetime' | undefined;
}

export interface Decision {
  drop: boolean;
  duplicate: boolean;
  reorder: boolean;
}

// ---------------------------------------------------------------- decisions

/** A 32-bit avalanche mix (MurmurHash3's finalizer). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) from the inputs, the same on every run and platform. */
export function uniform(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) h = fmix32((h ^ Math.imul(p | 0, 0x27d4eb2d)) + 0x165667b1);
  return h / 2 ** 32;
}

const DIR = { c2s: 1, s2c: 2 } as const;
const SALT = { drop: 0x64726f70, duplicate: 0x64757065, reorder: 0x72656f72 } as const;

/**
 * The fate of datagram `index` in `direction` of client session `session`
 * (sessions count from 0 in order of arrival), when it is impaired. Pure:
 * the same inputs give the same decision. A dropped datagram is neither
 * duplicated nor reordered.
 */
export function decide(
  seed: number,
  session: number,
  direction: Direction,
  index: number,
  rates: { loss?: number; duplicate?: number; reorder?: number },
): Decision {
  const r = (salt: number): number => uniform(seed, session, DIR[direction], index, salt);
  const drop = r(SALT.drop) < (rates.loss ?? 0);
  return {
    drop,
    duplicate: !drop && r(SALT.duplicate) < (rates.duplicate ?? 0),
    reorder: !drop && r(SALT.reorder) < (rates.reorder ?? 0),
  };
}

// ---------------------------------------------------------------- what a datagram holds

const HANDSHAKE_NAMES: Record<number, string> = {
  0: 'HelloRequest',
  1: 'ClientHello',
  2: 'ServerHello',
  3: 'HelloVerifyRequest',
  4: 'NewSessionTicket',
  11: 'Certificate',
  12: 'ServerKeyExchange',
  13: 'CertificateRequest',
  14: 'ServerHelloDone',
  15: 'CertificateVerify',
  16: 'ClientKeyExchange',
  20: 'Finished',
};
const CONTENT_NAMES: Record<number, string> = { 20: 'CCS', 21: 'Alert', 22: 'HS', 23: 'AppData', 26: 'ACK' };

export interface RecordSummary {
  contentType: number;
  epoch: number;
  /** For plaintext (epoch 0) handshake records: the message type and fragment. */
  handshake?: { msgType: number; messageSeq: number; fragmentOffset: number; fragmentLength: number; length: number };
  /** A DTLS 1.3 unified-header (encrypted) record. */
  unified?: boolean;
}

/** The records of a datagram (DTLS 1.2 headers; a DTLS 1.3 unified header stops the walk). */
export function records(d: Uint8Array): RecordSummary[] {
  const out: RecordSummary[] = [];
  let off = 0;
  while (off < d.length) {
    const first = d[off]!;
    if ((first & 0xe0) === 0x20) {
      out.push({ contentType: 23, epoch: first & 0x03, unified: true });
      break;
    }
    if (off + 13 > d.length) break;
    const epoch = (d[off + 3]! << 8) | d[off + 4]!;
    const len = (d[off + 11]! << 8) | d[off + 12]!;
    const rec: RecordSummary = { contentType: first, epoch };
    const body = off + 13;
    if (first === 22 && epoch === 0 && body + 12 <= d.length) {
      rec.handshake = {
        msgType: d[body]!,
        length: (d[body + 1]! << 16) | (d[body + 2]! << 8) | d[body + 3]!,
        messageSeq: (d[body + 4]! << 8) | d[body + 5]!,
        fragmentOffset: (d[body + 6]! << 16) | (d[body + 7]! << 8) | d[body + 8]!,
        fragmentLength: (d[body + 9]! << 16) | (d[body + 10]! << 8) | d[body + 11]!,
      };
    }
    out.push(rec);
    off = body + len;
  }
  return out;
}

/** A short text for a trace: "ClientHello(seq 1) | CCS | HS(e1)". */
export function describe(d: Uint8Array): string {
  const parts = records(d).map((r) => {
    if (r.unified) return 'DTLS1.3-ciphertext';
    if (r.handshake) {
      const h = r.handshake;
      const name = HANDSHAKE_NAMES[h.msgType] ?? `HS${h.msgType}`;
      const frag = h.fragmentOffset !== 0 || h.fragmentLength !== h.length ? ` frag ${h.fragmentOffset}+${h.fragmentLength}/${h.length}` : '';
      return `${name}(seq ${h.messageSeq}${frag})`;
    }
    const name = CONTENT_NAMES[r.contentType] ?? `type${r.contentType}`;
    return r.epoch ? `${name}(e${r.epoch})` : name;
  });
  return parts.length ? parts.join(' | ') : `? ${d.length} bytes`;
}

/** True when the datagram carries handshake traffic (see ImpairScope 'handshake'). */
export function isHandshakeDatagram(d: Uint8Array): boolean {
  return records(d).some((r) => r.unified || r.contentType === 20 || r.contentType === 22 || r.contentType === 26);
}

// ---------------------------------------------------------------- the proxy

function emptyCounts(): DirectionCounts {
  return { received: 0, impaired: 0, dropped: 0, duplicated: 0, reordered: 0, sent: 0, sendErrors: 0 };
}

interface Held {
  data: Buffer;
  timer: NodeJS.Timeout;
}

interface Session {
  readonly id: number;
  readonly address: string;
  readonly port: number;
  readonly upstream: Socket;
  readonly index: Record<Direction, number>;
  readonly held: Partial<Record<Direction, Held>>;
}

const TRACE_LIMIT = 10000;

function checkRate(name: string, v: number | undefined): number {
  const x = v ?? 0;
  if (!(x >= 0 && x <= 1)) throw new RangeError(`${name} must be in 0..1, not ${String(v)}`);
  return x;
}

export class LossyProxy {
  /** 127.0.0.1 */
  readonly address = '127.0.0.1';
  /** The port clients send to. */
  port = 0;
  /** Every datagram, when options.trace is set (at most 10,000). */
  readonly trace: TraceEntry[] = [];
  /** Resolves with the final counts once the proxy stopped (close() or its lifetime). */
  readonly closed: Promise<ProxyCounts>;

  readonly #o: Required<Omit<LossyProxyOptions, 'onDatagram' | 'port' | 'target'>> & Pick<LossyProxyOptions, 'onDatagram'>;
  readonly #target: { host: string; port: number };
  readonly #listenPort: number;
  readonly #socket: Socket;
  readonly #sessions = new Map<string, Session>();
  readonly #start = performance.now();
  #received = 0;
  #counts: ProxyCounts = { c2s: emptyCounts(), s2c: emptyCounts(), sessions: 0, refused: 0, firstDatagramAt: undefined, stopped: undefined };
  #lifetime: NodeJS.Timeout | undefined;
  #resolveClosed!: (c: ProxyCounts) => void;
  #closing: Promise<ProxyCounts> | undefined;

  /** Use startLossyProxy(). */
  constructor(options: LossyProxyOptions) {
    const impair = options.impair ?? 'handshake';
    if (typeof impair === 'object') {
      const v = 'datagrams' in impair ? impair.datagrams : impair.ms;
      if (!(v >= 0)) throw new RangeError('impair.datagrams / impair.ms must be >= 0');
    } else if (impair !== 'handshake' && impair !== 'all') throw new TypeError(`impair must be 'handshake', 'all', { datagrams } or { ms }`);
    this.#o = {
      seed: options.seed ?? 1,
      loss: checkRate('loss', options.loss),
      duplicate: checkRate('duplicate', options.duplicate),
      reorder: checkRate('reorder', options.reorder),
      reorderHoldMs: options.reorderHoldMs ?? 50,
      impair,
      lifetimeMs: options.lifetimeMs ?? 60000,
      maxSessions: options.maxSessions ?? 64,
      trace: options.trace ?? false,
      onDatagram: options.onDatagram,
    };
    if (!(this.#o.lifetimeMs > 0)) throw new RangeError('lifetimeMs must be positive');
    this.#target = { host: options.target.host ?? '127.0.0.1', port: options.target.port };
    this.#listenPort = options.port ?? 0;
    this.#socket = createSocket('udp4');
    this.closed = new Promise((r) => (this.#resolveClosed = r));
  }

  /** Binds the listening socket and arms the lifetime timer. */
  async start(): Promise<this> {
    await new Promise<void>((resolveBind, reject) => {
      this.#socket.once('error', reject);
      this.#socket.bind(this.#listenPort, this.address, () => {
        this.#socket.off('error', reject);
        resolveBind();
      });
    });
    this.port = this.#socket.address().port;
    this.#socket.on('error', () => {}); // e.g. ICMP errors: the datagram is lost, the proxy goes on
    this.#socket.on('message', (msg, rinfo) => this.#fromClient(msg, rinfo.address, rinfo.port));
    this.#lifetime = setTimeout(() => void this.#stop('lifetime'), this.#o.lifetimeMs);
    return this;
  }

  /** A snapshot of the counts. */
  get counts(): ProxyCounts {
    const c = this.#counts;
    return { ...c, c2s: { ...c.c2s }, s2c: { ...c.s2c } };
  }

  /** ms since the proxy started. */
  now(): number {
    return performance.now() - this.#start;
  }

  /** Stops forwarding, closes every socket; resolves with the final counts. */
  close(): Promise<ProxyCounts> {
    return this.#stop('closed');
  }

  #stop(why: 'closed' | 'lifetime'): Promise<ProxyCounts> {
    return (this.#closing ??= (async () => {
      this.#counts.stopped = why;
      clearTimeout(this.#lifetime);
      const sockets: Socket[] = [this.#socket];
      for (const s of this.#sessions.values()) {
        for (const h of Object.values(s.held)) if (h) clearTimeout(h.timer);
        sockets.push(s.upstream);
      }
      await Promise.all(
        sockets.map(
          (s) =>
            new Promise<void>((r) => {
              try {
                s.close(() => r());
              } catch {
                r(); // never bound / already closed
              }
            }),
        ),
      );
      const counts = this.counts;
      this.#resolveClosed(counts);
      return counts;
    })());
  }

  #fromClient(msg: Buffer, address: string, port: number): void {
    if (this.#closing) return;
    const key = `${address}|${port}`;
    let s = this.#sessions.get(key);
    if (!s) {
      if (this.#sessions.size >= this.#o.maxSessions) {
        this.#counts.refused++;
        return;
      }
      const upstream = createSocket('udp4');
      s = { id: this.#counts.sessions++, address, port, upstream, index: { c2s: 0, s2c: 0 }, held: {} };
      const session = s;
      this.#sessions.set(key, s);
      upstream.on('error', () => {}); // ECONNREFUSED while the server is not there: lost datagrams
      upstream.on('message', (m) => this.#handle(session, 's2c', m));
      upstream.bind(0, this.address);
    }
    this.#handle(s, 'c2s', msg);
  }

  #inScope(data: Buffer, t: number): boolean {
    const scope = this.#o.impair;
    if (scope === 'all') return true;
    if (scope === 'handshake') return isHandshakeDatagram(data);
    if ('datagrams' in scope) return this.#received <= scope.datagrams;
    return t - (this.#counts.firstDatagramAt ?? t) < scope.ms;
  }

  #handle(s: Session, dir: Direction, data: Buffer): void {
    if (this.#closing) return;
    const t = this.now();
    this.#counts.firstDatagramAt ??= t;
    this.#received++;
    const c = this.#counts[dir];
    c.received++;
    const index = s.index[dir]++;
    let action: Action = 'pass';
    if (this.#inScope(data, t)) {
      c.impaired++;
      const d = decide(this.#o.seed, s.id, dir, index, this.#o);
      action = d.drop ? 'drop' : d.reorder ? 'reorder' : d.duplicate ? 'duplicate' : 'forward';
      if (d.drop) c.dropped++;
      else {
        if (d.duplicate) c.duplicated++;
        if (d.reorder) c.reordered++;
        this.#deliver(s, dir, data, d.duplicate, d.reorder);
      }
    } else {
      this.#deliver(s, dir, data, false, false);
    }
    if (this.#o.trace || this.#o.onDatagram) {
      const entry: TraceEntry = { t: Math.round(t * 10) / 10, session: s.id, direction: dir, index, bytes: data.length, action, what: describe(data) };
      if (this.#o.trace && this.trace.length < TRACE_LIMIT) this.trace.push(entry);
      this.#o.onDatagram?.(entry);
    }
  }

  #deliver(s: Session, dir: Direction, data: Buffer, duplicate: boolean, hold: boolean): void {
    const previous = s.held[dir];
    if (hold && !previous) {
      const timer = setTimeout(() => this.#release(s, dir), this.#o.reorderHoldMs);
      s.held[dir] = { data, timer };
      if (duplicate) this.#send(s, dir, data); // one copy now, the other after its successor
      return;
    }
    this.#send(s, dir, data);
    if (duplicate) this.#send(s, dir, data);
    if (previous) this.#release(s, dir); // the held one goes out after its successor
  }

  #release(s: Session, dir: Direction): void {
    const h = s.held[dir];
    if (!h) return;
    clearTimeout(h.timer);
    delete s.held[dir];
    if (!this.#closing) this.#send(s, dir, h.data);
  }

  #send(s: Session, dir: Direction, data: Buffer): void {
    const c = this.#counts[dir];
    const done = (err: Error | null): void => {
      if (err) c.sendErrors++;
    };
    try {
      if (dir === 'c2s') s.upstream.send(data, this.#target.port, this.#target.host, done);
      else this.#socket.send(data, s.port, s.address, done);
      c.sent++;
    } catch {
      c.sendErrors++; // socket closed
    }
  }
}

/** Starts a proxy on 127.0.0.1 (options.port, default any) in front of options.target. */
export function startLossyProxy(options: LossyProxyOptions): Promise<LossyProxy> {
  return new LossyProxy(options).start();
}

/** "handshake" | "all" | "datagrams:N" | "ms:T" → ImpairScope. */
export function parseImpair(text: string): ImpairScope {
  if (text === 'handshake' || text === 'all') return text;
  const m = /^(datagrams|ms):(\d+)$/.exec(text);
  if (!m) throw new TypeError(`--impair must be handshake, all, datagrams:N or ms:T, not ${text}`);
  return m[1] === 'datagrams' ? { datagrams: Number(m[2]) } : { ms: Number(m[2]) };
}

// ---------------------------------------------------------------- command line

const USAGE = `Usage: tsx bench/lossy-proxy.ts --target HOST:PORT [options]
  --target HOST:PORT   the server (required)
  --listen PORT        port on 127.0.0.1 to listen on (default: any; printed)
  --loss P             drop probability, 0..1 (default 0)
  --duplicate P        duplicate probability (default 0)
  --reorder P          hold-back probability (default 0)
  --seed N             seed of the decisions (default 1)
  --impair SCOPE       handshake (default) | all | datagrams:N | ms:T
  --lifetime MS        stop after this long (default 60000)
  --trace              print every datagram and its fate on stderr
Stops at the lifetime or on SIGINT/SIGTERM, then prints the counts as JSON.`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string' },
      listen: { type: 'string' },
      loss: { type: 'string' },
      duplicate: { type: 'string' },
      reorder: { type: 'string' },
      seed: { type: 'string' },
      impair: { type: 'string' },
      lifetime: { type: 'string' },
      trace: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.target) {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const m = /^(.*):(\d+)$/.exec(values.target);
  if (!m) throw new TypeError(`--target must be HOST:PORT, not ${values.target}`);
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const proxy = await startLossyProxy({
    target: { host: m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) },
    port: num(values.listen),
    loss: num(values.loss),
    duplicate: num(values.duplicate),
    reorder: num(values.reorder),
    seed: num(values.seed),
    impair: values.impair === undefined ? undefined : parseImpair(values.impair),
    lifetimeMs: num(values.lifetime),
    onDatagram: values.trace
      ? (e) => process.stderr.write(`${e.t.toFixed(1).padStart(9)} ms s${e.session} ${e.direction} #${e.index} ${e.action.padEnd(9)} ${e.bytes}B ${e.what}\n`)
      : undefined,
  });
  process.stdout.write(`Listening on ${proxy.address}:${proxy.port}\n`);
  const stop = (): void => void proxy.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const counts = await proxy.closed;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  process.stdout.write(`${JSON.stringify(counts)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`lossy-proxy: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
