// Flights fill records and datagrams before starting new ones (flight-pieces.ts):
// a fragment goes in while a byte of its body fits, and in DTLS 1.3 the
// fragments of a keyed epoch share a record, first transmission and resends
// alike. A DTLS 1.3 ACK of a record that carried several fragments
// acknowledges all of them (RFC 9147 7.2: an ACK names records).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import { encodeFlight, type FlightItem } from '../../src/reliability/flight.ts';
import { encodePieces } from '../../src/reliability/flight-pieces.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { suite13ById } from '../../src/crypto/suites.ts';
import { decodeDatagram13 } from '../../src/wire/unified-header.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { recordNumber } from '../../src/wire/record-number.ts';

const retransmit = { initial: 400, max: 60_000, min: 400, adaptive: false, rtt: undefined };

function layer13(): RecordLayer {
  const l = new RecordLayer(nobleProvider, () => {});
  l.protocol = '1.3';
  const suite = suite13ById(0x1301)!;
  l.installWrite(2, { suite, key: new Uint8Array(16).fill(1), iv: new Uint8Array(12).fill(2), sn: new Uint8Array(16).fill(3) });
  return l;
}

/** A server's second flight in miniature: EncryptedExtensions, Certificate, CertificateVerify, Finished in epoch 2. */
const flight13: FlightItem[] = [
  { kind: 'handshake', epoch: 2, message: { msgType: 8, messageSeq: 1, body: new Uint8Array(2) } },
  { kind: 'handshake', epoch: 2, message: { msgType: 11, messageSeq: 2, body: new Uint8Array(700).fill(2) } },
  { kind: 'handshake', epoch: 2, message: { msgType: 15, messageSeq: 3, body: new Uint8Array(260).fill(3) } },
  { kind: 'handshake', epoch: 2, message: { msgType: 20, messageSeq: 4, body: new Uint8Array(32).fill(4) } },
];

test('DTLS 1.3 at MTU 256: every datagram but the last is full to the byte, one record each', () => {
  const out = encodeFlight(flight13, layer13(), 256);
  for (const d of out.datagrams.slice(0, -1)) assert.equal(d.length, 256, `datagram sizes ${out.datagrams.map((x) => x.length)}`);
  for (const d of out.datagrams) assert.equal(decodeDatagram13(d).records.length, 1);
});

test('DTLS 1.2 at MTU 256: a datagram with room for a record of one body byte gets it (no datagram ends with room for one)', () => {
  const items: FlightItem[] = [
    { kind: 'handshake', epoch: 0, message: { msgType: 2, messageSeq: 1, body: new Uint8Array(170).fill(1) } },
    { kind: 'handshake', epoch: 0, message: { msgType: 11, messageSeq: 2, body: new Uint8Array(700).fill(2) } },
  ];
  const out = encodeFlight(items, new RecordLayer(nobleProvider, () => {}), 256);
  // A plaintext record: 13 bytes of header, 12 of handshake header, at least 1 of body.
  for (const d of out.datagrams.slice(0, -1)) assert.ok(256 - d.length < 26, `datagram sizes ${out.datagrams.map((x) => x.length)}`);
  // 170 bytes of ServerHello leave 48 in the first datagram: the Certificate starts there.
  assert.equal(decodeRecords(out.datagrams[0]!).records.length, 2);
});

test('DTLS 1.3: a resend of part of the flight packs its pieces in one record as the first transmission did', () => {
  const l = layer13();
  const out = encodePieces(
    flight13,
    [
      { item: 1, offset: 100, length: 50 },
      { item: 3, offset: 0, length: 32 },
    ],
    l,
    1400,
  );
  assert.equal(out.datagrams.length, 1);
  assert.equal(decodeDatagram13(out.datagrams[0]!).records.length, 1, 'both pieces in one record');
  assert.equal(out.carried.length, 2);
  assert.equal(out.carried[0]!.sequenceNumber, out.carried[1]!.sequenceNumber);
});

test('DTLS 1.3: an ACK of the one record that carried the whole flight acknowledges all of it and stops the timer', () => {
  const s = new FlightSender(layer13(), { retransmit, mtu: 1400 });
  s.send(0, flight13, 2, 'retransmit', false);
  const records = new Set(s.carried.map((c) => `${c.epoch}/${c.sequenceNumber}`));
  assert.equal(records.size, 1, 'four messages, one record');
  const c = s.carried[0]!;
  const r = s.onAck(50, [recordNumber(c.epoch, c.sequenceNumber)], 2);
  assert.equal(r.flightAcked, true, 'every message of the record acknowledged');
  assert.equal(s.deadline, undefined, 'no retransmission pending');
});

test('DTLS 1.3 at MTU 256: ACKs of every record but the first resend only what the first carried', () => {
  const s = new FlightSender(layer13(), { retransmit, mtu: 256 });
  s.send(0, flight13, 2, 'retransmit', false);
  const first = [...s.carried];
  const nums = [...new Set(first.map((c) => c.sequenceNumber))];
  assert.ok(nums.length >= 4, `records: ${nums.length}`);
  const r = s.onAck(
    50,
    nums.slice(1).map((n) => recordNumber(2, n)),
    2,
  );
  assert.equal(r.flightAcked, false);
  const lost = first.filter((c) => c.sequenceNumber === nums[0]);
  const resent = r.resend!.carried.map((c) => `${c.messageSeq}@${c.offset}+${c.length}`);
  assert.deepEqual(
    resent,
    lost.map((c) => `${c.messageSeq}@${c.offset}+${c.length}`),
  );
  // Acknowledging the resend ends the flight.
  const again = s.onAck(
    60,
    [...new Set(r.resend!.carried.map((c) => c.sequenceNumber))].map((n) => recordNumber(2, n)),
    2,
  );
  assert.equal(again.flightAcked, true);
});
