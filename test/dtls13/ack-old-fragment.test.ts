// A later fragment of a copy of the peer's flight that ours answered (a
// ClientHello in two records: the machine reports only a copy of the first
// fragment) is no record of the peer's next flight: it neither acknowledges
// our flight implicitly (RFC 9147 7.2 takes only a record that responds to it
// as that), which would stop our timer with the flight maybe lost, nor is
// ACKed (7.1: our flight acknowledged it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckExchange, type ActionLike } from '../../src/reliability/ack-exchange.ts';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import type { FlightItem } from '../../src/reliability/flight.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';

const options = { retransmit: { initial: 100, max: 60_000, min: 10, adaptive: true, rtt: undefined }, mtu: 1500 };
const serverFlight: FlightItem[] = [{ kind: 'handshake', epoch: 0, message: { msgType: 2, messageSeq: 0, body: new Uint8Array(90) } }];
const hello = new Uint8Array(300).fill(1);

/** Record `seq` of the peer (epoch 0) holding bytes [offset, offset + length) of its ClientHello (message_seq 0). */
function helloRecord(seq: number, offset: number, length: number) {
  const payload = encodeHandshakeFragment({
    msgType: 1,
    length: hello.length,
    messageSeq: 0,
    fragmentOffset: offset,
    body: hello.subarray(offset, offset + length),
  });
  return { epoch: 0, sequenceNumber: seq, payload };
}

test('the second fragment of a copied ClientHello, after our flight answered it: our timer runs on, no ACK is due', () => {
  const records = new RecordLayer(nobleProvider, () => {});
  records.protocol = '1.3';
  const sender = new FlightSender(records, options);
  const acks = new AckExchange(sender);
  const completed: ActionLike[] = [{ kind: 'trace', direction: 'in' }, { kind: 'flight' }];
  // The ClientHello in two records; the second completes it and our flight answers (the connection sends it after).
  acks.onHandshakeRecord(0, helloRecord(0, 0, 150), [], false);
  acks.onHandshakeRecord(0, helloRecord(1, 150, 150), completed, false);
  sender.send(0, serverFlight, 2, 'retransmit', true);
  assert.equal(sender.deadline, 100);
  assert.equal(acks.deadline, undefined, 'answered: no ACK');
  // The client's timer resent its ClientHello: the first record is a copy the machine reports (the flight
  // sender answers it, no ACK); the second is left to the ACK side, which must see it as a copy too.
  acks.onHandshakeRecord(60, helloRecord(2, 0, 150), [{ kind: 'peer-copy' }], false);
  acks.onHandshakeRecord(60, helloRecord(3, 150, 150), [], false);
  assert.equal(sender.deadline, 100, 'our flight is still waiting for its answer: the timer still runs');
  assert.equal(sender.current?.acked, false);
  assert.equal(acks.deadline, undefined, 'no ACK for a copy of a flight our answer acknowledged');
  // A record of the peer's next flight (message_seq 1) is its answer: an implicit ACK of ours.
  const next = encodeHandshakeFragment({ msgType: 20, length: 32, messageSeq: 1, fragmentOffset: 0, body: new Uint8Array(32) });
  acks.onHandshakeRecord(80, { epoch: 0, sequenceNumber: 4, payload: next }, [], false);
  assert.equal(sender.deadline, undefined, 'answered: the timer stops');
});
