// An ACK fits one datagram of the MTU (RFC 9147 7.1: "as many ... as can fit
// into the ACK record"; one over the MTU may be dropped on the path and
// acknowledges nothing). A peer that sends its flight in many small records
// (BoGo's SplitHandshakeRecords: one record per byte) gets an ACK of the
// newest records it has not seen acknowledged, within the MTU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckExchange, type ActionLike } from '../../src/reliability/ack-exchange.ts';
import { AckTracker } from '../../src/reliability/ack-tracker.ts';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeAck } from '../../src/wire/ack.ts';

const retransmit = { initial: 400, max: 60_000, min: 400, adaptive: false, rtt: undefined };
const traceIn: ActionLike = { kind: 'trace', direction: 'in' };

for (const mtu of [256, 1200]) {
  test(`MTU ${mtu}: the ACK of a 500-record flight fits the MTU and names its newest records`, () => {
    const records = new RecordLayer(nobleProvider, () => {});
    const acks = new AckExchange(new FlightSender(records, { retransmit, mtu }));
    for (let seq = 0; seq < 500; seq++) acks.onHandshakeRecord(0, { epoch: 2, sequenceNumber: seq }, seq === 499 ? [traceIn, { kind: 'complete' }] : [], false);
    const d = acks.poll(0, records);
    assert.ok(d && d.length <= mtu, `an ACK of ${d?.length} bytes at MTU ${mtu}`);
    const [r] = decodeRecords(d).records;
    const seqs = decodeAck(r!.fragment).map((n) => Number(n.sequenceNumber));
    const fit = Math.floor((mtu - 13 - 2) / 16);
    assert.equal(seqs.length, fit, 'as many as fit');
    assert.deepEqual(
      seqs,
      Array.from({ length: fit }, (_, i) => 500 - fit + i),
      'the newest, in order',
    );
  });
}

test('AckTracker.poll with a limit: records not yet acknowledged first, then the newest acknowledged', () => {
  const t = new AckTracker();
  for (let seq = 0; seq < 4; seq++) t.onRecord(0, 2, seq, 0, true, 400);
  t.onFlightComplete(0, false);
  assert.deepEqual(
    t.poll(0, 3)!.map((n) => Number(n.sequenceNumber)),
    [1, 2, 3],
  );
  // The peer resends: two new records; the ACK names them and the newest old one.
  t.onRecord(10, 2, 4, 0, true, 400);
  t.onRecord(10, 2, 5, 0, true, 400);
  assert.equal(t.deadline, 10 + 100, 'copies of an ACKed flight: a quarter of the timer later');
  assert.deepEqual(
    t.poll(110, 3)!.map((n) => Number(n.sequenceNumber)),
    [3, 4, 5],
  );
});
