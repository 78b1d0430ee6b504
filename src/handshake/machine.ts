// What a handshake machine hands back to the connection. A machine is a
// function of its inputs: it takes records of the handshake (fragments,
// ChangeCipherSpec) and returns what is to be done, in order; it never calls
// into the connection, so nothing re-enters it mid-handler. The connection
// applies the actions: keys to the record layer, flights to the flight sender,
// the completed handshake to its own state and events.
import type { FlightItem } from '../reliability/flight.ts';
import type { FlightMode } from '../reliability/flight-sender.ts';
import type { TrafficKeys } from '../record/traffic-keys.ts';
import type { PlainRecord, RecordVersion } from '../record/record-layer.ts';
import type { DropReason, HandshakeInfo } from '../connection-types.ts';
import type { DtlsError } from '../errors.ts';
import type { ConnectionIds13 } from './cid13.ts';
import type { KeyUpdate13 } from './key-update13.ts';

/**
 * What a completed handshake leaves behind: the public summary, and the keying
 * material exporter of its version (RFC 5705 with the 1.2 PRF; RFC 8446 7.5 with
 * the 1.3 key schedule), so the connection needs no version's key schedule.
 */
export interface HandshakeResult {
  info: HandshakeInfo;
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array;
  /** The NSS key log lines of this version's secrets (options.keyLog), made only when asked for. */
  keyLogLines(): string[];
  /** DTLS 1.3: KeyUpdate both ways (RFC 9147 8), for the connection to start ours. */
  keyUpdate?: KeyUpdate13 | undefined;
}

export type HandshakeAction =
  /** Send a new flight (it replaces the one held). `sampleRtt`: it answers a fair round trip (RFC 9147 5.8.2). */
  | { kind: 'flight'; items: FlightItem[]; number: number; mode: FlightMode; sampleRtt: boolean }
  /** Protect what we send from now on in `epoch` with these keys. */
  | { kind: 'write-keys'; epoch: number; keys: TrafficKeys }
  /** Open `epoch` for reading (records of it that came early are handed back to the machine). */
  | { kind: 'read-keys'; epoch: number; keys: TrafficKeys }
  /**
   * Read and write records in this version's format from now on: '1.3' when a
   * client offers DTLS 1.3 (or a server chose it), '1.2' when a ServerHello
   * falls back (record-layer.ts `protocol`).
   */
  | { kind: 'record-version'; version: RecordVersion }
  /**
   * The version field of the epoch-0 handshake records we send from now on. A
   * client sends DTLS 1.0's (0xfeff) until the server's version is known, as
   * BoringSSL and OpenSSL do: RFC 9147 4 allows it for a ClientHello not sent
   * after a HelloRetryRequest, RFC 6347 4.1 (RFC 5246 E.1) for any before the
   * ServerHello; then DTLS 1.2's (0xfefd).
   */
  | { kind: 'hello-record-version'; version: number }
  /**
   * DTLS 1.3 connection IDs (RFC 9147 9): records to us carry one of `local`
   * (empty: none), records we send carry `peer` (undefined: none). `tentative`:
   * offered and not settled, records without a CID are read too.
   */
  | { kind: 'connection-ids'; local: readonly Uint8Array[]; peer: Uint8Array | undefined; tentative?: boolean }
  | { kind: 'complete'; result: HandshakeResult }
  /**
   * A DTLS 1.3 post-handshake message to send, resent until ACKed (RFC 9147
   * 5.8.4). With `nextEpoch` it is a KeyUpdate: write in that epoch with
   * `keys` once it and all before it are ACKed (RFC 9147 8).
   */
  | { kind: 'post-handshake'; item: FlightItem; nextEpoch?: number; keys?: TrafficKeys }
  /**
   * The peer sent a copy of the flight our current flight answers (the flight
   * sender bounds the answers); `keyed`: it came under keys (epoch > 0), so it
   * cannot be an off-path forgery.
   */
  | { kind: 'peer-copy'; keyed: boolean }
  /** A warning alert to send (no_renegotiation); the connection goes on. */
  | { kind: 'alert'; description: number }
  | { kind: 'drop'; reason: DropReason }
  /** After a HelloVerifyRequest the server starts over and may reuse epoch-0 record numbers. */
  | { kind: 'reset-replay'; epoch: number }
  /** Continue our record numbers above the peer's (RFC 6347 4.2.1, a stateless server's numbers). */
  | { kind: 'advance-write-seq'; epoch: number; seq: number }
  | { kind: 'trace'; direction: 'in' | 'out'; what: string; epoch: number; bytes: number }
  /**
   * The handshake failed (the error carries its alert). It comes last, after
   * what the same input asked for before the failure, so that (for one) the
   * alert is numbered after the peer's ClientHello (RFC 6347 4.2.1).
   */
  | { kind: 'fail'; error: DtlsError };

export interface HandshakeMachine {
  /** The handshake completed; what comes now is post-handshake. */
  readonly done: boolean;
  /**
   * The version negotiated, once known. DTLS 1.3 machines read post-handshake
   * messages (and the peer's copies of its last flight) in an older epoch after
   * the handshake; DTLS 1.2 ones take nothing there once done.
   */
  readonly version?: '1.2' | '1.3' | undefined;
  /** DTLS 1.3 connection IDs, where this machine's version has them (the public methods go here). */
  readonly cids?: ConnectionIds13 | undefined;
  /** Name of the current state, for traces and errors. */
  readonly stateName: string;
  /** Client: the first flight. Server: nothing yet. */
  start(now: number): HandshakeAction[];
  /**
   * A handshake or ChangeCipherSpec record, authenticated (or epoch 0), with the
   * record layer's current read epoch. A failure is the last action ('fail').
   */
  handleRecord(now: number, rec: PlainRecord, readEpoch: number): HandshakeAction[];
}
