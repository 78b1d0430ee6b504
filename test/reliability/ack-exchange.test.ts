// AckExchange: the few calls a connection makes for DTLS 1.3 ACKs (RFC 9147
// 7). Handshake records come in with what the machine made of them; ACK
// records go to the flight sender; the ACK due comes out sealed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckExchange, type ActionLike } from '../../src/reliability/ack-exchange.ts';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import type { FlightItem } from '../../src/reliability/flight.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { ContentType } from '../../src/wire/types.ts';
import { decodeAck, encodeAck } from '../../src/wire/ack.ts';
import { recordNumber } from '../../src/wire/record-number.ts';
import { DtlsError } from '../../src/errors.ts';
import { PostHandshakeSender } from '../../src/reliability/post-handshake.ts';

const options = { retransmit: { initial: 100, max: 60_000, min: 10, adaptive: true, rtt: undefined }, mtu: 1500 };
const fin: FlightItem = { kind: 'handshake', epoch: 0, message: { msgType: 20, messageSeq: 1, body: new Uint8Array(32) } };

function setup() {
  const records = new RecordLayer(nobleProvider, () => {});
  const sender = new FlightSender(records, options);
  return { records, sender, acks: new AckExchange(sender) };
}

const traceIn: ActionLike = { kind: 'trace', direction: 'in' };
/** The record numbers in the ACK datagram. */
function acked(d: Uint8Array | undefined): string[] {
  assert.ok(d, 'an ACK');
  const [r] = decodeRecords(d).records;
  assert.equal(r!.contentType, ContentType.ack);
  return decodeAck(r!.fragment).map((n) => `${n.epoch}/${n.sequenceNumber}`);
}

test('records our flight answers are not ACKed; the flight that completes unanswered is, at once', () => {
  const { records, acks } = setup();
  // The client's ClientHello at the server: answered by the server's flight.
  acks.onHandshakeRecord(0, { epoch: 0, sequenceNumber: 0 }, [traceIn, { kind: 'flight' }], false);
  assert.equal(acks.deadline, undefined);
  // The client's second flight: buffered, then its Finished completes the handshake.
  acks.onHandshakeRecord(50, { epoch: 2, sequenceNumber: 0 }, [], false);
  assert.equal(acks.deadline, 50 + 25, 'partial: a quarter of the timer');
  acks.onHandshakeRecord(51, { epoch: 2, sequenceNumber: 1 }, [traceIn, { kind: 'complete' }], false);
  assert.equal(acks.deadline, 51);
  assert.deepEqual(acked(acks.poll(51, records)), ['2/0', '2/1']);
  assert.equal(acks.sent, 1);
  // Its copy after the handshake (nothing new: no trace in) draws the ACK again, a quarter of the timer later.
  acks.onHandshakeRecord(300, { epoch: 2, sequenceNumber: 2 }, [], true);
  assert.equal(acks.deadline, 300 + 25);
  assert.equal(acks.poll(324, records), undefined);
  assert.deepEqual(acked(acks.poll(325, records)), ['2/0', '2/1', '2/2']);
});

test('dropped, failed and peer-copy records are never ACKed', () => {
  const { acks } = setup();
  for (const kind of ['drop', 'fail', 'peer-copy']) acks.onHandshakeRecord(0, { epoch: 2, sequenceNumber: 5 }, [{ kind }], false);
  assert.equal(acks.deadline, undefined);
});

test('post-handshake messages (NewSessionTicket, KeyUpdate) are ACKed after a quarter of the timer, together (RFC 9147 7.1)', () => {
  const { records, acks } = setup();
  acks.onHandshakeRecord(1000, { epoch: 3, sequenceNumber: 7 }, [traceIn], true);
  acks.onHandshakeRecord(1010, { epoch: 3, sequenceNumber: 8 }, [traceIn], true);
  assert.equal(acks.deadline, 1025, 'the first one sets when the shared ACK goes');
  assert.equal(acks.poll(1024, records), undefined);
  assert.deepEqual(acked(acks.poll(1025, records)), ['3/7', '3/8']);
  acks.onHandshakeRecord(2000, { epoch: 3, sequenceNumber: 9 }, [traceIn], true);
  assert.equal(acks.deadline, 2025);
  assert.deepEqual(acked(acks.poll(2025, records)), ['3/9']);
});

test('ACK records: ignored before 1.3; malformed dropped in epoch 0, decode_error under keys; a later epoch illegal_parameter; our final flight acknowledged', () => {
  const { sender, acks } = setup();
  sender.send(0, [fin], 5, 'ack', true);
  const rec = (epoch: number, payload: Uint8Array) => ({ contentType: ContentType.ack, epoch, sequenceNumber: 0, payload });
  const good = encodeAck(sender.carried.map((c) => recordNumber(c.epoch, c.sequenceNumber)));
  assert.deepEqual(acks.onAckRecord(1, rec(0, good), false), { kind: 'drop', reason: 'unexpected' });
  assert.deepEqual(acks.onAckRecord(1, rec(0, new Uint8Array([0, 3, 1, 2, 3])), true), { kind: 'drop', reason: 'malformed' });
  assert.throws(
    () => acks.onAckRecord(1, rec(2, new Uint8Array([0, 3, 1, 2, 3])), true),
    (e: unknown) => e instanceof DtlsError && e.code === 'decode_error',
  );
  assert.throws(
    () => acks.onAckRecord(1, rec(2, encodeAck([recordNumber(3, 0)])), true),
    (e: unknown) => e instanceof DtlsError && e.code === 'illegal_parameter',
  );
  assert.ok(sender.deadline !== undefined);
  const r = acks.onAckRecord(40, rec(0, good), true);
  assert.deepEqual(r, { kind: 'acked', resend: undefined, flightAcked: true });
  assert.equal(sender.deadline, undefined);
  assert.equal(sender.rtt, 40);
});

test('with a PostHandshakeSender: one ACK covering the client Finished and a KeyUpdate says to switch epochs', () => {
  const records = new RecordLayer(nobleProvider, () => {});
  const sender = new FlightSender(records, options);
  const post = new PostHandshakeSender(records, options, sender);
  const acks = new AckExchange(sender, post);
  sender.send(0, [fin], 5, 'ack', true);
  const finRecords = sender.carried.map((c) => recordNumber(c.epoch, c.sequenceNumber));
  const ku: FlightItem = { kind: 'handshake', epoch: 0, message: { msgType: 24, messageSeq: 2, body: new Uint8Array([0]) } };
  const { out } = post.send(10, ku, 4);
  const kuRecords = decodeRecords(out.datagrams[0]!).records.map((r) => recordNumber(r.epoch, r.sequenceNumber));
  const payload = encodeAck([...finRecords, ...kuRecords]);
  const r = acks.onAckRecord(60, { contentType: ContentType.ack, epoch: 0, sequenceNumber: 9, payload }, true);
  assert.equal(r.kind, 'acked');
  assert.ok(r.kind === 'acked' && r.flightAcked);
  assert.equal(r.kind === 'acked' ? r.post?.switchTo : undefined, 4);
  assert.equal(post.blocked, false);
});
