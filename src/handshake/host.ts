// What a handshake state machine may ask of the connection that runs it. The
// machine never touches records, timers or queues directly.
import type { ResolvedOptions } from '../options.ts';
import type { FlightItem } from '../reliability/flight.ts';
import type { RecordProtection } from '../record/protection.ts';
import type { CipherSuite } from '../crypto/suites.ts';
import type { HandshakeInfo } from '../connection-types.ts';
import type { HandshakeMessage } from '../wire/types.ts';

export type { FlightMode } from '../reliability/flight-sender.ts';
import type { FlightMode } from '../reliability/flight-sender.ts';

export interface HandshakeResult {
  info: HandshakeInfo;
  suite: CipherSuite;
  masterSecret: Uint8Array;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
}

export interface HandshakeHost {
  readonly options: ResolvedOptions;
  sendFlight(items: FlightItem[], flight: number, mode: FlightMode): void;
  installWrite(epoch: number, protection: RecordProtection): void;
  installRead(epoch: number, protection: RecordProtection): void;
  complete(result: HandshakeResult): void;
  trace(direction: 'in' | 'out', what: string, epoch: number, bytes: number): void;
}

export interface HandshakeMachine {
  readonly done: boolean;
  start(now: number): void;
  /** A whole, in-order handshake message. Throws DtlsError to fail the connection. */
  handleMessage(now: number, msg: HandshakeMessage, epoch: number): void;
  handleChangeCipherSpec(now: number): void;
  /** Name of the current state, for traces and errors. */
  readonly stateName: string;
}
