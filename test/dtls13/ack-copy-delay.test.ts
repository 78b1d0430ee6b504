// Copies of a message we already ACKed (the peer lost our ACK) are ACKed again
// a quarter of the retransmission timer later, not at once (RFC 9147 7.1 lets
// an ACK wait): the rest of a resent flight arrives meanwhile and one ACK names
// every copy of that window. A scheduled ACK follows setRetransmitTimeout(), as
// the retransmission timer does. Against a scripted client (server-wire.ts)
// that resends its KeyUpdate with fresh record numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContentType } from '../../src/wire/types.ts';
import { decodeAck } from '../../src/wire/ack.ts';
import { encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { connectedServer13, drain } from './server-wire.ts';

const T = 400; // the server's retransmission timeout (BoringSSL's default)

function keyUpdated() {
  const { server, client, seq } = connectedServer13({ retransmit: { initial: T, adaptive: false } });
  // Each call seals the KeyUpdate again: a copy in a record of its own (a new record number).
  const keyUpdate = () => client.layer.seal(ContentType.handshake, encodeHandshakeMessage({ msgType: 24, messageSeq: seq, body: Uint8Array.of(0) }), 3);
  /** The ACKs the server sent, each as its list of record numbers "epoch/seq". */
  const acks = () =>
    client
      .receive(drain(server))
      .filter((r) => r.contentType === ContentType.ack)
      .map((r) => decodeAck(r.payload).map((n) => `${n.epoch}/${n.sequenceNumber}`));
  server.handleDatagram(0, keyUpdate());
  server.handleTimeout(server.pollTimeout()!);
  assert.equal(acks().length, 1, 'the KeyUpdate is ACKed');
  assert.equal(server.pollTimeout(), undefined);
  return { server, keyUpdate, acks };
}

test('three copies of an ACKed KeyUpdate within a quarter of the timer draw one ACK, at the quarter, naming all three', () => {
  const { server, keyUpdate, acks } = keyUpdated();
  for (const at of [1000, 1030, 1090]) {
    server.handleDatagram(at, keyUpdate());
    assert.deepEqual(acks(), [], `no ACK at once (${at})`);
    assert.equal(server.pollTimeout(), 1000 + T / 4, 'the first copy set the time; later ones do not move it');
  }
  server.handleTimeout(1000 + T / 4 - 1);
  assert.deepEqual(acks(), []);
  server.handleTimeout(1000 + T / 4);
  const sent = acks();
  assert.equal(sent.length, 1, 'one ACK');
  assert.equal(sent[0]!.filter((n) => n.startsWith('3/')).length, 4, 'the KeyUpdate and its three copies');
  assert.equal(server.pollTimeout(), undefined);
  // A copy after that window draws an ACK of its own, again a quarter later.
  server.handleDatagram(2000, keyUpdate());
  assert.equal(server.pollTimeout(), 2000 + T / 4);
  server.handleTimeout(2000 + T / 4);
  assert.equal(acks().length, 1);
  assert.equal(server.state, 'connected');
});

test('setRetransmitTimeout() rescales a scheduled ACK from when it was scheduled, as it does the retransmission timer', () => {
  const { server, keyUpdate, acks } = keyUpdated();
  server.handleDatagram(1000, keyUpdate());
  assert.equal(server.pollTimeout(), 1000 + T / 4);
  server.setRetransmitTimeout(T / 2);
  assert.equal(server.pollTimeout(), 1000 + T / 8, 'a quarter of the new timer, counted from the copy');
  server.handleTimeout(1000 + T / 8);
  assert.equal(acks().length, 1);
  // Longer again: the next copy waits a quarter of the longer timer.
  server.setRetransmitTimeout(T * 2);
  server.handleDatagram(3000, keyUpdate());
  assert.equal(server.pollTimeout(), 3000 + T / 2);
  server.setRetransmitTimeout(T);
  assert.equal(server.pollTimeout(), 3000 + T / 4);
  server.handleTimeout(3000 + T / 4);
  assert.equal(acks().length, 1);
});
