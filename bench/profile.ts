// Where the time goes: runs one workload under `node --cpu-prof` in a child
// and prints the functions with the most self time, grouped by source file.
//   node --import tsx bench/profile.ts handshake|bulk [--noble] [--v13] [--seconds 4]
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
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  rmSync(dir, { recursive: true, force: true });
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const dt = prof.timeDeltas[i] ?? 0;
    total += dt;
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
    `${mode} (${noble ? 'noble' : 'native'}, DTLS ${v13 ? '1.3' : '1.2'}): ${ops} ${mode === 'handshake' ? 'handshakes' : 'records'} in ${seconds} s; ${(total / 1000 / Math.max(ops, 1)).toFixed(mode === 'handshake' ? 2 : 4)} ms of profiled time each`,
  );
  console.log('\nself time by file:');
  for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(v).padStart(6)}  ${k}`);
  console.log('\nself time by function:');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROFILE_TOP ?? 15))) console.log(`  ${pct(v).padStart(6)}  ${k}`);
}
