// One handshake's work by role: a client and a server Connection back to back
// (as bench/core-pair.ts), with every call into each side timed on its own,
// so the client's and the server's shares of a handshake show separately.
// With --profile, the loop also runs under the V8 CPU profiler (in-process,
// after warm-up) and each side's samples are summed by kind of work.
//
//   node --import tsx bench/roles.ts [--version 1.2|1.3] [--seconds 3] [--profile]
import * as nc from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { Connection } from '../src/connection.ts';
import { createNativeProvider } from '../src/crypto/native.ts';
import { resolveOptions } from '../src/options.ts';
import { generateCertificate } from '../src/x509/generate.ts';
import { BENCH_SUITE, BENCH_SUITE13 } from './core-pair.ts';

const argv = process.argv.slice(2);
const version = argv.includes('--version') ? (argv[argv.indexOf('--version') + 1] as '1.2' | '1.3') : '1.3';
const seconds = argv.includes('--seconds') ? Number(argv[argv.indexOf('--seconds') + 1]) : 3;
const crypto = createNativeProvider(nc);
const cert = generateCertificate();
const spent = { client: 0, server: 0 };

// Process CPU time (not wall time: on a shared machine a call may wait for a
// core), in ms; it counts V8's helper threads too, as the handshake causes them.
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
// Named frames the profile can attribute samples by (each side's calls go through its own).
function clientSide<T>(f: () => T): T {
  const t = cpuNow();
  try {
    return f();
  } finally {
    spent.client += cpuNow() - t;
  }
}
function serverSide<T>(f: () => T): T {
  const t = cpuNow();
  try {
    return f();
  } finally {
    spent.server += cpuNow() - t;
  }
}

function handshake(): void {
  const v = { versions: [version], cipherSuites: [version === '1.3' ? BENCH_SUITE13 : BENCH_SUITE] };
  const client = clientSide(
    () => new Connection(resolveOptions({ role: 'client', crypto, verify: { fingerprints: [cert.fingerprint] }, ...v, groups: ['x25519', 'secp256r1'] })),
  );
  const server = serverSide(() => new Connection(resolveOptions({ role: 'server', crypto, certificate: cert, ...v, groups: ['x25519'] })));
  serverSide(() => server.start(0));
  clientSide(() => client.start(0));
  for (let rounds = 0, moved = true; moved; rounds++) {
    if (rounds > 100) throw new Error('still sending after 100 rounds');
    moved = false;
    for (let d = clientSide(() => client.pollTransmit()); d; d = clientSide(() => client.pollTransmit())) {
      const datagram = d;
      serverSide(() => server.handleDatagram(0, datagram));
      moved = true;
    }
    for (let d = serverSide(() => server.pollTransmit()); d; d = serverSide(() => server.pollTransmit())) {
      const datagram = d;
      clientSide(() => client.handleDatagram(0, datagram));
      moved = true;
    }
  }
  clientSide(() => {
    while (client.pollEvent());
  });
  serverSide(() => {
    while (server.pollEvent());
  });
  if (client.state !== 'connected' || server.state !== 'connected') throw new Error(`handshake failed: ${client.error?.message ?? server.error?.message}`);
}

for (let i = 0; i < 300; i++) handshake();
spent.client = spent.server = 0;

const session = argv.includes('--profile') ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const c0 = process.cpuUsage();
const t0 = performance.now();
let n = 0;
while (performance.now() - t0 < seconds * 1000) {
  handshake();
  n++;
}
const cpu = process.cpuUsage(c0);
console.log(
  `DTLS ${version}, native provider: ${n} handshakes; per handshake ${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms of process CPU, ` +
    `client calls ${(spent.client / n).toFixed(3)} ms, server calls ${(spent.server / n).toFixed(3)} ms (process CPU inside each side's calls; the rest is the loop and the timing itself)`,
);

if (session) {
  const { profile } = await session.post('Profiler.stop');
  bySide(profile as Profile, n);
}

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Each side's samples, by the innermost of our (src/) functions on the stack, in µs per handshake. */
function bySide(prof: Profile, handshakes: number): void {
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const parent = new Map<number, number>();
  for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const sides = { client: new Map<string, number>(), server: new Map<string, number>() };
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    let side: 'client' | 'server' | undefined;
    let ours: string | undefined;
    for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) {
      const cf = byId.get(up)!.callFrame;
      if (cf.functionName === 'clientSide' || cf.functionName === 'serverSide') {
        side = cf.functionName === 'clientSide' ? 'client' : 'server';
        break;
      }
      if (!ours && cf.url.includes('/src/')) ours = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/src\//, 'src/')}`;
    }
    if (!side) return;
    const leaf = byId.get(id)!.callFrame;
    const key = ours ?? `${leaf.functionName || '(anonymous)'} (runtime)`;
    sides[side].set(key, (sides[side].get(key) ?? 0) + dt);
  });
  for (const [side, m] of Object.entries(sides)) {
    const total = [...m.values()].reduce((a, b) => a + b, 0);
    console.log(`\n${side}: ${(total / handshakes).toFixed(0)} µs sampled per handshake; the nearest of our functions (with what it calls):`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROFILE_TOP ?? 20)))
      console.log(`  ${(v / handshakes).toFixed(1).padStart(7)} µs  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
  }
}
