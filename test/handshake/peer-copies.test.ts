// Which copies of the peer's flight count as its retransmission (RFC 6347
// 4.2.4): found by BoGo (DTLS-Replay-TLS12, ReorderHandshakeFragments-*,
// MixCompleteMessageWithFragments-DTLS-TLS12), where our flight went out again
// after the peer already had it, and a strict peer took it for a protocol error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair } from './helpers.ts';
import type { Connection } from '../../src/connection.ts';

function drain(c: Connection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
  return out;
}

function resends(c: Connection): string[] {
  const out: string[] = [];
  for (let e = c.pollEvent(); e; e = c.pollEvent()) if (e.type === 'retransmit') out.push(`flight ${e.flight} ${e.reason}`);
  return out;
}

/** The same epoch-0 datagram (one record) under another record number, as a peer's resend carries. */
function renumbered(d: Uint8Array, seq: number): Uint8Array {
  const copy = d.slice();
  // The 48-bit sequence number follows type (1), version (2) and epoch (2) (RFC 6347 4.1).
  new DataView(copy.buffer).setUint32(7, seq);
  return copy;
}

/** A client that answered the HelloVerifyRequest (flight 3 out at t=0), with the server's datagrams so far. */
function afterCookie() {
  const { client, server } = makePair({}, { requireCookie: true, mtu: 400 });
  client.start(0);
  for (const d of drain(client)) server.handleDatagram(0, d);
  const hvr = drain(server);
  assert.equal(hvr.length, 1);
  client.handleDatagram(0, hvr[0]!);
  const flight3 = drain(client);
  assert.equal(flight3.length, 1, 'the second ClientHello');
  resends(client);
  return { client, server, hvr: hvr[0]!, flight3: flight3[0]! };
}

test('a copy of the HelloVerifyRequest in the same instant as the one it duplicates draws no second ClientHello; a later one does', () => {
  const { client, hvr } = afterCookie();
  // Duplicated or overlapping fragments of one transmission (RFC 6347 4.2.3) come in one batch.
  client.handleDatagram(0, renumbered(hvr, 30));
  assert.deepEqual(resends(client), []);
  assert.equal(drain(client).length, 0);
  // Once time has passed, a copy is the server's timer resending: answered (bounded by the flight sender).
  client.handleDatagram(40, renumbered(hvr, 31));
  assert.deepEqual(resends(client), ['flight 3 peer-retransmit']);
  assert.equal(drain(client).length, 1);
});

test('once a fragment of the next flight came, a late copy of the previous flight draws no resend (the peer has our flight)', () => {
  const { client, server, hvr, flight3 } = afterCookie();
  server.handleDatagram(10, flight3);
  const flight4 = drain(server);
  assert.ok(flight4.length >= 2, `flight 4 in ${flight4.length} datagrams at MTU 400`);
  // The ServerHello's datagram, then the runner's replay of the datagram before it.
  client.handleDatagram(20, flight4[0]!);
  client.handleDatagram(30, renumbered(hvr, 32));
  assert.deepEqual(resends(client), []);
  assert.equal(drain(client).length, 0, 'no ClientHello sent after the ServerHello came');
  // The handshake goes on.
  for (const d of flight4.slice(1)) client.handleDatagram(40, d);
  const flight5 = drain(client);
  assert.ok(flight5.length >= 1, 'flight 5');
  for (const d of flight5) server.handleDatagram(50, d);
  for (const d of drain(server)) client.handleDatagram(60, d);
  assert.equal(client.state, 'connected');
  assert.equal(server.state, 'connected');
});
