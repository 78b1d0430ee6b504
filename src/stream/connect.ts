// connect(): wire a datagram duplex to a new DtlsStream and wait for the handshake.
import type { ConnectionLike } from '../connection-types.ts';
import type { DatagramDuplex } from '../adapters/types.ts';
import { DtlsError } from '../errors.ts';
import type { DtlsOptions } from '../options.ts';
import { defaultConnection } from './default-connection.ts';
import { DtlsStream } from './dtls-stream.ts';
import { attachTransport, deliverDatagram, endTransport, trackFlush } from './transport.ts';

/** @internal Test hooks, never part of the public API. */
export interface ConnectHooks {
  createConnection?: (options: DtlsOptions) => ConnectionLike;
}

/**
 * @internal The CLI uses it to listen to events during the handshake. Carries
 * duplex.readable into the connection and its datagrams to duplex.writable
 * (what piping them through dtls.inbound.writable and dtls.outbound.readable
 * would do, without those two streams: less memory and two promise hops less
 * per datagram), and returns the stream at once. The transport ending, failing
 * or refusing a datagram ends the connection; a failed connection cancels the
 * transport's readable; the connection's end closes its writable, after the
 * last datagram (close() waits for that).
 */
export function attach(duplex: DatagramDuplex, options: DtlsOptions = {}, hooks: ConnectHooks = {}): DtlsStream {
  const opts: DtlsOptions = { ...options, role: options.role ?? 'client' };
  const conn = hooks.createConnection ? hooks.createConnection(opts) : defaultConnection.prepare(opts).createConnection();
  const dtls = DtlsStream.fromConnection(conn, { clock: options.clock });
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  let writer: WritableStreamDefaultWriter<Uint8Array>;
  try {
    reader = duplex.readable.getReader();
    writer = duplex.writable.getWriter();
  } catch (e) {
    // A transport already in use (locked): the connection cannot start.
    void endTransport(dtls, e);
    return dtls;
  }
  attachTransport(dtls, (d) => writer.write(d), true);
  // The connection's end closes the transport's writable once its last datagram is written.
  const out = dtls.closed.then(noop, noop).then(() => writer.close());
  out.catch(noop);
  trackFlush(dtls, out);
  // A failure cancels the transport's readable, as a pipe into an errored stream would.
  dtls.closed.catch((e: unknown) => void reader.cancel(e).catch(noop));
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        deliverDatagram(dtls, value);
      }
    } catch (e) {
      // The transport failed: kept as the cause of a handshake that now cannot complete.
      await endTransport(dtls, e);
      return;
    }
    await endTransport(dtls);
  })();
  return dtls;
}

const noop = (): void => {};

/**
 * Waits for the handshake of an attached stream. On failure the pipes are torn
 * down (after the alert went out) and the DtlsError is thrown; a transport that
 * failed with a DtlsError of its own (e.g. "no DTLS server at HOST:PORT (port
 * unreachable)" from nodeUdpConnected) is thrown as it is.
 */
export async function handshakeOf(dtls: DtlsStream): Promise<DtlsStream> {
  try {
    await dtls.handshake;
  } catch (e) {
    await dtls.close();
    throw e instanceof DtlsError && e.code === 'closed' && e.cause instanceof DtlsError ? e.cause : e;
  }
  return dtls;
}

/**
 * Carries datagrams from duplex.readable into a new DtlsStream and its
 * datagrams to duplex.writable (the stream's own inbound.writable and
 * outbound.readable are not used: they come locked); resolves once the
 * handshake completes. On failure the transport is torn down (after the alert
 * went out) and the DtlsError is thrown. The role defaults to 'client'.
 */
export async function connect(duplex: DatagramDuplex, options?: DtlsOptions): Promise<DtlsStream>;
/** @internal Tests replace the core. */
export async function connect(duplex: DatagramDuplex, options: DtlsOptions, hooks: ConnectHooks): Promise<DtlsStream>;
export async function connect(duplex: DatagramDuplex, options: DtlsOptions = {}, hooks: ConnectHooks = {}): Promise<DtlsStream> {
  return handshakeOf(attach(duplex, options, hooks));
}
