// The server's KeyUpdate at the DTLS 1.3 client (RFC 8446 4.6.3, RFC 9147 8),
// forged under the server's real application keys (from the key log of a
// seeded pair): the next read epoch opens, the KeyUpdate is ACKed, and
// update_requested is answered with the client's own KeyUpdate, whose new
// write epoch is used only once it is ACKed.
import { POST_HANDSHAKE_ACK_DELAY_MAX } from '../../src/reliability/ack-exchange.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { KeySchedule13 } from '../../src/crypto/key-schedule13.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { suite13ById } from '../../src/crypto/suites.ts';
import { fromHex } from '../../src/wire/codec.ts';
import { ContentType } from '../../src/wire/types.ts';
import { encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { decodeAck, encodeAck } from '../../src/wire/ack.ts';
import type { TrafficKeys13 } from '../../src/record/traffic-keys.ts';

const suite = suite13ById(0x1301)!;
const ks = new KeySchedule13(nobleProvider, 'sha256');
const keysOf = (secret: Uint8Array): TrafficKeys13 => ({ suite, ...ks.trafficKeys(secret, suite.keyLength, suite.ivLength) });

function connected() {
  const lines: string[] = [];
  const { client, server } = createPair(
    { versions: ['1.3'], cipherSuites: ['TLS_AES_128_GCM_SHA256'] },
    { versions: ['1.3'], keyLog: (l) => lines.push(l) },
    { seed: 11 },
  );
  client.start(0);
  server.start(0);
  shuttle(client, server);
  assert.equal(client.state, 'connected');
  const secret = (label: string) => fromHex(lines.find((l) => l.startsWith(label))!.split(' ')[2]!);
  // The server's writer in epoch 3 (far past its numbers), and a reader of the client's epoch-3 records.
  const writer = new RecordLayer(nobleProvider, () => {});
  writer.installWrite(3, keysOf(secret('SERVER_TRAFFIC_SECRET_0')));
  writer.advanceWriteSeq(3, 1000);
  const reader = new RecordLayer(nobleProvider, () => {});
  reader.installRead(3, keysOf(secret('CLIENT_TRAFFIC_SECRET_0')));
  return { client, server, writer, reader, serverAp: secret('SERVER_TRAFFIC_SECRET_0'), clientAp: secret('CLIENT_TRAFFIC_SECRET_0') };
}

const keyUpdate = (requested: boolean, seq: number) =>
  encodeHandshakeFragment({ msgType: 24, length: 1, messageSeq: seq, fragmentOffset: 0, body: Uint8Array.of(requested ? 1 : 0) });

test('KeyUpdate (not requested): the client reads the next epoch and ACKs the KeyUpdate', () => {
  const { client, writer, reader, serverAp } = connected();
  // Server messages so far: ServerHello 0 .. Finished 4; the KeyUpdate is 5.
  client.handleDatagram(0, writer.seal(ContentType.handshake, keyUpdate(false, 5)));
  assert.equal(client.state, 'connected', client.error?.message);
  writer.installWrite(4, keysOf(ks.nextTrafficSecret(serverAp)));
  client.handleDatagram(0, writer.seal(ContentType.application_data, Uint8Array.of(4, 4)));
  assert.deepEqual([...(client.pollReceived() ?? [])], [4, 4], 'data in epoch 4 read');
  // The ACK of a post-handshake message goes after a short delay (RFC 9147 7.1).
  client.handleTimeout(POST_HANDSHAKE_ACK_DELAY_MAX);
  const out: number[] = [];
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) for (const r of reader.open(d)) out.push(r.contentType);
  assert.ok(out.includes(ContentType.ack), 'the KeyUpdate was ACKed');
  assert.ok(!out.includes(ContentType.handshake), 'no KeyUpdate of ours: none was requested');
});

test('KeyUpdate with update_requested: the client answers with its own, and writes in epoch 4 only once that is ACKed', () => {
  const { client, writer, reader, clientAp } = connected();
  client.handleDatagram(0, writer.seal(ContentType.handshake, keyUpdate(true, 5)));
  const ours = [];
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) for (const r of reader.open(d)) if (r.contentType === ContentType.handshake) ours.push(r);
  assert.equal(ours.length, 1, 'our KeyUpdate, in epoch 3');
  assert.equal(ours[0]!.payload[0], 24);
  assert.equal(ours[0]!.payload.at(-1), 0, 'update_not_requested');
  // Before the ACK our data still goes in epoch 3.
  client.send(0, Uint8Array.of(1));
  const before = client.pollTransmit()!;
  assert.equal(before[0]! & 3, 3);
  // The server ACKs our KeyUpdate (in its epoch 4; an ACK may come in any epoch it has).
  const ack = encodeAck([{ epoch: 3n, sequenceNumber: BigInt(ours[0]!.sequenceNumber) }]);
  assert.equal(decodeAck(ack).length, 1);
  client.handleDatagram(0, writer.seal(ContentType.ack, ack));
  assert.equal(client.state, 'connected', client.error?.message);
  client.send(0, Uint8Array.of(2));
  let last: Uint8Array | undefined;
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) last = d;
  assert.equal(last![0]! & 3, 0, 'epoch 4 (bits 00) after the ACK');
  const next = new RecordLayer(nobleProvider, () => {});
  next.installRead(4, keysOf(ks.nextTrafficSecret(clientAp)));
  assert.deepEqual([...next.open(last!)[0]!.payload], [2], 'sealed with the next client secret');
});

test('a KeyUpdate with a bad request value is illegal_parameter', () => {
  const { client, writer } = connected();
  const bad = encodeHandshakeFragment({ msgType: 24, length: 1, messageSeq: 5, fragmentOffset: 0, body: Uint8Array.of(2) });
  client.handleDatagram(0, writer.seal(ContentType.handshake, bad));
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'illegal_parameter');
});

test('after the server KeyUpdate, a new message from it in the old epoch is unexpected_message (RFC 9147 8)', () => {
  const { client, writer } = connected();
  client.handleDatagram(0, writer.seal(ContentType.handshake, keyUpdate(false, 5)));
  assert.equal(client.state, 'connected', client.error?.message);
  // Message 6 still under epoch 3, whose KeyUpdate (message 5) ended it.
  client.handleDatagram(0, writer.seal(ContentType.handshake, keyUpdate(false, 6)));
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'unexpected_message');
});
