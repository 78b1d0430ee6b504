// `dtls-stream client HOST:PORT`: stdin lines out as records, records in on stdout as they came.
import type { Readable } from 'node:stream';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { connectUdp, nodeUdpConnected } from '../adapters/node.ts';
import { attach, handshakeOf } from '../stream/connect.ts';
import { formatHostPort, type CliOptions, type HostPort } from './args.ts';
import { certificateFrom, dtlsOptions } from './config.ts';
import { Output } from './output.ts';
import { printRecords, type Stdio } from './summary.ts';

/** An IP literal as is; a name resolved once, IPv4 first (a DNS failure is reported as such). */
async function resolve(host: string): Promise<string> {
  if (isIP(host)) return host;
  const all = await lookup(host, { all: true });
  return (all.find((a) => a.family === 4) ?? all[0]!).address;
}

/** RFC 6347 4.1: a record carries at most 2^14 bytes of plaintext. */
const MAX_RECORD = 16384;

/**
 * stdin as records: each line with its newline (as s_client sends what a
 * terminal gives it), a line longer than a record as several, and what
 * follows the last newline at EOF. Nothing is dropped or added.
 */
export async function* stdinRecords(input: Readable): AsyncGenerator<Uint8Array> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    pending = pending.length ? Buffer.concat([pending, bytes]) : bytes;
    for (;;) {
      const nl = pending.indexOf(10);
      const end = nl >= 0 && nl < MAX_RECORD ? nl + 1 : pending.length >= MAX_RECORD ? MAX_RECORD : 0;
      if (!end) break;
      yield pending.subarray(0, end);
      pending = pending.subarray(end);
    }
  }
  if (pending.length) yield pending;
}

/** Resolves with the exit status (0: clean close); throws on a failure. `signal` ends the session like EOF. */
export async function runClient(target: HostPort, o: CliOptions, io: Stdio, signal?: AbortSignal): Promise<number> {
  const out = new Output(io.stderr, o);
  const options = dtlsOptions(o, 'client', certificateFrom(o), target.host);
  const address = await resolve(target.host);
  const peer = formatHostPort(address, target.port);
  // Connected, so an ICMP port unreachable ends the handshake at once.
  const socket = await connectUdp(address, target.port);
  const aborted = new Promise<'abort'>((resolve) => {
    if (signal?.aborted) resolve('abort');
    signal?.addEventListener('abort', () => resolve('abort'), { once: true });
  });
  try {
    const dtls = attach(nodeUdpConnected(socket, address, target.port), options);
    out.watch(dtls, 'client', peer);
    const done = await Promise.race([handshakeOf(dtls), aborted]);
    if (done === 'abort') {
      await dtls.close();
      throw new Error('interrupted before the handshake completed');
    }
    out.handshake(dtls, peer, o.export);

    const peerDone = printRecords(dtls, io.stdout).then(
      () => 'peer' as const,
      () => 'peer' as const,
    );
    const writer = dtls.outbound.writable.getWriter();
    const input = stdinRecords(io.stdin);
    // A failed write means the connection is gone: dtls.closed says why.
    const stdinDone = (async () => {
      for await (const record of input) await writer.write(record);
      return 'eof' as const;
    })().catch(() => 'peer' as const);

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
      void input.return(undefined);
      writer.releaseLock();
      await dtls.close();
    }
    await dtls.closed; // throws the DtlsError when the connection failed
    return 0;
  } finally {
    socket.close();
  }
}
