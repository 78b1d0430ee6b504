// Starts relay.ts under the project's own Deno binary (spawned directly, so the
// PID we hold is Deno's and stopping it stops the relay) and waits for its
// ready line. Used by the browser demo (--webtransport) and the tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..', '..');

export interface WebTransportRelay {
  /** https://127.0.0.1:PORT/dtls */
  url: string;
  /** Hex SHA-256 of the relay's certificate, for serverCertificateHashes. */
  certificateHash: string;
  /** The same hash as "sha-256 AB:CD:..". */
  fingerprint: string;
  /** Everything the relay logged (stderr), line by line. */
  log: string[];
  process: ChildProcess;
  /** Stops the relay (SIGTERM, then SIGKILL after 2 s) and waits for it to exit. */
  close(): Promise<void>;
}

export interface StartRelayOptions {
  /** The UDP DTLS server. */
  target: { host: string; port: number };
  /** QUIC port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Called with each log line as it comes. */
  onLog?: (line: string) => void;
  /** How long to wait for the ready line. Default 20 s (Deno compiles the TypeScript first). */
  timeout?: number;
}

export async function startWebTransportRelay(o: StartRelayOptions): Promise<WebTransportRelay> {
  const deno = join(ROOT, 'node_modules', 'deno', 'deno');
  const host = o.target.host.includes(':') ? `[${o.target.host}]` : o.target.host;
  const child = spawn(
    deno,
    [
      'run',
      '--quiet',
      '--unstable-net',
      '--allow-net',
      '--allow-read',
      join(here, 'relay.ts'),
      '--target',
      `${host}:${o.target.port}`,
      '--port',
      String(o.port ?? 0),
      '--exit-with-stdin',
    ],
    // Our end of its stdin closes when this process ends, however it ends: the relay then stops too.
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  const log: string[] = [];
  let errText = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    errText += chunk;
    let i;
    while ((i = errText.indexOf('\n')) >= 0) {
      const line = errText.slice(0, i);
      errText = errText.slice(i + 1);
      log.push(line);
      o.onLog?.(line);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const ready = await new Promise<{ url: string; certificateHash: string; fingerprint: string }>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`the WebTransport relay was not ready after ${o.timeout ?? 20_000} ms: ${log.join(' | ')}`)),
        o.timeout ?? 20_000,
      );
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        out += chunk;
        const i = out.indexOf('\n');
        if (i < 0) return;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(out.slice(0, i)));
        } catch (e) {
          reject(new Error(`the relay's ready line is not JSON: ${out.slice(0, i)}`, { cause: e }));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the WebTransport relay exited (${code}): ${log.join(' | ')}${errText}`));
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    return { ...ready, log, process: child, close };
  } catch (e) {
    await close();
    throw e;
  }
}
