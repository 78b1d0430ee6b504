// The DTLS 1.3 client's final flight ends only with its ACK (RFC 9147 7.1: it
// is not implicitly acknowledged). Data from the server under the application
// keys does not prove the Finished arrived: a server may send it before (half-
// RTT data). So the client keeps resending its Finished until the ACK comes
// (BoGo DTLS-Retransmit-Client-NoImplictACKFinished-TLS13). Deterministic: a
// seeded pair, the clock given by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import { deliver, drain } from '../handshake/helpers.ts';

test('server data without the ACK of the client Finished: the client still resends its Finished on its timer, until the ACK', () => {
  const { client, server } = createPair({ versions: ['1.3'] }, { versions: ['1.3'] }, { seed: 17 });
  client.start(0);
  server.start(0);
  deliver(client, server, 0);
  deliver(server, client, 0);
  deliver(client, server, 0);
  assert.equal(server.state, 'connected');
  drain(server); // the ACK of the client Finished, lost
  server.send(0, Uint8Array.of(7));
  for (const d of drain(server)) client.handleDatagram(1, d);
  assert.deepEqual([...(client.pollReceived() ?? [])], [7], 'the data is read');
  const at = client.pollTimeout();
  assert.ok(at !== undefined, 'the Finished timer still runs');
  client.handleTimeout(at);
  const copy = drain(client);
  assert.equal(copy.length, 1, 'the Finished again');
  // The server ACKs the copy (now or on its ACK timer); the client stops.
  for (const d of copy) server.handleDatagram(at, d);
  for (const d of drain(server)) client.handleDatagram(at, d);
  for (let t = at; server.pollTimeout() !== undefined && t < at + 1000;) {
    t = server.pollTimeout()!;
    server.handleTimeout(t);
    for (const d of drain(server)) client.handleDatagram(t, d);
  }
  assert.equal(client.pollTimeout(), undefined, 'ACKed: no timer left');
  assert.equal(client.state, 'connected');
});
