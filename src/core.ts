/**
 * `dtls-stream/core`: the sans-IO DTLS connection, for those who drive it
 * themselves (their own event loop, a native socket API, a simulator).
 *
 * Inputs are `start`, `handleDatagram`, `handleTimeout`, `send` and `close`,
 * each with `now` in ms; outputs are `pollTransmit`, `pollReceived`,
 * `pollEvent` and `pollTimeout`. The core never reads a clock, sets a timer or
 * touches a socket. After every input, drain the poll* outputs; call
 * `handleTimeout(now)` once `now` reaches `pollTimeout()`.
 *
 * ```ts
 * import { createConnection } from 'dtls-stream/core';
 * const conn = createConnection({ role: 'client', verify: { fingerprints: [fp] } });
 * conn.start(now);
 * for (let d; (d = conn.pollTransmit()); ) socket.send(d);
 * ```
 *
 * Applications that want streams use the root entry point (`DtlsStream`,
 * `connect`, `listen`); `wrapConnection` puts streams around any
 * {@link ConnectionLike}.
 * @module
 */
import { Connection } from './connection.ts';
import type { ConnectionIdInfo, ConnectionLike } from './connection-types.ts';
import type { AlertName } from './errors.ts';
import { resolveOptions, type DtlsOptions } from './options.ts';

export type { ConnectionIdInfo, ConnectionLike, ConnectionEvent, ConnectionState, ConnectionStats, HandshakeInfo, DropReason } from './connection-types.ts';
export { createCookieGate, type CookieGate, type CookieIssuer, type CookieVerdict } from './handshake/cookie.ts';
export { wrapConnection, type DtlsStreamSetup } from './stream/dtls-stream.ts';

/** What createConnection() returns: the whole contract, the optional calls of ConnectionLike included. */
export type CoreConnection = ConnectionLike &
  Required<
    Pick<ConnectionLike, 'abort' | 'updateKeys' | 'setMtu' | 'setRetransmitTimeout' | 'issueConnectionIds' | 'requestConnectionIds' | 'switchConnectionId'>
  > & {
    readonly connectionIds: ConnectionIdInfo | undefined;
    readonly newestDatagrams: number;
  };

/**
 * A new sans-IO DTLS connection. The options are those of `DtlsStream`
 * (validated now: TypeError/RangeError on misuse). `now` values passed to
 * the connection are ms; certificate validity reads them as wall-clock time
 * unless `options.clock.wallTime` maps them. A server made here does no
 * cookie exchange unless `requireCookie` is true; `createCookieGate()` lets
 * a server that demultiplexes many peers answer ClientHellos statelessly
 * before creating a connection.
 */
export function createConnection(options: DtlsOptions): CoreConnection {
  const c = new Connection(resolveOptions(options));
  // Only the sans-IO contract is handed out: the resolved options (which hold
  // the private key) and the handshake's internal entry points stay inside.
  return Object.freeze({
    get state() {
      return c.state;
    },
    get stats() {
      return c.stats;
    },
    get handshakeInfo() {
      return c.handshakeInfo;
    },
    get error() {
      return c.error;
    },
    start: (now: number) => c.start(now),
    handleDatagram: (now: number, datagram: Uint8Array) => c.handleDatagram(now, datagram),
    handleTimeout: (now: number) => c.handleTimeout(now),
    send: (now: number, plaintext: Uint8Array) => c.send(now, plaintext),
    close: (now: number) => c.close(now),
    abort: (now: number, alert: AlertName | number) => c.abort(now, alert),
    pollTransmit: () => c.pollTransmit(),
    pollReceived: () => c.pollReceived(),
    pollEvent: () => c.pollEvent(),
    pollTimeout: () => c.pollTimeout(),
    exportKeyingMaterial: (label: string, context: Uint8Array | undefined, length: number) => c.exportKeyingMaterial(label, context, length),
    updateKeys: (now: number, options?: { requestPeerUpdate?: boolean }) => c.updateKeys(now, options),
    setMtu: (mtu: number) => c.setMtu(mtu),
    setRetransmitTimeout: (ms: number) => c.setRetransmitTimeout(ms),
    get connectionIds() {
      return c.connectionIds;
    },
    get newestDatagrams() {
      return c.newestDatagrams;
    },
    issueConnectionIds: (now: number, count?: number, usage?: 'immediate' | 'spare') => c.issueConnectionIds(now, count, usage),
    requestConnectionIds: (now: number, count?: number) => c.requestConnectionIds(now, count),
    switchConnectionId: (now: number) => c.switchConnectionId(now),
  });
}
