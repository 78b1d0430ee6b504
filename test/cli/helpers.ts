// Child processes for the CLI tests: output collected, every wait bounded, and
// every process started here killed by killAll() (the tests call it afterEach).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createSocket } from 'node:dgram';

const procs = new Set<Proc>();

/** A child process with its output collected, and bounded waits on it. */
export class Proc {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  #listeners = new Set<() => void>();

  constructor(readonly name: string, command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv) {
    this.child = spawn(command, args, { cwd, stdio: 'pipe', env: env ?? process.env });
    this.child.stdout.setEncoding('utf8').on('data', (s: string) => this.#on('stdout', s));
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => this.#on('stderr', s));
    this.child.stdin.on('error', () => {}); // EPIPE once the child is gone
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
    procs.add(this);
  }

  #on(which: 'stdout' | 'stderr', s: string): void {
    this[which] += s;
    for (const l of this.#listeners) l();
  }

  /** Resolves with the first match of `re` in stdout or stderr. */
  waitFor(which: 'stdout' | 'stderr', re: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(this[which]);
        if (!m) return;
        done();
        resolve(m);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${re} on ${which} within ${ms} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** The exit code, within `ms`. */
  async exit(ms = 10_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} did not exit within ${ms} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)),
        ms,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Kills every process started by a Proc that is still running. */
export function killAll(): void {
  for (const p of procs) p.kill();
  procs.clear();
}

/** A UDP port that was free a moment ago (for OpenSSL, which cannot report one). */
export async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('dtls-stream: '));
}

