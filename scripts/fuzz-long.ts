// On-demand conversation mutation fuzzing, longer than CI's run (test/fuzz/).
//
//   npx tsx scripts/fuzz-long.ts --cases 1000000            # a million cases
//   npx tsx scripts/fuzz-long.ts --minutes 30 --seed 7      # for half an hour
//   npx tsx scripts/fuzz-long.ts --seed 7 --case 8720       # replay one case, with a trace
//
// Options: --workers W (default: one per CPU), --seed S (default: random,
// printed), --show N (findings printed in full, default 20). Every case is
// reproducible from (seed, case). Exits 1 when a new finding (one not in
// KNOWN_BUGS) turns up.
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describeApi, formatFinding, knownBug, makeCase, runCase, runCases, type Finding, type RunSummary } from '../test/fuzz/engine.ts';
import { recordings } from '../test/fuzz/recordings.ts';

interface Args {
  cases: number | undefined;
  minutes: number | undefined;
  seed: number;
  workers: number;
  caseIndex: number | undefined;
  show: number;
  child: { start: number; count: number; deadlineMs: number } | undefined;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    cases: undefined,
    minutes: undefined,
    seed: (Math.random() * 2 ** 32) >>> 0,
    workers: availableParallelism(),
    caseIndex: undefined,
    show: 20,
    child: undefined,
  };
  const num = (i: number, name: string): number => {
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${name} needs a non-negative number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--cases') a.cases = num(i++, k);
    else if (k === '--minutes') a.minutes = num(i++, k);
    else if (k === '--seed') a.seed = num(i++, k) >>> 0;
    else if (k === '--workers') a.workers = Math.max(1, num(i++, k));
    else if (k === '--case') a.caseIndex = num(i++, k);
    else if (k === '--show') a.show = num(i++, k);
    else if (k === '--child') {
      const [start, count, deadlineMs] = (argv[++i] ?? '').split(',').map(Number);
      a.child = { start: start!, count: count!, deadlineMs: deadlineMs! };
    } else if (k === '--help' || k === '-h') {
      console.log('usage: fuzz-long.ts [--cases N | --minutes M] [--seed S] [--workers W] [--show N] | --seed S --case I');
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  if (a.cases === undefined && a.minutes === undefined) a.cases = 1_000_000;
  return a;
}

const args = parseArgs(process.argv.slice(2));

if (args.child) {
  // Worker process: run a range (or until the deadline) and report.
  const { start, count, deadlineMs } = args.child;
  recordings();
  const deadline = performance.now() + deadlineMs;
  const s = runCases(args.seed, start, count, deadline);
  process.send!(s, () => process.exit(0));
} else if (args.caseIndex !== undefined) {
  replayOne(args.seed, args.caseIndex);
} else {
  await main(args);
}

function replayOne(seed: number, index: number): void {
  const spec = makeCase(seed, index);
  console.log(`seed ${seed} case ${index}: recording ${spec.recording.name}, replayed into a fresh ${spec.side.role}`);
  for (const m of spec.mutations) console.log(`  mutation: ${m}`);
  if (spec.plaintext) console.log(`  authenticated plaintext #${spec.plaintext.openIndex} will be rewritten (seed ${spec.plaintext.seed})`);
  if (spec.api) console.log(`  application: ${describeApi(spec.api)}`);
  console.log(`deliveries: ${spec.deliveries.map((d) => `${d.data.length}B`).join(' ')}`);
  const r = runCase(spec, (line) => console.log(line));
  if (r.plaintextMutation) console.log(`  mutation: ${r.plaintextMutation}`);
  console.log(`outcome: ${r.outcome}${r.problem ? ` -- ${r.problem}` : ''}`);
  if (r.cause) console.log(r.cause);
  if (r.problem) {
    const k = knownBug({ problem: r.problem, cause: undefined });
    console.log(k ? `known bug: ${k}` : 'NEW finding');
  }
  process.exitCode = r.problem ? 1 : 0;
}

async function main(a: Args): Promise<void> {
  const timeBound = a.minutes !== undefined;
  const deadlineMs = timeBound ? a.minutes! * 60_000 : Infinity;
  const total = a.cases ?? Number.MAX_SAFE_INTEGER;
  const workers = Math.min(a.workers, timeBound ? a.workers : Math.max(1, Math.ceil(total / 1000)));
  // Count mode: contiguous ranges. Time mode: each worker gets its own large block of indexes.
  const per = timeBound && a.cases === undefined ? 1e12 : Math.ceil(total / workers);
  console.log(
    `fuzz-long: seed ${a.seed}, ${timeBound ? `${a.minutes} min` : `${total} cases`}${timeBound && a.cases !== undefined ? ` (at most ${total} cases)` : ''}, ${workers} workers`,
  );
  const t0 = performance.now();
  const self = fileURLToPath(import.meta.url);
  const results = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const start = w * per;
      const count = Math.max(0, Math.min(per, total - start));
      return new Promise<RunSummary>((resolve, reject) => {
        const child = fork(self, ['--seed', String(a.seed), '--child', `${start},${count},${Number.isFinite(deadlineMs) ? deadlineMs : 1e15}`], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        let got: RunSummary | undefined;
        child.on('message', (m) => (got = m as RunSummary));
        child.on('exit', (code) => (got ? resolve(got) : reject(new Error(`worker ${w} exited with ${code} and no summary`))));
      });
    }),
  );
  const ms = performance.now() - t0;
  const cases = results.reduce((n, r) => n + r.cases, 0);
  const outcomes: Record<string, number> = {};
  const known: Record<string, number> = {};
  const findings: Finding[] = [];
  for (const r of results) {
    for (const [k, v] of Object.entries(r.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.known)) known[k] = (known[k] ?? 0) + v;
    findings.push(...r.findings);
  }
  findings.sort((x, y) => x.index - y.index);
  console.log(`\n${cases} cases in ${(ms / 1000).toFixed(1)} s (${Math.round(cases / (ms / 1000))} cases/s over ${workers} workers)`);
  console.log('outcomes:');
  for (const [k, v] of Object.entries(outcomes).sort((x, y) => y[1] - x[1]))
    console.log(`  ${k.padEnd(36)} ${String(v).padStart(9)}  ${((100 * v) / cases).toFixed(2)}%`);
  if (Object.keys(known).length) {
    console.log('known bugs (failing reproducers in test/fuzz/regressions.test.ts):');
    for (const [k, v] of Object.entries(known)) console.log(`  ${v} cases: ${k}`);
  }
  // Group new findings by what went wrong (numbers stripped), show a few of each.
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.problem.replace(/\d+/g, 'N')} @ ${(f.cause ?? '').split('\n').find((l) => l.trim().startsWith('at ')) ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  console.log(`new findings: ${findings.length} in ${groups.size} groups`);
  let shown = 0;
  for (const [key, fs] of groups) {
    console.log(`\n== ${fs.length} x ${key.trim()}`);
    for (const f of fs.slice(0, 2)) if (shown++ < a.show) console.log(formatFinding(f));
  }
  process.exitCode = findings.length ? 1 : 0;
}
