// DTLS 1.2 connection IDs (RFC 9146), in memory with the real core in both
// roles: connection_id (54) in ClientHello and ServerHello, tls12_cid records
// (content type 25) carrying the receiver's CID from the first epoch-1 record
// on, ordinary records toward a side that asked for none, nothing when either
// side did not offer, and a 1.3+1.2 client falling back to a 1.2 server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { ContentType } from '../../src/wire/types.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import type { CidRecord12 } from '../../src/wire/cid12-record.ts';

const ours = Uint8Array.of(0xc1, 0xc2, 0xc3, 0xc4);
const theirs = Uint8Array.of(0x51, 0x52, 0x53, 0x54, 0x55, 0x56);

function errors(c: Connection): string {
  return c.error ? `${c.error.code}: ${c.error.message}` : '';
}

/** Runs the handshake, recording each side's datagrams. */
export function handshake12(client: DtlsOptions, server: DtlsOptions, clientVersions: DtlsOptions['versions'] = ['1.2']) {
  const pair = createPair({ versions: clientVersions, ...client }, { versions: ['1.2'], ...server });
  const sent = { client: [] as Uint8Array[], server: [] as Uint8Array[] };
  /** Delivers what each side sends until both are quiet, recording it. */
  const pump = () => {
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
  };
  pair.client.start(0);
  pair.server.start(0);
  pump();
  return { ...pair, sent, pump };
}

/** Every record of the datagrams, split with the receiver's CID length (0: it receives none). */
function records(datagrams: Uint8Array[], cidLength: number): CidRecord12[] {
  const out: CidRecord12[] = [];
  for (const d of datagrams) {
    const r = cidLength ? decodeRecords(d, cidLength) : decodeRecords(d);
    assert.equal(r.malformed, false, 'every datagram splits with the CID length');
    out.push(...r.records);
  }
  return out;
}

function exchange(a: Connection, b: Connection, tag: number, pump: () => void = () => shuttle(a, b)): void {
  a.send(0, Uint8Array.of(tag, 1));
  b.send(0, Uint8Array.of(tag, 2));
  pump();
  assert.deepEqual([...(b.pollReceived() ?? [])], [tag, 1]);
  assert.deepEqual([...(a.pollReceived() ?? [])], [tag, 2]);
}

test('both offer a CID: every epoch-1 record is tls12_cid with the receiver CID, both ways; epoch 0 stays plain', () => {
  const { client, server, sent, pump } = handshake12({ connectionId: ours }, { connectionId: theirs });
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  assert.equal(server.state, 'connected', errors(server));
  exchange(client, server, 7, pump);
  assert.equal(client.handshakeInfo?.version, 'DTLS 1.2');
  assert.deepEqual(client.connectionIds, { local: [ours], peer: theirs, spares: 0 });
  assert.deepEqual(server.connectionIds, { local: [theirs], peer: ours, spares: 0 });
  const fromServer = records(sent.server, ours.length);
  const fromClient = records(sent.client, theirs.length);
  for (const [recs, cid] of [
    [fromServer, ours],
    [fromClient, theirs],
  ] as const) {
    const keyed = recs.filter((r) => r.epoch > 0);
    // The Finished and the application data: at least two each way.
    assert.ok(keyed.length >= 2, `${keyed.length} epoch-1 records`);
    for (const r of keyed) {
      assert.equal(r.contentType, ContentType.tls12_cid);
      assert.deepEqual(r.cid, cid);
    }
    for (const r of recs.filter((r) => r.epoch === 0)) assert.notEqual(r.contentType, ContentType.tls12_cid);
  }
  // The real types are inside: nothing on the wire says which record was the Finished.
  assert.ok(!fromClient.some((r) => r.epoch > 0 && r.contentType === ContentType.handshake));
});

test('only the client offers: no CID either way, and the handshake completes', () => {
  const { client, server, sent } = handshake12({ connectionId: ours }, {});
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  exchange(client, server, 1);
  assert.equal(client.connectionIds, undefined);
  assert.equal(server.connectionIds, undefined);
  for (const r of [...records(sent.server, 0), ...records(sent.client, 0)]) assert.notEqual(r.contentType, ContentType.tls12_cid);
});

test('only the server takes CIDs: a client that offers none gets no connection_id and no tls12_cid', () => {
  const { client, server, sent } = handshake12({}, { connectionId: theirs });
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  exchange(client, server, 2);
  assert.equal(client.connectionIds, undefined);
  assert.equal(server.connectionIds, undefined);
  for (const r of [...records(sent.server, 0), ...records(sent.client, 0)]) assert.notEqual(r.contentType, ContentType.tls12_cid);
});

test('a zero-length CID one way: the side that asked for none receives ordinary records and sends tls12_cid', () => {
  const { client, server, sent, pump } = handshake12({ connectionId: new Uint8Array(0) }, { connectionId: theirs });
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  exchange(client, server, 3, pump);
  assert.deepEqual(client.connectionIds, { local: [], peer: theirs, spares: 0 });
  assert.deepEqual(server.connectionIds, { local: [theirs], peer: undefined, spares: 0 });
  const fromServer = records(sent.server, 0).filter((r) => r.epoch > 0);
  const fromClient = records(sent.client, theirs.length).filter((r) => r.epoch > 0);
  assert.ok(fromServer.length >= 2 && fromClient.length >= 2);
  for (const r of fromServer) assert.notEqual(r.contentType, ContentType.tls12_cid);
  for (const r of fromClient) assert.equal(r.contentType, ContentType.tls12_cid);
});

test('a 1.3+1.2 client offering a CID falls back to a 1.2 server that takes it (was unsupported_extension)', () => {
  const { client, server, sent, pump } = handshake12({ connectionId: 5 }, { connectionId: 3 }, ['1.3', '1.2']);
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  assert.equal(server.state, 'connected', errors(server));
  exchange(client, server, 4, pump);
  assert.equal(client.handshakeInfo?.version, 'DTLS 1.2');
  const c = client.connectionIds!;
  const s = server.connectionIds!;
  assert.equal(c.local[0]?.length, 5);
  assert.equal(s.local[0]?.length, 3);
  assert.deepEqual(c.peer, s.local[0]);
  assert.deepEqual(s.peer, c.local[0]);
  const fromClient = records(sent.client, 3).filter((r) => r.epoch > 0);
  const fromServer = records(sent.server, 5).filter((r) => r.epoch > 0);
  assert.ok(fromClient.length >= 2 && fromServer.length >= 2);
  for (const r of fromClient) assert.deepEqual(r.cid, s.local[0]);
  for (const r of fromServer) assert.deepEqual(r.cid, c.local[0]);
});

test('DTLS 1.2 CIDs are fixed: issue and request are TypeErrors, switch finds no spare', () => {
  const { client, server } = handshake12({ connectionId: ours }, { connectionId: theirs });
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  assert.throws(() => client.issueConnectionIds(0, 1), TypeError);
  assert.throws(() => server.requestConnectionIds(0, 1), TypeError);
  assert.equal(client.switchConnectionId(0), false);
  exchange(client, server, 5);
});

test('a 1.2-only client with a CID and a 1.3+1.2 server with one: DTLS 1.2 with CIDs both ways', () => {
  const { client, server, sent, pump } = handshake12({ connectionId: ours }, { connectionId: 5, versions: ['1.3', '1.2'] });
  assert.equal(server.state, 'connected', errors(server) || errors(client));
  exchange(client, server, 6, pump);
  assert.equal(server.handshakeInfo?.version, 'DTLS 1.2');
  assert.deepEqual(server.connectionIds?.peer, ours);
  assert.equal(client.connectionIds?.peer?.length, 5);
  const fromClient = records(sent.client, 5).filter((r) => r.epoch > 0);
  assert.ok(fromClient.length >= 2);
  for (const r of fromClient) assert.deepEqual(r.cid, client.connectionIds?.peer);
});
