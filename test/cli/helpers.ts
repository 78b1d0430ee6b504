// Child processes for the CLI tests: output collected, every wait bounded, and
// every process started here killed by killAll() (the tests call it afterEach).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';

/** The launcher, run as a user runs it. */
export const BIN = fileURLToPath(new URL('../../bin/dtls-stream.mjs', import.meta.url));

const procs = new Set<Proc>();

/** A child process with its output collected, and bounded waits on it. */
export class Proc {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  #listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    cwd: string,
    env?: NodeJS.ProcessEnv,
  ) {
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
  waitFor(which: 'stdout' | 'stderr', re: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
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
  async exit(ms = 20_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} did not exit within ${ms} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)), ms);
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

/** `dtls-stream ARGS` run in `cwd` (not the package: the launcher must cope). */
export function cli(cwd: string, name: string, args: string[], env?: NodeJS.ProcessEnv): Proc {
  return new Proc(name, process.execPath, [BIN, ...args], cwd, env);
}

/** Starts `dtls-stream server` on 127.0.0.1 (or `host`; a free port) and waits until it listens. */
export async function cliServer(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ proc: Proc; port: number; fingerprint: string }> {
  const host = args[0]?.startsWith('[') ? args[0] : '127.0.0.1';
  const rest = host === args[0] ? args.slice(1) : args;
  const proc = cli(cwd, 'server', ['server', '--listen', `${host}:0`, ...rest], env);
  const [, fingerprint] = await proc.waitFor('stderr', /^Fingerprint: (sha-256 [0-9A-F:]+)$/m);
  const [, port] = await proc.waitFor('stderr', /^Listening on (?:127\.0\.0\.1|\[::1\]):(\d+)$/m);
  return { proc, port: Number(port), fingerprint: fingerprint! };
}
