// The epoch and replay manager works over whatever record format a version
// chooses: here DTLS 1.2's, and a toy format with a 64-bit epoch field, to
// show that epochs, the replay window, the next-epoch buffer and protection
// do not depend on the 1.2 header (RFC 9147's unified header and RFC 9146's
// CID header plug in the same way).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { dtls12Format, type RecordFormat } from '../../src/record/format.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { suiteById } from '../../src/crypto/suites.ts';
import { ContentType, type DtlsRecord } from '../../src/wire/types.ts';
import type { DropReason } from '../../src/connection-types.ts';

/** type(1) version(2) epoch(8) seq(8) length(2): a 21-byte header with a 64-bit epoch. */
const wideEpochFormat: RecordFormat = {
  name: 'test: 64-bit epochs',
  split(d) {
    const records: DtlsRecord[] = [];
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    let o = 0;
    while (o < d.length) {
      if (d.length - o < 21) return { records, malformed: true };
      const length = v.getUint16(o + 19);
      if (o + 21 + length > d.length) return { records, malformed: true };
      records.push({
        contentType: d[o]!,
        version: v.getUint16(o + 1),
        epoch: Number(v.getBigUint64(o + 3)),
        sequenceNumber: Number(v.getBigUint64(o + 11)),
        fragment: d.subarray(o + 21, o + 21 + length),
      });
      o += 21 + length;
    }
    return { records, malformed: false };
  },
  acceptsVersion: (version) => version === 0xfefd,
  headerLength: () => 21,
  frame(r) {
    const out = new Uint8Array(21 + r.fragment.length);
    const v = new DataView(out.buffer);
    out[0] = r.contentType;
    v.setUint16(1, r.version);
    v.setBigUint64(3, BigInt(r.epoch));
    v.setBigUint64(11, BigInt(r.sequenceNumber));
    v.setUint16(19, r.fragment.length);
    out.set(r.fragment, 21);
    return out;
  },
};

const suite = suiteById(0xc02b)!;
const keys = { suite, key: new Uint8Array(16).fill(1), iv: new Uint8Array(4).fill(2) };

function pair(format: RecordFormat) {
  const drops: DropReason[] = [];
  const writer = new RecordLayer(nobleProvider, () => {});
  const reader = new RecordLayer(nobleProvider, (r) => drops.push(r));
  writer.format = format;
  reader.format = format;
  return { writer, reader, drops };
}

for (const format of [dtls12Format, wideEpochFormat]) {
  test(`${format.name}: protected records round trip, replays are dropped, next-epoch records wait for their keys`, () => {
    const { writer, reader, drops } = pair(format);
    const plain = writer.seal(ContentType.handshake, Uint8Array.of(1, 2, 3));
    assert.equal(plain.length, format.headerLength(0) + 3);
    assert.deepEqual(
      reader.open(plain).map((r) => [...r.payload]),
      [[1, 2, 3]],
    );
    assert.deepEqual(reader.open(plain), [], 'a replay');
    assert.deepEqual(drops, ['replay']);
    writer.installWrite(1, keys);
    const sealed = writer.seal(ContentType.application_data, Uint8Array.of(9));
    assert.equal(writer.overhead(1), format.headerLength(1) + 8 + 16, 'header, explicit nonce, tag');
    assert.deepEqual(reader.open(sealed), [], 'held until epoch 1 opens');
    const early = reader.installRead(1, keys);
    assert.deepEqual(
      early.map((r) => [r.epoch, [...r.payload]]),
      [[1, [9]]],
    );
  });
}

test("epochs and sequence numbers are numbers in the manager: a format with 64-bit epochs carries epoch 2^40, DTLS 1.2's 16-bit field refuses it", () => {
  const big = 2 ** 40;
  const { writer, reader } = pair(wideEpochFormat);
  writer.installWrite(big, keys);
  reader.installRead(big, keys);
  const d = writer.seal(ContentType.application_data, Uint8Array.of(4));
  assert.deepEqual(
    reader.open(d).map((r) => [r.epoch, r.sequenceNumber, [...r.payload]]),
    [[big, 0, [4]]],
  );
  const w12 = pair(dtls12Format).writer;
  w12.installWrite(big, keys);
  assert.throws(() => w12.seal(ContentType.application_data, Uint8Array.of(4)), RangeError);
});
