// The epoch and replay manager in its DTLS 1.3 format (RFC 9147 4): epoch 0 in
// DTLSPlaintext, keyed epochs behind the unified header with encrypted record
// numbers, every header form read, reconstruction of epochs and sequence
// numbers, held records of a later epoch, epochs 2 and 3 readable together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { suite13ById } from '../../src/crypto/suites.ts';
import { ContentType } from '../../src/wire/types.ts';
import { decodeDatagram13, encodeUnifiedHeader } from '../../src/wire/unified-header.ts';
import { RecordProtection13 } from '../../src/record/protection13.ts';
import type { DropReason } from '../../src/connection-types.ts';
import type { TrafficKeys13 } from '../../src/record/traffic-keys.ts';

function keysFor(id: number, fill: number): TrafficKeys13 {
  const suite = suite13ById(id)!;
  return { suite, key: new Uint8Array(suite.keyLength).fill(fill), iv: new Uint8Array(12).fill(fill + 1), sn: new Uint8Array(suite.keyLength).fill(fill + 2) };
}

function pair() {
  const drops: DropReason[] = [];
  const writer = new RecordLayer(nobleProvider, () => {});
  const reader = new RecordLayer(nobleProvider, (r) => drops.push(r));
  writer.protocol = '1.3';
  reader.protocol = '1.3';
  return { writer, reader, drops };
}

const payloads = (rs: { payload: Uint8Array }[]) => rs.map((r) => [...r.payload]);

for (const id of [0x1301, 0x1302, 0x1303, 0x1304, 0x1305]) {
  test(`suite 0x${id.toString(16)}: epoch 2 records round trip behind the unified header, the sequence number masked`, () => {
    const { writer, reader, drops } = pair();
    const k = keysFor(id, 7);
    writer.installWrite(2, k);
    reader.installRead(2, k);
    for (let i = 0; i < 3; i++) {
      const rec = writer.seal(ContentType.handshake, Uint8Array.of(i, 9));
      const [d] = decodeDatagram13(rec).records;
      assert.equal(d?.kind, 'ciphertext');
      assert.equal(rec[0]! & 0xfc, 0x2c, 'fixed bits 001, S and L set, no C');
      assert.equal(rec[0]! & 3, 2, 'epoch bits');
      const opened = reader.open(rec);
      assert.deepEqual(payloads(opened), [[i, 9]]);
      assert.equal(opened[0]!.sequenceNumber, i);
      assert.equal(opened[0]!.epoch, 2);
      assert.equal(opened[0]!.contentType, ContentType.handshake);
    }
    assert.deepEqual(drops, []);
  });
}

test('the sequence number on the wire is encrypted (RFC 9147 4.2.3): not the plain counter', () => {
  const { writer } = pair();
  writer.installWrite(2, keysFor(0x1301, 1));
  const seen = new Set<number>();
  for (let i = 0; i < 8; i++) {
    const rec = writer.seal(ContentType.application_data, new Uint8Array(20));
    seen.add((rec[1]! << 8) | rec[2]!);
  }
  assert.ok(
    [...seen].some((v, i) => v !== i),
    'masked values differ from 0..7',
  );
});

test('epoch 0 stays DTLSPlaintext; a plaintext record in another epoch, or of another type, is dropped', () => {
  const { writer, reader, drops } = pair();
  const rec = writer.seal(ContentType.handshake, Uint8Array.of(1, 2, 3));
  assert.equal(rec[0], ContentType.handshake);
  assert.equal(rec.length, 13 + 3);
  assert.deepEqual(payloads(reader.open(rec)), [[1, 2, 3]]);
  const bad = rec.slice();
  bad[4] = 2; // epoch 2 in a DTLSPlaintext header
  bad[10] = 9;
  assert.deepEqual(reader.open(bad), []);
  const appData = rec.slice();
  appData[0] = ContentType.application_data; // 23 is not a 1.3 plaintext type: the split stops
  appData[10] = 10;
  // Before any 1.3 key the rest is read as DTLS 1.2 (a fallback's records): epoch-0 data is not among them.
  assert.deepEqual(reader.open(appData), []);
  assert.deepEqual(drops, ['unexpected', 'unexpected']);
  const junk = Uint8Array.of(23, 0xfe);
  assert.deepEqual(reader.open(junk), []);
  assert.equal(drops.at(-1), 'malformed');
  assert.deepEqual(reader.open(rec), [], 'replay');
  assert.equal(drops.at(-1), 'replay');
});

test('every header form is read: 8-bit sequence number, no length; a set C bit is dropped', () => {
  const { reader, drops } = pair();
  const k = keysFor(0x1301, 3);
  reader.installRead(2, k);
  const p = new RecordProtection13(nobleProvider, k.suite, k.key, k.iv, (s) => nobleProvider.recordNumberMask('aes-128-gcm', k.sn, s));
  const forms = [
    { sequenceBits: 8 as const, omitLength: true, seq: 0 },
    { sequenceBits: 8 as const, omitLength: false, seq: 1 },
    { sequenceBits: 16 as const, omitLength: true, seq: 2 },
  ];
  for (const f of forms) {
    const content = Uint8Array.of(f.seq, 1, 2);
    const header = encodeUnifiedHeader(
      { epoch: 2, sequenceNumber: f.seq, sequenceBits: f.sequenceBits, omitLength: f.omitLength },
      p.sealedLength(content.length),
    );
    const rec = p.seal(header, f.seq, ContentType.application_data, content);
    const opened = reader.open(rec);
    assert.deepEqual(payloads(opened), [[f.seq, 1, 2]], JSON.stringify(f));
    assert.equal(opened[0]!.sequenceNumber, f.seq);
  }
  const withCid = Uint8Array.of(0x3e, 0, 0, 0, 0, ...new Uint8Array(20));
  assert.deepEqual(reader.open(withCid), []);
  assert.deepEqual(drops, ['malformed']);
});

test('sequence numbers are reconstructed past the 8 and 16-bit wrap (RFC 9147 4.2.2)', () => {
  const { writer, reader, drops } = pair();
  const k = keysFor(0x1303, 5);
  writer.installWrite(3, k);
  reader.installRead(3, k);
  let last = 0;
  for (let i = 0; i < 70000; i++) {
    const rec = writer.seal(ContentType.application_data, Uint8Array.of(i & 0xff));
    // Read every 1000th and the last few: gaps well under 2^15 reconstruct exactly.
    if (i % 1000 === 0 || i > 69990) {
      const [o] = reader.open(rec);
      assert.equal(o?.sequenceNumber, i);
      last = i;
    }
  }
  assert.equal(last, 69999);
  assert.deepEqual(drops, []);
});

test('a tampered record fails authentication and is counted, never thrown', () => {
  const { writer, reader, drops } = pair();
  const k = keysFor(0x1301, 9);
  writer.installWrite(2, k);
  reader.installRead(2, k);
  const rec = writer.seal(ContentType.handshake, new Uint8Array(30));
  rec[rec.length - 1]! ^= 1;
  assert.deepEqual(reader.open(rec), []);
  const short = Uint8Array.of(0x2e, 0, 0, 0, 4, 1, 2, 3, 4);
  assert.deepEqual(reader.open(short), []);
  assert.deepEqual(drops, ['auth_failed', 'malformed']);
});

test('records of a later epoch are held until its keys, epoch 2 stays readable after 3 opens, and 0 goes', () => {
  const { writer, reader, drops } = pair();
  const hs = keysFor(0x1301, 1);
  const app = keysFor(0x1301, 11);
  const plain = writer.seal(ContentType.handshake, Uint8Array.of(0));
  writer.installWrite(2, hs);
  const r2a = writer.seal(ContentType.handshake, Uint8Array.of(2, 1));
  const r2b = writer.seal(ContentType.handshake, Uint8Array.of(2, 2));
  writer.installWrite(3, app);
  const r3 = writer.seal(ContentType.application_data, Uint8Array.of(3, 1));
  // All in one datagram, before the reader has any key: epoch 0 opens, 2 and 3 are held.
  const datagram = new Uint8Array([...plain, ...r2a, ...r3]);
  assert.deepEqual(payloads(reader.open(datagram)), [[0]]);
  assert.equal(reader.pendingCount, 2);
  assert.deepEqual(payloads(reader.installRead(2, hs)), [[2, 1]]);
  assert.equal(reader.pendingCount, 1, 'the epoch-3 record is still held');
  assert.deepEqual(payloads(reader.installRead(3, app)), [[3, 1]]);
  assert.equal(reader.readEpoch, 3);
  assert.deepEqual(payloads(reader.open(r2b)), [[2, 2]], 'epoch 2 readable after 3 opened');
  assert.deepEqual(reader.open(plain), [], 'epoch 0 released once 3 opened');
  assert.deepEqual(drops, ['stale_epoch']);
});

test('held records are bounded', () => {
  const drops: DropReason[] = [];
  const reader = new RecordLayer(nobleProvider, (r) => drops.push(r), { maxRecords: 2, maxBytes: 65536 });
  reader.protocol = '1.3';
  const { writer } = pair();
  writer.installWrite(2, keysFor(0x1301, 1));
  for (let i = 0; i < 4; i++) reader.open(writer.seal(ContentType.handshake, Uint8Array.of(i)));
  assert.equal(reader.pendingCount, 2);
  assert.deepEqual(drops, ['future_epoch_overflow', 'future_epoch_overflow']);
});

test('switching back to 1.2 (a 1.2 ServerHello) drops what was held for 1.3 epochs', () => {
  const { writer, reader } = pair();
  writer.installWrite(2, keysFor(0x1301, 1));
  reader.open(writer.seal(ContentType.handshake, Uint8Array.of(1)));
  assert.equal(reader.pendingCount, 1);
  reader.protocol = '1.2';
  assert.equal(reader.pendingCount, 0);
});

test('overhead: 13 bytes in epoch 0, header 5 + type 1 + tag in keyed epochs', () => {
  const { writer } = pair();
  assert.equal(writer.overhead(0), 13);
  writer.installWrite(2, keysFor(0x1305, 1));
  assert.equal(writer.overhead(2), 5 + 1 + 8);
  const rec = writer.seal(ContentType.handshake, new Uint8Array(100));
  assert.equal(rec.length, 100 + writer.overhead(2));
});
