// One shard of the CI conversation-fuzzing run. The run is split over several
// test files (conversations-N.test.ts) because the runner executes two files
// at a time: on 2 cores the shards run in parallel.
//
// FUZZ_CASES (total over all shards, default 100000) and FUZZ_SEED (default
// fixed, so CI is repeatable) override the defaults; scripts/fuzz-long.ts runs
// more, and replays a single case with a trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFinding, runCases, runSeed } from './engine.ts';
import { recordings } from './recordings.ts';

export const SHARDS = 4;
const DEFAULT_CASES = 100_000;

export function conversationShard(shard: number): void {
  const total = Number(process.env.FUZZ_CASES ?? DEFAULT_CASES);
  const seed = runSeed();
  const per = Math.ceil(total / SHARDS);
  const start = shard * per;
  const count = Math.max(0, Math.min(per, total - start));
  test(`conversation mutation fuzzing, seed ${seed}, cases ${start}..${start + count - 1}`, (t) => {
    const t0 = performance.now();
    recordings();
    const setup = performance.now() - t0;
    const s = runCases(seed, start, count);
    const top = Object.entries(s.outcomes).sort((a, b) => b[1] - a[1]);
    t.diagnostic(`${s.cases} cases in ${(s.ms / 1000).toFixed(1)} s (${((s.ms / s.cases) * 1000).toFixed(0)} us/case, setup ${setup.toFixed(0)} ms)`);
    t.diagnostic(`outcomes: ${top.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const [name, n] of Object.entries(s.known)) t.diagnostic(`known bug (see regressions.test.ts), ${n} cases: ${name}`);
    assert.equal(s.cases, count);
    assert.equal(s.findings.length, 0, `${s.findings.length} new findings (seed ${seed}):\n\n${s.findings.slice(0, 10).map(formatFinding).join('\n\n')}`);
  });
}
