// Entry point of the `dtls-stream` command (bin/dtls-stream.mjs runs main()).
import { readFileSync } from 'node:fs';
import { parseArgs, UsageError, USAGE } from './args.ts';
import { runClient } from './client.ts';
import { runServer } from './server.ts';
import { Output } from './output.ts';
import { type Stdio } from './summary.ts';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Runs the command; resolves with the exit status. Expected failures never throw. */
export async function main(argv: readonly string[], io: Stdio = process, signal?: AbortSignal): Promise<number> {
  let cmd;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`dtls-stream: ${e.message}\nTry 'dtls-stream --help'.\n`);
    return 2;
  }
  try {
    switch (cmd.command) {
      case 'help':
        io.stdout.write(`${USAGE}\n`);
        return 0;
      case 'version':
        io.stdout.write(`dtls-stream ${version()}\n`);
        return 0;
      case 'client':
        return await runClient(cmd.target, cmd.options, io, signal);
      case 'server':
        return await runServer(cmd.listen, cmd.options, io, signal);
    }
  } catch (e) {
    new Output(io.stderr, cmd.command === 'client' || cmd.command === 'server' ? cmd.options : { json: false, quiet: false, trace: false }).failure(e);
    if (process.env.DTLS_STREAM_DEBUG && e instanceof Error) io.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

/** For the launcher: runs main() on process.argv, exits when done (stdin may still be open). */
export async function run(): Promise<void> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0); // the reader went away
  });
  const code = await main(process.argv.slice(2), process, abort.signal);
  // Let stdout/stderr drain before exiting.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(code);
}
