// `dtls-stream server --listen [HOST:]PORT`: prints each record received as it
// came; --echo sends it back; --once exits after the first connection closes.
import type { Writable } from 'node:stream';
import { bindUdp, nodeUdpSocket } from '../adapters/node.ts';
import { listen, type ConnectionStartDetail, type DtlsStream, type HandshakeErrorDetail } from '../stream/index.ts';
import { formatHostPort, type CliOptions, type HostPort } from './args.ts';
import { certificateFrom, dtlsOptions } from './config.ts';
import { Output } from './output.ts';
import { describeError, printRecords, type Stdio } from './summary.ts';

const noop = (): void => {};

/** Serves one connection until it closes; throws its DtlsError if it failed. */
async function serve(dtls: DtlsStream, o: CliOptions, stdout: Writable, out: Output): Promise<void> {
  const peer = dtls.remote ? formatHostPort(dtls.remote.address, dtls.remote.port) : 'peer';
  out.handshake(dtls, peer, o.export);
  const writer = dtls.outbound.writable.getWriter();
  const echo = o.echo ? (record: Uint8Array) => writer.write(record).catch(noop) : undefined;
  await printRecords(dtls, stdout, echo).catch(noop); // dtls.closed carries the error
  writer.releaseLock();
  await dtls.closed;
}

/** Resolves with the exit status; with --once, throws when the first connection failed. */
export async function runServer(at: HostPort, o: CliOptions, io: Stdio, signal?: AbortSignal): Promise<number> {
  const out = new Output(io.stderr, o);
  const certificate = certificateFrom(o);
  const options = dtlsOptions(o, 'server', certificate);
  const socket = await bindUdp({ address: at.host, port: at.port });
  const server = listen(nodeUdpSocket(socket), options);
  const stop = (): void => void server.close();
  signal?.addEventListener('abort', stop, { once: true });
  // A peer whose handshake failed never becomes a connection: say so, and with
  // --once that first attempt decides the exit status.
  let firstFailure: unknown;
  // Watched from the start of its handshake, so --trace and --json show the whole ladder.
  server.addEventListener('connection', (e) => {
    const { dtls, address, port } = (e as CustomEvent<ConnectionStartDetail>).detail;
    out.watch(dtls, 'server', formatHostPort(address, port));
  });
  server.addEventListener('handshakeerror', (e) => {
    const { address, port, error } = (e as CustomEvent<HandshakeErrorDetail>).detail;
    const peer = formatHostPort(address, port);
    out.error(`handshake with ${peer} failed: ${describeError(error)}`, { peer });
    if (o.once && firstFailure === undefined) {
      firstFailure = error;
      stop();
    }
  });
  try {
    const bound = socket.address();
    out.say('listening', { address: bound.address, port: bound.port, fingerprint: certificate.fingerprint }, [
      `Fingerprint: ${certificate.fingerprint}`,
      `Listening on ${formatHostPort(bound.address, bound.port)}`,
    ]);
    for await (const dtls of server) {
      const done = serve(dtls, o, io.stdout, out);
      if (o.once) {
        await done; // a failure propagates: exit 1 with its reason
        return 0;
      }
      done.catch((e) => out.error(`connection failed: ${describeError(e)}`));
    }
    if (firstFailure !== undefined) throw firstFailure;
    return 0;
  } finally {
    signal?.removeEventListener('abort', stop);
    await server.close();
    socket.close();
  }
}
