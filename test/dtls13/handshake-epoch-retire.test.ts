// DTLS 1.3 drops the handshake epoch's keys (epoch 2) once the peer can need
// nothing more of them (RFC 9147 5.8.1, 6.1): the client when the server ACKed
// its final flight, the server handshakeEpochRetention13() after its handshake
// (until then it ACKs copies of the client's Finished, longer than a client
// resends them). A record of the
// dropped epoch is a counted 'stale_epoch' drop, never an error. Driven by
// hand, datagram by datagram, to lose exactly the server's ACK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import { handshakeEpochRetention13, type Connection } from '../../src/connection.ts';
import type { DtlsOptions } from '../../src/options.ts';

/** With the default retransmit.max (60 s): 13 periods, the client's 12 resends and its last wait. */
const RETENTION = handshakeEpochRetention13(60_000);

function drain(c: Connection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
  return out;
}

/** Both sides connected at time 0, the server's ACK of the client Finished lost; also the server's flight as sent. */
function ackLost(seed: number, clientOptions: DtlsOptions = {}) {
  const { client, server } = createPair({ versions: ['1.3'], ...clientOptions }, { versions: ['1.3'] }, { seed });
  client.start(0);
  server.start(0);
  for (const d of drain(client)) server.handleDatagram(0, d);
  const serverFlight = drain(server);
  for (const d of serverFlight) client.handleDatagram(0, d);
  assert.equal(client.state, 'connected');
  for (const d of drain(client)) server.handleDatagram(0, d);
  assert.equal(server.state, 'connected');
  assert.ok(drain(server).length >= 1, 'the server ACKed the Finished (lost here)');
  return { client, server, serverFlight };
}

/** The server's ACK of copies it got at `at`: due a quarter of its timer later (RFC 9147 7.1 lets it wait), none before. */
function serverAck(server: Connection, at: number): { at: number; datagrams: Uint8Array[] } {
  assert.deepEqual(drain(server), [], 'no ACK at once');
  const due = server.pollTimeout();
  assert.ok(due !== undefined && due > at, `an ACK is scheduled (${due})`);
  server.handleTimeout(due);
  return { at: due, datagrams: drain(server) };
}

/** The client's timer fires: what it resends (its Finished, epoch 2, fresh record numbers). */
function clientResend(client: Connection): { at: number; datagrams: Uint8Array[] } {
  const at = client.pollTimeout();
  assert.ok(at !== undefined, 'the client waits for the ACK of its Finished');
  client.handleTimeout(at);
  const datagrams = drain(client);
  assert.ok(datagrams.length >= 1, 'the client resent its Finished');
  return { at, datagrams };
}

test('the server ACK lost: the server still reads epoch 2 and ACKs the Finished copy; the ACK ends the client flight, and the client drops epoch 2', () => {
  const { client, server, serverFlight } = ackLost(1);
  const { at, datagrams } = clientResend(client);
  for (const d of datagrams) server.handleDatagram(at, d);
  const ack = serverAck(server, at).datagrams;
  assert.ok(ack.length >= 1, 'the copy drew an ACK');
  assert.equal(server.stats.dropped.stale_epoch ?? 0, 0);
  for (const d of ack) client.handleDatagram(at, d);
  assert.equal(client.pollTimeout(), undefined, 'nothing left to resend');
  // The server's flight again: its epoch-2 records no longer open (stale, not replays of an epoch still read).
  const stale = client.stats.dropped.stale_epoch ?? 0;
  for (const d of serverFlight) client.handleDatagram(at + 1, d);
  assert.equal(client.stats.dropped.replay ?? 0, 0);
  assert.ok((client.stats.dropped.stale_epoch ?? 0) > stale);
  assert.deepEqual(drain(client), [], 'nothing answered');
  assert.equal(client.state, 'connected');
  // Data still flows both ways.
  client.send(at + 2, Uint8Array.of(1));
  for (const d of drain(client)) server.handleDatagram(at + 2, d);
  assert.deepEqual(server.pollReceived(), Uint8Array.of(1));
  server.send(at + 3, Uint8Array.of(2));
  for (const d of drain(server)) client.handleDatagram(at + 3, d);
  assert.deepEqual(client.pollReceived(), Uint8Array.of(2));
});

test(`the server drops epoch 2 ${RETENTION} ms after its handshake: a Finished copy then is a counted drop, not answered, and the connection goes on`, () => {
  const { client, server } = ackLost(2);
  const first = clientResend(client);
  // Within the retention: answered with an ACK (lost again here).
  for (const d of first.datagrams) server.handleDatagram(first.at, d);
  assert.ok(serverAck(server, first.at).datagrams.length >= 1);
  const second = clientResend(client);
  const late = RETENTION + 1;
  assert.ok(second.at < late);
  for (const d of second.datagrams) server.handleDatagram(late, d);
  assert.deepEqual(drain(server), [], 'no ACK: the epoch is gone');
  server.handleTimeout(late + 60_000);
  assert.deepEqual(drain(server), [], 'none later either');
  assert.ok((server.stats.dropped.stale_epoch ?? 0) >= 1);
  assert.equal(server.state, 'connected');
  assert.equal(server.error, undefined);
  // The application epoch is untouched: the server's data reaches the client (which still waits for an ACK: data is no proof, 0.5-RTT).
  server.send(late, Uint8Array.of(7));
  for (const d of drain(server)) client.handleDatagram(late, d);
  assert.deepEqual(client.pollReceived(), Uint8Array.of(7));
});

test('the retention is 2 MSL at least, and 13 periods of retransmit.max (the client resends 12 times, then waits one more)', () => {
  assert.equal(RETENTION, 13 * 60_000);
  assert.equal(handshakeEpochRetention13(1000), 240_000);
});

test('the server ACKs lost for 5 minutes: each Finished copy is still ACKed (epoch 2 outlasts the client resends), and the first ACK through completes the client', () => {
  // The plain RFC timer from 1 s (doubling to 60 s) spreads the client's 12 resends over 7 minutes.
  const { client, server } = ackLost(4, { retransmit: { initial: 1000, adaptive: false } });
  for (;;) {
    const at = client.pollTimeout();
    assert.ok(at !== undefined && client.state === 'connected', `the client still resends (${client.error?.message ?? ''})`);
    client.handleTimeout(at);
    const datagrams = drain(client);
    if (!datagrams.length) continue; // a deadline that sent nothing (not a resend)
    for (const d of datagrams) server.handleDatagram(at, d);
    const ack = serverAck(server, at);
    assert.ok(ack.datagrams.length >= 1, `the copy at ${at} ms drew an ACK`);
    if (at < 300_000) continue; // lost
    for (const d of ack.datagrams) client.handleDatagram(ack.at, d);
    break;
  }
  assert.equal(client.pollTimeout(), undefined, 'the flight is ACKed');
  assert.equal(client.state, 'connected');
  assert.equal(server.state, 'connected');
  assert.equal(server.stats.dropped.stale_epoch ?? 0, 0);
});

test('a server that keeps getting data keeps its application epoch: epoch 2 goes at the first datagram past the retention, data read before and after', () => {
  const { client, server } = ackLost(3);
  let t = 1000;
  for (const at of [t, RETENTION - 1, RETENTION + 1, RETENTION + 5000]) {
    t = at;
    client.send(t, Uint8Array.of(at & 0xff));
    for (const d of drain(client)) server.handleDatagram(t, d);
    assert.deepEqual(server.pollReceived(), Uint8Array.of(at & 0xff));
  }
  assert.equal(server.state, 'connected');
});
