// The sans-IO contract of one DTLS connection (quinn-proto's shape): inputs are
// handle*/send/close, each with `now` in ms; outputs are poll*. The core never
// reads a clock, sets a timer or touches a socket.
import type { AlertName, DtlsError } from './errors.ts';

/** Where a connection is in its life: idle until started, then handshaking, connected, and closed or failed. */
export type ConnectionState = 'idle' | 'handshaking' | 'connected' | 'closing' | 'closed' | 'failed';

/** What was negotiated (dtls.handshake resolves to this). */
export interface HandshakeInfo {
  version: 'DTLS 1.2' | 'DTLS 1.3';
  cipherSuite: string;
  cipherSuiteId: number;
  group: string | undefined;
  /** DER chain of the peer, leaf first; empty when the peer sent none. */
  peerCertificates: Uint8Array[];
  /** "sha-256 AB:CD:.." of the peer's leaf certificate. */
  peerFingerprint: string | undefined;
  srtpProfile: string | undefined;
  srtpProfileId: number | undefined;
  alpn: string | undefined;
  serverName: string | undefined;
  extendedMasterSecret: boolean;
  /** True when the handshake resumed a session. */
  resumed: boolean;
}

/** What a connection reports through pollEvent() (and a DtlsStream as events of the same names). */
export type ConnectionEvent =
  | { type: 'statechange'; state: ConnectionState; previous: ConnectionState }
  | { type: 'handshake'; info: HandshakeInfo }
  /** A flight was sent again: `flight` numbers flights as RFC 6347 4.2.4 draws them (1-6). */
  | { type: 'retransmit'; flight: number; attempt: number; reason: 'timeout' | 'peer-retransmit' }
  | { type: 'alert'; level: 'warning' | 'fatal'; description: number; name: string; fromPeer: boolean }
  | { type: 'close'; error: DtlsError | undefined }
  /**
   * Client: a NewSessionTicket made a session (DTLS 1.3: RFC 8446 4.6.1; DTLS
   * 1.2: RFC 5077, or a session ID), the opaque bytes to pass back as
   * `options.session` to resume, and the version they resume. Emitted only
   * when the client asked for tickets, which setting `options.onSession` does
   * (it gets the same session; `onSession: () => {}` asks with no callback).
   * The bytes hold the session's secret: keep them as private as a key.
   */
  | { type: 'session'; session: Uint8Array; version: '1.2' | '1.3' }
  /** A trace line: every message and flight sent and received, for ladder diagrams. */
  | { type: 'trace'; direction: 'in' | 'out'; what: string; epoch: number; bytes: number };

/** Counters of silently dropped input (RFC 6347 4.1.2.7), by reason. */
export type DropReason =
  | 'malformed'
  | 'bad_version'
  | 'replay'
  | 'stale_epoch'
  | 'future_epoch_overflow'
  | 'auth_failed'
  | 'unexpected'
  | 'after_close'
  | 'reassembly_limit'
  /** DTLS 1.3: a record whose connection ID is not ours, or none where one is due (RFC 9147 9). */
  | 'unknown_cid'
  | 'outbound_overflow';

/** Counters of one connection: datagrams and records each way, retransmissions, silent drops by reason. */
export interface ConnectionStats {
  datagramsIn: number;
  datagramsOut: number;
  recordsIn: number;
  recordsOut: number;
  retransmits: number;
  dropped: Partial<Record<DropReason, number>>;
}

/** DTLS 1.3 connection IDs in use (RFC 9147 9). */
export interface ConnectionIdInfo {
  /** Ours, oldest first: records to us carry one of them (empty: none). */
  local: Uint8Array[];
  /** The peer's current CID, on every record we send (undefined: none). */
  peer: Uint8Array | undefined;
  /** Spare CIDs of the peer (NewConnectionId cid_spare), for switchConnectionId(). */
  spares: number;
}

/** What the stream layer needs of a connection (implemented by Connection in connection.ts). */
export interface ConnectionLike {
  readonly state: ConnectionState;
  readonly stats: ConnectionStats;
  /** Defined once the handshake completed. */
  readonly handshakeInfo: HandshakeInfo | undefined;
  /** Set when the connection failed (state 'failed'). */
  readonly error: DtlsError | undefined;
  /** Client: sends the first flight. Server: begins waiting. Call once. */
  start(now: number): void;
  /** One datagram from the peer (ciphertext, possibly several records). */
  handleDatagram(now: number, datagram: Uint8Array): void;
  /** Call when `now` reaches pollTimeout(). Extra calls are harmless. */
  handleTimeout(now: number): void;
  /** Queue plaintext; throws DtlsError('closed') when the connection cannot send. Before the handshake completes it is held (bounded). */
  send(now: number, plaintext: Uint8Array): void;
  /** Sends close_notify (once) and closes. */
  close(now: number): void;
  /** Sends a fatal alert of the application's choice and fails with code 'aborted' (Connection.abort). */
  abort?(now: number, alert: AlertName | number): void;
  /** The next datagram to send to the peer, or undefined. */
  pollTransmit(): Uint8Array | undefined;
  /** The next plaintext message from the peer, or undefined. */
  pollReceived(): Uint8Array | undefined;
  /** The next event, or undefined. */
  pollEvent(): ConnectionEvent | undefined;
  /** Earliest absolute time (ms) at which handleTimeout must be called, or undefined. */
  pollTimeout(): number | undefined;
  /** RFC 5705 exporter; throws before the handshake completes. */
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array;
  /** DTLS 1.3 KeyUpdate (Connection.updateKeys); a TypeError before the handshake completes and under DTLS 1.2. */
  updateKeys?(now: number, options?: { requestPeerUpdate?: boolean }): void;
  /** Changes the largest datagram sent from now on (Connection.setMtu); RangeError outside 128..65507. */
  setMtu?(mtu: number): void;
  /** Sets the timeout flights start with, ms; a running timer is rescaled (Connection.setRetransmitTimeout). RangeError unless 0 < ms <= retransmit.max. */
  setRetransmitTimeout?(ms: number): void;
  /** DTLS 1.3 connection IDs once negotiated (the same object until they change); undefined without them. */
  readonly connectionIds?: ConnectionIdInfo | undefined;
  /**
   * Datagrams that carried a record that authenticated and was newer than every
   * record before it: RFC 9146 6 lets a peer's new address be believed only from such a datagram.
   */
  readonly newestDatagrams?: number;
  /** Sends `count` new CIDs of ours (NewConnectionId); 'immediate' (default) makes the peer use one from now on. TypeError without CIDs. */
  issueConnectionIds?(now: number, count?: number, usage?: 'immediate' | 'spare'): void;
  /** Asks the peer for `count` spare CIDs (RequestConnectionId); one request at a time. TypeError without CIDs. */
  requestConnectionIds?(now: number, count?: number): void;
  /** Puts the peer's next spare CID on what we send from now on; false when none is left. TypeError without CIDs. */
  switchConnectionId?(now: number): boolean;
}
