// Our side of the interop tests where the peer is the client: listen() on
// 127.0.0.1 over node:dgram, closed after the test, and an echo for its
// connections.
import type { TestContext } from 'node:test';
import {
  DtlsError,
  listen,
  type CertificateKeyPair,
  type DtlsServer,
  type DtlsStream,
  type HandshakeErrorDetail,
  type HandshakeInfo,
  type ListenOptions,
} from '../../src/index.ts';
import { bindUdp, nodeUdpSocket } from '../../src/adapters/node.ts';
import type { DatagramSocket } from '../../src/adapters/types.ts';
import { tapSent } from './datagrams.ts';
import { within } from './openssl.ts';

export interface Served {
  server: DtlsServer;
  port: number;
  /** Errors of the 'handshakeerror' events so far. */
  handshakeErrors: unknown[];
  /** The first handshake error (waits for it at most `ms`). */
  handshakeError(ms?: number): Promise<DtlsError>;
  /** The next connection whose handshake completed (rejects after `ms`). */
  next(ms?: number): Promise<DtlsStream>;
}

export type ServerCertificate = { cert: string; key: string } | CertificateKeyPair;

/** listen() on 127.0.0.1:0; the server and socket are closed after the test. `sent` collects what the server sends. */
export async function serve(t: TestContext, options: ListenOptions, certificate: ServerCertificate, sent?: Uint8Array[]): Promise<Served> {
  const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
  const cert = 'cert' in certificate ? { cert: certificate.cert, key: certificate.key } : certificate;
  let streams: DatagramSocket = nodeUdpSocket(socket);
  if (sent) streams = tapSent(streams, sent);
  const server = listen(streams, { role: 'server', certificate: cert, ...options });
  const handshakeErrors: unknown[] = [];
  server.addEventListener('handshakeerror', (e) => handshakeErrors.push((e as CustomEvent<HandshakeErrorDetail>).detail.error));
  t.after(async () => {
    await within(3000, 'server.close()', server.close()).catch(() => {});
    socket.close();
  });
  const reader = server.connections.getReader();
  return {
    server,
    port: socket.address().port,
    handshakeErrors,
    handshakeError: (ms = 3000) =>
      within(
        ms,
        "a 'handshakeerror' event",
        new Promise<DtlsError>((resolve, reject) => {
          const check = (): void => {
            const e = handshakeErrors[0];
            if (e === undefined) return void setTimeout(check, 20);
            if (e instanceof DtlsError) resolve(e);
            else reject(new Error(`handshakeerror with a ${String(e)}`));
          };
          check();
        }),
      ),
    next: async (ms = 8000) => {
      const { value, done } = await within(ms, 'a connection on server.connections', reader.read());
      if (done) throw new Error('server.connections ended');
      t.after(() => within(3000, 'dtls.close()', value.close()).catch(() => {}));
      return value;
    },
  };
}

/** Writes every inbound message back; resolves with their count when inbound.readable ends. */
export async function echo(dtls: DtlsStream): Promise<number> {
  const reader = dtls.inbound.readable.getReader();
  const writer = dtls.outbound.writable.getWriter();
  let n = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return n;
    n++;
    await writer.write(value);
  }
}

/**
 * The server's next connection, its handshake's info, and its echo (echo())
 * running: `echoed` resolves with the count when the peer has closed, and is
 * never an unhandled rejection if the test fails first.
 */
export async function acceptEcho(srv: Served): Promise<{ dtls: DtlsStream; info: HandshakeInfo; echoed: Promise<number> }> {
  const dtls = await srv.next();
  const info = await dtls.handshake;
  const echoed = echo(dtls);
  echoed.catch(() => {});
  return { dtls, info, echoed };
}
