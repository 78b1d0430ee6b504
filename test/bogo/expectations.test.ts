// BoringSSL's runner against our shim, over the tests bogo/expectations.txt
// lists as passing: fails when one of them stops passing. The whole suite
// (`npm run bogo`) is a CI step of its own. Over 700 tests, a shim process
// each: minutes on a loaded 2-core machine, so the bound is set far above the
// test runner's default.
// The runner is read from ../shared/bogo beside the repository, or BOGO_DIR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExpectations } from '../../bogo/results.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test('every BoGo test listed in bogo/expectations.txt passes', { timeout: 15 * 60_000 }, (t) => {
  const expected = parseExpectations(readFileSync(resolve(root, 'bogo/expectations.txt'), 'utf8'));
  assert.ok(expected.size > 0, 'bogo/expectations.txt lists no test');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bogo.ts', '--only-expected', '--workers', '2'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 14 * 60_000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, `npm run bogo -- --only-expected failed (BOGO_DIR=${process.env.BOGO_DIR ?? '../shared/bogo'}):\n${out}`);
  assert.match(out, new RegExp(`OK: all ${expected.size} expected tests in this run pass`));
  // A test that passed only on its second run is named in the log, with its first failure, to be looked into.
  const flaky = out.indexOf('\nFLAKY');
  if (flaky >= 0) t.diagnostic(out.slice(flaky, out.indexOf('\nOK: all')));
});
