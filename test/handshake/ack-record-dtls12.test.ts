// A DTLS 1.2 connection has no ACK content type (RFC 9147 7 is DTLS 1.3's):
// a record of that type during the handshake is a counted
// 'unexpected' drop (after it, in epoch 0, a stale one) and draws nothing,
// and the connection goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { ContentType } from '../../src/wire/types.ts';

const v12 = { versions: ['1.2' as const] };
// An ACK record in epoch 0 (anyone can send one): an empty record_numbers list.
const ack = (sequenceNumber: number) =>
  encodeRecord({ contentType: ContentType.ack, version: 0xfefd, epoch: 0, sequenceNumber, fragment: Uint8Array.of(0, 0) });

test('DTLS 1.2: an ACK record is an unexpected drop during the handshake, a stale one after it, and draws nothing', () => {
  const { client, server } = createPair(v12, v12, { seed: 5 });
  client.start(0);
  client.handleDatagram(0, ack(40));
  assert.equal(client.stats.dropped.unexpected, 1);
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(0, d);
  server.handleDatagram(0, ack(40));
  assert.equal(server.stats.dropped.unexpected, 1);
  assert.equal(server.state, 'handshaking');
  shuttle(client, server);
  assert.equal(server.state, 'connected');
  // Epoch 0 is behind the connection once it has its keys (RFC 6347 4.1.2.7).
  client.handleDatagram(0, ack(41));
  assert.equal(client.stats.dropped.stale_epoch, 1);
  assert.equal(client.pollTransmit(), undefined);
  client.send(0, Uint8Array.of(9));
  shuttle(client, server);
  assert.deepEqual(server.pollReceived(), Uint8Array.of(9));
});
