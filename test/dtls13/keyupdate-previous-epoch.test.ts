// After the peer's KeyUpdate, its previous application epoch stays readable for
// reordered records, PREVIOUS_EPOCH_RETENTION (RFC 9147 4.2.1: "up to the
// default MSL"), and past that until a record under the new keys arrived (RFC
// 9147 8: the keys MUST stay until then, our ACK may have been lost). Then its
// records are counted 'stale_epoch' drops, never an error. Driven by hand,
// datagram by datagram, to hold back records of the old epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import { PREVIOUS_EPOCH_RETENTION } from '../../src/connection-acks.ts';

function drain(c: Connection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
  return out;
}

/** Delivers both ways at `at` until nothing moves. */
function pump(a: Connection, b: Connection, at: number): void {
  for (let i = 0; i < 50; i++) {
    const ab = drain(a),
      ba = drain(b);
    if (!ab.length && !ba.length) return;
    for (const d of ab) b.handleDatagram(at, d);
    for (const d of ba) a.handleDatagram(at, d);
  }
}

/** A client that updated its keys at time 10 (the server ACKed); `old`: three datagrams of data it sent in its old epoch, held back. */
function updated(seed: number) {
  const { client, server } = createPair({ versions: ['1.3'] }, { versions: ['1.3'] }, { seed });
  client.start(0);
  server.start(0);
  pump(client, server, 0);
  assert.equal(client.state, 'connected');
  for (let t = server.pollTimeout(); t !== undefined && t < 10; t = server.pollTimeout()) server.handleTimeout(t);
  pump(client, server, 0);
  client.updateKeys(10);
  for (const d of drain(client)) server.handleDatagram(10, d);
  // Before the server's ACK comes, the client still writes in its old epoch.
  const old = [1, 2, 3].map((n) => {
    client.send(10, Uint8Array.of(n));
    const ds = drain(client);
    assert.equal(ds.length, 1);
    return ds[0]!;
  });
  const ackAt = server.pollTimeout()!;
  server.handleTimeout(ackAt);
  pump(client, server, ackAt);
  return { client, server, old, ackAt };
}

test('a record of the epoch before the KeyUpdate is read within the retention, and past it until a new-epoch record came; then dropped', () => {
  const { client, server, old } = updated(1);
  const stale = () => server.stats.dropped.stale_epoch ?? 0;
  server.handleDatagram(PREVIOUS_EPOCH_RETENTION - 1, old[0]!);
  assert.deepEqual(server.pollReceived(), Uint8Array.of(1), 'within the retention: read');
  // Past the retention, but nothing under the new keys yet: kept (RFC 9147 8 MUST).
  const late = PREVIOUS_EPOCH_RETENTION + 1000;
  server.handleDatagram(late, old[1]!);
  assert.deepEqual(server.pollReceived(), Uint8Array.of(2), 'no record in the new epoch yet: still read');
  // A record under the new keys.
  client.send(late, Uint8Array.of(9));
  for (const d of drain(client)) server.handleDatagram(late, d);
  assert.deepEqual(server.pollReceived(), Uint8Array.of(9));
  assert.equal(stale(), 0);
  server.handleDatagram(late + 1, old[2]!);
  assert.equal(server.pollReceived(), undefined, 'the old epoch is gone');
  assert.equal(stale(), 1, 'a counted drop');
  assert.equal(server.state, 'connected');
  // Data in the new epoch flows on, both ways.
  client.send(late + 2, Uint8Array.of(10));
  pump(client, server, late + 2);
  assert.deepEqual(server.pollReceived(), Uint8Array.of(10));
  server.send(late + 3, Uint8Array.of(11));
  pump(client, server, late + 3);
  assert.deepEqual(client.pollReceived(), Uint8Array.of(11));
});

test('a record under the new keys early does not shorten the retention: old records are read until it passes', () => {
  const { client, server, old, ackAt } = updated(2);
  client.send(ackAt, Uint8Array.of(9));
  for (const d of drain(client)) server.handleDatagram(ackAt, d);
  assert.deepEqual(server.pollReceived(), Uint8Array.of(9));
  server.handleDatagram(ackAt + PREVIOUS_EPOCH_RETENTION / 2, old[0]!);
  assert.deepEqual(server.pollReceived(), Uint8Array.of(1));
  server.handleDatagram(10 + PREVIOUS_EPOCH_RETENTION, old[1]!);
  assert.equal(server.pollReceived(), undefined, 'from the retention on: dropped');
  assert.equal(server.stats.dropped.stale_epoch ?? 0, 1);
  assert.equal(server.state, 'connected');
});
