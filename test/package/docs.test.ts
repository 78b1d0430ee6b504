// The API reference builds (npm run docs): typedoc over every public entry
// point with warnings as errors, so an undocumented public export, a broken
// {@link} or a public type that is not exported fails this test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test('typedoc documents every public export of every entry point, with no warning', async () => {
  const config = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as { entryPoints: string[]; treatWarningsAsErrors: boolean };
  assert.equal(config.treatWarningsAsErrors, true);
  // Every subpath of package.json is documented.
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { default: string }> };
  for (const { default: js } of Object.values(pkg.exports)) {
    assert.ok(config.entryPoints.includes(js.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')), `${js} is a typedoc entry point`);
  }
  const out = mkdtempSync(join(tmpdir(), 'dtls-docs-'));
  try {
    await run(process.execPath, [join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--out', out], { cwd: ROOT, timeout: 240_000 }).catch(
      (e: { stdout?: string; stderr?: string }) => assert.fail(`typedoc failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`),
    );
    assert.ok(existsSync(join(out, 'index.html')));
    assert.match(readFileSync(join(out, 'classes', 'index.DtlsStream.html'), 'utf8'), /starts when first used/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
