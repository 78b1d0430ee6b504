// Handshakes per CPU-second of two source trees side by side, interleaved in
// one process: this tree and another checkout (e.g. `git archive <commit> src
// bench | tar -x -C DIR`, with node_modules linked), DTLS 1.2 and 1.3, native
// provider. On a shared machine the ratio within a round holds where the
// absolute rates do not.
//
//   node --import tsx bench/ab-handshakes.ts DIR [--rounds 5] [--seconds 1]
import * as nc from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const other = resolve(argv[0] ?? '.');
const opt = (name: string, def: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : def);
const ROUNDS = opt('--rounds', 5);
const SECONDS = opt('--seconds', 1);

type CorePair = (crypto: unknown, cert: unknown, group: string, version: '1.2' | '1.3') => unknown;
async function tree(dir: string): Promise<(v: '1.2' | '1.3') => void> {
  const u = (p: string) => pathToFileURL(resolve(dir, p)).href;
  const { corePair } = (await import(u('bench/core-pair.ts'))) as { corePair: CorePair };
  const { createNativeProvider } = (await import(u('src/crypto/native.ts'))) as { createNativeProvider: (m: typeof nc) => unknown };
  const { generateCertificate } = (await import(u('src/x509/generate.ts'))) as { generateCertificate: () => unknown };
  const p = createNativeProvider(nc);
  const cert = generateCertificate();
  return (v) => void corePair(p, cert, 'x25519', v);
}

const trees = { this: await tree('.'), other: await tree(other) };
function rate(f: () => void): number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    f();
    n++;
  }
  const c = process.cpuUsage(c0);
  return n / ((c.user + c.system) / 1e6);
}
const runs: Record<string, number[]> = {};
for (let r = -1; r < ROUNDS; r++)
  for (const v of ['1.2', '1.3'] as const)
    for (const [name, f] of Object.entries(trees)) {
      const x = rate(() => f(v));
      if (r >= 0) (runs[`${name} ${v}`] ??= []).push(x);
    }
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)]!;
for (const [k, v] of Object.entries(runs)) console.log(`${k}: ${median(v).toFixed(0)} handshakes per CPU-second`);
const ratio = (a: string, b: string) => median(runs[a]!.map((x, i) => x / runs[b]![i]!)).toFixed(2);
console.log(
  `this/other: 1.2 ${ratio('this 1.2', 'other 1.2')}x, 1.3 ${ratio('this 1.3', 'other 1.3')}x; 1.3/1.2: this ${ratio('this 1.3', 'this 1.2')}, other ${ratio('other 1.3', 'other 1.2')}`,
);
