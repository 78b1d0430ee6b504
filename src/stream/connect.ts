// connect(): wire a datagram duplex to a new DtlsStream and wait for the handshake.
import type { ConnectionLike } from '../connection-types.ts';
import type { DatagramDuplex } from '../adapters/types.ts';
import { DtlsError } from '../errors.ts';
import type { DtlsOptions } from '../options.ts';
import { defaultConnection } from './default-connection.ts';
import { DtlsStream, trackFlush } from './dtls-stream.ts';

/** @internal Test hooks, never part of the public API. */
export interface ConnectHooks {
  createConnection?: (options: DtlsOptions) => ConnectionLike;
}

/**
 * @internal The CLI uses it to listen to events during the handshake. Pipes
 * duplex.readable → dtls.inbound.writable and dtls.outbound.readable →
 * duplex.writable and returns the stream at once. Either pipe ending
 * (transport closed, or a pipe that could not start) ends the connection.
 */
export function attach(duplex: DatagramDuplex, options: DtlsOptions = {}, hooks: ConnectHooks = {}): DtlsStream {
  const opts: DtlsOptions = { ...options, role: options.role ?? 'client' };
  const conn = hooks.createConnection ? hooks.createConnection(opts) : defaultConnection.prepare(opts).createConnection();
  const dtls = DtlsStream.fromConnection(conn, { clock: options.clock });
  const stop = (): void => void dtls.close();
  duplex.readable.pipeTo(dtls.inbound.writable).then(stop, stop);
  const out = dtls.outbound.readable.pipeTo(duplex.writable);
  out.then(stop, stop);
  trackFlush(dtls, out);
  return dtls;
}

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
 * Pipes duplex.readable → dtls.inbound.writable and dtls.outbound.readable →
 * duplex.writable; resolves once the handshake completes. On failure the
 * pipes are torn down (after the alert went out) and the DtlsError is thrown.
 * The role defaults to 'client'.
 */
export async function connect(duplex: DatagramDuplex, options?: DtlsOptions): Promise<DtlsStream>;
/** @internal Tests replace the core. */
export async function connect(duplex: DatagramDuplex, options: DtlsOptions, hooks: ConnectHooks): Promise<DtlsStream>;
export async function connect(duplex: DatagramDuplex, options: DtlsOptions = {}, hooks: ConnectHooks = {}): Promise<DtlsStream> {
  return handshakeOf(attach(duplex, options, hooks));
}
