// What a DTLS 1.3 connection keeps after its handshake, and that keeping less
// changed nothing it does: KeyUpdate derives its keys without the key
// schedule, the server makes its reassembler again for a post-handshake
// message in pieces, a connection without connection IDs has no CID state and
// still refuses CID messages (RFC 9147 9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { ContentType, HandshakeType } from '../../src/wire/types.ts';
import { encodeHandshakeFragment, encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { KeyUpdate13 } from '../../src/handshake/key-update13.ts';
import { KeySchedule13 } from '../../src/crypto/key-schedule13.ts';
import { suite13ById } from '../../src/crypto/suites.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { exporter13, trafficKeys13 } from '../../src/handshake/common13.ts';
import { createPair, shuttle } from '../../src/testing/index.ts';
import { connectedServer13 } from './server-wire.ts';

test('KeyUpdate13 derives the next secrets and keys as the key schedule does (RFC 8446 7.2, 7.3)', () => {
  for (const id of [0x1301, 0x1302, 0x1303]) {
    const suite = suite13ById(id)!;
    const schedule = new KeySchedule13(nobleProvider, suite.hash);
    const len = suite.hash === 'sha384' ? 48 : 32;
    const ours = new Uint8Array(len).fill(1);
    const peers = new Uint8Array(len).fill(2);
    const ku = new KeyUpdate13(
      { crypto: nobleProvider, suite, ours: ours.slice(), peers: peers.slice(), exporter: new Uint8Array(len).fill(3) },
      { takeMessageSeq: () => 0 },
    );
    const sent = ku.start(false)[0];
    assert.ok(sent?.kind === 'post-handshake');
    assert.deepEqual(sent.keys, trafficKeys13(schedule, suite, schedule.nextTrafficSecret(ours)), `${suite.name}: write keys of epoch 4`);
    const read = ku.receive({ msgType: HandshakeType.key_update, messageSeq: 0, body: Uint8Array.of(0) })[0];
    assert.ok(read?.kind === 'read-keys');
    assert.deepEqual(read.keys, trafficKeys13(schedule, suite, schedule.nextTrafficSecret(peers)), `${suite.name}: read keys of epoch 4`);
  }
});

function connectedServer() {
  const r = connectedServer13();
  while (r.server.pollEvent());
  return r;
}

const keyUpdatesTaken = (server: Connection) => {
  let n = 0;
  for (let e = server.pollEvent(); e; e = server.pollEvent()) if (e.type === 'trace' && e.what === 'KeyUpdate' && e.direction === 'in') n++;
  return n;
};

test('server: a KeyUpdate in two records, with a copy of the Finished between them, is taken once whole', () => {
  const { server, client, seq } = connectedServer();
  const body = Uint8Array.of(0);
  const piece = (fragmentOffset: number, length: number) =>
    client.layer.seal(
      ContentType.handshake,
      encodeHandshakeFragment({ msgType: HandshakeType.key_update, length: 1, messageSeq: seq, fragmentOffset, body: body.subarray(fragmentOffset, length) }),
      3,
    );
  // An empty first piece: the message is in the reassembler, not taken.
  server.handleDatagram(0, piece(0, 0));
  assert.equal(keyUpdatesTaken(server), 0);
  // A copy of something already taken (the client's Finished, message_seq below) changes nothing.
  server.handleDatagram(
    0,
    client.layer.seal(ContentType.handshake, encodeHandshakeMessage({ msgType: HandshakeType.finished, messageSeq: seq - 1, body: new Uint8Array(32) }), 3),
  );
  assert.equal(server.state, 'connected');
  server.handleDatagram(0, piece(0, 1));
  assert.equal(server.state, 'connected');
  assert.equal(keyUpdatesTaken(server), 1);
  // Its copy is old (the reassembler made for it is gone, its place in the sequence kept) ...
  server.handleDatagram(0, piece(0, 1));
  assert.equal(server.state, 'connected');
  assert.equal(keyUpdatesTaken(server), 0);
  // ... and the next message_seq is new: in epoch 3, which the KeyUpdate ended, unexpected_message (RFC 9147 8).
  server.handleDatagram(
    0,
    client.layer.seal(ContentType.handshake, encodeHandshakeMessage({ msgType: HandshakeType.key_update, messageSeq: seq + 1, body }), 3),
  );
  assert.equal(server.state, 'failed');
  assert.match(server.error!.message, /epoch 3, after the KeyUpdate/);
});

test('a connection that negotiated no connection IDs refuses a NewConnectionId (unexpected_message, RFC 9147 9)', () => {
  const { server, client, seq } = connectedServer();
  const body = Uint8Array.of(0, 2, 1, 7, 0); // one 1-byte CID, cid_immediate
  server.handleDatagram(
    0,
    client.layer.seal(ContentType.handshake, encodeHandshakeMessage({ msgType: HandshakeType.new_connection_id, messageSeq: seq, body }), 3),
  );
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'unexpected_message');
  assert.match(server.error!.message, /no connection IDs were negotiated/);
});

test('the exporter a 1.3 connection hands out (kept in KeyUpdate13) matches one over the exporter master secret, both sides alike (RFC 8446 7.5)', () => {
  const suite = suite13ById(0x1302)!;
  const master = new Uint8Array(48).fill(9);
  const ku = new KeyUpdate13(
    { crypto: nobleProvider, suite, ours: new Uint8Array(48), peers: new Uint8Array(48), exporter: master.slice() },
    { takeMessageSeq: () => 0 },
  );
  const ex = ku.exportKeyingMaterial.bind(ku);
  // KeyUpdates move the traffic secrets, not the exporter's.
  ku.start(false);
  ku.receive({ msgType: HandshakeType.key_update, messageSeq: 0, body: Uint8Array.of(0) });
  for (const context of [undefined, Uint8Array.of(1, 2)])
    assert.deepEqual(ex('EXPORTER-test', context, 40), exporter13(nobleProvider, 'sha384', master)('EXPORTER-test', context, 40));
  assert.throws(() => ex('EXPORTER-test', undefined, 255 * 48 + 1), RangeError);
  const { client, server } = createPair({ versions: ['1.3'] }, { versions: ['1.3'] }, { seed: 5 });
  client.start(0);
  server.start(0);
  shuttle(client, server);
  assert.equal(server.state, 'connected');
  const a = client.exportKeyingMaterial('EXPORTER-DTLS-SRTP', undefined, 60);
  assert.deepEqual(server.exportKeyingMaterial('EXPORTER-DTLS-SRTP', undefined, 60), a);
  assert.equal(a.length, 60);
});
