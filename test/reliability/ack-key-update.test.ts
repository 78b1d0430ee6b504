// KeyUpdate's reliability (RFC 9147 8) and the other post-handshake messages
// (5.8.4): each resent until its ACK; the new write epoch only once the
// KeyUpdate and everything sent before it are acknowledged; nothing else sent
// meanwhile. Virtual clock: `now` is chosen by the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import { ACK_FLIGHT_MAX_RESENDS } from '../../src/reliability/flight-limits.ts';
import { MAX_POST_HANDSHAKE_IN_FLIGHT, POST_HANDSHAKE_FLIGHT, PostHandshakeSender } from '../../src/reliability/post-handshake.ts';
import type { FlightItem, SentFragment } from '../../src/reliability/flight.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { recordNumber } from '../../src/wire/record-number.ts';
import { DtlsError } from '../../src/errors.ts';
import { decodeRecords } from '../../src/wire/record.ts';

const options = { retransmit: { initial: 100, max: 60_000, min: 10, adaptive: true, rtt: undefined }, mtu: 1500 };
// Epoch 0 stands for the connection's write epoch here: the record layer seals it without keys, so the test reads the wire.
const keyUpdate: FlightItem = { kind: 'handshake', epoch: 0, message: { msgType: 24, messageSeq: 5, body: new Uint8Array([1]) } };
const ticket: FlightItem = { kind: 'handshake', epoch: 0, message: { msgType: 4, messageSeq: 4, body: new Uint8Array(40) } };

function setup() {
  const records = new RecordLayer(nobleProvider, () => {});
  const handshake = new FlightSender(records, options);
  return { records, handshake, post: new PostHandshakeSender(records, options, handshake) };
}

/** The record numbers of the datagrams (plaintext epoch-0 records). */
const numbers = (datagrams: Uint8Array[]) => datagrams.flatMap((d) => decodeRecords(d).records.map((r) => recordNumber(r.epoch, r.sequenceNumber)));
const rns = (c: readonly SentFragment[]) => c.map((f) => recordNumber(f.epoch, f.sequenceNumber));

test('a KeyUpdate is resent on its timer until ACKed; its ACK says to switch to the next epoch; nothing else is sent meanwhile', () => {
  const { post } = setup();
  const { out } = post.send(0, keyUpdate, 1);
  assert.equal(out.datagrams.length, 1);
  assert.ok(post.blocked);
  assert.throws(() => post.send(1, ticket), TypeError, 'no post-handshake message in the old epoch after a KeyUpdate');
  assert.throws(() => post.send(1, keyUpdate, 1), TypeError, 'no second KeyUpdate before the first is ACKed');
  // Lost twice: the timer resends it, doubling.
  const t1 = post.deadline!;
  assert.equal(t1, 100);
  const r1 = post.onTimeout(t1);
  assert.equal(r1.resends.length, 1);
  assert.equal(r1.resends[0]!.flight, POST_HANDSHAKE_FLIGHT);
  assert.equal(post.deadline, 100 + 200);
  const r2 = post.onTimeout(post.deadline!);
  // An ACK of any transmission (here the second) completes it.
  const ack = post.onAck(350, numbers(r1.resends[0]!.out.datagrams), 0);
  assert.deepEqual(ack.acked, [0]);
  assert.equal(ack.switchTo, 1);
  assert.equal(post.blocked, false);
  assert.equal(post.deadline, undefined);
  assert.equal(post.outstanding, 0);
  assert.equal(r2.resends.length, 1);
  // Now a new message may go.
  assert.doesNotThrow(() => post.send(400, ticket));
});

test('the new epoch waits for every message sent before the KeyUpdate, and for the handshake final flight', () => {
  const { handshake, post } = setup();
  const fin: FlightItem = { kind: 'handshake', epoch: 0, message: { msgType: 20, messageSeq: 3, body: new Uint8Array(32) } };
  handshake.send(0, [fin], 5, 'ack', true);
  const finRecords = rns(handshake.carried);
  const t = post.send(1, ticket);
  const k = post.send(2, keyUpdate, 4);
  const a1 = post.onAck(20, numbers(k.out.datagrams), 0);
  assert.deepEqual(a1.acked, [k.order]);
  assert.equal(a1.switchTo, undefined, 'the ticket before it is not acknowledged yet');
  assert.ok(post.blocked);
  assert.equal(post.deadline, 1 + 100, 'the ticket still runs its timer; the acknowledged KeyUpdate none');
  const a2 = post.onAck(30, numbers(t.out.datagrams), 0);
  assert.deepEqual(a2.acked, [t.order]);
  assert.equal(a2.switchTo, undefined, "the handshake's final flight is not acknowledged yet");
  handshake.onAck(40, finRecords, 0);
  assert.equal(post.onHandshakeAcked(), 4);
  assert.equal(post.blocked, false);
  assert.equal(post.onHandshakeAcked(), undefined, 'said once');
});

test('the peer data under the new keys ends the handshake flight too (confirmed), releasing the KeyUpdate', () => {
  const { handshake, post } = setup();
  handshake.send(0, [ticket], 5, 'ack', true);
  const k = post.send(1, keyUpdate, 4);
  assert.equal(post.onAck(10, numbers(k.out.datagrams), 0).switchTo, undefined);
  handshake.confirmed();
  assert.equal(post.onHandshakeAcked(), 4);
});

test('ACK rules hold for post-handshake ACKs: a record of a later epoch is illegal_parameter; unknown records change nothing', () => {
  const { post } = setup();
  post.send(0, keyUpdate, 1);
  assert.throws(
    () => post.onAck(1, [recordNumber(5, 0)], 3),
    (e: unknown) => e instanceof DtlsError && e.code === 'illegal_parameter',
  );
  const r = post.onAck(1, [recordNumber(0, 12345)], 0);
  assert.deepEqual(r.acked, []);
  assert.ok(post.blocked);
});

test('bounded: at most MAX_POST_HANDSHAKE_IN_FLIGHT messages wait; a message never ACKed is given up (exhausted) and releases its slot', () => {
  const { post } = setup();
  for (let i = 0; i < MAX_POST_HANDSHAKE_IN_FLIGHT; i++) post.send(0, ticket);
  assert.throws(() => post.send(0, ticket), TypeError);
  const short = { ...options, retransmit: { ...options.retransmit, max: 200 } };
  const records = new RecordLayer(nobleProvider, () => {});
  const p = new PostHandshakeSender(records, short, new FlightSender(records, short));
  p.send(0, keyUpdate, 1);
  let resends = 0;
  const gaveUp: number[] = [];
  for (let guard = 0; p.deadline !== undefined && guard < 100; guard++) {
    const r = p.onTimeout(p.deadline);
    resends += r.resends.length;
    gaveUp.push(...r.exhausted);
  }
  assert.deepEqual(gaveUp, [0]);
  assert.equal(resends, ACK_FLIGHT_MAX_RESENDS);
  assert.equal(p.outstanding, 0);
  assert.equal(p.blocked, false);
});

test('the round trip the handshake measured times the first post-handshake resend', () => {
  const { handshake, post } = setup();
  handshake.send(0, [ticket], 4, 'retransmit', true);
  handshake.answered(40);
  assert.equal(handshake.rtt, 40);
  post.send(1000, keyUpdate, 1);
  assert.equal(post.deadline, 1000 + 60, '1.5 x 40 ms, not the initial 100 ms');
});
