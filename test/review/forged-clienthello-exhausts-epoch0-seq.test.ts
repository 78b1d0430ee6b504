// connection.ts #handleHandshakeRecord calls advanceWriteSeq(0, seq + 1) for
// every epoch-0 ClientHello fragment, in any state, before anything about it
// is checked. The sequence number is the forger's choice: 2^48 - 2 puts the
// server's epoch-0 write sequence at its end, and the next flight it sends
// (a retransmission the same forged ClientHello triggers, since its
// message_seq is "old") throws 'sequence number space exhausted' inside the
// handshake guard, which fails the connection with internal_error.
// RFC 6347 4.2.1 allows copying the ClientHello's record sequence number
// only for the (stateless) answer to that ClientHello; RFC 6347 4.1.2.7 says
// bad records are dropped, not fatal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedPair, drainOut, handshakeRecord } from './helpers.ts';
import { makePair } from '../handshake/helpers.ts';
import { HandshakeType } from '../../src/wire/types.ts';
import { encodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { ProtocolVersion } from '../../src/wire/types.ts';

function helloBody(): Uint8Array {
  return encodeClientHello({
    version: ProtocolVersion.DTLS1_2,
    random: new Uint8Array(32).fill(7),
    sessionId: new Uint8Array(0),
    cookie: new Uint8Array(0),
    cipherSuites: [0xc02b],
    compressionMethods: [0],
    extensions: [],
  });
}

const MAX_SEQ = 2 ** 48 - 1;

test('a forged epoch-0 ClientHello with a huge record sequence number does not fail a handshake in progress', () => {
  const { client, server } = makePair();
  client.start(0);
  server.start(0);
  for (const d of drainOut(client)) server.handleDatagram(0, d); // flight 1 → server sends flight 4
  drainOut(server);
  assert.equal(server.state, 'handshaking');
  // 500 ms later (past the initial/4 rate limit) a spoofed ClientHello arrives.
  server.handleDatagram(500, handshakeRecord(HandshakeType.client_hello, 0, helloBody(), 0, MAX_SEQ - 1));
  assert.equal(server.state, 'handshaking', `server failed: ${server.error?.code} ${server.error?.message}`);
});

test('forged epoch-0 ClientHellos with huge record sequence numbers do not kill an established server connection', () => {
  const { server, now } = connectedPair();
  server.handleDatagram(now + 500, handshakeRecord(HandshakeType.client_hello, 0, helloBody(), 0, MAX_SEQ - 1));
  server.handleDatagram(now + 1000, handshakeRecord(HandshakeType.client_hello, 0, helloBody(), 0, MAX_SEQ));
  assert.equal(server.state, 'connected', `server: ${server.error?.code} ${server.error?.message}`);
});
