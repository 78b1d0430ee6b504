// The server's post-handshake rules over the wire, against a scripted client
// (server-wire.ts) that can break them: a new message in the epoch its own
// KeyUpdate ended is unexpected_message (RFC 9147 8); a KeyUpdate copy in the
// old epoch is ACKed again, not taken twice; anything but KeyUpdate from a
// client after its Finished is unexpected_message (RFC 8446 4.6).
import { POST_HANDSHAKE_ACK_DELAY_MAX } from '../../src/reliability/ack-exchange.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContentType } from '../../src/wire/types.ts';
import { encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { connectedServer13, drain } from './server-wire.ts';

function connectedServer() {
  const { server, client, seq } = connectedServer13();
  const message = (msgType: number, messageSeq: number, body: Uint8Array) =>
    client.layer.seal(ContentType.handshake, encodeHandshakeMessage({ msgType, messageSeq, body }), 3);
  return { server, client, seq, message };
}

test('a new message in the epoch the client KeyUpdate ended is unexpected_message (RFC 9147 8)', () => {
  const { server, seq, message } = connectedServer();
  server.handleDatagram(0, message(24, seq, Uint8Array.of(0)));
  assert.equal(server.state, 'connected');
  server.handleDatagram(0, message(24, seq + 1, Uint8Array.of(0)));
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'unexpected_message');
  assert.match(server.error!.message, /epoch 3, after the KeyUpdate/);
});

test('a copy of the client KeyUpdate in the old epoch is ACKed again and not taken twice', () => {
  const { server, client, seq, message } = connectedServer();
  const ku = message(24, seq, Uint8Array.of(0));
  server.handleDatagram(0, ku);
  // Its ACK goes after a short delay (RFC 9147 7.1); that of a copy, after a quarter of the timer.
  server.handleTimeout(POST_HANDSHAKE_ACK_DELAY_MAX);
  const acks = () => client.receive(drain(server)).filter((r) => r.contentType === ContentType.ack).length;
  assert.equal(acks(), 1);
  // The same KeyUpdate again (its ACK lost): a new record number, the same message.
  server.handleDatagram(POST_HANDSHAKE_ACK_DELAY_MAX, message(24, seq, Uint8Array.of(0)));
  assert.equal(server.state, 'connected');
  assert.equal(acks(), 0, 'not at once');
  server.handleTimeout(server.pollTimeout()!);
  assert.equal(acks(), 1, 'ACKed again');
  let traces = 0;
  for (let e = server.pollEvent(); e; e = server.pollEvent()) if (e.type === 'trace' && e.what === 'KeyUpdate' && e.direction === 'in') traces++;
  assert.equal(traces, 1, 'taken once');
});

test('a post-handshake message other than KeyUpdate from a client is unexpected_message', () => {
  const { server, seq, message } = connectedServer();
  // NewSessionTicket is the server's to send (RFC 8446 4.6.1).
  server.handleDatagram(0, message(4, seq, new Uint8Array(13)));
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'unexpected_message');
});
