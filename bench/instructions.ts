// Instructions per operation, counted by valgrind's callgrind: bench/count-work.ts
// runs twice, with N operations and with none (the same start-up and warm-up),
// and the difference over N is what one operation costs. Instruction counts
// do not depend on what else runs on the machine, where wall-clock and
// CPU-time figures on a shared machine move by 30% (the JIT's background
// threads still add some variation): a way to compare a change before and
// after. With a second tree (e.g. `git archive HEAD~1 src bench | tar -x -C DIR`,
// its node_modules linked), both trees are counted and the ratio printed.
// Slow: the work runs 50-100 times slower under valgrind, and start-up alone
// takes about a minute of CPU. Count enough: with --count 10 on a busy machine
// a 1.3 handshake pair came out at 3.5 M instructions and a 1.2 one at 8.4 M,
// the opposite of their speeds, so a garbage collection or a JIT compilation
// in one run of the pair outweighed ten handshakes; not yet validated with
// larger counts.
//
//   node --import tsx bench/instructions.ts handshake13|handshake12|bulk13|bulk12 [--count 100] [--other DIR]
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const argv = process.argv.slice(2);
const work = argv[0] ?? 'handshake13';
const opt = (name: string, def: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : def);
const count = Number(opt('--count', '100'));
const other = argv.includes('--other') ? resolve(opt('--other', '.')) : undefined;

/** Instructions callgrind counted for one run of count-work.ts in `dir`. */
function run(dir: string, n: number): Promise<number> {
  return new Promise((done, fail) => {
    const p = spawn(
      'valgrind',
      ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--import', 'tsx', resolve(dir, 'bench/count-work.ts'), work, String(n)],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', fail);
    p.on('close', (code) => {
      const m = /Collected : (\d+)/.exec(err);
      if (code !== 0 || !m) fail(new Error(`valgrind exited ${code}: ${err.slice(-500)}`));
      else done(Number(m[1]));
    });
  });
}

async function perOp(dir: string): Promise<number> {
  const [base, full] = await Promise.all([run(dir, 0), run(dir, count)]);
  return (full - base) / count;
}

const unit = work.startsWith('bulk') ? 'step of 64 records of 1200 bytes' : 'handshake (client and server)';
const here = await perOp('.');
console.log(`${work}: ${(here / 1e6).toFixed(3)} M instructions per ${unit} (this tree, ${count} counted)`);
if (other) {
  const there = await perOp(other);
  console.log(`${work}: ${(there / 1e6).toFixed(3)} M instructions per ${unit} (${other}); this tree / other = ${(here / there).toFixed(3)}`);
}
