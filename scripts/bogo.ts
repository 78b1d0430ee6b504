// `npm run bogo`: BoringSSL's DTLS conformance tests (BoGo) against our shim.
// Builds bogo/shim.ts into one file, runs the prebuilt runner from
// ../shared/bogo (BOGO_DIR) over the DTLS tests, prints passed / skipped (with
// reasons) / kept on purpose (bogo/kept.json, with reasons) / failed by
// version, and compares with bogo/expectations.txt: exit 1 when a test listed
// there no longer passes.
//
//   npm run bogo                      all DTLS tests
//   npm run bogo -- --only-expected   only the tests listed as passing (fast)
//   npm run bogo -- --test 'Alert-*'  a subset (runner globs, ';'-separated)
//   npm run bogo -- --update          rewrite bogo/expectations.txt from this run
//   npm run bogo -- --update --previous run1.json
//                                     ... keeping only tests that also passed in an
//                                     earlier run's --json output (two runs agree)
//   npm run bogo -- --workers 2 --json out.json --verbose
//   npm run bogo -- --only-expected --strict
//                                     no second run for expected tests that failed
//
// An expected test that fails is run once more, alone. Passing there, it is
// reported as FLAKY with the first run's whole reason and does not fail the
// run: the runner itself reorders and drops at random in some tests, and a
// loaded 2-core CI host has timed out a shim. Failing twice, it is a regression.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  classify,
  compareWithExpectations,
  disabledReason,
  globToRegExp,
  keptReason,
  parseExpectations,
  parseRunnerOutput,
  readDtlsTests,
  type KeptTests,
  type ShimConfig,
  type TestOutcome,
  type Version,
} from '../bogo/results.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bogoDir = resolve(process.env.BOGO_DIR ?? resolve(root, '../shared/bogo'));
const configPath = join(root, 'bogo/config.json');
const expectationsPath = join(root, 'bogo/expectations.txt');
const keptPath = join(root, 'bogo/kept.json');
/** Bound on the whole runner run: it must never hold CI (the full run took 5 to 10 minutes on 2 heavily loaded cores). */
const RUN_LIMIT_MS = 30 * 60_000;

interface Args {
  test?: string;
  onlyExpected: boolean;
  update: boolean;
  /** An earlier run's --json output: --update keeps only tests that passed there too. */
  previous?: string;
  workers: number;
  json?: string;
  verbose: boolean;
  /** No second run of expected tests that failed. */
  strict: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { onlyExpected: false, update: false, workers: 2, verbose: false, strict: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new TypeError(`${k} needs a value`);
      return v;
    };
    if (k === '--test') a.test = value();
    else if (k === '--only-expected') a.onlyExpected = true;
    else if (k === '--update') a.update = true;
    else if (k === '--previous') a.previous = value();
    else if (k === '--workers') a.workers = Number(value());
    else if (k === '--json') a.json = value();
    else if (k === '--verbose') a.verbose = true;
    else if (k === '--strict') a.strict = true;
    else throw new TypeError(`unknown argument ${k}`);
  }
  if (!(Number.isInteger(a.workers) && a.workers > 0)) throw new RangeError('--workers must be a positive integer');
  if (a.update && process.env.BOGO_PREVIEW_ECDSA === '1') throw new TypeError('--update with BOGO_PREVIEW_ECDSA=1: preview results are not expectations');
  if (a.update && (a.test || a.onlyExpected)) throw new TypeError('--update needs the whole suite (no --test, no --only-expected)');
  if (a.previous && !a.update) throw new TypeError('--previous goes with --update');
  return a;
}

async function buildShim(dir: string): Promise<string> {
  const outfile = join(dir, 'shim.mjs');
  await build({
    entryPoints: [join(root, 'bogo/shim.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    outfile,
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
  return outfile;
}

function runRunner(shim: string, tests: string[], dir: string, workers: number): Promise<{ stdout: string; ms: number }> {
  const runner = join(bogoDir, 'runner.test');
  const args = [
    '-test.run',
    'TestAll',
    '-test.timeout',
    '0',
    '-shim-path',
    shim,
    '-shim-config',
    configPath,
    '-allow-unimplemented',
    '-pipe',
    '-num-workers',
    String(workers),
    // Only so that each shim learns its test's name (for its log of reasons).
    '-transcript-dir',
    join(dir, 'transcripts'),
    '-json-output',
    join(dir, 'results.json'),
    '-test',
    tests.join(';'),
  ];
  const started = Date.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(runner, args, {
      cwd: join(bogoDir, 'runner'),
      env: { ...process.env, BOGO_SHIM_LOG: join(dir, 'shim.log') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const limit = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      // The runner exits 1 when a test failed: results.json says which.
      if (signal || !existsSync(join(dir, 'results.json'))) {
        reject(new Error(`the runner ended (${signal ?? `exit ${code}`}) without results:\n${stderr.slice(-2000)}`));
      } else resolveRun({ stdout, ms: Date.now() - started });
    });
  });
}

function pad(s: string | number, n: number): string {
  return String(s).padStart(n);
}

function printSummary(outcomes: TestOutcome[], ms: number, verbose: boolean, kept: KeptTests): void {
  const versions: Version[] = ['DTLS 1.2', 'default', 'DTLS 1.3', 'DTLS 1.0'];
  console.log(`\nBoGo DTLS tests, ${(ms / 1000).toFixed(0)} s (runner)\n`);
  console.log(`${'version'.padEnd(34)} ${pad('passed', 7)} ${pad('skipped', 8)} ${pad('unimpl', 7)} ${pad('kept', 5)} ${pad('failed', 7)} ${pad('total', 6)}`);
  for (const v of versions) {
    const of = outcomes.filter((o) => o.version === v);
    const n = (s: TestOutcome['status']) => of.filter((o) => o.status === s).length;
    const label = v === 'default' ? 'no version in the name' : v;
    console.log(
      `${label.padEnd(34)} ${pad(n('passed'), 7)} ${pad(n('skipped'), 8)} ${pad(n('unimplemented'), 7)} ${pad(n('kept'), 5)} ${pad(n('failed'), 7)} ${pad(of.length, 6)}`,
    );
  }
  const count = (status: TestOutcome['status']) => {
    const m = new Map<string, number>();
    for (const o of outcomes) if (o.status === status) m.set(o.reason, (m.get(o.reason) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1]);
  };
  console.log('\nskipped by bogo/config.json:');
  for (const [r, c] of count('skipped')) console.log(`${pad(c, 6)}  ${r}`);
  console.log('\nunimplemented (the shim exited 89):');
  for (const [r, c] of count('unimplemented')) console.log(`${pad(c, 6)}  ${r}`);
  console.log('\nkept on purpose (bogo/kept.json; docs/BOGO.md says more):');
  for (const [r, c] of count('kept')) console.log(`${pad(c, 6)}  ${r}`);
  if (verbose) for (const o of outcomes) if (o.status === 'kept') console.log(`  ${o.name}: ${o.detail}`);
  const stale = outcomes.filter((o) => o.status === 'passed' && keptReason(kept, o.name) !== undefined);
  if (stale.length) {
    console.log(`\nlisted in bogo/kept.json but passing (take them out): ${stale.length}`);
    for (const o of stale) console.log(`  ${o.name}`);
  }
  const failed = outcomes.filter((o) => o.status === 'failed');
  console.log(`\nfailed: ${failed.length}`);
  for (const o of failed) console.log(`  ${o.name}: ${verbose ? o.reason : o.reason.split('\n')[0]}`);
}

/** One runner run over `toRun` (of `selected`) in its own folder: each test's outcome. */
async function runTests(shim: string, selected: string[], toRun: string[], config: ShimConfig, dir: string, workers: number, kept: KeptTests = {}) {
  mkdirSync(dir, { recursive: true });
  if (!toRun.length) return { outcomes: classify(selected, config, {}, new Map(), '', kept), ms: 0 };
  const { stdout, ms } = await runRunner(shim, toRun, dir, workers);
  const results = parseRunnerOutput(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
  const log = existsSync(join(dir, 'shim.log')) ? readFileSync(join(dir, 'shim.log'), 'utf8') : '';
  const reasons = new Map(
    log
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t', 2) as [string, string]),
  );
  return { outcomes: classify(selected, config, results, reasons, stdout, kept), ms };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(join(bogoDir, 'runner.test'))) {
    console.error(`no BoGo runner at ${bogoDir} (set BOGO_DIR to the folder holding runner.test and runner/)`);
    return 2;
  }
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as ShimConfig;
  const expected = parseExpectations(readFileSync(expectationsPath, 'utf8'));
  const kept = JSON.parse(readFileSync(keptPath, 'utf8')) as KeptTests;
  const all = readDtlsTests(readFileSync(join(bogoDir, 'dtls-tests.tsv'), 'utf8'));

  let selected = all;
  if (args.onlyExpected) selected = all.filter((n) => expected.has(n));
  if (args.test) {
    const res = args.test.split(';').map(globToRegExp);
    selected = selected.filter((n) => res.some((r) => r.test(n)));
  }
  const toRun = selected.filter((n) => disabledReason(config, n) === undefined);
  const dir = mkdtempSync(join(tmpdir(), 'dtls-stream-bogo-'));
  try {
    const shim = await buildShim(dir);
    const { outcomes, ms } = await runTests(shim, selected, toRun, config, join(dir, 'run1'), args.workers, kept);
    printSummary(outcomes, ms, args.verbose, kept);
    if (args.json) writeFileSync(args.json, JSON.stringify(outcomes, null, 1));

    const cmp = compareWithExpectations(outcomes, expected, config);
    if (cmp.newlyPassing.length) {
      console.log(`\nnewly passing (add them: npm run bogo -- --update): ${cmp.newlyPassing.length}`);
      for (const n of cmp.newlyPassing) console.log(`  ${n}`);
    }
    if (args.update) {
      // A test passing in one run only (the runner shuffles some fragments at random) is not an expectation.
      const before = args.previous
        ? new Set((JSON.parse(readFileSync(args.previous, 'utf8')) as TestOutcome[]).filter((o) => o.status === 'passed').map((o) => o.name))
        : undefined;
      const passing = outcomes
        .filter((o) => o.status === 'passed' && (!before || before.has(o.name)))
        .map((o) => o.name)
        .sort();
      if (before)
        console.log(
          `\n${outcomes.filter((o) => o.status === 'passed').length - passing.length} tests passed in this run but not in ${args.previous}: left out`,
        );
      const header = '# BoGo DTLS tests that pass (npm run bogo compares; npm run bogo -- --update rewrites)\n';
      writeFileSync(expectationsPath, header + passing.join('\n') + '\n');
      console.log(`\nwrote ${passing.length} names to bogo/expectations.txt`);
    }
    let problems = cmp.problems;
    let flaky: TestOutcome[] = [];
    if (cmp.failed.length && !args.strict && !args.update) {
      console.log(`\n${cmp.failed.length} expected test(s) did not pass: running them again, alone`);
      const again = await runTests(shim, cmp.failed, cmp.failed, config, join(dir, 'run2'), 1);
      const passedAgain = new Set(again.outcomes.filter((o) => o.status === 'passed').map((o) => o.name));
      flaky = outcomes.filter((o) => passedAgain.has(o.name));
      problems = problems.filter((p) => !passedAgain.has(p.name));
      for (const o of again.outcomes) if (!passedAgain.has(o.name)) console.log(`\n--- ${o.name}, second run: ${o.status}\n${o.reason}`);
    }
    if (flaky.length) {
      console.log(`\nFLAKY (failed in the run, passed when run again alone; bogo/FINDINGS.md): ${flaky.length}`);
      for (const o of flaky) console.log(`\n--- ${o.name}, first run: ${o.status}\n${o.reason}`);
    }
    if (problems.length) {
      console.log(`\nREGRESSIONS (listed in bogo/expectations.txt, not passing now): ${problems.length}`);
      for (const p of problems) console.log(`  ${p.name}: ${p.detail}`);
      return 1;
    }
    console.log(`\nOK: all ${cmp.checked} expected tests in this run pass${flaky.length ? ` (${flaky.length} of them on a second run)` : ''}`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
