// When ACKs are due and what they hold (RFC 9147 7, 7.1), on a virtual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckTracker } from '../../src/reliability/ack-tracker.ts';
import { MAX_ACK_RECORDS, decodeAck, encodeAck } from '../../src/wire/ack.ts';
import type { RecordNumber } from '../../src/wire/record-number.ts';

const T = 400; // our retransmission timeout: a partial flight waits T / 4

const show = (l: RecordNumber[] | undefined) => l?.map((r) => `${r.epoch}/${r.sequenceNumber}`);

test('a flight complete that none of ours answers is ACKed at once (the client Finished at the server)', () => {
  const t = new AckTracker();
  t.onRecord(1000, 2, 0, 3, true, T);
  t.onRecord(1000, 2, 1, 3, true, T);
  t.onFlightComplete(1000, false);
  assert.equal(t.deadline, 1000);
  assert.deepEqual(show(t.poll(1000)), ['2/0', '2/1']);
  assert.equal(t.deadline, undefined);
  assert.equal(t.poll(5000), undefined, 'nothing more due');
});

test('a flight complete and answered by ours is not ACKed (implicit acknowledgement)', () => {
  const t = new AckTracker();
  t.onRecord(0, 0, 0, 1, true, T);
  assert.equal(t.deadline, T / 4, 'partial: due in a quarter of the timer');
  t.onRecord(5, 2, 0, 1, true, T);
  t.onFlightComplete(5, true);
  assert.equal(t.deadline, undefined);
  assert.equal(t.size, 0);
  assert.equal(t.poll(10_000), undefined);
  // Its copy (the peer lost our answer) draws no ACK: the flight sender resends our flight instead.
  t.onRecord(600, 0, 5, 1, true, T);
  assert.equal(t.deadline, undefined);
});

test('a partial flight is ACKed a quarter of the timer after its first record; progress re-arms it after an ACK', () => {
  const t = new AckTracker();
  t.onRecord(100, 2, 0, 2, true, T);
  t.onRecord(120, 2, 1, 2, true, T);
  assert.equal(t.deadline, 200, 'from the first record, not the latest');
  assert.equal(t.poll(199), undefined, 'not before its time');
  assert.deepEqual(show(t.poll(200)), ['2/0', '2/1']);
  t.onRecord(300, 2, 2, 2, true, T);
  assert.equal(t.deadline, 400);
  assert.deepEqual(show(t.poll(400)), ['2/0', '2/1', '2/2'], 'the ACK repeats what it acknowledged before (as many as fit, 7.1)');
});

test('a record out of order makes an ACK due at once, at most once per quarter of the timer', () => {
  const t = new AckTracker();
  t.onRecord(0, 2, 0, 2, true, T);
  t.onRecord(3, 2, 2, 2, false, T);
  assert.equal(t.deadline, 3);
  assert.deepEqual(show(t.poll(3)), ['2/0', '2/2']);
  // The next datagrams after the gap: paced, not one ACK each.
  t.onRecord(10, 2, 3, 2, false, T);
  assert.equal(t.deadline, 3 + T / 4);
  t.onRecord(20, 2, 4, 2, false, T);
  assert.equal(t.deadline, 3 + T / 4);
  assert.equal(t.poll(20), undefined);
  assert.deepEqual(show(t.poll(103)), ['2/0', '2/2', '2/3', '2/4']);
  t.onRecord(500, 2, 5, 2, false, T);
  assert.equal(t.deadline, 500, 'a quarter has passed since: at once again');
});

test('a copy of a flight we ACKed draws the ACK again a quarter of the timer later, with the copy\u2019s records (the peer lost ours)', () => {
  const t = new AckTracker();
  t.onRecord(0, 2, 7, 3, true, T);
  t.onFlightComplete(0, false);
  t.poll(0);
  t.onRecord(1000, 2, 9, 3, true, T);
  assert.equal(t.deadline, 1000 + T / 4, 'RFC 9147 7.1 lets the ACK wait: the rest of the copy comes meanwhile');
  // Every copy within the wait joins the same ACK; none moves it.
  t.onRecord(1050, 2, 10, 3, true, T);
  assert.equal(t.deadline, 1000 + T / 4);
  assert.equal(t.poll(1099), undefined);
  assert.deepEqual(show(t.poll(1100)), ['2/7', '2/9', '2/10']);
  assert.equal(t.deadline, undefined, 'one ACK for the copies of that window');
  // Even after a later flight started (a post-handshake message): still answered (FINISHED state, 5.8.1).
  t.onRecord(2000, 3, 0, 4, true, T);
  t.onFlightComplete(2000, false);
  assert.deepEqual(show(t.poll(2000)), ['2/7', '2/9', '2/10', '3/0'], 'what was ACKed before is named again (ours may be lost)');
  t.onRecord(3000, 2, 11, 3, true, T);
  assert.equal(t.poll(3000), undefined);
  assert.deepEqual(show(t.poll(3000 + T / 4)), ['2/7', '2/9', '2/10', '2/11', '3/0']);
  // A flight of ours: the peer knows what we had; those are not named again.
  t.forgetAcknowledged();
  t.onRecord(4000, 3, 1, 5, true, T);
  t.onFlightComplete(4000, false);
  assert.deepEqual(show(t.poll(4000)), ['3/1']);
});

test('post-handshake flights in one datagram (KeyUpdate, NewSessionTicket) are ACKed together', () => {
  const t = new AckTracker();
  t.onRecord(0, 3, 4, 10, true, T);
  t.onFlightComplete(0, false);
  t.onRecord(0, 3, 5, 11, true, T);
  t.onFlightComplete(0, false);
  assert.deepEqual(show(t.poll(0)), ['3/4', '3/5']);
});

test('the start of the next flight drops the records of a partial one (the peer moved on)', () => {
  const t = new AckTracker();
  t.onRecord(0, 0, 0, 1, true, T);
  t.onRecord(1, 0, 2, 1, false, T);
  t.onRecord(2, 2, 0, 2, true, T);
  assert.equal(t.size, 1);
  assert.equal(t.deadline, 2 + T / 4);
  assert.deepEqual(show(t.poll(1e9)), ['2/0']);
});

test('bounded: a flood of distinct record numbers holds at most maxRecords, the newest; unacknowledged ones are favoured; the ACK encodes', () => {
  const t = new AckTracker();
  for (let i = 0; i < 100_000; i++) t.onRecord(i, 2, i, 2, i % 2 === 0, T);
  assert.equal(t.size, MAX_ACK_RECORDS);
  assert.equal(t.overflow, 100_000 - MAX_ACK_RECORDS);
  const l = t.poll(1e9)!;
  assert.equal(l.length, MAX_ACK_RECORDS);
  assert.equal(l[0]!.sequenceNumber, BigInt(100_000 - MAX_ACK_RECORDS), 'none acknowledged yet: the oldest go, the newest stay');
  assert.equal(decodeAck(encodeAck(l)).length, MAX_ACK_RECORDS, 'fits one ACK');
  // Now all are acknowledged: new records replace the oldest.
  t.onRecord(2e9, 2, 200_000, 2, false, T);
  const l2 = t.poll(2e9)!;
  assert.equal(l2.length, MAX_ACK_RECORDS);
  assert.equal(l2.at(-1)!.sequenceNumber, 200_000n);
  assert.equal(l2[0]!.sequenceNumber, BigInt(100_000 - MAX_ACK_RECORDS + 1));

  const small = new AckTracker({ maxRecords: 4 });
  for (let i = 0; i < 10; i++) small.onRecord(0, 2, i, 2, true, T);
  assert.equal(small.size, 4);
  assert.throws(() => new AckTracker({ maxRecords: MAX_ACK_RECORDS + 1 }), RangeError);
  assert.throws(() => new AckTracker({ maxRecords: 0 }), RangeError);
});

test('an earlier flight overtaken by a later one (a KeyUpdate before the lost Finished) is still ACKed when it comes and completes', () => {
  const t = new AckTracker();
  // Flight 4 (KeyUpdate, buffered: its predecessor is missing) arrives first: out of order.
  t.onRecord(0, 3, 0, 4, false, T);
  assert.deepEqual(show(t.poll(0)), ['3/0']);
  // Then flight 3 (the Finished): its record is taken and ACKed, and both complete.
  t.onRecord(200, 2, 5, 3, false, T);
  t.onFlightComplete(200, false, 3);
  t.onFlightComplete(200, false, 4);
  assert.equal(t.deadline, 200);
  assert.deepEqual(show(t.poll(200)), ['2/5', '3/0']);
  // A copy of either is ACKed again; a copy of a flight our answer acknowledged is not.
  t.onRecord(400, 2, 6, 3, true, T);
  assert.equal(t.deadline, 400 + T / 4);
  t.poll(500);
  t.onFlightComplete(400, true, 2);
  t.onRecord(500, 0, 9, 2, true, T);
  assert.equal(t.deadline, undefined);
});

test('with a timeout getter, every wait measured in the timer follows it from its start; ACKs due at a time stay put', () => {
  let timeout = 400;
  const t = new AckTracker({
    timeout: {
      get timeout() {
        return timeout;
      },
    },
  });
  t.onRecord(1000, 2, 0, 2, true, timeout);
  assert.equal(t.deadline, 1100, 'partial flight: a quarter');
  timeout = 200;
  assert.equal(t.deadline, 1050, 'rescaled from the first record');
  timeout = 800;
  assert.equal(t.deadline, 1200);
  assert.deepEqual(show(t.poll(1200)), ['2/0']);
  // A flight ACKed with a delay in ms (not in the timer) keeps its time.
  t.onRecord(2000, 3, 0, 3, true, timeout);
  t.onFlightComplete(2000, false, 3, 50);
  timeout = 40;
  assert.equal(t.deadline, 2010, 'the partial-flight quarter from 2000 now comes first (40 / 4)');
  timeout = 4000;
  assert.equal(t.deadline, 2050, 'the 50 ms delay holds');
  // A delay given as a function of the timer is rescaled too.
  t.poll(2050);
  t.onRecord(3000, 3, 1, 4, true, timeout);
  t.onFlightComplete(3000, false, 4, (x) => x / 8);
  timeout = 400;
  assert.equal(t.deadline, 3050);
});

test('records ACKed before are named again across the peer flights, the most recent 73 (what one ACK holds at MTU 1200)', () => {
  const t = new AckTracker();
  for (let f = 0; f < 100; f++) {
    t.onRecord(f, 3, f, 10 + f, true, T);
    t.onFlightComplete(f, false);
    const l = t.poll(f)!;
    assert.equal(l.length, Math.min(f + 1, 74), `flight ${f}: the newest record and up to 73 ACKed before`);
    assert.equal(l.at(-1)!.sequenceNumber, BigInt(f));
  }
  assert.ok(t.size <= 74);
});

test('many post-handshake messages, none ACKed yet (no time passed): all owed stay past the flights remembered, and the ACK names the newest', () => {
  const t = new AckTracker();
  for (let f = 0; f < 5000; f++) {
    t.onRecord(0, 3 + f, 1, 10 + f, true, T);
    t.onFlightComplete(0, false, 10 + f, 25);
  }
  assert.equal(t.size, MAX_ACK_RECORDS, 'bounded');
  const l = t.poll(25, 73)!;
  assert.equal(l.length, 73);
  assert.deepEqual(
    l.map((n) => n.epoch),
    Array.from({ length: 73 }, (_, i) => BigInt(3 + 5000 - 73 + i)),
    'the 73 newest (the last 16 flights alone before: the rest were forgotten unsent)',
  );
});
