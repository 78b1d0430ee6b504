// Answers to the peer's copies of the flight ours answers (RFC 6347 4.2.4; RFC
// 9147 5.8.1 exit 3): a copy that comes under keys (epoch > 0) is the peer's
// own authenticated resend, and each one draws our flight again (RFC 6347
// 4.2.4: the sender of the last flight MUST answer a retransmission of the
// peer's last flight); BoGo's DTLS-Retransmit-Client-Basic-TLS12 sends the
// server's resumption flight 5 times in one instant and wants 5 answers. An
// epoch-0 copy could be forged by anyone who sees the address, so a burst of
// them still draws at most one answer per period of our timer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { drain } from './helpers.ts';

// The RFC 6347 timer (no back-to-back copies on a timeout), and room for the 8 doublings the copies take.
const rfcTimer: DtlsOptions = { retransmit: { initial: 1000, adaptive: false }, handshakeTimeout: 600_000 };

/** The retransmit events since the last call, as "flight N reason". */
function resends(c: Connection): string[] {
  const out: string[] = [];
  for (let e = c.pollEvent(); e; e = c.pollEvent()) if (e.type === 'retransmit') out.push(`flight ${e.flight} ${e.reason}`);
  return out;
}

/** `n` transmissions of what `c` has in flight, each on its timer (fresh record numbers, as a peer's resends). */
function timerCopies(c: Connection, n: number): Uint8Array[][] {
  const copies: Uint8Array[][] = [];
  for (let i = 0; i < n; i++) {
    c.handleTimeout(c.pollTimeout()!);
    copies.push(drain(c));
    assert.ok(copies.at(-1)!.length > 0, `copy ${i} of the flight went out`);
  }
  resends(c);
  return copies;
}

/** The client connected at 20 by the server's flight, its final flight, and five later copies of that server flight from the server's timer (under keys). */
function serverFlightCopies(client: Connection, server: Connection): { copies: Uint8Array[][]; final: Uint8Array[] } {
  client.start(0);
  server.start(0);
  for (const d of drain(client)) server.handleDatagram(10, d);
  const serverFlight = drain(server);
  const copies = timerCopies(server, 5);
  for (const d of serverFlight) client.handleDatagram(20, d);
  assert.equal(client.state, 'connected');
  const final = drain(client);
  assert.ok(final.length > 0, 'the client final flight');
  resends(client);
  return { copies, final };
}

test('DTLS 1.2 server: five copies of flight 5 (its Finished under keys) in one instant draw five resends of flight 6', () => {
  const { client, server } = createPair({ versions: ['1.2'], ...rfcTimer }, { versions: ['1.2'], ...rfcTimer });
  client.start(0);
  server.start(0);
  for (const d of drain(client)) server.handleDatagram(10, d);
  for (const d of drain(server)) client.handleDatagram(20, d);
  const flight5 = drain(client);
  const copies = timerCopies(client, 5);
  for (const d of flight5) server.handleDatagram(30, d);
  assert.equal(server.state, 'connected');
  const flight6 = drain(server);
  assert.ok(flight6.length > 0);
  resends(server);
  // All five in the same instant, well within the server's first timeout.
  for (const copy of copies) for (const d of copy) server.handleDatagram(40, d);
  assert.deepEqual(resends(server), Array(5).fill('flight 6 peer-retransmit'));
  assert.equal(drain(server).length, 5 * flight6.length);
});

test('DTLS 1.2 resumed client (BoGo DTLS-Retransmit-Client-Basic-TLS12): five copies of the server flight in one instant draw five resends of its final flight', () => {
  const sessions: Uint8Array[] = [];
  const ticketKeys = [new Uint8Array(32).fill(7)];
  const first = createPair({ versions: ['1.2'], onSession: (s) => sessions.push(s) }, { versions: ['1.2'], ticketKeys });
  first.client.start(0);
  first.server.start(0);
  shuttle(first.client, first.server);
  assert.equal(sessions.length, 1);
  const { client, server } = createPair({ versions: ['1.2'], session: sessions[0]!, ...rfcTimer }, { versions: ['1.2'], ticketKeys, ...rfcTimer });
  const { copies, final } = serverFlightCopies(client, server);
  assert.equal(client.handshakeInfo?.resumed, true);
  for (const copy of copies) for (const d of copy) client.handleDatagram(30, d);
  assert.deepEqual(resends(client), Array(5).fill('flight 3 peer-retransmit'));
  assert.equal(drain(client).length, 5 * final.length);
  // The final flight still arrives and completes the server.
  for (const d of final) server.handleDatagram(40, d);
  assert.equal(server.state, 'connected');
});

/** A server that answered the first ClientHello at 10, and `n` later copies of it from the client's timer (epoch 0). */
function helloCopies(version: '1.2' | '1.3', n: number): { server: Connection; copies: Uint8Array[][] } {
  const { client, server } = createPair({ versions: [version], ...rfcTimer }, { versions: [version], ...rfcTimer });
  client.start(0);
  server.start(0);
  const hello = drain(client);
  const copies = timerCopies(client, n);
  for (const d of hello) server.handleDatagram(10, d);
  assert.ok(drain(server).length > 0, 'the server flight');
  resends(server);
  return { server, copies };
}

test('DTLS 1.2 server: five copies of the ClientHello (epoch 0, forgeable) in one instant draw one resend; one more per period of its timer', () => {
  const { server, copies } = helloCopies('1.2', 8);
  for (const copy of copies.slice(0, 5)) for (const d of copy) server.handleDatagram(20, d);
  assert.deepEqual(resends(server), ['flight 4 peer-retransmit']);
  // Its timer (1 s from 20, when the answer re-armed it) resends; then one copy in that period is answered, not two.
  server.handleTimeout(server.pollTimeout()!);
  assert.deepEqual(resends(server), ['flight 4 timeout']);
  for (const copy of copies.slice(5, 8)) for (const d of copy) server.handleDatagram(1100, d);
  assert.deepEqual(resends(server), ['flight 4 peer-retransmit']);
});

test('DTLS 1.3 client: five copies of the server flight (its Finished under handshake keys) in one instant draw five resends of its Finished flight', () => {
  const { client, server } = createPair({ versions: ['1.3'], ...rfcTimer }, { versions: ['1.3'], ...rfcTimer });
  const { copies } = serverFlightCopies(client, server);
  for (const copy of copies) for (const d of copy) client.handleDatagram(30, d);
  assert.deepEqual(resends(client), Array(5).fill('flight 5 peer-retransmit'));
});

test('DTLS 1.3 server: five copies of the ClientHello (epoch 0) in one instant draw one resend', () => {
  const { server, copies } = helloCopies('1.3', 5);
  for (const copy of copies) for (const d of copy) server.handleDatagram(20, d);
  assert.deepEqual(resends(server), ['flight 4 peer-retransmit']);
});
