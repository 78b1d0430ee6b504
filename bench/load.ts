// Load test on loopback UDP: N concurrent clients each handshake with one
// listen() server, echo a few messages and hold the connection while the
// server's memory is measured; then all close. The server runs in a child
// process (its own core and heap, measured alone); the clients run here.
// Bounded in count (--clients at most 1000) and time (--timeout): it always
// stops by itself, exiting 1 if anything failed and 2 on the deadline.
//
//   npx tsx bench/load.ts [--clients 200] [--messages 3] [--max-handshakes N] [--rate N] [--warmup N] [--timeout 120] [--fixed-timer] [--version 1.2|1.3] [--light-clients] [--server-profile DIR] [--client-profile DIR]
//
// The clients: by default each is a connect() DtlsStream (what an application
// would run). --light-clients makes each a bare Connection from the core on its
// own socket, fed straight from the socket, one timer for all
// (bench/load-light-clients.ts): they then take much less of the shared cores,
// so the figures show the server's own capacity. The server is the same
// listen() in both, and its CPU is measured alone. Started all at once, the
// light clients' one timer runs late behind 1000 sockets' reads and they
// resend more than connect() clients do: with --rate they measure the
// server's CPU per handshake, not its p99.
//
// --version pins both sides to one DTLS version (default: the library's
// defaults, which negotiate DTLS 1.3).
//
// --server-profile DIR writes the server's CPU profile (node --cpu-prof) there;
// --client-profile DIR the clients' (this process), from the first ClientHello
// to the last echo (bench/profile.ts --summarize reads both).
//
// --rate N starts N clients per second instead of all at once: the CPU per
// handshake then shows what a handshake costs here without overload.
//
// --warmup N runs N clients (handshake, echoes, close) first, unmeasured: the
// measured run then meets code the JIT has already optimised, on both sides.
//
// --fixed-timer turns the adaptive retransmission timer off on both sides (the
// plain doubling from the initial 100 ms), for comparison with the default.
//
// Prints a Markdown table row plus the details behind it.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism, loadavg } from 'node:os';
import type { Socket } from 'node:dgram';
import { connect } from '../src/stream/connect.ts';
import { listen, LISTEN_DEFAULTS, type DtlsServerStats } from '../src/stream/server.ts';
import type { DtlsStream } from '../src/stream/dtls-stream.ts';
import { bindUdp, nodeUdpConnected, nodeUdpSocket } from '../src/adapters/node.ts';
import { DtlsError } from '../src/errors.ts';
import { generateCertificate } from '../src/x509/generate.ts';
import { runLightClients, type LightResult } from './load-light-clients.ts';

interface Args {
  clients: number;
  messages: number;
  /** Clients started per second (0: all at once). */
  rate: number;
  /** Clients that handshake, echo and close before the measured run (0: none). */
  warmup: number;
  maxHandshakes: number;
  timeout: number;
  fixedTimer: boolean;
  /** Clients as bare core Connections (bench/load-light-clients.ts) instead of connect() DtlsStreams. */
  lightClients: boolean;
  version?: '1.2' | '1.3';
  serverProfile?: string;
  clientProfile?: string;
}

interface Memory {
  heapUsed: number;
  arrayBuffers: number;
  external: number;
  rss: number;
}

/** Datagrams and resends, summed over connections (DtlsStream.stats). */
interface Traffic {
  datagramsIn: number;
  datagramsOut: number;
  retransmits: number;
}

/** Child → parent. */
type ServerMessage =
  | { type: 'ready'; port: number; fingerprint: string; memory: Memory }
  | { type: 'measured'; size: number; memory: Memory; cpuMs: number; traffic: Traffic; socketIn: number }
  | { type: 'stats'; size: number; stats: DtlsServerStats; socketDropped: number };

/** Parent → child. */
type ParentMessage = { type: 'measure' } | { type: 'stats' } | { type: 'reset' } | { type: 'close' };

const MAX_CLIENTS = 1000;

function parseArgs(argv: string[]): Args {
  const args: Args = {
    clients: 200,
    messages: 3,
    rate: 0,
    warmup: 0,
    maxHandshakes: LISTEN_DEFAULTS.maxHandshakes,
    timeout: 120,
    fixedTimer: false,
    lightClients: false,
  };
  const names: Record<string, Exclude<keyof Args, 'fixedTimer' | 'lightClients' | 'serverProfile' | 'clientProfile' | 'version'>> = {
    '--clients': 'clients',
    '--messages': 'messages',
    '--rate': 'rate',
    '--warmup': 'warmup',
    '--max-handshakes': 'maxHandshakes',
    '--timeout': 'timeout',
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--fixed-timer') {
      args.fixedTimer = true;
      continue;
    }
    if (argv[i] === '--light-clients') {
      args.lightClients = true;
      continue;
    }
    if (argv[i] === '--version') {
      const v = argv[++i];
      if (v !== '1.2' && v !== '1.3') throw new TypeError('--version is 1.2 or 1.3');
      args.version = v;
      continue;
    }
    if (argv[i] === '--server-profile' || argv[i] === '--client-profile') {
      const dir = argv[++i];
      if (!dir) throw new TypeError(`${argv[i - 1]} needs a directory`);
      args[argv[i - 1] === '--server-profile' ? 'serverProfile' : 'clientProfile'] = dir;
      continue;
    }
    const key = names[argv[i]!];
    if (!key)
      throw new TypeError(
        `unknown argument ${argv[i]} (known: ${Object.keys(names).join(' ')}, --fixed-timer, --light-clients, --version, --server-profile, --client-profile)`,
      );
    const v = Number(argv[++i]);
    if (!Number.isInteger(v) || v < (key === 'messages' || key === 'rate' || key === 'warmup' ? 0 : 1))
      throw new RangeError(`${argv[i - 1]} needs a whole number`);
    args[key] = v;
  }
  if (args.clients > MAX_CLIENTS) throw new RangeError(`--clients is at most ${MAX_CLIENTS}`);
  return args;
}

function addTraffic(t: Traffic, dtls: DtlsStream): void {
  const s = dtls.stats;
  t.datagramsIn += s.datagramsIn;
  t.datagramsOut += s.datagramsOut;
  t.retransmits += s.retransmits;
}

function memory(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { heapUsed, arrayBuffers, external, rss } = process.memoryUsage();
  return { heapUsed, arrayBuffers, external, rss };
}

/** Options both sides take from the arguments: the retransmission timer and the DTLS version. */
function sideOptions(args: Args): { retransmit?: { adaptive: boolean }; versions?: ('1.2' | '1.3')[] } {
  return { ...(args.fixedTimer ? { retransmit: { adaptive: false } } : {}), ...(args.version ? { versions: [args.version] } : {}) };
}

// ---- the server (child process) ----

async function serve(args: Args): Promise<void> {
  const send = (m: ServerMessage): void => void process.send!(m);
  const certificate = generateCertificate({ commonName: 'load' });
  const sock = await bindUdp({ address: '127.0.0.1' });
  try {
    sock.setRecvBufferSize(4 << 20);
    sock.setSendBufferSize(4 << 20);
  } catch {
    // Capped by the OS: the defaults will do, with more retransmissions.
  }
  const udp = nodeUdpSocket(sock, { highWaterMark: 4096 });
  let socketIn = 0;
  sock.on('message', () => void socketIn++);
  const server = listen(udp, {
    certificate,
    maxConnections: Math.max(args.clients, args.warmup) + 16,
    maxHandshakes: args.maxHandshakes,
    ...sideOptions(args),
  });
  // Every peer that got a connection (handshake done or not), for its datagram counts.
  const peers: DtlsStream[] = [];
  server.addEventListener('connection', (e) => void peers.push((e as CustomEvent<{ dtls: DtlsStream }>).detail.dtls));
  const serving = (async () => {
    for await (const conn of server) void conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
  })();
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'measure') {
      const { user, system } = process.cpuUsage(cpu);
      const traffic: Traffic = { datagramsIn: 0, datagramsOut: 0, retransmits: 0 };
      for (const p of peers) addTraffic(traffic, p);
      send({ type: 'measured', size: server.size, memory: memory(), cpuMs: (user + system) / 1000, traffic, socketIn });
    } else if (m.type === 'stats') send({ type: 'stats', size: server.size, stats: server.stats, socketDropped: udp.dropped });
    else if (m.type === 'reset') {
      // After a warm-up: measure from here.
      peers.length = 0;
      socketIn = 0;
      cpu = process.cpuUsage();
      send({ type: 'stats', size: server.size, stats: server.stats, socketDropped: udp.dropped });
    } else if (m.type === 'close') {
      void (async () => {
        await server.close();
        await serving;
        sock.close();
        process.disconnect();
      })();
    }
  });
  const ready: ServerMessage = { type: 'ready', port: sock.address().port, fingerprint: certificate.fingerprint, memory: memory() };
  let cpu = process.cpuUsage();
  send(ready);
}

// ---- the clients (this process) ----

function request<T extends ServerMessage['type']>(child: ChildProcess, m: ParentMessage, reply: T): Promise<Extract<ServerMessage, { type: T }>> {
  return new Promise((resolve) => {
    const on = (r: ServerMessage): void => {
      if (r.type !== reply) return;
      child.off('message', on);
      resolve(r as Extract<ServerMessage, { type: T }>);
    };
    child.on('message', on);
    child.send(m);
  });
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

interface ClientResult {
  dtls?: DtlsStream;
  latency?: number;
  echoed: number;
  /** Echoes sent again after ECHO_RETRY ms without an answer. */
  echoRetries: number;
  error?: string;
}

/** An echo unanswered this long is sent again (the light clients do the same). */
const ECHO_RETRY = 1000;

async function runClient(sock: Socket, port: number, fingerprint: string, args: Args, t0: number, index: number): Promise<ClientResult> {
  const result: ClientResult = { echoed: 0, echoRetries: 0 };
  if (args.rate) {
    // Spread out (--rate): each client's time to handshake counts from its own start.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + (index * 1000) / args.rate - performance.now())));
    t0 = performance.now();
  }
  const messages = args.messages;
  try {
    const dtls = await connect(nodeUdpConnected(sock, '127.0.0.1', port), { verify: { fingerprints: [fingerprint] }, ...sideOptions(args) });
    result.latency = performance.now() - t0;
    result.dtls = dtls;
    const w = dtls.outbound.writable.getWriter();
    const r = dtls.inbound.readable.getReader();
    for (let i = 0; i < messages; i++) {
      const text = `echo ${i} from ${sock.address().port}`;
      await w.write(enc.encode(text));
      // Application data is not resent by DTLS: an echo unanswered for ECHO_RETRY ms is sent again, as an application on UDP would.
      let read = r.read();
      for (;;) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ECHO_RETRY)));
        const got = await Promise.race([read, late]);
        clearTimeout(timer);
        if (got === 'late') {
          result.echoRetries++;
          await w.write(enc.encode(text));
          continue;
        }
        const answer = got.value ? dec.decode(got.value) : undefined;
        if (answer === text) break;
        // A second answer to an earlier echo sent twice.
        if (result.echoRetries && answer !== undefined && Number(/^echo (\d+) /.exec(answer)?.[1]) < i) {
          read = r.read();
          continue;
        }
        throw new Error('echo mismatch');
      }
      result.echoed++;
    }
    w.releaseLock();
    r.releaseLock();
  } catch (e) {
    result.error = e instanceof DtlsError ? e.code : (e as Error).message;
  }
  return result;
}

/** One run of clients, one per socket, with the generator the arguments ask for. */
async function runClients(
  socks: Socket[],
  port: number,
  fingerprint: string,
  args: Args,
): Promise<{ results: { latency?: number; echoed: number; error?: string }[]; echoRetries?: number; traffic(): Traffic; close(): Promise<void> }> {
  const t0 = performance.now();
  if (args.lightClients) {
    const light = runLightClients(socks, port, { verify: { fingerprints: [fingerprint] }, ...sideOptions(args) }, args.messages, (i) =>
      args.rate ? t0 + (i * 1000) / args.rate : t0,
    );
    lightStatus = light.status;
    const results: LightResult[] = await light.results;
    return {
      results,
      echoRetries: results.reduce((n, r) => n + r.echoRetries, 0),
      traffic: () => {
        const t: Traffic = { datagramsIn: 0, datagramsOut: 0, retransmits: 0 };
        for (const r of results) {
          if (r.latency === undefined) continue;
          t.datagramsIn += r.datagramsIn;
          t.datagramsOut += r.datagramsOut;
          t.retransmits += r.retransmits;
        }
        return t;
      },
      close: () => light.close(),
    };
  }
  const results = await Promise.all(socks.map((s, i) => runClient(s, port, fingerprint, args, t0, i)));
  return {
    results,
    echoRetries: results.reduce((n, r) => n + r.echoRetries, 0),
    traffic: () => {
      const t: Traffic = { datagramsIn: 0, datagramsOut: 0, retransmits: 0 };
      for (const r of results) if (r.dtls) addTraffic(t, r.dtls);
      return t;
    },
    close: async () => void (await Promise.all(results.map((r) => r.dtls?.close()))),
  };
}

/** The V8 CPU profiler on this process (node:inspector), for --client-profile. */
async function startProfile(): Promise<{ stop(dir: string): Promise<string> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(dir) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const { mkdirSync, writeFileSync } = await import('node:fs');
      mkdirSync(dir, { recursive: true });
      const file = `${dir}/clients-${process.pid}.cpuprofile`;
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}

/** The light clients' states, printed when the run overstays --timeout. */
let lightStatus: (() => string) | undefined;

const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
const kib = (n: number): string => (n / 1024).toFixed(1);

async function main(args: Args): Promise<number> {
  const child = fork(fileURLToPath(import.meta.url), ['--server', ...process.argv.slice(2)], {
    execArgv: ['--import', 'tsx', '--expose-gc', ...(args.serverProfile ? ['--cpu-prof', '--cpu-prof-dir', args.serverProfile] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    console.error(`load test: still running after ${args.timeout} s; stopping${lightStatus ? ` (light clients: ${lightStatus()})` : ''}`);
    child.kill();
    process.exit(2);
  }, args.timeout * 1000);
  try {
    const ready = await new Promise<Extract<ServerMessage, { type: 'ready' }>>((resolve, reject) => {
      child.once('message', (m: ServerMessage) => (m.type === 'ready' ? resolve(m) : reject(new Error('unexpected message'))));
      child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
    if (args.warmup) {
      const warm = await Promise.all(Array.from({ length: Math.min(args.warmup, MAX_CLIENTS) }, () => bindUdp({ address: '127.0.0.1' })));
      const done = await runClients(warm, ready.port, ready.fingerprint, { ...args, rate: 0 });
      await done.close();
      for (let i = 0; i < 200 && (await request(child, { type: 'stats' }, 'stats')).size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.all(warm.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      await request(child, { type: 'reset' }, 'stats');
      console.log(
        `warm-up: ${done.results.filter((r) => r.latency !== undefined).length} of ${warm.length} handshakes before the measured run (server counters below include them)`,
      );
    }
    const socks = await Promise.all(Array.from({ length: args.clients }, () => bindUdp({ address: '127.0.0.1' })));

    const profiler = args.clientProfile ? await startProfile() : undefined;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const run = await runClients(socks, ready.port, ready.fingerprint, args);
    const results = run.results;
    const elapsed = (performance.now() - t0) / 1000;
    const clientCpu = process.cpuUsage(cpu);
    if (profiler) console.error(`client profile: ${await profiler.stop(args.clientProfile!)}`);

    const held = await request(child, { type: 'measure' }, 'measured');
    const live = results.filter((r) => r.latency !== undefined);
    const latencies = live.map((r) => r.latency!).sort((a, b) => a - b);
    const lastHandshake = (latencies.at(-1) ?? 0) / 1000;
    const failures = results.filter((r) => r.error);
    const reasons: Record<string, number> = {};
    for (const f of failures) reasons[f.error!] = (reasons[f.error!] ?? 0) + 1;
    const echoed = results.reduce((n, r) => n + r.echoed, 0);
    const clientTraffic = run.traffic();

    await run.close();
    // The server removes each peer on its close_notify.
    let after = await request(child, { type: 'stats' }, 'stats');
    for (let i = 0; i < 200 && after.size > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      after = await request(child, { type: 'stats' }, 'stats');
    }
    child.send({ type: 'close' } satisfies ParentMessage);
    await new Promise((resolve) => child.once('exit', resolve));
    await Promise.all(socks.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));

    const grown = held.memory.heapUsed + held.memory.arrayBuffers - (ready.memory.heapUsed + ready.memory.arrayBuffers);
    const perConn = held.size ? grown / held.size : NaN;
    const rssPerConn = held.size ? (held.memory.rss - ready.memory.rss) / held.size : NaN;

    console.log(
      `dtls-stream load test, ${process.version} ${process.platform}/${process.arch}: ${args.clients} clients ` +
        `(${args.lightClients ? 'light: bare core Connections, one timer (--light-clients)' : 'connect() DtlsStreams'}), ${args.messages} echoes each, ` +
        `maxHandshakes ${args.maxHandshakes}, ${args.fixedTimer ? 'fixed' : 'adaptive'} retransmission timer, DTLS ${args.version ?? '1.3 (defaults)'}; ` +
        // Wall-clock figures on a shared machine follow what else runs: the 1-minute load average says how busy it was.
        `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
    );
    console.log('');
    console.log(
      '| clients | handshakes completed | failures | p50 handshake | p99 handshake | handshakes/s | echo round trips/s | server memory per connection (heap+buffers) | server RSS per connection |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    console.log(
      `| ${args.clients} | ${live.length} | ${failures.length} | ${percentile(latencies, 50).toFixed(0)} ms | ${percentile(latencies, 99).toFixed(0)} ms | ` +
        `${(live.length / lastHandshake).toFixed(0)} | ${(echoed / elapsed).toFixed(0)} | ${kib(perConn)} KiB | ${kib(rssPerConn)} KiB |`,
    );
    console.log('');
    console.log(
      `wall time ${elapsed.toFixed(2)} s; last handshake at ${lastHandshake.toFixed(2)} s; client retransmissions ${clientTraffic.retransmits}; echoes ${echoed}/${args.clients * args.messages}` +
        (run.echoRetries !== undefined ? ` (echoes sent again after 1 s unanswered: ${run.echoRetries})` : ''),
    );
    const clientCpuS = (clientCpu.user + clientCpu.system) / 1e6;
    const n = Math.max(live.length, 1);
    const perHs = (v: number): string => (v / n).toFixed(1);
    console.log(
      `CPU during the run: server ${(held.cpuMs / 1000).toFixed(2)} s, clients ${clientCpuS.toFixed(2)} s; ` +
        `per handshake: server ${(held.cpuMs / n).toFixed(2)} ms, clients ${((clientCpuS * 1000) / n).toFixed(2)} ms`,
    );
    const st = held.traffic;
    console.log(
      `datagrams per handshake (with the echoes and closes): server in ${perHs(st.datagramsIn)} (socket ${perHs(held.socketIn)}), out ${perHs(st.datagramsOut)}, ` +
        `resends ${perHs(st.retransmits)}; clients in ${perHs(clientTraffic.datagramsIn)}, out ${perHs(clientTraffic.datagramsOut)}, resends ${perHs(clientTraffic.retransmits)}`,
    );
    // What bounds the tail when server and clients share this machine: all
    // handshakes cannot end before their CPU time spread over every core, and
    // when the last one ends near that floor, serving order cannot help p99.
    const floor = (held.cpuMs / 1000 + clientCpuS) / availableParallelism();
    console.log(
      `CPU floor (server + clients CPU over ${availableParallelism()} cores): ${floor.toFixed(2)} s; last handshake at ${(lastHandshake / floor).toFixed(2)}x it, ` +
        `p99 at ${(percentile(latencies, 99) / 1000 / floor).toFixed(2)}x it`,
    );
    console.log(
      `server held ${held.size} connections: heap ${mib(ready.memory.heapUsed)} -> ${mib(held.memory.heapUsed)} MiB, array buffers ${mib(ready.memory.arrayBuffers)} -> ${mib(held.memory.arrayBuffers)} MiB, rss ${mib(ready.memory.rss)} -> ${mib(held.memory.rss)} MiB`,
    );
    const { droppedRecords, ...counters } = after.stats;
    console.log(
      `server stats: ${JSON.stringify(counters)}; record drops ${JSON.stringify(droppedRecords)}; socket queue drops ${after.socketDropped}; peers left ${after.size}`,
    );
    if (failures.length) console.log(`failures by reason: ${JSON.stringify(reasons)}`);
    return failures.length || echoed !== args.clients * args.messages || after.size ? 1 : 0;
  } finally {
    if (!timedOut) clearTimeout(deadline);
    if (child.exitCode === null) child.kill();
  }
}

const argv = process.argv.slice(2);
const isServer = argv[0] === '--server';
const args = parseArgs(isServer ? argv.slice(1) : argv);
if (isServer) await serve(args);
else process.exitCode = await main(args);
