// An 'ack' flight (the client's Finished, RFC 9147 5.8.3 / 7.1) is given up
// after ACK_FLIGHT_MAX_RESENDS resends on its timer, as BoringSSL gives up at
// its 13th expiry. Answers to the peer's copies do not use up those tries: on
// a lossy path the peer resends its flight as often as we resend ours, and
// counting both gave the flight up in half the time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import { ACK_FLIGHT_MAX_RESENDS, MAX_PEER_ANSWERS } from '../../src/reliability/flight-limits.ts';
import type { FlightItem } from '../../src/reliability/flight.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';

const retransmit = { initial: 100, max: 60_000, min: 10, adaptive: false, rtt: undefined };
const finished: FlightItem[] = [{ kind: 'handshake', epoch: 0, message: { msgType: 20, messageSeq: 1, body: new Uint8Array(32) } }];

test(`an 'ack' flight answering peer copies still gets ${ACK_FLIGHT_MAX_RESENDS} timer resends before it is given up`, () => {
  const s = new FlightSender(new RecordLayer(nobleProvider, () => {}), { retransmit, mtu: 1200 });
  s.send(0, finished, 5, 'ack', false);
  let timer = 0,
    answers = 0;
  for (let guard = 0; s.deadline !== undefined && guard < 100; guard++) {
    const at = s.deadline;
    if (s.onTimeout(at)) timer++;
    // The peer's copy of its flight, once per period: answered.
    if (s.onPeerCopy(at + 1, 'old')) answers++;
  }
  assert.equal(timer, ACK_FLIGHT_MAX_RESENDS);
  assert.equal(answers, MAX_PEER_ANSWERS, 'the answers, bounded on their own');
  assert.equal(s.current?.exhausted, true);
});
