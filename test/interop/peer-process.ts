// A peer program (openssl, gnutls-serv, gnutls-cli) run as a child process by a
// test: its output collected (capped), bounded waits on it, and a stop by PID.
import { spawn, type ChildProcess } from 'node:child_process';

const DEFAULT_WAIT = 10_000;

/**
 * Output kept per stream. After a failed DTLS handshake gnutls-serv can spin
 * printing "Waiting for connection..." while the client retransmits; beyond
 * this the middle of the output is dropped (the start and the end are kept).
 */
const MAX_OUTPUT = 1 << 20;

function capped(text: string): string {
  if (text.length <= MAX_OUTPUT) return text;
  const keep = MAX_OUTPUT / 4;
  return `${text.slice(0, keep)}\n[... ${text.length - 2 * keep} characters dropped ...]\n${text.slice(-keep)}`;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One peer child process whose output we collect. */
export class PeerProcess {
  readonly child: ChildProcess;
  readonly argv: string[];
  readonly exited: Promise<ExitStatus>;
  #stdout = '';
  #stderr = '';
  #exit: ExitStatus | undefined;
  #waiters = new Set<() => void>();

  constructor(program: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.argv = [program, ...args];
    // stdbuf: these programs print some lines (s_server's "shutting down SSL",
    // gnutls' progress) through stdio, which is block-buffered on a pipe.
    this.child = spawn('stdbuf', ['-o0', '-e0', program, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    this.child.stdout!.setEncoding('latin1');
    this.child.stderr!.setEncoding('latin1');
    this.child.stdout!.on('data', (s: string) => this.#changed(() => (this.#stdout = capped(this.#stdout + s))));
    this.child.stderr!.on('data', (s: string) => this.#changed(() => (this.#stderr = capped(this.#stderr + s))));
    this.child.stdin!.on('error', () => {}); // EPIPE once the process is gone
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.#exit) return;
        this.#changed(() => (this.#exit = { code, signal }));
        resolve(this.#exit!);
      };
      this.child.on('close', done);
      this.child.on('error', (e) => {
        this.#stderr += `spawn error: ${e.message}\n`;
        done(null, null);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
  get stdout(): string {
    return this.#stdout;
  }
  get stderr(): string {
    return this.#stderr;
  }
  get exitStatus(): ExitStatus | undefined {
    return this.#exit;
  }

  #changed(update: () => void): void {
    update();
    for (const w of [...this.#waiters]) w();
  }

  /** Writes text on the process's stdin (a newline is added if missing). */
  writeLine(line: string): void {
    this.child.stdin!.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  /** Ends stdin (s_client and gnutls-cli then send close_notify; s_server quits). */
  endInput(): void {
    this.child.stdin!.end();
  }

  /**
   * Waits until `pattern` appears in stdout (or in stdout+stderr with
   * where: 'any'), at most `timeoutMs`. Rejects with both outputs on timeout
   * or if the process exits first.
   */
  waitFor(pattern: RegExp | string, timeoutMs = DEFAULT_WAIT, where: 'stdout' | 'stderr' | 'any' = 'stdout'): Promise<RegExpExecArray> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const text = (): string => (where === 'stdout' ? this.#stdout : where === 'stderr' ? this.#stderr : `${this.#stdout}\n${this.#stderr}`);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | undefined, m?: RegExpExecArray): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (err) reject(err);
        else resolve(m!);
      };
      const check = (): void => {
        const m = re.exec(text());
        if (m) return finish(undefined, m);
        if (this.#exit) finish(new Error(`${this.describe()} exited (${JSON.stringify(this.#exit)}) before printing ${re}\n${this.dump()}`));
      };
      timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${re} from ${this.describe()}\n${this.dump()}`)), timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits for the exit, at most `timeoutMs`; undefined on timeout. */
  async waitExit(timeoutMs = DEFAULT_WAIT): Promise<ExitStatus | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Kills this process by its PID (SIGTERM, then SIGKILL after 1 s) and waits
   * for it to exit. stdbuf execs the program, so the PID is the program's.
   */
  async stop(): Promise<ExitStatus> {
    if (this.#exit) return this.#exit;
    this.child.stdin!.destroy();
    this.child.kill('SIGTERM');
    if (!(await this.waitExit(1000))) {
      this.child.kill('SIGKILL');
    }
    return this.exited;
  }

  describe(): string {
    return `${this.argv.slice(0, 2).join(' ')} (pid ${this.pid})`;
  }

  dump(): string {
    return `--- ${this.argv.join(' ')}\n--- stdout:\n${this.#stdout}\n--- stderr:\n${this.#stderr}`;
  }
}
