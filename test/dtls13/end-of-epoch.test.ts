// No handshake message spans a key change (RFC 8446 5.1): the message that
// ends a peer's epoch (its ServerHello, its Finished, a KeyUpdate: RFC 9147
// 6.1, 8) is its last one in that epoch. A later message the peer sent in that
// epoch and that is already buffered when the ending message is taken (it came
// first, reordered) fails the connection with unexpected_message, as BoringSSL
// does (EXCESS_HANDSHAKE_DATA; BoGo KeyUpdate-ExtraMessageBuffered-DTLS). The
// peer is forged under its real keys (key logs of seeded pairs, or the scripted
// client of server-wire.ts); every case is deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import { Connection } from '../../src/connection.ts';
import { resolveOptions } from '../../src/options.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { KeySchedule13 } from '../../src/crypto/key-schedule13.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { suite13ById } from '../../src/crypto/suites.ts';
import { fromHex } from '../../src/wire/codec.ts';
import { ContentType, HandshakeType } from '../../src/wire/types.ts';
import { encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { certs } from '../handshake/helpers.ts';
import { WireClient, drain } from './server-wire.ts';

const suite = suite13ById(0x1301)!;
const ks = new KeySchedule13(nobleProvider, 'sha256');

const keyUpdate = (seq: number) =>
  encodeHandshakeFragment({ msgType: HandshakeType.key_update, length: 1, messageSeq: seq, fragmentOffset: 0, body: Uint8Array.of(0) });
/** The first 8 bytes of a 32-byte message: it stays incomplete in the reassembler. */
const partial = (msgType: number, seq: number) => encodeHandshakeFragment({ msgType, length: 32, messageSeq: seq, fragmentOffset: 0, body: new Uint8Array(8) });

/** A client whose ClientHello the server answered (not yet delivered), and the server's logged secrets (from an identical seeded pair run first). */
function clientStarted() {
  const lines: string[] = [];
  const make = (log?: (l: string) => void) => {
    const p = createPair({ versions: ['1.3'], cipherSuites: ['TLS_AES_128_GCM_SHA256'] }, { versions: ['1.3'], ...(log ? { keyLog: log } : {}) }, { seed: 13 });
    p.client.start(0);
    p.server.start(0);
    return p;
  };
  const first = make((l) => lines.push(l));
  shuttle(first.client, first.server);
  const pair = make();
  for (let d = pair.client.pollTransmit(); d; d = pair.client.pollTransmit()) pair.server.handleDatagram(0, d);
  /**
   * A record layer writing as the server in `epoch` with the logged secret `label`, past its record numbers but
   * within the replay window of the real ones (a forged record taken first must not push them out of it).
   */
  const writer = (label: string, epoch: number) => {
    const hex = lines.find((l) => l.startsWith(label))?.split(' ')[2];
    assert.ok(hex, `the server logged ${label}`);
    const w = new RecordLayer(nobleProvider, () => {});
    w.installWrite(epoch, { suite, ...ks.trafficKeys(fromHex(hex), suite.keyLength, suite.ivLength) });
    w.advanceWriteSeq(epoch, 30);
    return w;
  };
  return { ...pair, writer };
}

function deliverAll(from: Connection, to: Connection): void {
  for (let d = from.pollTransmit(); d; d = from.pollTransmit()) to.handleDatagram(0, d);
}

test('client: a KeyUpdate while a later message of its epoch is buffered is unexpected_message', () => {
  const { client, server, writer } = clientStarted();
  deliverAll(server, client);
  assert.equal(client.state, 'connected');
  const w = writer('SERVER_TRAFFIC_SECRET_0', 3);
  // Server messages: ServerHello 0 .. Finished 4; the KeyUpdate is 5, and message 6 came first.
  client.handleDatagram(0, w.seal(ContentType.handshake, keyUpdate(6)));
  assert.equal(client.state, 'connected', 'message 6 alone is buffered');
  client.handleDatagram(0, w.seal(ContentType.handshake, keyUpdate(5)));
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'unexpected_message');
  assert.match(client.error!.message, /after the KeyUpdate/);
});

test('client: a KeyUpdate with nothing after it is taken (the check does not fire on its own)', () => {
  const { client, server, writer } = clientStarted();
  deliverAll(server, client);
  client.handleDatagram(0, writer('SERVER_TRAFFIC_SECRET_0', 3).seal(ContentType.handshake, keyUpdate(5)));
  assert.equal(client.state, 'connected', client.error?.message);
});

test('client: part of a message after the server Finished, buffered under the handshake keys before it, is unexpected_message', () => {
  const { client, server, writer } = clientStarted();
  // Held by the record layer until the ServerHello brings the epoch-2 keys, then buffered as message 5 (incomplete).
  client.handleDatagram(0, writer('SERVER_HANDSHAKE_TRAFFIC_SECRET', 2).seal(ContentType.handshake, partial(HandshakeType.finished, 5)));
  deliverAll(server, client);
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'unexpected_message');
  assert.match(client.error!.message, /after the server Finished/);
});

test('client: part of a later epoch-0 message buffered when the ServerHello is taken is unexpected_message', () => {
  const { client, server } = clientStarted();
  // Message 1 in the clear (only hellos pass in epoch 0), incomplete, before the real ServerHello (message 0).
  const fragment = partial(HandshakeType.server_hello, 1);
  client.handleDatagram(0, encodeRecord({ contentType: ContentType.handshake, version: 0xfefd, epoch: 0, sequenceNumber: 30, fragment }));
  assert.equal(client.state, 'handshaking');
  deliverAll(server, client);
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'unexpected_message');
  assert.match(client.error!.message, /after the ServerHello/);
});

/** A server that has answered the scripted client's ClientHello, and the client's second flight (epoch 2), not yet delivered. */
function serverStarted() {
  const server = new Connection(resolveOptions({ role: 'server', certificate: certs().server, versions: ['1.3'] }));
  server.start(0);
  const client = new WireClient();
  server.handleDatagram(0, client.hello());
  const c = client.answer(drain(server));
  return { server, client, c };
}

test('server: a KeyUpdate while a later message of its epoch is buffered is unexpected_message', () => {
  const { server, client, c } = serverStarted();
  for (const d of c.datagrams) server.handleDatagram(0, d);
  assert.equal(server.state, 'connected');
  client.sealEpoch(3, c.clientAp, c.suite);
  const seq = client.script.nextSeq;
  server.handleDatagram(0, client.layer.seal(ContentType.handshake, keyUpdate(seq + 1), 3));
  assert.equal(server.state, 'connected', 'the later one alone is buffered');
  server.handleDatagram(0, client.layer.seal(ContentType.handshake, keyUpdate(seq), 3));
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'unexpected_message');
  assert.match(server.error!.message, /after the KeyUpdate/);
});

test('server: part of a message after the client Finished, buffered under the handshake keys before it, is unexpected_message', () => {
  const { server, client, c } = serverStarted();
  server.handleDatagram(0, client.layer.seal(ContentType.handshake, partial(HandshakeType.finished, client.script.nextSeq), 2));
  assert.equal(server.state, 'handshaking');
  for (const d of c.datagrams) server.handleDatagram(0, d);
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'unexpected_message');
  assert.match(server.error!.message, /after the client Finished/);
});

test('server: a new handshake message under the handshake keys once connected is unexpected_message; a copy of the Finished is not (BoGo DTLS13-SendExtraFinished-AfterAppData)', () => {
  const { server, client, c } = serverStarted();
  for (const d of c.datagrams) server.handleDatagram(0, d);
  assert.equal(server.state, 'connected', server.error?.message);
  // The client's Finished again (the server's ACK lost): answered, not an error.
  server.handleDatagram(0, c.datagrams.at(-1)!);
  assert.equal(server.state, 'connected', server.error?.message);
  const extra = encodeHandshakeFragment({
    msgType: HandshakeType.finished,
    length: 32,
    messageSeq: client.script.nextSeq,
    fragmentOffset: 0,
    body: new Uint8Array(32),
  });
  server.handleDatagram(0, client.layer.seal(ContentType.handshake, extra, 2));
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'unexpected_message');
  assert.match(server.error!.message, /new handshake message after the client Finished/);
});

test('server: the same flight without the extra message completes (the check does not fire on its own)', () => {
  const { server, c } = serverStarted();
  for (const d of c.datagrams) server.handleDatagram(0, d);
  assert.equal(server.state, 'connected', server.error?.message);
});
