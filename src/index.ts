/**
 * dtls-stream: DTLS as Web Streams. What applications use: `DtlsStream` (one
 * connection as two stream pairs), `connect()` (a client over a datagram
 * transport), `listen()` (a server for many peers on one socket), certificates
 * and the typed errors. Adapters for sockets are subpaths (`dtls-stream/node`,
 * `/deno`, `/bun`, `/websocket`, `/webtransport`, `/message-port`); the
 * sans-IO core is `dtls-stream/core`.
 *
 * Importing this module has no side effects and loads no Node built-in.
 * @module
 */
export { DtlsStream, type DtlsStreamSetup, type DtlsStreamStats, type DtlsEventListener, type DtlsEventListenerObject } from './stream/dtls-stream.ts';
export { connect } from './stream/connect.ts';
export {
  listen,
  DtlsServer,
  LISTEN_DEFAULTS,
  type ListenOptions,
  type DtlsServerStats,
  type HandshakeErrorDetail,
  type ConnectionStartDetail,
} from './stream/server.ts';
export { DtlsEvent, type DtlsEventMap, type DtlsEventType, type DtlsEventDetail } from './stream/events.ts';
export { systemClock, ManualClock, type Clock } from './stream/clock.ts';
export type { Datagram, DatagramSocket, DatagramDuplex } from './adapters/types.ts';

export type { ConnectionIdInfo, ConnectionState, ConnectionStats, ConnectionEvent, HandshakeInfo, DropReason } from './connection-types.ts';
export { sessionVersion } from './handshake/ticket12.ts';
export { DEFAULTS, type DtlsOptions, type VerifyOption, type PeerCertificateInfo, type Role, type Limits } from './options.ts';
export { DtlsError, AlertDescription, alertName, type DtlsErrorCode, type AlertName } from './errors.ts';

export { generateCertificate, type GenerateCertificateOptions } from './x509/generate.ts';
export { loadCertificate, loadCertificateKey } from './x509/load.ts';
export { fingerprint, parseFingerprint } from './x509/fingerprint.ts';
export type { CertificateKeyPair, AnyCertificateKeyPair, RsaCertificateKeyPair, Ed25519CertificateKeyPair, CertificateKeyType } from './x509/types.ts';

export { CIPHER_SUITES, type CipherSuite } from './crypto/suites.ts';
export type { CryptoProvider, Aead, KeyShare, AeadName, GroupName, HashName, HashContext, EcCurve } from './crypto/provider.ts';
export type { SignatureSchemeName } from './options-signatures.ts';
export { nobleProvider } from './crypto/noble.ts';
export { defaultCryptoProvider } from './crypto/default.ts';
export { createNativeProvider, type NativeProvider, type NativeFeature } from './crypto/native.ts';
export { SignatureSchemes, type SignatureSchemeCode } from './crypto/provider.ts';
