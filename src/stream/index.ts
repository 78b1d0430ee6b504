// The Web Streams face of dtls-stream.

export { DtlsStream, wrapConnection, type DtlsStreamSetup, type DtlsStreamStats } from './dtls-stream.ts';
export { connect } from './connect.ts';
export {
  listen,
  DtlsServer,
  LISTEN_DEFAULTS,
  type ListenOptions,
  type DtlsServerStats,
  type HandshakeErrorDetail,
  type ConnectionStartDetail,
} from './server.ts';
export { DtlsEvent, type DtlsEventMap, type DtlsEventType, type DtlsEventDetail } from './events.ts';
export { systemClock, ManualClock, type Clock } from './clock.ts';
export type { Datagram, DatagramSocket, DatagramDuplex } from '../adapters/types.ts';
