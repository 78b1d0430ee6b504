// The 1.3 client resends its Finished flight when the server's Finished comes
// again (RFC 9147 5.8.1: the server lost ours), but not when the copy arrives
// at the very instant ours left: no round trip has passed, so the server sent
// that message twice in one flight (BoGo MixCompleteMessageWithFragments-DTLS-TLS13
// sends each message whole after its fragments), and a resend would only put
// a duplicate of our flight in the server's way. Deterministic: a seeded pair,
// the clock given by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import { deliver, drain } from '../handshake/helpers.ts';

/** A client that took the server's whole flight at time 0 and sent its Finished; the server's copy of that flight (fresh record numbers). */
function answered() {
  const { client, server } = createPair({ versions: ['1.3'] }, { versions: ['1.3'] }, { seed: 9 });
  client.start(0);
  server.start(0);
  deliver(client, server, 0);
  deliver(server, client, 0);
  assert.equal(client.state, 'connected');
  assert.equal(drain(client).length, 1, 'the Finished flight');
  server.handleTimeout(server.pollTimeout()!);
  const copy = drain(server);
  assert.ok(copy.length > 0, 'the server resent its flight');
  return { client, copy };
}

test('the server Finished again at the instant the client answered: no resend of the client Finished', () => {
  const { client, copy } = answered();
  for (const d of copy) client.handleDatagram(0, d);
  assert.equal(client.state, 'connected');
  assert.deepEqual(drain(client), [], 'nothing sent');
});

test('the server Finished again a moment later: the server lost the client Finished, which is resent at once', () => {
  const { client, copy } = answered();
  for (const d of copy) client.handleDatagram(30, d);
  assert.equal(client.state, 'connected');
  assert.equal(drain(client).length, 1, 'the Finished flight again');
});
