// Soak run on loopback UDP: one listen() server, clients connecting one after
// another (a few at a time), each echoing a few messages through 5% loss in
// both directions and closing, for a long time. Every sample, the server
// reports its heap (after GC), active handles and timers, and its peer count;
// at the end the run says whether they stayed flat and whether anything was
// lost. A benchmark, not a CI test: it runs for --minutes and always stops by
// itself (exit 1 if anything was lost or grew, 2 on its own deadline).
//
//   npx tsx bench/soak.ts [--minutes 30] [--concurrency 8] [--messages 5] [--loss 0.05] [--sample 30] [--seed 1]
//
// DTLS does not resend application data, so the client resends an echo that
// does not come back within 300 ms (as an application on a lossy path would);
// "nothing lost" means every message of every connection came back, and every
// connection either completed or failed with a typed error (counted).
// The loss is applied at the server's socket (both directions, seeded), so
// handshakes, echoes and close_notify are all lost at the same rate; peers
// whose close_notify was lost leave at the server's idleTimeout (10 s here).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:dgram';
import { connect } from '../src/stream/connect.ts';
import { listen, type DtlsServerStats } from '../src/stream/server.ts';
import { bindUdp, nodeUdpConnected, nodeUdpSocket } from '../src/adapters/node.ts';
import type { Datagram, DatagramSocket } from '../src/adapters/types.ts';
import { DtlsError } from '../src/errors.ts';
import { generateCertificate } from '../src/x509/generate.ts';
import { Rng } from '../src/testing/network.ts';

interface Args {
  minutes: number;
  concurrency: number;
  messages: number;
  loss: number;
  sample: number;
  seed: number;
}

interface Sample {
  /** Seconds since the run started. */
  t: number;
  heapUsed: number;
  arrayBuffers: number;
  rss: number;
  /** process.getActiveResourcesInfo(), counted by kind. */
  resources: Record<string, number>;
  peers: number;
  stats: DtlsServerStats;
  dropped: { in: number; out: number };
}

type ServerMessage = { type: 'ready'; port: number; fingerprint: string } | { type: 'sample'; sample: Omit<Sample, 't'> };
type ParentMessage = { type: 'sample' } | { type: 'close' };

const IDLE_TIMEOUT_MS = 10_000;
const ECHO_WAIT_MS = 300;
const MAX_RESENDS = 40;

function parseArgs(argv: string[]): Args {
  const args: Args = { minutes: 30, concurrency: 8, messages: 5, loss: 0.05, sample: 30, seed: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!.replace(/^--/, '') as keyof Args;
    if (!(key in args))
      throw new TypeError(
        `unknown argument ${argv[i]} (known: ${Object.keys(args)
          .map((k) => `--${k}`)
          .join(' ')})`,
      );
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${argv[i]} needs a non-negative number`);
    args[key] = v;
  }
  if (args.loss >= 1) throw new RangeError('--loss is a probability below 1');
  if (args.concurrency < 1 || args.concurrency > 200) throw new RangeError('--concurrency is 1..200');
  return args;
}

function memory(): { heapUsed: number; arrayBuffers: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
  return { heapUsed, arrayBuffers, rss };
}

function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

// ---- the server (child process) ----

/** The socket with each datagram, in and out, dropped with probability `loss` (seeded). */
function lossy(udp: DatagramSocket, loss: number, seed: number, dropped: { in: number; out: number }): DatagramSocket {
  const rng = new Rng(seed);
  const drop = (dir: 'in' | 'out') =>
    new TransformStream<Datagram, Datagram>({
      transform(d, c) {
        if (rng.next() < loss) dropped[dir]++;
        else c.enqueue(d);
      },
    });
  const out = drop('out');
  void out.readable.pipeTo(udp.writable).catch(() => {});
  return { readable: udp.readable.pipeThrough(drop('in')), writable: out.writable };
}

async function serve(args: Args): Promise<void> {
  const send = (m: ServerMessage): void => void process.send!(m);
  const certificate = generateCertificate({ commonName: 'soak' });
  const sock = await bindUdp({ address: '127.0.0.1' });
  const dropped = { in: 0, out: 0 };
  const udp = nodeUdpSocket(sock, { highWaterMark: 4096 });
  const server = listen(lossy(udp, args.loss, args.seed, dropped), { certificate, idleTimeout: IDLE_TIMEOUT_MS, maxConnections: 4 * args.concurrency + 16 });
  const serving = (async () => {
    for await (const conn of server) void conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
  })();
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'sample')
      send({ type: 'sample', sample: { ...memory(), resources: resources(), peers: server.size, stats: server.stats, dropped: { ...dropped } } });
    else if (m.type === 'close') {
      void (async () => {
        await server.close();
        await serving;
        sock.close();
        process.disconnect();
      })();
    }
  });
  send({ type: 'ready', port: sock.address().port, fingerprint: certificate.fingerprint });
}

// ---- the clients (this process) ----

function request(child: ChildProcess): Promise<Omit<Sample, 't'>> {
  return new Promise((resolve) => {
    const on = (r: ServerMessage): void => {
      if (r.type !== 'sample') return;
      child.off('message', on);
      resolve(r.sample);
    };
    child.on('message', on);
    child.send({ type: 'sample' } satisfies ParentMessage);
  });
}

interface Totals {
  started: number;
  completed: number;
  failed: Record<string, number>;
  messages: number;
  echoed: number;
  resends: number;
  unfinished: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `p`, or 'timeout' after ms; the timer is cleared either way (no timers left behind). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function oneClient(port: number, fingerprint: string, args: Args, id: number, totals: Totals): Promise<void> {
  totals.started++;
  let sock: Socket | undefined;
  let done = 0;
  try {
    sock = await bindUdp({ address: '127.0.0.1' });
    const dtls = await connect(nodeUdpConnected(sock, '127.0.0.1', port), { verify: { fingerprints: [fingerprint] } });
    const w = dtls.outbound.writable.getWriter();
    const r = dtls.inbound.readable.getReader();
    let pending = r.read();
    for (let i = 0; i < args.messages; i++) {
      const text = `soak ${id}.${i}`;
      totals.messages++;
      let ok = false;
      for (let tries = 0; !ok && tries <= MAX_RESENDS; tries++) {
        if (tries) totals.resends++;
        await w.write(enc.encode(text));
        // Read until this echo, skipping late copies of earlier ones.
        for (;;) {
          const got = await within(pending, ECHO_WAIT_MS);
          if (got === 'timeout') break;
          pending = r.read();
          if (got.done) throw new Error('server closed the connection');
          if (dec.decode(got.value) === text) {
            ok = true;
            break;
          }
        }
      }
      if (!ok) throw new Error(`no echo after ${MAX_RESENDS} resends`);
      totals.echoed++;
      done++;
    }
    w.releaseLock();
    await dtls.close();
    totals.completed++;
  } catch (e) {
    const why = e instanceof DtlsError ? e.code : (e as Error).message;
    totals.failed[why] = (totals.failed[why] ?? 0) + 1;
    totals.unfinished += args.messages - done;
  } finally {
    await new Promise<void>((resolve) => (sock ? sock.close(() => resolve()) : resolve()));
  }
}

const mib = (n: number): string => (n / 2 ** 20).toFixed(2);
const kinds = (r: Record<string, number>): string =>
  Object.entries(r)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

async function main(args: Args): Promise<number> {
  const child = fork(fileURLToPath(import.meta.url), ['--server', ...process.argv.slice(2)], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const runMs = args.minutes * 60_000;
  // Its own deadline: the run, plus time to drain and the idle timeout.
  const deadline = setTimeout(() => {
    console.error('soak: still running past its deadline; stopping');
    child.kill();
    process.exit(2);
  }, runMs + 120_000);
  try {
    const ready = await new Promise<Extract<ServerMessage, { type: 'ready' }>>((resolve, reject) => {
      child.once('message', (m: ServerMessage) => (m.type === 'ready' ? resolve(m) : reject(new Error('unexpected message'))));
      child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
    const totals: Totals = { started: 0, completed: 0, failed: {}, messages: 0, echoed: 0, resends: 0, unfinished: 0 };
    const t0 = performance.now();
    const elapsed = (): number => (performance.now() - t0) / 1000;
    let id = 0;
    const workers = Array.from({ length: args.concurrency }, async () => {
      while (performance.now() - t0 < runMs) await oneClient(ready.port, ready.fingerprint, args, id++, totals);
    });
    const samples: (Sample & { clientHeap: number; clientResources: Record<string, number>; connections: number })[] = [];
    const take = async (): Promise<void> => {
      const s = await request(child);
      const mine = memory();
      samples.push({ t: elapsed(), ...s, clientHeap: mine.heapUsed, clientResources: resources(), connections: totals.completed });
      const last = samples.at(-1)!;
      console.log(
        `t=${last.t.toFixed(0)} s: connections ${totals.completed} done, ${totals.started - totals.completed - Object.values(totals.failed).reduce((a, b) => a + b, 0)} open; ` +
          `server heap ${mib(last.heapUsed)} MiB, buffers ${mib(last.arrayBuffers)} MiB, rss ${mib(last.rss)} MiB, peers ${last.peers}, resources {${kinds(last.resources)}}; client heap ${mib(last.clientHeap)} MiB`,
      );
    };
    await take();
    let running = true;
    const sampler = (async () => {
      // Every --sample seconds while clients are started; none while the last ones finish.
      for (;;) {
        const left = runMs - (performance.now() - t0);
        if (!running || left <= 0) break;
        await sleep(Math.min(args.sample * 1000, left));
        if (running) await take();
      }
    })();
    await Promise.all(workers);
    running = false;
    await sampler;
    const runSeconds = elapsed();
    // Peers whose close_notify was lost leave at the idle timeout.
    await sleep(IDLE_TIMEOUT_MS + 2000);
    await take();
    const end = samples.at(-1)!;

    // Flatness: the second half of the run against the first (after one sample of warm-up).
    const during = samples.slice(1, -1);
    const half = Math.floor(during.length / 2);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const heapA = mean(during.slice(0, half).map((s) => s.heapUsed + s.arrayBuffers));
    const heapB = mean(during.slice(half).map((s) => s.heapUsed + s.arrayBuffers));
    const failures = Object.values(totals.failed).reduce((a, b) => a + b, 0);
    const lost = totals.messages - totals.echoed;
    const timers = (s: Sample): number => s.resources.Timeout ?? 0;
    // Stdio and IPC pipes (PipeWrap, TTYWrap) come and go with logging; count the rest.
    const handles = (s: Sample): number => Object.entries(s.resources).reduce((a, [k, v]) => (k === 'PipeWrap' || k === 'TTYWrap' ? a : a + v), 0);
    const first = samples[0]!;

    console.log('');
    console.log(
      `dtls-stream soak, ${process.version} ${process.platform}/${process.arch}: ${runSeconds.toFixed(0)} s, ${args.concurrency} clients at a time, ` +
        `${args.messages} echoes each, ${(args.loss * 100).toFixed(1)}% loss each way at the server, seed ${args.seed}`,
    );
    console.log('');
    console.log(
      '| minutes | connections (completed / failed) | echoes (returned / sent) | client resends | server heap+buffers: first half -> second half -> after | server handles (not stdio) / timers: start -> end | peers at end | datagrams dropped in / out |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    console.log(
      `| ${(runSeconds / 60).toFixed(1)} | ${totals.completed} / ${failures} | ${totals.echoed} / ${totals.messages} | ${totals.resends} | ` +
        `${mib(heapA)} -> ${mib(heapB)} -> ${mib(end.heapUsed + end.arrayBuffers)} MiB | ${handles(first)}/${timers(first)} -> ${handles(end)}/${timers(end)} | ${end.peers} | ${end.dropped.in} / ${end.dropped.out} |`,
    );
    console.log('');
    const { droppedRecords, ...counters } = end.stats;
    console.log(`server stats: ${JSON.stringify(counters)}; record drops ${JSON.stringify(droppedRecords)}`);
    if (failures) console.log(`failures by reason: ${JSON.stringify(totals.failed)} (${totals.unfinished} messages of failed connections not echoed)`);
    // Judged: nothing lost, no peers left, handles and timers back to where they started, heap within 10% (GC noise).
    const grew = heapB > heapA * 1.1 + 1 * 2 ** 20;
    const leaked = handles(end) > handles(first) || timers(end) > timers(first);
    const verdict = !failures && !lost && !end.peers && !grew && !leaked;
    console.log(
      `verdict: ${verdict ? 'flat, nothing lost' : `FAILED (${[failures && 'failed connections', lost && 'lost echoes', end.peers && 'peers left', grew && 'heap grew', leaked && 'handles or timers left'].filter(Boolean).join(', ')})`}`,
    );
    child.send({ type: 'close' } satisfies ParentMessage);
    await new Promise((resolve) => child.once('exit', resolve));
    return verdict ? 0 : 1;
  } finally {
    clearTimeout(deadline);
    if (child.exitCode === null) child.kill();
  }
}

const argv = process.argv.slice(2);
const isServer = argv[0] === '--server';
const args = parseArgs(isServer ? argv.slice(1) : argv);
if (isServer) await serve(args);
else process.exitCode = await main(args);
