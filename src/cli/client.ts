// `dtls-stream client HOST:PORT`: stdin lines out as records, records in as stdout lines.
import { createInterface } from 'node:readline';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { bindUdp, nodeUdpConnected } from '../adapters/node.ts';
import { connect } from '../stream/index.ts';
import type { CliOptions, HostPort } from './args.ts';
import { certificateFrom, dtlsOptions } from './config.ts';
import { printRecords, report, type Stdio } from './summary.ts';

/** An IP literal as is; a name resolved once, IPv4 first (a DNS failure is reported as such). */
async function resolve(host: string): Promise<string> {
  if (isIP(host)) return host;
  const all = await lookup(host, { all: true });
  return (all.find((a) => a.family === 4) ?? all[0]!).address;
}

/** A stdin line that cannot be one record (RFC 6347 4.1: at most 2^14 bytes of plaintext). */
class LineTooLong extends Error {}
const MAX_RECORD = 16384;

/** Resolves with the exit status (0: clean close); throws on a failure. `signal` ends the session like EOF. */
export async function runClient(target: HostPort, o: CliOptions, io: Stdio, signal?: AbortSignal): Promise<number> {
  const options = dtlsOptions(o, 'client', certificateFrom(o), target.host);
  const address = await resolve(target.host);
  const socket = await bindUdp({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
  const aborted = new Promise<'abort'>((resolve) => {
    if (signal?.aborted) resolve('abort');
    signal?.addEventListener('abort', () => resolve('abort'), { once: true });
  });
  try {
    const dtls = await Promise.race([connect(nodeUdpConnected(socket, address, target.port), options), aborted]);
    if (dtls === 'abort') throw new Error('interrupted before the handshake completed');
    report(dtls, o, io.stderr);

    const peerDone = printRecords(dtls, io.stdout).then(() => 'peer' as const, () => 'peer' as const);
    const writer = dtls.outbound.writable.getWriter();
    const lines = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
    const sent = (async () => {
      let n = 0;
      for await (const line of lines) {
        const data = Buffer.from(line, 'utf8');
        n++;
        if (data.length > MAX_RECORD) throw new LineTooLong(`line ${n} has ${data.length} bytes; a record carries at most ${MAX_RECORD}`);
        await writer.write(data);
      }
      return 'eof' as const;
    })();
    // A failed write means the connection is gone: dtls.closed says why.
    const stdinDone = sent.catch((e: unknown) => {
      if (e instanceof LineTooLong) throw e;
      return 'peer' as const;
    });

    // Until the peer closes, or stdin ends (then linger for replies), or a signal.
    let timer: NodeJS.Timeout | undefined;
    try {
      const first = await Promise.race([peerDone, stdinDone, aborted]);
      if (first === 'eof') {
        const linger = new Promise((resolve) => (timer = setTimeout(resolve, o.linger)));
        await Promise.race([peerDone, linger, aborted]);
      }
    } finally {
      clearTimeout(timer);
      lines.close();
      writer.releaseLock();
      await dtls.close();
    }
    await dtls.closed; // throws the DtlsError when the connection failed
    return 0;
  } finally {
    socket.close();
  }
}
