// The test command's own tools: the reporter that names the files with a failure
// (CI runs only those again) and the watch that describes a test file still
// running long after it should have ended (scripts/hang-watch.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs script without type declarations
import failedFiles from '../../scripts/failed-files-reporter.mjs';
// @ts-expect-error: a plain .mjs script without type declarations
import { watchForHangs } from '../../scripts/hang-watch.mjs';

test('the failed-files reporter names each file with a failure once, and no file that passed', async () => {
  async function* events() {
    yield { type: 'test:pass', data: { file: '/t/a.test.ts', name: 'ok' } };
    yield { type: 'test:fail', data: { file: '/t/b.test.ts', name: 'one' } };
    yield { type: 'test:fail', data: { file: '/t/b.test.ts', name: 'two' } };
    yield { type: 'test:fail', data: { file: '/t/c.test.ts', name: '/t/c.test.ts' } };
    yield { type: 'test:fail', data: { name: 'no file' } };
  }
  const out: string[] = [];
  for await (const line of failedFiles(events())) out.push(line as string);
  assert.deepEqual(out, ['/t/b.test.ts\n', '/t/c.test.ts\n']);
});

const linux = existsSync('/proc');

/** A script named like a test file: the watch looks only at processes running one. */
function script(dir: string, code: string): string {
  const path = join(dir, 'stuck.test.mjs');
  writeFileSync(path, code);
  return path;
}

/** Without /proc the watch does nothing: it must not fail or print. */
async function assertQuietOffLinux(): Promise<void> {
  const lines: string[] = [];
  const stop = watchForHangs(process.pid, { afterMs: 0, reportDir: tmpdir(), log: (s: string) => lines.push(s) });
  await new Promise((r) => setTimeout(r, 2500));
  stop();
  assert.deepEqual(lines, []);
}

test('hang-watch: a child blocked in Atomics.wait is reported idle, with its main thread stack where gdb is installed', async () => {
  if (!linux) return assertQuietOffLinux();
  const dir = mkdtempSync(join(tmpdir(), 'hang-watch-'));
  const child = spawn(process.execPath, [script(dir, 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);')], { stdio: 'ignore' });
  const lines: string[] = [];
  const stop = watchForHangs(process.pid, { afterMs: 300, reportDir: dir, log: (s: string) => lines.push(s), reportWaitMs: 2000 });
  try {
    const deadline = Date.now() + 50_000;
    while (Date.now() < deadline && !lines.some((l) => l.includes('no diagnostic report') || l.includes('JavaScript stack'))) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const text = lines.join('\n');
    assert.match(text, new RegExp(`\\(pid ${child.pid}\\) still running; .*\\(idle: no CPU used\\)`));
    assert.match(text, /threads \(name:state:cpu/);
    if (existsSync('/usr/bin/gdb') || existsSync('/usr/local/bin/gdb')) assert.match(text, /main thread \(gdb\):[\s\S]*AtomicsWait/);
    // The child runs no event loop while blocked and has no report flag: the watch says so.
    assert.match(text, /no diagnostic report within 2 s/);
  } finally {
    stop();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hang-watch: a child idle in its event loop gives its diagnostic report: open handles', async () => {
  if (!linux) return assertQuietOffLinux();
  const dir = mkdtempSync(join(tmpdir(), 'hang-watch-'));
  const child = spawn(process.execPath, ['--report-on-signal', `--report-directory=${dir}`, script(dir, 'setTimeout(() => {}, 60000);')], {
    stdio: 'ignore',
  });
  const lines: string[] = [];
  const stop = watchForHangs(process.pid, { afterMs: 300, reportDir: dir, log: (s: string) => lines.push(s), reportWaitMs: 30_000 });
  try {
    const deadline = Date.now() + 50_000;
    while (Date.now() < deadline && !lines.some((l) => l.includes('worker threads:'))) await new Promise((r) => setTimeout(r, 200));
    const text = lines.join('\n');
    assert.match(text, /\(idle: no CPU used\)/);
    assert.match(text, /active handles: .*timer/);
  } finally {
    stop();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
