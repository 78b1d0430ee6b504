// DTLS 1.2 resumption and RFC 9146 connection IDs together: the abbreviated
// handshake (RFC 5246 7.3) negotiates connection_id in its hellos like a full
// one, and its records from epoch 1 on are tls12_cid (content type 25) both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import type { DtlsOptions } from '../../src/options.ts';

const ticketKey = new Uint8Array(32).fill(9);
const clientCid = Uint8Array.of(1, 2, 3, 4);
const serverCid = Uint8Array.of(9, 8, 7, 6, 5);

/** One round of datagrams both ways; whether any moved. */
function pump(client: Connection, server: Connection): boolean {
  let moved = false;
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) {
    server.handleDatagram(0, d);
    moved = true;
  }
  for (let d = server.pollTransmit(); d; d = server.pollTransmit()) {
    client.handleDatagram(0, d);
    moved = true;
  }
  return moved;
}

/** Moves datagrams until both are quiet; returns the first byte of every record-bearing datagram after the hellos, by sender. */
function run(client: DtlsOptions) {
  const pair = createPair(
    { versions: ['1.2'], connectionId: clientCid, ...client },
    { versions: ['1.3', '1.2'], ticketKeys: [ticketKey], connectionId: serverCid },
  );
  pair.client.start(0);
  pair.server.start(0);
  const types: { client: number[]; server: number[] } = { client: [], server: [] };
  const move = (from: Connection, to: Connection, seen: number[]): boolean => {
    let moved = false;
    for (let d = from.pollTransmit(); d; d = from.pollTransmit()) {
      seen.push(d[0]!);
      to.handleDatagram(0, d);
      moved = true;
    }
    return moved;
  };
  for (let i = 0; i < 100; i++) {
    const a = move(pair.client, pair.server, types.client);
    const b = move(pair.server, pair.client, types.server);
    if (!a && !b) break;
  }
  return { ...pair, types, move: () => move(pair.client, pair.server, types.client) || move(pair.server, pair.client, types.server) };
}

test('a resumed DTLS 1.2 handshake negotiates connection IDs and carries epoch-1 records as tls12_cid', () => {
  const sessions: Uint8Array[] = [];
  const full = run({ onSession: (s) => sessions.push(s) });
  assert.equal(full.client.state, 'connected', full.client.error?.message);
  assert.equal(sessions.length, 1);

  const again = run({ session: sessions[0]! });
  assert.equal(again.client.state, 'connected', again.client.error?.message ?? again.server.error?.message);
  assert.equal(again.server.state, 'connected', again.server.error?.message);
  assert.equal(again.client.handshakeInfo?.resumed, true);
  assert.equal(again.server.handshakeInfo?.resumed, true);
  assert.deepEqual(again.client.connectionIds, { local: [clientCid], peer: serverCid, spares: 0 });
  assert.deepEqual(again.server.connectionIds, { local: [serverCid], peer: clientCid, spares: 0 });

  again.client.send(0, Uint8Array.of(1, 2, 3));
  again.server.send(0, Uint8Array.of(4, 5));
  const before = { client: again.types.client.length, server: again.types.server.length };
  while (again.move());
  assert.deepEqual([...(again.server.pollReceived() ?? [])], [1, 2, 3]);
  assert.deepEqual([...(again.client.pollReceived() ?? [])], [4, 5]);
  assert.deepEqual(again.types.client.slice(before.client), [25]);
  assert.deepEqual(again.types.server.slice(before.server), [25]);
});

test('a 1.3+1.2 client resumes a DTLS 1.2 session with connection IDs on a 1.2-only server', () => {
  const sessions: Uint8Array[] = [];
  const full = run({ onSession: (s) => sessions.push(s) });
  assert.equal(full.client.state, 'connected', full.client.error?.message);
  const pair = createPair(
    { versions: ['1.3', '1.2'], connectionId: clientCid, session: sessions[0]! },
    { versions: ['1.2'], ticketKeys: [ticketKey], connectionId: serverCid },
  );
  pair.client.start(0);
  pair.server.start(0);
  while (pump(pair.client, pair.server));
  assert.equal(pair.client.state, 'connected', pair.client.error?.message ?? pair.server.error?.message);
  assert.equal(pair.client.handshakeInfo?.version, 'DTLS 1.2');
  assert.equal(pair.client.handshakeInfo?.resumed, true);
  assert.deepEqual(pair.client.connectionIds, { local: [clientCid], peer: serverCid, spares: 0 });
});

test('a 1.3+1.2 client resumes a DTLS 1.2 session in one exchange: the ChangeCipherSpec and Finished in the ServerHello datagram are read after the fallback', () => {
  const sessions: Uint8Array[] = [];
  const full = run({ onSession: (s) => sessions.push(s), connectionId: undefined });
  assert.equal(full.client.state, 'connected', full.client.error?.message);
  const pair = createPair({ versions: ['1.3', '1.2'], session: sessions[0]! }, { versions: ['1.2'], ticketKeys: [ticketKey] });
  pair.client.start(0);
  pair.server.start(0);
  // No clock moves: a record dropped here would wait for a retransmission, and the handshake would stall.
  while (pump(pair.client, pair.server));
  assert.equal(pair.client.state, 'connected', pair.client.error?.message ?? pair.server.error?.message);
  assert.equal(pair.client.handshakeInfo?.resumed, true);
  assert.equal(pair.client.stats.dropped.malformed ?? 0, 0);
});
