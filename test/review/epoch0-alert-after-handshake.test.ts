// After both sides switched to epoch 1, a plaintext epoch-0 alert can only come
// from someone without the keys (an off-path attacker spoofing the peer's
// address). RFC 5246 7.2 / 6.1: alerts are processed under the current read
// state; RFC 6347 4.1.2.7: invalid records are silently discarded. The core
// keeps epoch 0 readable for retransmissions, and #handleAlert never looks
// at the epoch, so one forged 15-byte datagram kills an established connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedPair, plainRecord } from './helpers.ts';
import { ContentType } from '../../src/wire/types.ts';

test('a forged plaintext epoch-0 fatal alert does not kill an established connection', () => {
  const { client, server, now } = connectedPair();
  assert.equal(server.state, 'connected');
  // level fatal (2), handshake_failure (40), epoch 0, any sequence number.
  server.handleDatagram(now + 10, plainRecord(ContentType.alert, 0, 1000, Uint8Array.of(2, 40)));
  assert.equal(server.state, 'connected', `server: ${server.error?.message}`);
  client.handleDatagram(now + 10, plainRecord(ContentType.alert, 0, 1000, Uint8Array.of(2, 40)));
  assert.equal(client.state, 'connected', `client: ${client.error?.message}`);
});

test('a forged plaintext epoch-0 close_notify does not close an established connection', () => {
  const { server, now } = connectedPair();
  server.handleDatagram(now + 10, plainRecord(ContentType.alert, 0, 1000, Uint8Array.of(1, 0)));
  assert.equal(server.state, 'connected');
});
