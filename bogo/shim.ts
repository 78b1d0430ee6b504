// The BoGo shim: BoringSSL's test runner (../shared/bogo) drives one
// dtls-stream Connection per test through it. It speaks the runner's framing
// over TCP (framing.ts), maps the runner's flags to options (flags.ts, keys.ts,
// options.ts), drives the sans-IO core on the runner's virtual clock and echoes
// application data XOR 0xff (session.ts). Exit 0: passed; 89: needs a feature
// the library does not have; 1: failed, with the error on stderr (matched by
// the runner through bogo/config.json's ErrorMap).
//
// Start-up is most of a test's cost: flags and key types are checked with
// node built-ins only, and the library is loaded only for a test that runs.
import { connect, type Socket } from 'node:net';
import { appendFileSync } from 'node:fs';
import { Unimplemented, parseConfigs, type ShimConfigs } from './flags.ts';
import { checkCredentials } from './keys.ts';

const EXIT_UNIMPLEMENTED = 89;

let testName: string | undefined;

function text(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function finish(code: number, message?: string): never {
  // The runner drops an unimplemented test's stderr: `npm run bogo` reads the
  // reasons from this log instead (BOGO_SHIM_LOG, one "name<TAB>reason" line).
  const log = process.env.BOGO_SHIM_LOG;
  if (log && code === EXIT_UNIMPLEMENTED) appendFileSync(log, `${testName ?? '?'}\t${(message ?? '').replace(/\s+/g, ' ')}\n`);
  // BOGO_SHIM_TIMES=<file>: "name<TAB>ms<TAB>exit code" per test, to find the tests that make a run slow.
  const times = process.env.BOGO_SHIM_TIMES;
  if (times) appendFileSync(times, `${testName ?? '?'}\t${Math.round(performance.now())}\t${code}\n`);
  if (message) process.stderr.write(message + '\n');
  process.exit(code);
}

/**
 * The runner closes its side once it has read our FIN or alert, and kills a
 * shim that outlives its wait (15 s); this bound only keeps a shim run by hand
 * from waiting forever.
 */
const RUNNER_CLOSE_WAIT_MS = 30_000;

/**
 * Ends our side of the TCP stream, then runs `fn` once the runner has closed
 * its side. A test we fail ends while the runner may still be writing its
 * flight (we refuse a Certificate before its CertificateVerify and Finished
 * arrive): exiting then closes the socket under those writes, and the runner
 * reports "write: broken pipe" instead of reading our alert. So we keep reading
 * (and discard) until its FIN, as a half-closed peer. Bounded: a runner that
 * never closes cannot hold us.
 */
function endThen(sock: Socket, fn: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    fn();
  };
  setTimeout(once, RUNNER_CLOSE_WAIT_MS).unref();
  if (sock.destroyed) return void setImmediate(once);
  sock.once('close', once).once('error', once);
  if (sock.readableEnded) return void sock.end(once);
  sock.once('end', once);
  sock.resume();
  sock.end();
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('-is-handshaker-supported')) {
    process.stdout.write('No\n');
    return finish(0);
  }
  // With -transcript-dir the runner passes "-write-settings <dir>/<test name>-".
  const i = argv.indexOf('-write-settings');
  if (i >= 0) testName = argv[i + 1]?.replace(/^.*[\\/]/, '').replace(/-$/, '');
  let configs: ShimConfigs;
  try {
    configs = parseConfigs(argv);
    checkCredentials(configs.initial);
    if (configs.initial.resumeCount > 0) checkCredentials(configs.resume);
  } catch (e) {
    // A malformed value or an unreadable file is the shim's problem, not a missing feature.
    return finish(e instanceof Unimplemented ? EXIT_UNIMPLEMENTED : 1, text(e));
  }
  const { Session, ShimFailure, describe, shimConnection } = await import('./session.ts');
  const { toOptions } = await import('./options.ts');
  const resumeCount = configs.initial.resumeCount;
  const ticketKeys = [globalThis.crypto.getRandomValues(new Uint8Array(32))];
  const server = {};
  // The client's verify callback answers a stored session's check as the connection that made it did (options.ts).
  const phase = { checkingSession: false, sessionVerdict: !configs.initial.verifyFail };
  let session: Uint8Array | undefined;
  // Each connection's clock starts at 0, but the wall clock (ticket ages, certificate validity) goes on
  // across them by the runner's time, as BoringSSL's shim clock does: a ticket issued minutes into a
  // retransmission test is not from the next connection's future (DTLS-Retransmit-Server-Basic-*).
  let wallStart = Date.now();
  for (let i = 0; i <= resumeCount; i++) {
    // -on-initial- flags hold for the first connection, -on-resume- ones for the others.
    const flags = i === 0 ? configs.initial : configs.resume;
    let conn;
    try {
      const o = toOptions(flags, wallStart, phase);
      if (flags.server) {
        o.ticketKeys = ticketKeys;
        // Two tickets after a 1.3 handshake, as BoringSSL's server sends: the runner's post-handshake hooks wait for both.
        if (!flags.noTicket) o.sessionTickets = 2;
      } else if (resumeCount > 0 || !flags.noTicket) {
        // The client takes tickets in every test, as BoringSSL's does: the runner's
        // post-handshake hooks (KeyUpdate-*, NewSessionTicket-*) expect one.
        o.onSession = (s) => (session = s);
        if (i > 0 && session) o.session = session;
      }
      conn = shimConnection(o, server);
    } catch (e) {
      return finish(EXIT_UNIMPLEMENTED, describe(e));
    }
    const sock = connect({ host: flags.ipv6 ? '::1' : '127.0.0.1', port: flags.port, noDelay: true });
    try {
      const run = new Session(flags, conn, sock, flags.server ? undefined : phase);
      await run.run();
      wallStart += run.now;
      if (i > 0 && !flags.expect.sessionMiss && !conn.handshakeInfo?.resumed) throw new ShimFailure('session was not reused');
      if (i > 0 && flags.expect.sessionMiss && conn.handshakeInfo?.resumed) throw new ShimFailure('session was unexpectedly reused');
      if (flags.expect.noSession && run.sessions > 0) throw new ShimFailure('a session was made, none expected');
      if (flags.expect.ticketRenewal && run.sessions === 0) throw new ShimFailure('the resumed session was not renewed (no new ticket)');
    } catch (e) {
      const code = e instanceof Unimplemented ? EXIT_UNIMPLEMENTED : 1;
      const message = e instanceof ShimFailure || e instanceof Unimplemented ? text(e) : describe(e);
      return endThen(sock, () => finish(code, message));
    }
    if (i === resumeCount) return endThen(sock, () => finish(0));
    await new Promise<void>((r) => endThen(sock, r));
  }
}

main(process.argv.slice(2)).catch((e) => finish(1, `shim crashed: ${text(e)}`));
