// Runs the scripts in fixtures/ under Node, Deno or Bun as child processes we own
// (killed by PID when the test ends), collecting their JSON-lines output.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export type Runtime = 'node' | 'deno' | 'bun';
export const RUNTIMES: readonly Runtime[] = ['node', 'deno', 'bun'];

/**
 * The command line that runs a TypeScript file in each runtime, straight from
 * the source (no build, no bundler). Deno: `--unstable-net` for
 * Deno.listenDatagram, `--allow-net` for UDP; @noble/* resolve from the
 * project's node_modules through its package.json (no deno.json needed).
 */
export function command(runtime: Runtime, file: string, args: string[]): [string, string[]] {
  switch (runtime) {
    case 'node':
      return [process.execPath, ['--import', 'tsx', file, ...args]];
    case 'deno':
      return [join(ROOT, 'node_modules/.bin/deno'), ['run', '--unstable-net', '--allow-net', file, ...args]];
    case 'bun':
      return [join(ROOT, 'node_modules/.bin/bun'), [file, ...args]];
  }
}

export interface Step {
  step: string;
  runtime: string;
  [key: string]: unknown;
}

export class Child {
  readonly proc: ChildProcess;
  readonly argv: string[];
  readonly exited: Promise<number | null>;
  stdout = '';
  stderr = '';
  #waiters = new Set<() => void>();

  constructor(runtime: Runtime, script: string, args: string[], t: TestContext) {
    const [cmd, argv] = command(runtime, join(FIXTURES, script), args);
    this.argv = [cmd, ...argv];
    this.proc = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    this.proc.stdout!.setEncoding('utf8').on('data', (s: string) => ((this.stdout += s), this.#wake()));
    this.proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code) => (resolve(code), this.#wake()));
      this.proc.on('error', (e) => ((this.stderr += `spawn error: ${e.message}\n`), resolve(null), this.#wake()));
    });
    t.after(() => {
      if (this.proc.exitCode === null && this.proc.signalCode === null && this.proc.pid) this.proc.kill('SIGKILL');
    });
  }

  get steps(): Step[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Step);
  }

  step(name: string): Step | undefined {
    return this.steps.find((s) => s.step === name);
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Waits for a step named `name`; rejects if the child exits first or after `ms`. */
  waitStep(name: string, ms = 15_000): Promise<Step> {
    return new Promise((resolve, reject) => {
      let exited = false;
      void this.exited.then(() => ((exited = true), check()));
      const timer = setTimeout(() => done(new Error(`timed out waiting for step ${name}\n${this.dump()}`)), ms);
      const done = (err?: Error, s?: Step): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (err) reject(err);
        else resolve(s!);
      };
      const check = (): void => {
        const s = this.step(name);
        if (s) return done(undefined, s);
        if (exited) done(new Error(`exited before step ${name}\n${this.dump()}`));
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits for the exit (killing the child after `ms`); returns the exit code. */
  async exit(ms = 15_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.proc.kill('SIGKILL');
      throw new Error(`did not exit within ${ms} ms\n${this.dump()}`);
    }
    return r;
  }

  dump(): string {
    return `--- ${this.argv.join(' ')}\n--- stdout:\n${this.stdout}\n--- stderr:\n${this.stderr}`;
  }
}
