// `dtls-stream client HOST:PORT`: stdin lines out as records, records in as stdout lines.
import { createInterface } from 'node:readline';
import { isIPv6 } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { bindUdp, nodeUdpConnected } from '../adapters/node.ts';
import { connect, type DtlsStream } from '../stream/index.ts';
import type { CliOptions, HostPort } from './args.ts';
import { certificateFrom, dtlsOptions } from './config.ts';
import { hexUpper, summaryLines } from './summary.ts';

export interface Stdio {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** Prints the handshake summary and the exported keying material (if asked) to stderr. */
export function report(dtls: DtlsStream, o: CliOptions, stderr: Writable): void {
  const info = dtls.info;
  if (info) for (const line of summaryLines(info)) stderr.write(`${line}\n`);
  if (o.export) {
    const km = dtls.exportKeyingMaterial(o.export.label, undefined, o.export.length);
    stderr.write(`Keying material: ${hexUpper(km)}\n`);
  }
}

/** Writes each record of `dtls.inbound.readable` to `out` as a line; settles when it ends. */
export async function printRecords(dtls: DtlsStream, out: Writable, each?: (record: Uint8Array) => unknown): Promise<void> {
  const reader = dtls.inbound.readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    out.write(Buffer.concat([value, NEWLINE]));
    await each?.(value);
  }
}

const NEWLINE = Buffer.from('\n');
const noop = (): void => {};

/** Resolves with the exit status (0: clean close); throws on a failure. */
export async function runClient(target: HostPort, o: CliOptions, io: Stdio): Promise<number> {
  const options = dtlsOptions(o, 'client', certificateFrom(o), target.host);
  const socket = await bindUdp({ type: isIPv6(target.host) ? 'udp6' : 'udp4' });
  try {
    const dtls = await connect(nodeUdpConnected(socket, target.host, target.port), options);
    report(dtls, o, io.stderr);

    const received = printRecords(dtls, io.stdout);
    received.catch(noop); // dtls.closed carries the error
    const writer = dtls.outbound.writable.getWriter();
    const lines = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
    const sent = (async () => {
      for await (const line of lines) await writer.write(Buffer.from(line, 'utf8'));
    })();
    sent.catch(noop); // a write fails only when the connection is gone: dtls.closed says why

    // Until the peer closes, or stdin ends (then linger for replies).
    const peerDone = received.then(() => 'peer', () => 'peer');
    const first = await Promise.race([peerDone, sent.then(() => 'eof', () => 'peer')]);
    if (first === 'eof') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([peerDone, new Promise((r) => (timer = setTimeout(r, o.linger)))]);
      clearTimeout(timer);
    }
    lines.close();
    writer.releaseLock();
    await dtls.close();
    await dtls.closed; // throws the DtlsError when the connection failed
    return 0;
  } finally {
    socket.close();
  }
}
