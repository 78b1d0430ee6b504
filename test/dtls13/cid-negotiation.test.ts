// DTLS 1.3 connection IDs (RFC 9147 9), in memory with the real core in both
// roles: the connection_id extension in ClientHello and ServerHello, the C bit
// and the peer's CID on every protected record from epoch 2 on, records with a
// CID that is not ours dropped and counted, and no CID when either side did
// not offer one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { decodeDatagram13, type CiphertextRecord13 } from '../../src/wire/unified-header.ts';

const ours = Uint8Array.of(0xc1, 0xc2, 0xc3, 0xc4);
const theirs = Uint8Array.of(0x51, 0x52, 0x53, 0x54, 0x55, 0x56);

function errors(c: Connection): string {
  return c.error ? `${c.error.code}: ${c.error.message}` : '';
}

/** Runs the handshake, recording each side's datagrams. */
function handshake(client: DtlsOptions, server: DtlsOptions) {
  const pair = createPair({ versions: ['1.3'], ...client }, { versions: ['1.3'], ...server });
  const sent = { client: [] as Uint8Array[], server: [] as Uint8Array[] };
  pair.client.start(0);
  pair.server.start(0);
  for (let round = 0; round < 50; round++) {
    let moved = false;
    for (let d = pair.client.pollTransmit(); d; d = pair.client.pollTransmit()) {
      sent.client.push(d);
      pair.server.handleDatagram(0, d);
      moved = true;
    }
    for (let d = pair.server.pollTransmit(); d; d = pair.server.pollTransmit()) {
      sent.server.push(d);
      pair.client.handleDatagram(0, d);
      moved = true;
    }
    if (!moved) break;
  }
  return { ...pair, sent };
}

/** The protected records of datagrams sent, parsed with the receiver's CID length. */
function ciphertexts(datagrams: Uint8Array[], cidLength: number): CiphertextRecord13[] {
  const out: CiphertextRecord13[] = [];
  for (const d of datagrams) {
    const r = decodeDatagram13(d, { cidLength });
    assert.equal(r.dropped, undefined, 'every datagram parses with the CID length');
    for (const rec of r.records) if (rec.kind === 'ciphertext') out.push(rec);
  }
  return out;
}

function exchange(a: Connection, b: Connection, tag: number): void {
  a.send(0, Uint8Array.of(tag, 1));
  b.send(0, Uint8Array.of(tag, 2));
  shuttle(a, b);
  assert.deepEqual([...(b.pollReceived() ?? [])], [tag, 1]);
  assert.deepEqual([...(a.pollReceived() ?? [])], [tag, 2]);
}

test('both offer a CID: every protected record carries the receiver CID, from epoch 2 on, both ways', () => {
  const { client, server, sent } = handshake({ connectionId: ours }, { connectionId: theirs });
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  assert.equal(server.state, 'connected', errors(server));
  exchange(client, server, 7);
  assert.deepEqual(client.connectionIds?.local, [ours]);
  assert.deepEqual(client.connectionIds?.peer, theirs);
  assert.deepEqual(server.connectionIds?.local, [theirs]);
  assert.deepEqual(server.connectionIds?.peer, ours);
  const fromServer = ciphertexts(sent.server, ours.length);
  const fromClient = ciphertexts(sent.client, theirs.length);
  // Handshake messages share records (RFC 9147 5.5): a few records each way.
  assert.ok(fromServer.length >= 2 && fromClient.length >= 1, `${fromServer.length} and ${fromClient.length} protected records`);
  for (const r of fromServer) assert.deepEqual(r.cid, ours, `server record of epoch bits ${r.epochBits}`);
  for (const r of fromClient) assert.deepEqual(r.cid, theirs, `client record of epoch bits ${r.epochBits}`);
  // Epoch 2 (the server's EncryptedExtensions onwards) already carries it (RFC 9147 9's example).
  assert.ok(fromServer.some((r) => r.epochBits === 2));
  assert.ok(fromClient.some((r) => r.epochBits === 2));
});

test('CIDs drawn by length: random, of that length, and the data flows', () => {
  const { client, server, sent } = handshake({ connectionId: 5 }, { connectionId: 8 });
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  exchange(client, server, 1);
  const c = client.connectionIds!.local[0]!;
  const s = server.connectionIds!.local[0]!;
  assert.equal(c.length, 5);
  assert.equal(s.length, 8);
  assert.deepEqual(server.connectionIds?.peer, c);
  for (const r of ciphertexts(sent.client, 8)) assert.deepEqual(r.cid, s);
});

test('an empty CID: that side receives records without one and still puts the peer CID on what it sends', () => {
  const { client, server, sent } = handshake({ connectionId: new Uint8Array(0) }, { connectionId: theirs });
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  exchange(client, server, 2);
  assert.deepEqual(client.connectionIds?.local, []);
  assert.deepEqual(client.connectionIds?.peer, theirs);
  for (const r of ciphertexts(sent.server, 0)) assert.equal(r.cid, undefined);
  for (const r of ciphertexts(sent.client, theirs.length)) assert.deepEqual(r.cid, theirs);
});

for (const [what, client, server] of [
  ['the server is not configured for CIDs', { connectionId: ours }, {}],
  ['the client does not offer one', {}, { connectionId: theirs }],
] as [string, DtlsOptions, DtlsOptions][]) {
  test(`no CID when ${what}: records carry none`, () => {
    const { client: c, server: s, sent } = handshake(client, server);
    assert.equal(c.state, 'connected', errors(c) || errors(s));
    exchange(c, s, 3);
    assert.equal(c.connectionIds, undefined);
    assert.equal(s.connectionIds, undefined);
    for (const r of [...ciphertexts(sent.client, 0), ...ciphertexts(sent.server, 0)]) assert.equal(r.cid, undefined);
  });
}

test('a HelloRetryRequest in between: the second ClientHello offers the same CID', () => {
  const { client, server } = handshake({ connectionId: ours, groups: ['x25519', 'P-256'] }, { connectionId: 6, groups: ['P-256'] });
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  assert.deepEqual(server.connectionIds?.peer, ours);
  exchange(client, server, 4);
});

test('a record with another CID is dropped and counted (and the rest of its datagram); the connection goes on', () => {
  const { client, server } = handshake({ connectionId: ours }, { connectionId: theirs });
  client.send(0, Uint8Array.of(9, 9));
  const d = client.pollTransmit()!;
  const forged = d.slice();
  forged[1] ^= 0xff; // the first CID byte
  server.handleDatagram(0, forged);
  assert.equal(server.stats.dropped.unknown_cid, 1);
  assert.equal(server.pollReceived(), undefined);
  assert.equal(server.state, 'connected');
  // Without the C bit where a CID is due: dropped too.
  const bare = Uint8Array.of(d[0]! & ~0x10, ...d.subarray(1 + theirs.length));
  server.handleDatagram(0, bare);
  assert.equal(server.stats.dropped.unknown_cid, 2);
  server.handleDatagram(0, d);
  assert.deepEqual([...(server.pollReceived() ?? [])], [9, 9]);
});

test('without a negotiated CID, a record with the C bit is dropped (its CID length is unknown)', () => {
  const { client, server } = handshake({}, {});
  client.send(0, Uint8Array.of(1));
  const d = client.pollTransmit()!;
  const withC = Uint8Array.of(d[0]! | 0x10, 1, 2, 3, 4, ...d.subarray(1));
  server.handleDatagram(0, withC);
  assert.equal(server.pollReceived(), undefined);
  assert.equal(server.stats.dropped.malformed, 1);
  server.handleDatagram(0, d);
  assert.deepEqual([...(server.pollReceived() ?? [])], [1]);
});

test('connectionId is checked at construction', () => {
  assert.throws(() => createPair({ versions: ['1.3'], connectionId: 33 }), RangeError);
  assert.throws(() => createPair({ versions: ['1.3'], connectionId: -1 }), RangeError);
  // DTLS 1.2 takes connectionId too (RFC 9146): test/cid12/.
  assert.throws(() => createPair({ versions: ['1.3'], connectionId: 'abc' as unknown as number }), TypeError);
});

test('newestDatagrams counts only datagrams that raise the highest authenticated record number (RFC 9146 6)', () => {
  const { client, server } = handshake({ connectionId: ours }, { connectionId: theirs });
  client.send(0, Uint8Array.of(1));
  const d1 = client.pollTransmit()!;
  client.send(0, Uint8Array.of(2));
  const d2 = client.pollTransmit()!;
  const n = server.newestDatagrams;
  server.handleDatagram(0, d2);
  assert.equal(server.newestDatagrams, n + 1, 'newer');
  server.handleDatagram(0, d1);
  assert.equal(server.newestDatagrams, n + 1, 'reordered: older than the newest');
  server.handleDatagram(0, d2);
  assert.equal(server.newestDatagrams, n + 1, 'replayed');
  const forged = d2.slice();
  forged[forged.length - 1] ^= 1;
  server.handleDatagram(0, forged);
  assert.equal(server.newestDatagrams, n + 1, 'forged');
  assert.deepEqual([server.pollReceived()?.[0], server.pollReceived()?.[0]], [2, 1]);
});
