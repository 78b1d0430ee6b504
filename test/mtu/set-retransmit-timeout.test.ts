// Connection.setRetransmitTimeout on a live connection (BoringSSL's
// DTLSv1_set_initial_timeout_duration), on a virtual clock: the next flight's
// timer starts at the new value, and a running timer is rescaled from when it
// started, its doublings kept (what BoringSSL's conformance runner checks in
// DTLS-Retransmit-Client-SetTimeout-*).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import { createConnection } from '../../src/core.ts';

function drain(c: Connection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
  return out;
}

for (const version of ['1.2', '1.3'] as const) {
  test(`DTLS ${version}: the running timer is rescaled from its start with its doublings kept, and the next flight's timer starts at the new value`, () => {
    const retransmit = { initial: 100, adaptive: false };
    const { client, server } = createPair({ versions: [version], retransmit }, { versions: [version], retransmit }, { seed: 3 });
    const sends: number[] = [];
    const at = (now: number): Uint8Array[] => {
      client.handleTimeout(now);
      const out = drain(client);
      if (out.length) sends.push(now);
      return out;
    };
    client.start(0);
    assert.equal(drain(client).length, 1);
    assert.equal(client.pollTimeout(), 100);

    // Raised before the first expiry: the running timer now ends at 0 + 1000.
    client.setRetransmitTimeout(1000);
    assert.equal(client.pollTimeout(), 1000);
    assert.equal(at(999).length, 0);
    assert.equal(at(1000).length, 1, 'the ClientHello again');
    assert.equal(client.pollTimeout(), 1000 + 2000, 'doubled from the new value');

    // Lowered while running after one doubling: 1000 + 2 x 250.
    client.setRetransmitTimeout(250);
    assert.equal(client.pollTimeout(), 1500);
    // Lowered below the time already waited: due at once (its deadline is in the past).
    assert.equal(at(1400).length, 0);
    client.setRetransmitTimeout(50);
    assert.equal(client.pollTimeout(), 1100);
    const hello = at(1400);
    assert.equal(hello.length, 1);
    assert.equal(client.pollTimeout(), 1400 + 4 * 50, 'two doublings of 50');
    assert.deepEqual(sends, [1000, 1400]);

    // The next flight: its timer starts at the value set, doubling from there.
    client.setRetransmitTimeout(300);
    server.start(1450);
    for (const d of hello) server.handleDatagram(1450, d);
    const answer = drain(server);
    assert.ok(answer.length > 0);
    for (const d of answer) client.handleDatagram(1460, d);
    const next = drain(client);
    assert.ok(next.length > 0, "the client's next flight");
    assert.equal(client.pollTimeout(), 1460 + 300);
    assert.equal(at(1760).length > 0, true, 'resent at 1460 + 300');
    assert.equal(client.pollTimeout(), 1760 + 600);
  });
}

test('with adaptive (the default) the value set is also the floor of the measured round trip: the next flight starts at it, not at 1.5 x a round trip of 0', () => {
  for (const set of [undefined, 700]) {
    const { client, server } = createPair({ versions: ['1.2'] }, { versions: ['1.2'] }, { seed: 4 });
    client.start(0);
    if (set !== undefined) client.setRetransmitTimeout(set);
    server.start(0);
    for (const d of drain(client)) server.handleDatagram(0, d);
    for (const d of drain(server)) client.handleDatagram(0, d);
    assert.ok(drain(client).length > 0);
    // Answered at once: a round trip of 0 measured; 1.5 x 0 is floored at min (100 by default).
    assert.equal(client.pollTimeout(), set ?? 100);
  }
});

test('setRetransmitTimeout validates: a RangeError unless 0 < ms <= retransmit.max, and the timer is left as it was', () => {
  const conn = createConnection({ role: 'client', verify: 'insecure', retransmit: { initial: 100, max: 5000, adaptive: false } });
  conn.start(0);
  for (const bad of [0, -1, 5001, Number.NaN, Infinity]) {
    assert.throws(
      () => conn.setRetransmitTimeout!(bad),
      (e: unknown) => e instanceof RangeError && /setRetransmitTimeout\(\): ms must be in \(0, 5000\]/.test(e.message),
      String(bad),
    );
  }
  assert.equal(conn.pollTimeout(), 100);
  conn.setRetransmitTimeout!(5000);
  assert.equal(conn.pollTimeout(), 5000);
});
