// Alerts of one connection, both ways: reading the peer's, what it does to the
// connection (RFC 5246 7.2, 7.2.1; RFC 8446 6), and the record and event for ours.
// connection.ts applies the outcome (sends, fails, closes).
import type { ConnectionEvent, ConnectionState } from './connection-types.ts';
import { AlertDescription, DtlsError, alertName } from './errors.ts';
import type { PlainRecord, RecordLayer } from './record/record-layer.ts';
import { AlertLevel, decodeAlert, encodeAlert, type Alert } from './wire/alert.ts';
import { ContentType } from './wire/types.ts';

/**
 * The peer's Alert in an alert record; undefined for an epoch-0 record that
 * holds none, dropped ('malformed'): anyone can inject one. Under the keys it is
 * the peer's own malformed Alert (split or coalesced, RFC 5246 7.2, RFC 8446
 * 5.1): decode_error, not a drop that would ignore its fatal alert.
 */
export function readPeerAlert(rec: PlainRecord): Alert | undefined {
  try {
    return decodeAlert(rec.payload);
  } catch {
    if (rec.epoch === 0) return undefined;
    throw new DtlsError('decode_error', `an alert record of ${rec.payload.length} bytes, not one 2-byte Alert`);
  }
}

/**
 * What a peer's alert does: its close_notify is answered with ours when
 * connected, then the connection closes (RFC 5246 7.2.1); during the handshake
 * it ends the handshake as a failure; a fatal alert fails the connection; a
 * warning does nothing.
 */
export type PeerAlertEffect = 'answer-and-close' | 'close' | 'fail' | 'none';

export function peerAlertEffect(alert: Alert, state: ConnectionState): PeerAlertEffect {
  if (alert.description === AlertDescription.close_notify) {
    if (state === 'handshaking') return 'fail';
    return state === 'connected' ? 'answer-and-close' : 'close';
  }
  return alert.level === AlertLevel.fatal ? 'fail' : 'none';
}

/** The 'alert' event for an alert sent or received. */
export function alertEvent(level: number, description: number, fromPeer: boolean): ConnectionEvent {
  return { type: 'alert', level: level === AlertLevel.fatal ? 'fatal' : 'warning', description, name: alertName(description), fromPeer };
}

/** Our alert as one record in the current write epoch; undefined when nothing more can be sealed (sequence space exhausted). */
export function sealAlert(records: RecordLayer, level: number, description: number): Uint8Array | undefined {
  try {
    return records.seal(ContentType.alert, encodeAlert({ level, description }));
  } catch {
    return undefined;
  }
}
