// Runs every test/**/*.test.ts with Node's built-in runner through tsx.
// Node 20's --test does not expand globs, so the files are listed here.
// `node scripts/run-tests.mjs [path-substring ...]` runs the matching files.
// First it checks for the peers the selected tests use (check-peers.mjs) and
// stops, naming what is missing, before running anything.
import { join } from 'node:path';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { ensurePeers, toolsUsedBy } from './check-peers.mjs';
import { watchForHangs } from './hang-watch.mjs';

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

// Files that drive many peer processes in one test (BoGo's expected tests: one shim
// each) run after the rest, with their own bound: Node's --test-timeout bounds each
// file as a whole, and theirs takes minutes on a loaded machine.
const LONG = new Map([['test/bogo/expectations.test.ts', 15 * 60_000]]);
// A file still running after HANG_MS (RUN_TESTS_HANG_MS overrides it) is described in
// the log (hang-watch.mjs): thread states, busy or blocked, stacks and open handles,
// from a diagnostic report that the flags below let it write on SIGUSR2; the file
// processes inherit them.
const HANG_MS = Number(process.env.RUN_TESTS_HANG_MS) || 100_000;
const reportDir = mkdtempSync(join(tmpdir(), 'run-tests-'));
const failedList = join(reportDir, 'failed-files.txt');
const reporter = fileURLToPath(new URL('./failed-files-reporter.mjs', import.meta.url));
/** Runs `list`; resolves with the exit status and the files that had a failure. */
const run = (list, timeoutMs) =>
  new Promise((resolve) => {
    rmSync(failedList, { force: true });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        // Reports on a signal are not supported on Windows (nor is hang-watch, which reads /proc).
        ...(process.platform === 'win32' ? [] : ['--report-on-signal', `--report-directory=${reportDir}`]),
        '--test',
        // A file whose tests all ended exits even if something (a port, a worker, a socket left
        // by a failed assertion) would keep its event loop alive: that is a failure to read in
        // the log, not a 180 s timeout that hides it.
        '--test-force-exit',
        '--test-concurrency=2',
        // A per-test bound: a hung test fails on its own instead of holding CI for its whole limit.
        `--test-timeout=${timeoutMs}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        `--test-reporter=${reporter}`,
        `--test-reporter-destination=${failedList}`,
        ...list,
      ],
      { stdio: 'inherit', env: peers.env },
    );
    const stop = watchForHangs(child.pid, { afterMs: timeoutMs > 180_000 ? timeoutMs - 60_000 : HANG_MS, reportDir });
    child.on('exit', (code) => {
      stop();
      const failed = existsSync(failedList) ? readFileSync(failedList, 'utf8').split('\n').filter(Boolean) : [];
      resolve({ status: code ?? 1, failed });
    });
  });
const isLong = (f) => LONG.has(f.split('\\').join('/'));
const short = files.filter((f) => !isLong(f));
const first = short.length ? await run(short, 180_000) : { status: 0, failed: [] };
let status = first.status;
const failed = first.failed;
if (status !== 0 && short.length && process.env.CI) {
  // In CI, the files that failed run once more, so that a one-off failure does not
  // fail everything else. The hangs this was added for (a different file each time,
  // idle before its first test) were a Node 20 deadlock in X25519 key generation, since
  // avoided (crypto/native-keys.ts); hang-watch.mjs prints the stacks of any new one.
  // What failed the first time is in the log above; failing twice fails CI. When the
  // runner named no file (it failed itself), the whole run goes again.
  const again = failed.length ? failed : short;
  console.log(
    `\nrun-tests: the run failed (see above); running ${failed.length ? again.join(' ') : 'it'} once more to tell a one-off hang from a failure (CI only)\n`,
  );
  ({ status } = await run(again, 180_000));
  if (status === 0)
    console.log(
      `\nrun-tests: FLAKY: ${again.length === 1 ? again[0] : `${again.length} files`} failed the first time and passed the second; the first failure is above\n`,
    );
}
for (const f of files.filter(isLong)) status = (await run([f], LONG.get(f.split('\\').join('/')))).status || status;
rmSync(reportDir, { recursive: true, force: true });
process.exit(status);
