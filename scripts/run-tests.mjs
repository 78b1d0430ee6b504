// Runs every test/**/*.test.ts with Node's built-in runner through tsx.
// Node 20's --test does not expand globs, so the files are listed here.
// `node scripts/run-tests.mjs [path-substring ...]` runs the matching files.
// First it checks for the peers the selected tests use (check-peers.mjs) and
// stops, naming what is missing, before running anything.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensurePeers, toolsUsedBy } from './check-peers.mjs';

function find(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = find('test');
if (filter.length) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (!files.length) {
  console.error(`run-tests: no test file matches ${filter.map((s) => JSON.stringify(s)).join(' ')}`);
  process.exit(1);
}

const peers = await ensurePeers(toolsUsedBy(files));
if (peers.error) {
  console.error(peers.error);
  process.exit(1);
}

const r = spawnSync(
  process.execPath,
  // A per-test bound: a hung test fails on its own instead of holding CI for its whole limit.
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: peers.env },
);
process.exit(r.status ?? 1);
