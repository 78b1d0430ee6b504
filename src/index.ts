// dtls-stream: DTLS as Web Streams. Public exports only; importing this module
// has no side effects and loads no Node built-in (adapters live in ./adapters).
export { DtlsStream, type DtlsStreamSetup, type DtlsStreamStats } from './stream/dtls-stream.ts';
export { connect } from './stream/connect.ts';
export { listen, DtlsServer, LISTEN_DEFAULTS, type ListenOptions, type DtlsServerStats, type HandshakeErrorDetail } from './stream/server.ts';
export { DtlsEvent, type DtlsEventMap, type DtlsEventType, type DtlsEventDetail } from './stream/events.ts';
export { systemClock, ManualClock, type Clock } from './stream/clock.ts';
export type { Datagram, DatagramSocket, DatagramDuplex } from './adapters/types.ts';

export { Connection } from './connection.ts';
export type { ConnectionLike, ConnectionEvent, ConnectionState, ConnectionStats, HandshakeInfo, DropReason } from './connection-types.ts';
export { resolveOptions, type DtlsOptions, type ResolvedOptions, type VerifyOption, type PeerCertificateInfo, type Role } from './options.ts';
export { DtlsError, AlertDescription, alertName, type DtlsErrorCode, type AlertName } from './errors.ts';
export { createCookieGate, type CookieGate } from './handshake/cookie.ts';

export { generateCertificate, type GenerateCertificateOptions } from './x509/generate.ts';
export { loadCertificate } from './x509/load.ts';
export { fingerprint, parseFingerprint } from './x509/fingerprint.ts';
export type { CertificateKeyPair } from './x509/types.ts';

export { CIPHER_SUITES, type CipherSuite } from './crypto/suites.ts';
export type { CryptoProvider, AeadName, GroupName, HashName, EcCurve } from './crypto/provider.ts';
export { nobleProvider } from './crypto/noble.ts';
