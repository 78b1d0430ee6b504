// JSR: jsr.json has the same entry points as package.json (sources instead of
// dist), and `deno publish --dry-run` passes, JSR's slow-types check included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (f: string): { version: string; license: string; exports: Record<string, unknown> } => JSON.parse(readFileSync(join(ROOT, f), 'utf8'));

test('jsr.json exports what package.json exports, at the sources', () => {
  const pkg = read('package.json');
  const jsr = read('jsr.json');
  const fromPkg = Object.fromEntries(
    Object.entries(pkg.exports as Record<string, { default: string }>).map(([k, v]) => [k, v.default.replace('./dist/', './src/').replace(/\.js$/, '.ts')]),
  );
  assert.deepEqual(jsr.exports, fromPkg);
  assert.equal(jsr.version, pkg.version);
  assert.equal(jsr.license, pkg.license);
});

test('deno publish --dry-run passes (slow types included)', async () => {
  const deno = join(ROOT, 'node_modules/.bin/deno');
  const { stdout, stderr } = await run(deno, ['publish', '--dry-run', '--config', 'jsr.json', '--allow-dirty'], {
    cwd: ROOT,
    timeout: 240_000,
    env: { ...process.env, NO_COLOR: '1' },
  }).catch((e: { stdout?: string; stderr?: string }) => assert.fail(`deno publish --dry-run failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`));
  const out = stdout + stderr;
  assert.match(out, /Checking for slow types in the public API/);
  assert.match(out, /Success Dry run complete/);
  assert.doesNotMatch(out, /^warning/im);
});
