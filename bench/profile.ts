// Where the time goes: runs one workload under `node --cpu-prof` in a child
// and prints the functions with the most self time, grouped by source file.
//   node --import tsx bench/profile.ts handshake|bulk [--noble] [--v13] [--seconds 4]
//   node --import tsx bench/profile.ts --summarize FILE.cpuprofile [--cpu-ms MS --ops N]   (e.g. from bench/load.ts --server-profile)
//
// With --summarize, a table of what the busy samples were doing (idle and
// module loading left out), by the innermost of our functions on the stack
// that names a kind of work; given the process's measured CPU time and the
// number of operations (bench/load.ts prints both), each share is also
// shown as CPU milliseconds per operation. Sampled wall time on a loaded
// machine counts descheduled time too, so the shares hold better than the
// profile's own totals.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nc from 'node:crypto';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const mode = argv[0] === 'bulk' ? 'bulk' : 'handshake';
const noble = argv.includes('--noble');
const v13 = argv.includes('--v13');
const seconds = argv.includes('--seconds') ? Number(argv[argv.indexOf('--seconds') + 1]) : 4;

// Kinds of work, matched against the names of our functions (src/) from the
// sampled frame outwards; the first match names the sample. Order matters
// only where one kind's functions call another's.
const KINDS: [string, RegExp][] = [
  ['certificate generation (start-up)', /^generateCertificate$/],
  ['ECDSA sign', /^nativeEcdsaSign$/],
  ['ECDSA verify', /^nativeEcdsaVerify$/],
  ['key share generation', /^x25519Generate$|^nativeShare$/],
  ['ECDH', /^nativeEcdh$/],
  ['record number mask (1.3)', /^recordNumberMask$/],
  ['AEAD key setup', /^nativeAead$|^NativeAead$/],
  ['AEAD seal / open', /^sealInto$|^open$/],
  ['HKDF / HMAC / PRF', /^hkdfExpand$|^hkdfExtract$|^hmac$|^hkdfExtractWith$|^finishedVerifyData$|^prf$|^pHash$/],
  ['transcript hash', /^digest$|^hashContext$|^hash$/],
  ['cookie', /[cC]ookie/],
  ['certificate parsing, fingerprints', /^parseCertificate$|^parseFingerprint$|^fingerprint$/],
];

if (argv.includes('--child')) {
  const { generateCertificate } = await import('../src/x509/generate.ts');
  const { createNativeProvider } = await import('../src/crypto/native.ts');
  const { nobleProvider } = await import('../src/crypto/noble.ts');
  const { corePair } = await import('./core-pair.ts');
  const crypto = noble ? nobleProvider : createNativeProvider(nc);
  const cert = generateCertificate();
  const pair = () => corePair(crypto, cert, 'x25519', v13 ? '1.3' : '1.2');
  const end = performance.now() + seconds * 1000;
  let ops = 0;
  if (mode === 'handshake')
    while (performance.now() < end) {
      pair();
      ops++;
    }
  else {
    const { client, server } = pair();
    const payload = new Uint8Array(1200);
    while (performance.now() < end) {
      for (let i = 0; i < 64; i++) client.send(0, payload);
      for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(0, d);
      while (server.pollReceived()) ops++;
    }
  }
  console.log(JSON.stringify({ ops }));
} else if (argv.includes('--summarize')) {
  const file = argv[argv.indexOf('--summarize') + 1]!;
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  summarize(prof, `${file}:`);
  const num = (name: string) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : undefined);
  kinds(prof, num('--cpu-ms'), num('--ops'));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'dtls-prof-'));
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(
    process.execPath,
    [
      '--cpu-prof',
      '--cpu-prof-dir',
      dir,
      '--import',
      'tsx',
      script,
      mode,
      '--child',
      '--seconds',
      String(seconds),
      ...(noble ? ['--noble'] : []),
      ...(v13 ? ['--v13'] : []),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  const ops = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ops: number }).ops;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  rmSync(dir, { recursive: true, force: true });
  summarize(
    prof,
    `${mode} (${noble ? 'noble' : 'native'}, DTLS ${v13 ? '1.3' : '1.2'}): ${ops} ${mode === 'handshake' ? 'handshakes' : 'records'} in ${seconds} s;`,
    ops,
  );
}

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time by file and by function; with `ops`, the profiled time per operation. */
function summarize(prof: Profile, title: string, ops?: number): void {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  // Each sample also goes to the nearest file of ours (src/) on its stack: what
  // that file costs with the runtime and library code it calls.
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ours = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const dt = prof.timeDeltas[i] ?? 0;
    total += dt;
    let up: number | undefined = id;
    while (up !== undefined && !byId.get(up)!.callFrame.url.includes('/src/')) up = parent.get(up);
    const mine = up === undefined ? '(no src/ frame: GC, idle, loading, event loop)' : byId.get(up)!.callFrame.url.replace(/^.*\/src\//, 'src/');
    ours.set(mine, (ours.get(mine) ?? 0) + dt);
    const url = n.callFrame.url.replace(/^.*\/(node_modules\/(@[^/]+\/)?[^/]+|src|bench)\//, '$1/').replace(/^file:\/\//, '');
    const where = url || '(native/V8)';
    const key = `${n.callFrame.functionName || '(anonymous)'} ${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const group = where.startsWith('node_modules/')
      ? where
          .split('/')
          .slice(0, where.includes('@') ? 3 : 2)
          .join('/')
      : where.startsWith('node:')
        ? 'node: internals'
        : where;
    byFile.set(group, (byFile.get(group) ?? 0) + dt);
  });
  const pct = (v: number) => `${((100 * v) / total).toFixed(1)}%`;
  console.log(
    ops === undefined
      ? `${title} ${(total / 1e6).toFixed(2)} s profiled`
      : `${title} ${(total / 1000 / Math.max(ops, 1)).toFixed(mode === 'handshake' ? 2 : 4)} ms of profiled time each`,
  );
  console.log('\nself time by file:');
  for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(v).padStart(6)}  ${k}`);
  console.log('\nby the nearest src/ file on the stack (its own time and what it calls):');
  for (const [k, v] of [...ours].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(v).padStart(6)}  ${k}`);
  console.log('\nself time by function:');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROFILE_TOP ?? 15))) console.log(`  ${pct(v).padStart(6)}  ${k}`);
}

/** Busy samples by kind of work (see KINDS); the rest by the folder of the nearest src/ frame. */
function kinds(prof: Profile, cpuMs?: number, ops?: number): void {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const acc = new Map<string, number>();
  let busy = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    const leaf = byId.get(id)!.callFrame.functionName;
    if (leaf === '(idle)') return;
    let kind: string | undefined = leaf === '(garbage collector)' ? 'garbage collection' : leaf === '(program)' ? 'V8 (program)' : undefined;
    let nearest: string | undefined;
    for (let up: number | undefined = id; up !== undefined && !kind; up = parent.get(up)) {
      const cf = byId.get(up)!.callFrame;
      if (/esm\/hooks|bootstrap|modules\/(esm|cjs)/.test(cf.url)) kind = 'module loading (start-up)';
      else if (cf.url.includes('/src/')) {
        nearest ??= `other: src/${cf.url.replace(/^.*\/src\//, '').replace(/\/.*$/, '/')}`;
        kind = KINDS.find(([, re]) => re.test(cf.functionName))?.[0];
      }
    }
    kind ??= nearest ?? 'other: no src/ frame (event loop, sockets, streams internals)';
    if (kind.includes('start-up')) return;
    busy += dt;
    acc.set(kind, (acc.get(kind) ?? 0) + dt);
  });
  const scale = cpuMs !== undefined && ops ? cpuMs / ops : undefined;
  console.log(`\nbusy samples by kind of work (idle and start-up left out)${scale ? `, as CPU ms per operation of ${scale.toFixed(2)} ms measured` : ''}:`);
  for (const [k, v] of [...acc].sort((a, b) => b[1] - a[1]).slice(0, 20))
    console.log(`  ${((100 * v) / busy).toFixed(1).padStart(5)}%${scale ? `  ${((scale * v) / busy).toFixed(3).padStart(6)} ms` : ''}  ${k}`);
}
