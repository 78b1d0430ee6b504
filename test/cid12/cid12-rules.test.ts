// RFC 9146 record rules, in memory with the real core: a tls12_cid record
// whose CID is not ours, an ordinary epoch-1 record where a CID is due, a
// tls12_cid record to a side that asked for none, and a tls12_cid record in
// epoch 0 are dropped and counted (unknown_cid), never delivered; a replay is
// a replay; newestDatagrams (what listen() moves a peer on, RFC 9146 6) rises
// only for a genuine datagram newer than all before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import type { DtlsOptions } from '../../src/options.ts';
import * as nc from 'node:crypto';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { CIPHER_SUITES } from '../../src/crypto/suites.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { DtlsError } from '../../src/errors.ts';
import type { CidRecord12 } from '../../src/wire/cid12-record.ts';
import { decodeRecords } from '../../src/wire/record.ts';

const ours = Uint8Array.of(0xc1, 0xc2, 0xc3, 0xc4);
const theirs = Uint8Array.of(0x51, 0x52, 0x53, 0x54, 0x55, 0x56);

function connected(client: DtlsOptions, server: DtlsOptions): { client: Connection; server: Connection } {
  const pair = createPair({ versions: ['1.2'], ...client }, { versions: ['1.2'], ...server });
  pair.client.start(0);
  pair.server.start(0);
  shuttle(pair.client, pair.server);
  assert.equal(pair.client.state, 'connected', pair.client.error?.message ?? pair.server.error?.message);
  assert.equal(pair.server.state, 'connected');
  return pair;
}

/** One record of application data from `from`, taken off the wire instead of delivered. */
function oneRecord(from: Connection, byte: number): Uint8Array {
  from.send(0, Uint8Array.of(byte));
  const d = from.pollTransmit()!;
  assert.equal(from.pollTransmit(), undefined);
  return d;
}

test('a tls12_cid record with a CID that is not ours: unknown_cid, not delivered; the genuine one then is', () => {
  const { client, server } = connected({ connectionId: ours }, { connectionId: theirs });
  const d = oneRecord(client, 1);
  assert.equal(d[0], 25);
  const newest = server.newestDatagrams;
  for (let i = 11; i < 11 + theirs.length; i++) {
    const bad = d.slice();
    bad[i] ^= 0x80;
    server.handleDatagram(0, bad);
  }
  assert.equal(server.stats.dropped.unknown_cid, theirs.length);
  assert.equal(server.pollReceived(), undefined);
  assert.equal(server.newestDatagrams, newest);
  server.handleDatagram(0, d);
  assert.deepEqual([...(server.pollReceived() ?? [])], [1]);
  assert.equal(server.newestDatagrams, newest + 1);
  // The same datagram again: a replay, and not newer.
  server.handleDatagram(0, d);
  assert.equal(server.stats.dropped.replay, 1);
  assert.equal(server.pollReceived(), undefined);
  assert.equal(server.newestDatagrams, newest + 1);
  // A forged one (last byte of the tag): auth_failed, not newer.
  const forged = oneRecord(client, 2);
  forged[forged.length - 1] ^= 1;
  server.handleDatagram(0, forged);
  assert.equal(server.stats.dropped.auth_failed, 1);
  assert.equal(server.newestDatagrams, newest + 1);
  assert.equal(server.state, 'connected');
});

test('an ordinary epoch-1 record where a CID is due, and a tls12_cid record in epoch 0: unknown_cid', () => {
  const { client, server } = connected({ connectionId: ours }, { connectionId: theirs });
  const d = oneRecord(client, 1);
  // The same bytes framed as DTLSCiphertext without the CID (type 23, the 13-byte header).
  const plain = Uint8Array.of(23, ...d.subarray(1, 11), ...d.subarray(11 + theirs.length));
  server.handleDatagram(0, plain);
  // The epoch set to 0, CID kept.
  const epoch0 = d.slice();
  epoch0[3] = 0;
  epoch0[4] = 0;
  server.handleDatagram(0, epoch0);
  assert.equal(server.stats.dropped.unknown_cid, 2);
  assert.equal(server.pollReceived(), undefined);
  server.handleDatagram(0, d);
  assert.deepEqual([...(server.pollReceived() ?? [])], [1]);
});

test('a tls12_cid record to a side that asked for no CID: unknown_cid; its peer still gets tls12_cid from it', () => {
  const { client, server } = connected({ connectionId: new Uint8Array(0) }, { connectionId: theirs });
  const fromServer = oneRecord(server, 9);
  assert.equal(fromServer[0], 23, 'the client asked for none: ordinary records to it');
  // Reframe it as tls12_cid with a one-byte CID: the client cannot even split it as such.
  const cidFramed = Uint8Array.of(25, ...fromServer.subarray(1, 11), 0x01, ...fromServer.subarray(11));
  client.handleDatagram(0, cidFramed);
  const typed = fromServer.slice();
  typed[0] = 25;
  client.handleDatagram(0, typed);
  // The first does not even frame without a CID length (malformed); the second frames, as a tls12_cid record it cannot take.
  assert.equal(client.stats.dropped.malformed, 1);
  assert.equal(client.stats.dropped.unknown_cid, 1);
  assert.equal(client.pollReceived(), undefined);
  client.handleDatagram(0, fromServer);
  assert.deepEqual([...(client.pollReceived() ?? [])], [9]);
  const fromClient = oneRecord(client, 8);
  assert.equal(fromClient[0], 25);
  server.handleDatagram(0, fromClient);
  assert.deepEqual([...(server.pollReceived() ?? [])], [8]);
});

test('without negotiated CIDs a tls12_cid record is unknown_cid, not a decryption attempt', () => {
  const { client, server } = connected({}, {});
  const d = oneRecord(client, 3);
  assert.equal(d[0], 23);
  const typed = d.slice();
  typed[0] = 25;
  server.handleDatagram(0, typed);
  assert.equal(server.stats.dropped.unknown_cid, 1);
  assert.equal(server.stats.dropped.auth_failed, undefined);
  server.handleDatagram(0, d);
  assert.deepEqual([...(server.pollReceived() ?? [])], [3]);
});

test('an authenticated tls12_cid record whose inner plaintext is all padding: unexpected_message (RFC 8446 5.4, as in 1.3)', () => {
  const suite = CIPHER_SUITES.find((c) => c.aead === 'aes-128-gcm')!;
  const key = new Uint8Array(nc.randomBytes(suite.keyLength));
  const iv = new Uint8Array(nc.randomBytes(suite.fixedIvLength));
  const layer = new RecordLayer(nobleProvider, () => {});
  layer.installRead(1, { suite, key, iv });
  layer.cids.setLocal([ours]);
  // Sealed by hand: nonce = iv || epoch||seq, the RFC 9146 AAD over an inner plaintext of three zeros.
  const seqNum = Buffer.from([0, 1, 0, 0, 0, 0, 0, 5]);
  const inner = Buffer.alloc(3);
  const aad = Buffer.concat([Buffer.alloc(8, 0xff), Buffer.from([25, ours.length, 25, 0xfe, 0xfd]), seqNum, Buffer.from(ours), Buffer.from([0, 3])]);
  const c = nc.createCipheriv('aes-128-gcm', key, Buffer.concat([Buffer.from(iv), seqNum]), { authTagLength: 16 });
  c.setAAD(aad);
  const body = Buffer.concat([seqNum, c.update(inner), c.final(), c.getAuthTag()]);
  const record = Uint8Array.of(25, 0xfe, 0xfd, ...seqNum, ...ours, body.length >> 8, body.length & 0xff, ...body);
  assert.throws(
    () => layer.open(record),
    (e: unknown) => e instanceof DtlsError && e.code === 'unexpected_message',
  );
  // With a content type inside, the same construction opens: the hand-made record is right but for the padding.
  const c2 = nc.createCipheriv('aes-128-gcm', key, Buffer.concat([Buffer.from(iv), Buffer.from([0, 1, 0, 0, 0, 0, 0, 6])]), { authTagLength: 16 });
  const aad2 = Buffer.from(aad);
  aad2[20] = 6;
  c2.setAAD(aad2);
  const body2 = Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 0, 0, 6]), c2.update(Buffer.from([0x61, 23, 0])), c2.final(), c2.getAuthTag()]);
  const record2 = Uint8Array.of(25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 6, ...ours, body2.length >> 8, body2.length & 0xff, ...body2);
  const [p] = layer.open(record2);
  assert.equal(p?.contentType, 23);
  assert.deepEqual([...p!.payload], [0x61]);
});

test('a tls12_cid Finished that comes before its ChangeCipherSpec is held, then opened with its CID checked again', () => {
  const pair = createPair({ versions: ['1.2'], connectionId: ours }, { versions: ['1.2'], connectionId: theirs });
  const { client, server } = pair;
  client.start(0);
  server.start(0);
  // Flights 1-4 as they come; then the client's flight 5 with its records reordered: epoch 1 first.
  let reordered = 0;
  for (let round = 0; round < 20 && client.state !== 'connected'; round++) {
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) {
      const split = decodeRecords(d, theirs.length);
      const keyed = split.records.filter((r) => r.epoch > 0);
      if (keyed.length && !reordered) {
        reordered++;
        const frame = (r: CidRecord12) =>
          Uint8Array.of(
            r.contentType,
            r.version >> 8,
            r.version & 0xff,
            ...seqBytes(r),
            ...(r.cid ?? []),
            r.fragment.length >> 8,
            r.fragment.length & 0xff,
            ...r.fragment,
          );
        for (const r of keyed) server.handleDatagram(0, frame(r));
        assert.equal(server.state, 'handshaking');
        for (const r of split.records.filter((r) => r.epoch === 0)) server.handleDatagram(0, frame(r));
      } else server.handleDatagram(0, d);
    }
    for (let d = server.pollTransmit(); d; d = server.pollTransmit()) client.handleDatagram(0, d);
  }
  assert.equal(reordered, 1);
  assert.equal(server.state, 'connected', server.error?.message);
  assert.equal(client.state, 'connected', client.error?.message);
  client.send(0, Uint8Array.of(5));
  shuttle(client, server);
  assert.deepEqual([...(server.pollReceived() ?? [])], [5]);
});

function seqBytes(r: CidRecord12): number[] {
  const hi = Math.floor(r.sequenceNumber / 2 ** 32);
  const lo = r.sequenceNumber >>> 0;
  return [r.epoch >> 8, r.epoch & 0xff, hi >> 8, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff];
}

test('with CIDs a record carries at most 2^14 - 1 bytes (RFC 9146 4: the inner plaintext with its type stays within 2^14)', () => {
  const { client, server } = connected({ connectionId: ours }, { connectionId: theirs });
  assert.throws(() => client.send(0, new Uint8Array(16384)), RangeError);
  assert.equal(client.state, 'connected');
  client.send(0, new Uint8Array(16383).fill(7));
  shuttle(client, server);
  assert.equal(server.pollReceived()?.length, 16383);
});

test('send() with DTLS 1.2 connection IDs possible takes at most 16383 bytes, before and after the handshake; the largest arrives whole', () => {
  const pair = createPair({ versions: ['1.3', '1.2'], connectionId: ours }, { versions: ['1.2'], connectionId: theirs });
  pair.client.start(0);
  pair.server.start(0);
  // Queued before the handshake: refused at once, not when the handshake completes.
  assert.throws(() => pair.client.send(0, new Uint8Array(16384)), /at most 16383 bytes.*RFC 9146/);
  const largest = new Uint8Array(16383).fill(7);
  pair.client.send(0, largest);
  shuttle(pair.client, pair.server);
  assert.equal(pair.client.state, 'connected', pair.client.error?.message ?? pair.server.error?.message);
  assert.deepEqual(pair.server.pollReceived(), largest);
  assert.throws(() => pair.server.send(0, new Uint8Array(16384)), RangeError);
  // Without connection IDs a record still carries 2^14 bytes.
  const plain = connected({}, {});
  plain.client.send(0, new Uint8Array(16384));
  shuttle(plain.client, plain.server);
  assert.equal(plain.server.pollReceived()?.length, 16384);
});
