// NewConnectionId and RequestConnectionId (RFC 9147 9) between two real cores
// in memory: a new CID used at once, spares on request and switched to,
// the messages and their ACKs lost and resent, and misuse refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import { decodeDatagram13 } from '../../src/wire/unified-header.ts';

function connected(client: object = { connectionId: 4 }, server: object = { connectionId: 6 }) {
  const pair = createPair({ versions: ['1.3'], ...client }, { versions: ['1.3'], ...server });
  pair.client.start(0);
  pair.server.start(0);
  shuttle(pair.client, pair.server);
  assert.equal(pair.client.state, 'connected', pair.client.error?.message ?? pair.server.error?.message);
  assert.equal(pair.server.state, 'connected');
  return pair;
}

/** The CID on the first protected record of each datagram, read with `length`. */
function cidsOn(datagrams: Uint8Array[], length: number): (Uint8Array | undefined)[] {
  return datagrams.map((d) => {
    const r = decodeDatagram13(d, { cidLength: length }).records.find((x) => x.kind === 'ciphertext');
    return r?.kind === 'ciphertext' ? r.cid : undefined;
  });
}

function drain(c: Connection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
  return out;
}

function roundTrip(a: Connection, b: Connection, byte: number, now = 0): void {
  a.send(now, Uint8Array.of(byte));
  shuttle(a, b, now);
  assert.deepEqual([...(b.pollReceived() ?? [])], [byte]);
}

test('NewConnectionId cid_immediate: the peer puts the new CID on its next records; the old one still reads', () => {
  const { client, server } = connected();
  const first = server.connectionIds!.local[0]!;
  server.issueConnectionIds(0, 1, 'immediate');
  assert.equal(server.connectionIds!.local.length, 2);
  const fresh = server.connectionIds!.local[1]!;
  assert.notDeepEqual(fresh, first);
  shuttle(server, client);
  assert.deepEqual(client.connectionIds!.peer, fresh);
  client.send(0, Uint8Array.of(1));
  const out = drain(client);
  assert.deepEqual(cidsOn(out, 6), [fresh]);
  for (const d of out) server.handleDatagram(0, d);
  assert.deepEqual([...(server.pollReceived() ?? [])], [1]);
  // A record still under the first CID (reordered, sent before the switch) is read.
  assert.ok(server.connectionIds!.local.some((c) => c.every((b, i) => b === first[i])));
  roundTrip(server, client, 2);
});

test('RequestConnectionId: spares come back (cid_spare), the peer keeps its CID until switchConnectionId()', () => {
  const { client, server } = connected();
  const before = client.connectionIds!.peer!;
  client.requestConnectionIds(0, 3);
  // One request at a time (RFC 9147 9).
  assert.throws(() => client.requestConnectionIds(0, 1), TypeError);
  shuttle(client, server);
  assert.equal(server.connectionIds!.local.length, 4);
  assert.equal(client.connectionIds!.spares, 3);
  assert.deepEqual(client.connectionIds!.peer, before);
  assert.equal(client.switchConnectionId(0), true);
  const now = client.connectionIds!.peer!;
  assert.deepEqual(now, server.connectionIds!.local[1]);
  client.send(0, Uint8Array.of(5));
  const out = drain(client);
  assert.deepEqual(cidsOn(out, 6), [now]);
  for (const d of out) server.handleDatagram(0, d);
  assert.deepEqual([...(server.pollReceived() ?? [])], [5]);
  // Answered: another request may go.
  client.requestConnectionIds(0, 1);
  shuttle(client, server);
  assert.equal(client.connectionIds!.spares, 3);
});

test('a lost NewConnectionId is resent on the timer; a lost ACK draws a copy, ACKed again; then the timer stops', () => {
  const { client, server } = connected();
  let now = 1000;
  server.issueConnectionIds(now, 1, 'immediate');
  const fresh = server.connectionIds!.local[1]!;
  assert.ok(drain(server).length >= 1, 'sent');
  // Lost. The timer brings it again.
  const t1 = server.pollTimeout()!;
  assert.ok(t1 !== undefined && t1 > now);
  now = t1;
  server.handleTimeout(now);
  const copy = drain(server);
  assert.ok(copy.length >= 1, 'resent on the timer');
  for (const d of copy) client.handleDatagram(now, d);
  assert.deepEqual(client.connectionIds!.peer, fresh);
  // The client's ACK (sent at once or on its ACK timer) is lost too.
  const acks = drain(client);
  const ackAt = client.pollTimeout();
  if (ackAt !== undefined && ackAt <= now + 1000) client.handleTimeout(ackAt);
  acks.push(...drain(client));
  assert.ok(acks.length >= 1, 'the client ACKs it');
  now = server.pollTimeout()!;
  server.handleTimeout(now);
  const again = drain(server);
  assert.ok(again.length >= 1, 'resent again');
  const retransmits = server.stats.retransmits;
  shuttle(server, client, now);
  // The client's ACK of the copy (now or on its ACK timer) gets through: the server's timer stops.
  for (let i = 0; i < 10; i++) {
    const t = Math.min(server.pollTimeout() ?? Infinity, client.pollTimeout() ?? Infinity);
    if (t === Infinity) break;
    now = t;
    client.handleTimeout(now);
    shuttle(client, server, now);
    server.handleTimeout(now);
    shuttle(server, client, now);
  }
  assert.equal(server.pollTimeout(), undefined, 'ACKed: nothing left to resend');
  assert.ok(server.stats.retransmits <= retransmits + 1, `${server.stats.retransmits - retransmits} more resends`);
  assert.deepEqual(client.connectionIds!.peer, fresh);
  roundTrip(client, server, 9, now);
});

test('a lost RequestConnectionId is resent, and answered once', () => {
  const { client, server } = connected();
  let now = 500;
  client.requestConnectionIds(now, 2);
  drain(client); // lost
  now = client.pollTimeout()!;
  client.handleTimeout(now);
  shuttle(client, server, now);
  assert.equal(client.connectionIds!.spares, 2);
  assert.equal(server.connectionIds!.local.length, 3);
});

test('connection ID methods refuse misuse: before the handshake, without CIDs, with no CID to issue', () => {
  const fresh = createPair({ versions: ['1.3'], connectionId: 4 }, { versions: ['1.3'], connectionId: 4 });
  assert.throws(() => fresh.client.requestConnectionIds(0), TypeError);
  const none = connected({}, {});
  assert.equal(none.client.connectionIds, undefined);
  assert.throws(() => none.client.issueConnectionIds(0), TypeError);
  assert.throws(() => none.server.switchConnectionId(0), TypeError);
  // The client receives no CID (empty): it has none to issue; the server cannot ask it for any.
  const empty = connected({ connectionId: new Uint8Array(0) }, { connectionId: 4 });
  assert.throws(() => empty.client.issueConnectionIds(0), TypeError);
  assert.throws(() => empty.server.requestConnectionIds(0), TypeError);
  assert.throws(() => empty.server.issueConnectionIds(0, 0), RangeError);
  // No spare yet: nothing to switch to.
  assert.equal(empty.client.switchConnectionId(0), false);
});

test('a RequestConnectionId while our KeyUpdate waits for its ACK: answered once the new epoch is in use, in it; our own CID calls wait too', () => {
  const { client, server } = connected();
  let now = 100;
  server.updateKeys(now);
  const ku = drain(server); // the KeyUpdate, not delivered yet
  assert.throws(() => server.issueConnectionIds(now, 1), TypeError, 'no post-handshake message before the KeyUpdate is ACKed (RFC 9147 8)');
  client.requestConnectionIds(now, 2);
  shuttle(client, server, now); // the request arrives; the answer waits
  assert.equal(server.state, 'connected', server.error?.message);
  assert.equal(server.connectionIds!.local.length, 1, 'not answered yet');
  for (const d of ku) client.handleDatagram(now, d);
  // The client ACKs the KeyUpdate (at once or on its timer); then the NewConnectionId goes.
  for (let i = 0; i < 10 && client.connectionIds!.spares < 2; i++) {
    now = Math.min(client.pollTimeout() ?? Infinity, server.pollTimeout() ?? Infinity, now + 50);
    client.handleTimeout(now);
    server.handleTimeout(now);
    shuttle(client, server, now);
  }
  assert.equal(client.connectionIds!.spares, 2);
  assert.equal(server.connectionIds!.local.length, 3);
  assert.equal(server.state, 'connected');
  roundTrip(server, client, 3, now);
  roundTrip(client, server, 4, now);
});
