// Rules of the DTLS 1.3 client that an honest server never tests, checked by
// forging the server's records under its real handshake keys (taken from the
// server's key log): data under the handshake keys, a message after the
// server Finished, a HelloVerifyRequest to a client that offers 1.3 only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { KeySchedule13 } from '../../src/crypto/key-schedule13.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { suite13ById } from '../../src/crypto/suites.ts';
import { fromHex } from '../../src/wire/codec.ts';
import { ContentType, HandshakeType } from '../../src/wire/types.ts';
import { encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { encodeHelloVerifyRequest } from '../../src/wire/messages/hello-verify-request.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import type { Connection } from '../../src/connection.ts';

/**
 * A pair whose client has sent its ClientHello and whose server answered (not
 * yet delivered), with the server's secrets: the key log of an identical
 * (seeded) pair run to the end first, since a key log comes at completion.
 */
function started() {
  const lines: string[] = [];
  const make = (log?: (l: string) => void) => {
    const p = createPair({ versions: ['1.3'], cipherSuites: ['TLS_AES_128_GCM_SHA256'] }, { versions: ['1.3'], ...(log ? { keyLog: log } : {}) }, { seed: 7 });
    p.client.start(0);
    p.server.start(0);
    return p;
  };
  const first = make((l) => lines.push(l));
  shuttle(first.client, first.server);
  const pair = make();
  for (let d = pair.client.pollTransmit(); d; d = pair.client.pollTransmit()) pair.server.handleDatagram(0, d);
  return { ...pair, lines };
}

/** A record layer that writes as the server does in epoch 2, from its logged handshake secret, far past its sequence numbers. */
function serverHandshakeWriter(lines: string[]): RecordLayer {
  const hex = lines.find((l) => l.startsWith('SERVER_HANDSHAKE_TRAFFIC_SECRET'))?.split(' ')[2];
  assert.ok(hex, 'the server logged its handshake secret');
  const suite = suite13ById(0x1301)!;
  const k = new KeySchedule13(nobleProvider, 'sha256').trafficKeys(fromHex(hex), suite.keyLength, suite.ivLength);
  const w = new RecordLayer(nobleProvider, () => {});
  w.installWrite(2, { suite, ...k });
  w.advanceWriteSeq(2, 100);
  return w;
}

function deliverAll(from: Connection, to: Connection): void {
  for (let d = from.pollTransmit(); d; d = from.pollTransmit()) to.handleDatagram(0, d);
}

test('application data under the handshake keys (epoch 2) fails the client with unexpected_message (RFC 8446 5.1)', () => {
  const { client, server, lines } = started();
  const forged = serverHandshakeWriter(lines).seal(ContentType.application_data, Uint8Array.of(1, 2, 3));
  // Before the ServerHello it is held (no keys yet); the keys open it, and it fails the client.
  client.handleDatagram(0, forged);
  assert.equal(client.state, 'handshaking');
  deliverAll(server, client);
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'unexpected_message');
});

test('the same after the handshake completed, while the client keeps epoch 2 (its Finished not yet ACKed): epoch-2 data is not dropped as stale, it fails', () => {
  const { client, server, lines } = started();
  const w = serverHandshakeWriter(lines);
  deliverAll(server, client);
  assert.equal(client.state, 'connected');
  client.handleDatagram(0, w.seal(ContentType.application_data, Uint8Array.of(1)));
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'unexpected_message');
});

test('once the server ACKed the client Finished, the client has dropped epoch 2: epoch-2 data is a counted stale_epoch drop, not an error', () => {
  const { client, server, lines } = started();
  const w = serverHandshakeWriter(lines);
  shuttle(server, client);
  assert.equal(client.state, 'connected');
  const before = client.stats.dropped.stale_epoch ?? 0;
  client.handleDatagram(0, w.seal(ContentType.application_data, Uint8Array.of(1)));
  assert.equal(client.state, 'connected');
  assert.equal(client.stats.dropped.stale_epoch, before + 1);
  assert.equal(client.pollTransmit(), undefined);
});

test('a new handshake message after the server Finished, under the handshake keys, fails the client (RFC 8446 5.1)', () => {
  const { client, server, lines } = started();
  const w = serverHandshakeWriter(lines);
  deliverAll(server, client);
  assert.equal(client.state, 'connected');
  // message_seq 5 follows the server's Finished (ServerHello 0 .. Finished 4).
  const extra = encodeHandshakeFragment({ msgType: HandshakeType.finished, length: 32, messageSeq: 5, fragmentOffset: 0, body: new Uint8Array(32) });
  client.handleDatagram(0, w.seal(ContentType.handshake, extra));
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'unexpected_message');
});

test('a HelloVerifyRequest to a client offering DTLS 1.3 only fails it with protocol_version', () => {
  const { client } = started();
  const hvr = encodeHelloVerifyRequest({ version: 0xfeff, cookie: Uint8Array.of(1, 2, 3) });
  const frag = encodeHandshakeFragment({ msgType: HandshakeType.hello_verify_request, length: hvr.length, messageSeq: 0, fragmentOffset: 0, body: hvr });
  client.handleDatagram(0, encodeRecord({ contentType: ContentType.handshake, version: 0xfeff, epoch: 0, sequenceNumber: 0, fragment: frag }));
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'protocol_version');
});

test('an unauthenticated plaintext EncryptedExtensions in epoch 0 is dropped, not taken', () => {
  const { client, server } = started();
  const ee = encodeHandshakeFragment({ msgType: 8, length: 2, messageSeq: 1, fragmentOffset: 0, body: Uint8Array.of(0, 0) });
  client.handleDatagram(0, encodeRecord({ contentType: ContentType.handshake, version: 0xfefd, epoch: 0, sequenceNumber: 7, fragment: ee }));
  assert.equal(client.state, 'handshaking');
  assert.equal(client.stats.dropped.unexpected, 1);
  shuttle(server, client);
  assert.equal(client.state, 'connected');
});
