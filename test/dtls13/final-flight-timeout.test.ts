// The DTLS 1.3 client's final flight (its Finished) must be ACKed (RFC 9147
// 7.1); the client is connected once it is sent, and resends it on its timer.
// A server that never ACKs it nor sends data under the new keys is gone: after
// ACK_FLIGHT_MAX_RESENDS resends (12, as BoringSSL: BoGo
// DTLS-Retransmit-Client-FinishedTimeout-TLS13) the next expiry fails the
// connection with handshake_timeout, without a further copy. Deterministic:
// a seeded pair, the clock driven by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import { ACK_FLIGHT_MAX_RESENDS } from '../../src/reliability/flight-limits.ts';
import { deliver, drain } from '../handshake/helpers.ts';

test('a client Finished never ACKed: 12 resends on the timer, then handshake_timeout at the next expiry, no copy', () => {
  assert.equal(ACK_FLIGHT_MAX_RESENDS, 12);
  const { client, server } = createPair({ versions: ['1.3'], retransmit: { initial: 400, adaptive: false } }, { versions: ['1.3'] }, { seed: 5 });
  client.start(0);
  server.start(0);
  deliver(client, server, 0);
  deliver(server, client, 0);
  assert.equal(client.state, 'connected');
  assert.equal(drain(client).length, 1, 'the Finished flight, which the server never gets');
  const resendTimes: number[] = [];
  for (let i = 0; i < 40 && client.state === 'connected'; i++) {
    const at = client.pollTimeout();
    assert.ok(at !== undefined, 'a timer runs until the client gives up');
    client.handleTimeout(at);
    if (drain(client).length > 0) resendTimes.push(at);
  }
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(resendTimes.length, 12);
  // 400 ms doubling to the 60 s cap: the 12th resend at 342 s, the end at the 13th expiry (402 s).
  assert.equal(resendTimes.at(-1), 342_000);
  assert.equal(drain(client).length, 0, 'no alert: the peer is gone');
});

test('the same client with the Finished ACKed stays connected, no timer left', () => {
  const { client, server } = createPair({ versions: ['1.3'], retransmit: { initial: 400, adaptive: false } }, { versions: ['1.3'] }, { seed: 5 });
  client.start(0);
  server.start(0);
  deliver(client, server, 0);
  deliver(server, client, 0);
  deliver(client, server, 0);
  assert.equal(server.state, 'connected');
  // The server ACKs the client Finished at once (RFC 9147 7.1: nothing answers it).
  deliver(server, client, 0);
  for (let i = 0; i < 40 && client.pollTimeout() !== undefined; i++) client.handleTimeout(client.pollTimeout()!);
  assert.equal(client.state, 'connected', client.error?.message);
  assert.equal(client.pollTimeout(), undefined);
});
