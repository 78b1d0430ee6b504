// Post-handshake messages in fragments (RFC 9147 7.1): the first fragments of
// a new message (a NewSessionTicket split over records) do not draw an ACK at
// once as if they were a copy of the message before; the message is ACKed
// after the short post-handshake delay once complete, several together. A
// real copy of a message we had (the client's Finished at the server) is
// still ACKed at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckExchange, type ActionLike } from '../../src/reliability/ack-exchange.ts';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeAck } from '../../src/wire/ack.ts';
import { encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';

const retransmit = { initial: 400, max: 60_000, min: 400, adaptive: false, rtt: undefined };
const traceIn: ActionLike = { kind: 'trace', direction: 'in' };

function setup() {
  const records = new RecordLayer(nobleProvider, () => {});
  return { records, acks: new AckExchange(new FlightSender(records, { retransmit, mtu: 1400 })) };
}

/** A record's payload: `n` bytes from `offset` of message `seq` (type `type`, `length` bytes in all). */
const frag = (type: number, seq: number, length: number, offset: number, n: number) =>
  encodeHandshakeFragment({ msgType: type, length, messageSeq: seq, fragmentOffset: offset, body: new Uint8Array(n) });

function acked(d: Uint8Array | undefined): number[] {
  assert.ok(d, 'an ACK');
  return decodeAck(decodeRecords(d).records[0]!.fragment).map((r) => Number(r.sequenceNumber));
}

test('a client: the server Finished (message 4), then two NewSessionTickets (5, 6) in 3-byte fragments: one ACK after the delay, none before', () => {
  const { records, acks } = setup();
  // The server's flight, answered by our Finished (an implicit ACK).
  acks.onHandshakeRecord(0, { epoch: 2, sequenceNumber: 0, payload: frag(20, 4, 32, 0, 32) }, [traceIn, { kind: 'flight' }, { kind: 'complete' }], false);
  assert.equal(acks.deadline, undefined);
  let seq = 0;
  for (const m of [5, 6])
    for (let off = 0; off < 9; off += 3) {
      const done = off === 6;
      acks.onHandshakeRecord(10, { epoch: 3, sequenceNumber: seq++, payload: frag(4, m, 9, off, 3) }, done ? [traceIn] : [], true);
      assert.ok(acks.deadline === undefined || acks.deadline > 10, `no ACK at once (record ${seq - 1}): deadline ${acks.deadline}`);
    }
  assert.equal(acks.poll(10, records), undefined);
  assert.deepEqual(acked(acks.poll(acks.deadline!, records)), [0, 1, 2, 3, 4, 5]);
});

test('a server: a copy of the client Finished after the handshake is ACKed again, a quarter of the timer later', () => {
  const { records, acks } = setup();
  acks.onHandshakeRecord(0, { epoch: 0, sequenceNumber: 0, payload: frag(1, 0, 100, 0, 100) }, [traceIn, { kind: 'flight' }], false);
  acks.onHandshakeRecord(5, { epoch: 2, sequenceNumber: 0, payload: frag(20, 1, 32, 0, 32) }, [traceIn, { kind: 'complete' }], false);
  assert.deepEqual(acked(acks.poll(5, records)), [0]);
  acks.onHandshakeRecord(500, { epoch: 2, sequenceNumber: 1, payload: frag(20, 1, 32, 0, 32) }, [], true);
  assert.equal(acks.deadline, 500 + retransmit.initial / 4);
  assert.deepEqual(acked(acks.poll(acks.deadline!, records)), [0, 1]);
});
