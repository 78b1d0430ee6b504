// The native record path against the bare node:crypto AEAD loop, interleaved:
// the quick check for one change to the record path (npm run bench prints the
// same ratio inside its full table). Each round alternates the bare loop, the
// raw core and, with --streams, two DtlsStreams in slices of 50 ms, and rates
// are per second of this process's CPU time (process.cpuUsage) as well as of
// wall time: on a machine shared with other work, the CPU-time figures and the
// ratios hold far better than wall-clock MB/s. Ratios are per round, then the
// median; the spread of the rounds is printed.
//
//   node --expose-gc --import tsx bench/record-path.ts [--rounds 5] [--seconds 2] [--streams]
//
// The core runs twice per slice pair: DTLS 1.2 (ECDHE-ECDSA-AES128-GCM-SHA256)
// and DTLS 1.3 (TLS_AES_128_GCM_SHA256), both against the same bare loop.
import * as nc from 'node:crypto';
import { createNativeProvider } from '../src/crypto/native.ts';
import { generateCertificate } from '../src/x509/generate.ts';
import { DtlsStream } from '../src/stream/dtls-stream.ts';
import { BENCH_SUITE } from './core-pair.ts';
import { BATCH, RECORD_SIZE as SIZE, bareAeadStep, coreBulkStep } from './bulk-steps.ts';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : def);
const ROUNDS = opt('--rounds', 5);
const SECONDS = opt('--seconds', 2);
const STREAMS = argv.includes('--streams');

const native = createNativeProvider(nc);
const cert = generateCertificate();

interface Meter {
  bytes: number;
  wall: number;
  cpu: number;
}
const meter = (): Meter => ({ bytes: 0, wall: 0, cpu: 0 });
const SLICE_MS = 50;

/** One slice of `step` (sync or async), its bytes and times added to `m`. */
async function slice(step: () => number | Promise<number>, m: Meter): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < SLICE_MS) {
    const r = step();
    n += typeof r === 'number' ? r : await r;
  }
  const c = process.cpuUsage(c0);
  m.wall += (performance.now() - t0) / 1000;
  m.cpu += (c.user + c.system) / 1e6;
  m.bytes += n;
}

/** Two DtlsStreams piped to each other: the client's writer to the server's reader. */
async function streamStep(): Promise<{ step: () => Promise<number>; done: () => Promise<void> }> {
  const server = new DtlsStream({ role: 'server', crypto: native, certificate: cert, cipherSuites: [BENCH_SUITE] });
  const client = new DtlsStream({ role: 'client', crypto: native, verify: { fingerprints: [cert.fingerprint] }, cipherSuites: [BENCH_SUITE] });
  void client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
  void server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
  await Promise.all([client.handshake, server.handshake]);
  const w = client.outbound.writable.getWriter();
  const r = server.inbound.readable.getReader();
  const payload = new Uint8Array(SIZE).fill(7);
  const step = async () => {
    const reading = (async () => {
      let n = 0;
      while (n < BATCH * SIZE) {
        const { value } = await r.read();
        if (!value) throw new Error('stream ended');
        n += value.length;
      }
      return n;
    })();
    for (let i = 0; i < BATCH; i++) await w.write(payload);
    return reading;
  };
  const done = async () => {
    w.releaseLock();
    r.releaseLock();
    await Promise.all([client.close(), server.close()]);
  };
  return { step, done };
}

async function round(seconds: number): Promise<{ bare: Meter; core: Meter; core13: Meter; streams: Meter }> {
  const m = { bare: meter(), core: meter(), core13: meter(), streams: meter() };
  const b = bareAeadStep();
  const c = coreBulkStep(native, cert, '1.2');
  const c13 = coreBulkStep(native, cert, '1.3');
  const s = STREAMS ? await streamStep() : undefined;
  const slices = Math.max(1, Math.round((seconds * 1000) / SLICE_MS));
  for (let i = 0; i < slices; i++) {
    await slice(b, m.bare);
    await slice(c, m.core);
    await slice(c13, m.core13);
    if (s) await slice(s.step, m.streams);
  }
  await s?.done();
  return m;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)]!;
const cpuRate = (m: Meter) => m.bytes / m.cpu / 1e6;
const wallRate = (m: Meter) => m.bytes / m.wall / 1e6;
const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
const spread = (v: number[]) => `${pct(Math.min(...v))}-${pct(Math.max(...v))}`;

// Warm-up: the record path takes a few seconds to reach its steady speed.
await round(2);
const rounds: Awaited<ReturnType<typeof round>>[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const r = await round(SECONDS);
  rounds.push(r);
  console.log(
    `round ${i + 1}: MB per CPU-second: bare ${cpuRate(r.bare).toFixed(1)}, core ${cpuRate(r.core).toFixed(1)} (${pct(cpuRate(r.core) / cpuRate(r.bare))}), core 1.3 ${cpuRate(r.core13).toFixed(1)} (${pct(cpuRate(r.core13) / cpuRate(r.bare))})` +
      (STREAMS ? `, streams ${cpuRate(r.streams).toFixed(1)} (${pct(cpuRate(r.streams) / cpuRate(r.core))} of core)` : '') +
      `; wall MB/s: bare ${wallRate(r.bare).toFixed(1)}, core ${wallRate(r.core).toFixed(1)}`,
  );
}
const coreBare = rounds.map((r) => cpuRate(r.core) / cpuRate(r.bare));
const core13Bare = rounds.map((r) => cpuRate(r.core13) / cpuRate(r.bare));
const core13Core = rounds.map((r) => cpuRate(r.core13) / cpuRate(r.core));
const coreBareWall = rounds.map((r) => wallRate(r.core) / wallRate(r.bare));
const streamsCore = rounds.map((r) => cpuRate(r.streams) / cpuRate(r.core));
console.log(
  `median of ${ROUNDS} rounds (MB per CPU-second): bare ${median(rounds.map((r) => cpuRate(r.bare))).toFixed(1)}, core ${median(rounds.map((r) => cpuRate(r.core))).toFixed(1)}, core 1.3 ${median(rounds.map((r) => cpuRate(r.core13))).toFixed(1)}` +
    (STREAMS ? `, streams ${median(rounds.map((r) => cpuRate(r.streams))).toFixed(1)}` : ''),
);
console.log(
  `core / bare: ${pct(median(coreBare))} by CPU time (rounds ${spread(coreBare)}), ${pct(median(coreBareWall))} by wall time (rounds ${spread(coreBareWall)}); core 1.3 / bare: ${pct(median(core13Bare))} by CPU time (rounds ${spread(core13Bare)}), core 1.3 / core 1.2: ${pct(median(core13Core))}` +
    (STREAMS ? `; streams / core: ${pct(median(streamsCore))} by CPU time (rounds ${spread(streamsCore)})` : ''),
);
