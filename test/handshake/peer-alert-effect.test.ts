// connection-alerts.ts: what a peer's alert does in each state (RFC 5246 7.2,
// 7.2.1; RFC 8446 6), and how an alert record reads; the connection applies it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertEvent, peerAlertEffect, readPeerAlert } from '../../src/connection-alerts.ts';
import type { ConnectionState } from '../../src/connection-types.ts';
import { AlertDescription, DtlsError } from '../../src/errors.ts';
import type { PlainRecord } from '../../src/record/record-layer.ts';
import { AlertLevel } from '../../src/wire/alert.ts';
import { ContentType } from '../../src/wire/types.ts';

const closeNotify = { level: AlertLevel.warning, description: AlertDescription.close_notify };

test('close_notify is answered when connected, ends a handshake as a failure, and only closes otherwise', () => {
  const expected: [ConnectionState, string][] = [
    ['connected', 'answer-and-close'],
    ['handshaking', 'fail'],
    ['closing', 'close'],
    ['idle', 'close'],
  ];
  for (const [state, effect] of expected) assert.equal(peerAlertEffect(closeNotify, state), effect, state);
});

test('a fatal alert fails the connection; a warning other than close_notify does nothing', () => {
  const fatal = { level: AlertLevel.fatal, description: AlertDescription.handshake_failure };
  const warning = { level: AlertLevel.warning, description: AlertDescription.user_canceled };
  for (const state of ['handshaking', 'connected'] as const) {
    assert.equal(peerAlertEffect(fatal, state), 'fail');
    assert.equal(peerAlertEffect(warning, state), 'none');
  }
});

test('an alert record that is no Alert is dropped in epoch 0 and a decode_error under the keys', () => {
  const rec = (epoch: number, payload: number[]) =>
    ({ contentType: ContentType.alert, epoch, sequenceNumber: 0, payload: Uint8Array.from(payload) }) satisfies PlainRecord;
  assert.deepEqual(readPeerAlert(rec(1, [2, 40])), { level: 2, description: 40 });
  assert.equal(readPeerAlert(rec(0, [2])), undefined);
  assert.throws(
    () => readPeerAlert(rec(1, [2, 40, 2, 40])),
    (e: unknown) => e instanceof DtlsError && e.code === 'decode_error',
  );
  assert.deepEqual(alertEvent(AlertLevel.fatal, 40, true), { type: 'alert', level: 'fatal', description: 40, name: 'handshake_failure', fromPeer: true });
});
