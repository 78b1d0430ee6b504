// Watches the test runner's children (Node's --test runs each file in a process of
// its own) and, when one has run longer than `afterMs`, prints what it is doing:
// its threads' states and CPU time twice a few seconds apart (busy or blocked?),
// its own children, and the JavaScript and native stacks and open handles from a
// Node diagnostic report (--report-on-signal, set in the environment by the caller).
// A file that hangs in CI then says why in the log instead of only "timed out".
// Linux only (it reads /proc); elsewhere it does nothing.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { clearInterval, setInterval } from 'node:timers';

const CLK_TCK = 100;
const TEST_FILE = /\.test\.[cm]?[jt]s$/;

function stat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: split after it.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK, start: Number(f[19]) };
  } catch {
    return undefined;
  }
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function childrenOf(pid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (stat(name)?.ppid === pid) out.push(Number(name));
  }
  return out;
}

function threads(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).map((tid) => {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      let wchan = '';
      try {
        wchan = readFileSync(`/proc/${pid}/task/${tid}/wchan`, 'utf8').trim();
      } catch {
        // not readable on every kernel
      }
      const s = stat(`${pid}/task/${tid}`);
      return `${comm}:${s?.state ?? '?'}:${s?.cpu.toFixed(2) ?? '?'}s${wchan && wchan !== '0' ? `:${wchan}` : ''}`;
    });
  } catch {
    return [];
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function describe(pid, reportDir, log, reportWaitMs) {
  const file = cmdline(pid).find((a) => TEST_FILE.test(a));
  const before = stat(pid);
  const t0 = threads(pid);
  await sleep(3000);
  const after = stat(pid);
  if (!after) return; // it ended meanwhile
  log(
    `hang-watch: ${file} (pid ${pid}) still running; process CPU ${before?.cpu.toFixed(2)} s -> ${after.cpu.toFixed(2)} s over 3 s (${after.cpu - (before?.cpu ?? 0) > 0.05 ? 'working: on a loaded machine a busy process gets a fraction of a core' : 'idle: no CPU used'})`,
  );
  log(`hang-watch:   threads (name:state:cpu[:wchan]) ${t0.join(' ')}`);
  log(`hang-watch:   threads 3 s later             ${threads(pid).join(' ')}`);
  for (const c of childrenOf(pid)) log(`hang-watch:   child ${c} ${stat(c)?.state} ${cmdline(c).join(' ').slice(0, 200)}`);
  // Native stacks of every thread, where gdb is installed: they show a thread blocked in
  // a futex (Atomics.wait, a lock) or spinning, which the report below cannot, as the
  // report needs the event loop to come round.
  const gdb = ['/usr/bin/gdb', '/usr/local/bin/gdb'].find((p) => existsSync(p));
  if (gdb) {
    const r = spawnSync(gdb, ['-p', String(pid), '-batch', '-nx', '-ex', 'thread apply all bt 30'], { encoding: 'utf8', timeout: 30_000 });
    // The main thread in full; of the others, the first frame naming Node or V8, counted.
    const others = new Map();
    for (const block of (r.stdout ?? '').split(/\n(?=Thread )/).filter((b) => b.startsWith('Thread '))) {
      const lines = block
        .split('\n')
        .filter((l) => /^#\d/.test(l))
        .map((l) => l.replace(/ \(.*?\) at /, ' at ').slice(0, 150));
      if (block.includes(`(LWP ${pid})`)) {
        log('hang-watch:   main thread (gdb):');
        for (const l of lines) log(`hang-watch:     ${l}`);
      } else {
        const top = (lines.find((l) => /node::|v8::/.test(l)) ?? lines[0] ?? '?').replace(/^#\d+\s+(0x[0-9a-f]+ in )?/, '');
        others.set(top, (others.get(top) ?? 0) + 1);
      }
    }
    for (const [top, n] of others) log(`hang-watch:   ${n} thread(s) in ${top}`);
  }
  try {
    process.kill(pid, 'SIGUSR2');
  } catch {
    return;
  }
  for (let waited = 0; waited < reportWaitMs; waited += 500) {
    await sleep(500);
    const name = readdirSync(reportDir).find((n) => n.includes(`.${pid}.`) && n.endsWith('.json'));
    if (!name) continue;
    await sleep(200);
    try {
      const r = JSON.parse(readFileSync(join(reportDir, name), 'utf8'));
      rmSync(join(reportDir, name), { force: true });
      log(`hang-watch:   JavaScript stack: ${r.javascriptStack?.message ?? ''}`);
      for (const l of (r.javascriptStack?.stack ?? []).slice(0, 25)) log(`hang-watch:     ${l}`);
      // Its native stack is the report writer's own; gdb's above is the one to read.
      const handles = (r.libuv ?? []).filter((h) => h.is_active);
      log(
        `hang-watch:   active handles: ${handles.map((h) => `${h.type}${h.is_referenced ? '' : '(unref)'}${h.remoteEndpoint ? `->${JSON.stringify(h.remoteEndpoint)}` : ''}`).join(', ')}`,
      );
      log(`hang-watch:   worker threads: ${(r.workers ?? []).length}`);
    } catch (e) {
      log(`hang-watch:   report unreadable: ${e}`);
    }
    return;
  }
  log(`hang-watch:   no diagnostic report within ${reportWaitMs / 1000} s: the event loop is not coming round (blocked or busy; see the threads above)`);
}

/** Starts watching the children of `rootPid`; returns a function that stops it. */
export function watchForHangs(rootPid, { afterMs, reportDir, log = (s) => process.stdout.write(`${s}\n`), reportWaitMs = 10_000 }) {
  if (!existsSync('/proc')) return () => {};
  const firstSeen = new Map();
  const told = new Set();
  const timer = setInterval(() => {
    const now = Date.now();
    // Only the test files' processes: the runner has other children (tsx's esbuild service).
    const kids = childrenOf(rootPid).filter((pid) => cmdline(pid).some((a) => TEST_FILE.test(a)));
    for (const pid of kids) {
      if (!firstSeen.has(pid)) firstSeen.set(pid, now);
      if (!told.has(pid) && now - firstSeen.get(pid) > afterMs) {
        told.add(pid);
        describe(pid, reportDir, log, reportWaitMs).catch((e) => log(`hang-watch: ${e}`));
      }
    }
    for (const pid of firstSeen.keys()) if (!kids.includes(pid)) firstSeen.delete(pid);
  }, 2000);
  timer.unref();
  return () => clearInterval(timer);
}
