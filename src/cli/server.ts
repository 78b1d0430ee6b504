// `dtls-stream server --listen HOST:PORT`: prints each record received; --echo
// sends it back; --once exits after the first connection closes.
import type { Writable } from 'node:stream';
import { bindUdp, nodeUdpSocket } from '../adapters/node.ts';
import { listen, type DtlsStream, type HandshakeErrorDetail } from '../stream/index.ts';
import { formatHostPort, type CliOptions, type HostPort } from './args.ts';
import { certificateFrom, dtlsOptions } from './config.ts';
import { describeError, printRecords, report, type Stdio } from './summary.ts';

const noop = (): void => {};

/** Serves one connection until it closes; throws its DtlsError if it failed. */
async function serve(dtls: DtlsStream, o: CliOptions, stdout: Writable, stderr: Writable): Promise<void> {
  report(dtls, o, stderr);
  const writer = dtls.outbound.writable.getWriter();
  const echo = o.echo ? (record: Uint8Array) => writer.write(record).catch(noop) : undefined;
  await printRecords(dtls, stdout, echo).catch(noop); // dtls.closed carries the error
  writer.releaseLock();
  await dtls.closed;
}

/** Resolves with the exit status; with --once, throws when the first connection failed. */
export async function runServer(at: HostPort, o: CliOptions, io: Stdio, signal?: AbortSignal): Promise<number> {
  const certificate = certificateFrom(o);
  const options = dtlsOptions(o, 'server', certificate);
  const socket = await bindUdp({ address: at.host, port: at.port });
  const server = listen(nodeUdpSocket(socket), options);
  const stop = (): void => void server.close();
  signal?.addEventListener('abort', stop, { once: true });
  // A peer whose handshake failed never becomes a connection: say so, and with
  // --once that first attempt decides the exit status.
  let firstFailure: unknown;
  server.addEventListener('handshakeerror', (e) => {
    const { address, port, error } = (e as CustomEvent<HandshakeErrorDetail>).detail;
    io.stderr.write(`dtls-stream: handshake with ${formatHostPort(address, port)} failed: ${describeError(error)}\n`);
    if (o.once && firstFailure === undefined) {
      firstFailure = error;
      stop();
    }
  });
  try {
    io.stderr.write(`Fingerprint: ${certificate.fingerprint}\n`);
    const bound = socket.address();
    io.stderr.write(`Listening on ${formatHostPort(bound.address, bound.port)}\n`);
    for await (const dtls of server) {
      const done = serve(dtls, o, io.stdout, io.stderr);
      if (o.once) {
        await done; // a failure propagates: exit 1 with its reason
        return 0;
      }
      done.catch((e) => io.stderr.write(`dtls-stream: connection failed: ${describeError(e)}\n`));
    }
    if (firstFailure !== undefined) throw firstFailure;
    return 0;
  } finally {
    signal?.removeEventListener('abort', stop);
    await server.close();
    socket.close();
  }
}
