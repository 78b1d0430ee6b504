// The delayed ACK of post-handshake messages (RFC 9147 7.1: "subject to some
// delay"), with both ends ours on an in-memory network and a virtual clock:
// a NewSessionTicket is ACKed a little later (several in one ACK), a lost ACK
// still draws the ticket again and a new ACK, and a KeyUpdate completes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import { POST_HANDSHAKE_ACK_DELAY_MAX } from '../../src/reliability/ack-exchange.ts';
import { AckTracker } from '../../src/reliability/ack-tracker.ts';

const ticketKey = new Uint8Array(32).fill(9);

/** Trace lines a connection sent since the last call, by name. */
function sentNames(c: Connection): string[] {
  const out: string[] = [];
  for (let e = c.pollEvent(); e; e = c.pollEvent()) if (e.type === 'trace' && e.direction === 'out') out.push(e.what);
  return out;
}

/** A 1.3 handshake at time 0, tickets delivered at once; the client's delayed ACK of them not sent yet. */
function handshakeWithTickets(tickets = 1) {
  const sessions: Uint8Array[] = [];
  const { client, server } = createPair(
    { versions: ['1.3'], onSession: (s) => sessions.push(s) },
    { versions: ['1.3'], ticketKeys: [ticketKey], sessionTickets: tickets },
    { seed: 13 },
  );
  client.start(0);
  server.start(0);
  shuttle(client, server);
  assert.equal(server.state, 'connected');
  assert.equal(client.state, 'connected');
  return { client, server, sessions };
}

test('a NewSessionTicket is ACKed after a short delay, not at once; the server stops resending at that ACK', () => {
  const { client, server, sessions } = handshakeWithTickets();
  assert.equal(sessions.length, 1);
  sentNames(client);
  // Whatever the client had to say at once (nothing about the ticket) goes now.
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(0, d);
  assert.ok(!sentNames(client).includes('ACK'), 'no ACK right after the ticket');
  const at = client.pollTimeout()!;
  assert.ok(at > 0 && at <= POST_HANDSHAKE_ACK_DELAY_MAX, `the ACK is due within the bound: ${at}`);
  client.handleTimeout(at - 1);
  assert.equal(client.pollTransmit(), undefined, 'not before its time');
  client.handleTimeout(at);
  assert.deepEqual(sentNames(client), ['ACK']);
  shuttle(client, server, at);
  assert.equal(server.pollTimeout(), undefined, 'the ticket is acknowledged');
  assert.equal(server.stats.retransmits, 0, 'the delay is shorter than the resend timer');
});

test('two tickets in a row share one delayed ACK', () => {
  const { client, server, sessions } = handshakeWithTickets(2);
  assert.equal(sessions.length, 2);
  sentNames(client);
  shuttle(client, server);
  const at = client.pollTimeout()!;
  client.handleTimeout(at);
  assert.deepEqual(sentNames(client), ['ACK'], 'one ACK for both');
  shuttle(client, server, at);
  assert.equal(server.pollTimeout(), undefined, 'both tickets acknowledged');
});

test('a lost delayed ACK: the server resends the ticket, the client ACKs the copy after a quarter of its timer', () => {
  const { client, server, sessions } = handshakeWithTickets();
  shuttle(client, server);
  sentNames(client);
  const at = client.pollTimeout()!;
  client.handleTimeout(at);
  assert.deepEqual(sentNames(client), ['ACK']);
  for (; client.pollTransmit();); // lost
  const t = server.pollTimeout()!;
  assert.ok(t > at, 'the server still waits for an ACK');
  server.handleTimeout(t);
  assert.equal(server.stats.retransmits, 1);
  for (let d = server.pollTransmit(); d; d = server.pollTransmit()) client.handleDatagram(t, d);
  assert.deepEqual(sentNames(client), [], 'not at once: the rest of a resent flight may follow (RFC 9147 7.1)');
  const ta = client.pollTimeout()!;
  assert.ok(ta > t && ta <= t + POST_HANDSHAKE_ACK_DELAY_MAX, `the copy's ACK is due shortly (${ta - t} ms)`);
  client.handleTimeout(ta);
  assert.deepEqual(sentNames(client), ['ACK']);
  assert.equal(sessions.length, 1, 'the copy makes no second session');
  shuttle(client, server, ta);
  assert.equal(server.pollTimeout(), undefined);
});

test('a KeyUpdate is ACKed after the delay too; the peer writes in the new epoch from that ACK on', () => {
  const { client, server } = handshakeWithTickets(0);
  shuttle(client, server);
  sentNames(client);
  server.updateKeys(5);
  for (let d = server.pollTransmit(); d; d = server.pollTransmit()) client.handleDatagram(5, d);
  assert.deepEqual(sentNames(client), [], 'not at once');
  // Meanwhile the server still writes in its old epoch, and the client reads it.
  server.send(6, Uint8Array.of(1));
  shuttle(client, server, 6);
  assert.deepEqual([...(client.pollReceived() ?? [])], [1]);
  const at = client.pollTimeout()!;
  assert.ok(at > 5 && at <= 5 + POST_HANDSHAKE_ACK_DELAY_MAX);
  client.handleTimeout(at);
  assert.deepEqual(sentNames(client), ['ACK']);
  shuttle(client, server, at);
  assert.equal(server.pollTimeout(), undefined, 'the KeyUpdate is acknowledged');
  server.send(at, Uint8Array.of(2));
  shuttle(client, server, at);
  assert.deepEqual([...(client.pollReceived() ?? [])], [2]);
});

test('AckTracker: a delayed flight ACK goes at its time, or with an ACK due earlier', () => {
  const t = new AckTracker();
  t.onRecord(0, 3, 1, 1, true, 400);
  t.onFlightComplete(0, false, 1, 50);
  assert.equal(t.deadline, 50);
  assert.equal(t.poll(49), undefined);
  assert.equal(t.poll(50)?.length, 1);
  // A flight that must be ACKed at once pulls a pending delayed one along (the one ACKed before is done with).
  t.onRecord(100, 3, 2, 2, true, 400);
  t.onFlightComplete(100, false, 2, 50);
  t.onRecord(110, 3, 3, 3, true, 400);
  t.onFlightComplete(110, false, 3);
  assert.equal(t.deadline, 110);
  assert.deepEqual(
    t.poll(110)?.map((n) => n.sequenceNumber),
    [2, 3].map(BigInt),
  );
});
