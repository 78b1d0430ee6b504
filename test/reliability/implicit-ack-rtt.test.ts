// A flight implicitly acknowledged (RFC 9147 7.2) by the first record of the
// peer's answer gives its round-trip sample then (RFC 9147 5.8.2), not when
// the answer completes: the rest of the answer may come only after the peer's
// own resends, which a sample at completion would count as round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import type { FlightItem } from '../../src/reliability/flight.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';

const retransmit = { initial: 100, max: 60_000, min: 10, adaptive: true, rtt: undefined };
const hello: FlightItem[] = [{ kind: 'handshake', epoch: 0, message: { msgType: 1, messageSeq: 0, body: new Uint8Array(100) } }];
const finished: FlightItem[] = [{ kind: 'handshake', epoch: 0, message: { msgType: 20, messageSeq: 1, body: new Uint8Array(32) } }];

test('the first record of the answer samples the round trip; the answer completing 700 ms later does not', () => {
  const s = new FlightSender(new RecordLayer(nobleProvider, () => {}), { retransmit, mtu: 1200 });
  s.send(0, hello, 1, 'retransmit', false);
  s.implicitlyAcked(50);
  assert.equal(s.deadline, undefined, 'no more resends of the acknowledged flight');
  assert.equal(s.rtt, 50);
  s.send(750, finished, 5, 'ack', true);
  assert.equal(s.rtt, 50, 'not 750');
  assert.equal(s.deadline, 750 + 75, 'the next flight times out at 1.5 x 50 ms');
});
