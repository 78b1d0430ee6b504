// The flight sender on its own: which record carried which fragment (what
// DTLS 1.3 ACKs name), and the bound on answers to the peer's copies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import { FINAL_FLIGHT_TIMER_RESENDS, MAX_KEYED_ANSWERS, MAX_PEER_ANSWERS } from '../../src/reliability/flight-limits.ts';
import type { FlightItem } from '../../src/reliability/flight.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { ContentType } from '../../src/wire/types.ts';

const retransmit = { initial: 100, max: 60_000, min: 100, adaptive: true, rtt: undefined };
const items: FlightItem[] = [
  { kind: 'handshake', epoch: 0, message: { msgType: 2, messageSeq: 0, body: new Uint8Array(300).fill(1) } },
  { kind: 'handshake', epoch: 0, message: { msgType: 11, messageSeq: 1, body: new Uint8Array(700).fill(2) } },
  { kind: 'handshake', epoch: 0, message: { msgType: 14, messageSeq: 2, body: new Uint8Array(0) } },
];

function sender(mtu = 256) {
  return new FlightSender(new RecordLayer(nobleProvider, () => {}), { retransmit, mtu });
}

/** (epoch, seq, message_seq, offset, length) of every fragment on the wire. */
function onWire(datagrams: Uint8Array[]): string[] {
  return datagrams.flatMap((d) =>
    decodeRecords(d).records.flatMap((r) =>
      r.contentType === ContentType.handshake
        ? decodeHandshakeFragments(r.fragment).map((f) => `${r.epoch}/${r.sequenceNumber} m${f.messageSeq} @${f.fragmentOffset}+${f.body.length}`)
        : [],
    ),
  );
}

test('carried names the record (epoch, sequence number) of every fragment, for each transmission', () => {
  const s = sender();
  const first = s.send(0, items, 4, 'retransmit', true);
  const show = () => s.carried.map((c) => `${c.epoch}/${c.sequenceNumber} m${c.messageSeq} @${c.offset}+${c.length}`);
  assert.deepEqual(show(), onWire(first.datagrams));
  assert.ok(s.carried.length > 3, 'fragmented at MTU 256');
  const again = s.onTimeout(100)!;
  assert.deepEqual(show(), onWire(again.out.datagrams), 'fresh record numbers on a resend');
  assert.ok(s.carried[0]!.sequenceNumber > first.carried.at(-1)!.sequenceNumber);
});

test('peer copies: at most one answer per period of our timer, and at most MAX_PEER_ANSWERS per flight', () => {
  const s = sender(1500);
  s.send(0, items, 4, 'retransmit', true);
  const answered: number[] = [];
  for (let now = 1; now < 200_000; now += 7) {
    if (s.deadline !== undefined && now >= s.deadline) s.onTimeout(now);
    if (s.onPeerCopy(now, 'old')) answered.push(now);
  }
  assert.equal(answered.length, MAX_PEER_ANSWERS);
  assert.equal(answered[0], 1, 'the first copy is answered at once');
  assert.ok(answered[1]! >= 100, 'the next one only after the timer fired');
  assert.ok(s.suppressed > 20_000);
  // 'ahead' (the peer is past our flight) is answered once per flight, at once.
  s.send(200_000, items, 4, 'retransmit', true);
  assert.ok(s.onPeerCopy(200_001, 'ahead'));
  assert.equal(s.onPeerCopy(200_002, 'ahead'), undefined);
});

test('a final flight stops after 6 resends on its timer; a flight without a timer answers once per its first timeout', () => {
  const s = sender(1500);
  s.send(0, items, 6, 'final', true);
  let timer = 0;
  while (s.deadline !== undefined) {
    assert.ok(s.onTimeout(s.deadline));
    timer++;
  }
  assert.equal(timer, 6);
  const once = sender(1500);
  once.send(0, items, 2, 'once', false);
  assert.equal(once.deadline, undefined);
  assert.ok(once.onPeerCopy(10, 'old'));
  assert.equal(once.onPeerCopy(50, 'old'), undefined, 'within its first timeout');
  assert.ok(once.onPeerCopy(111, 'old'));
});

test('peer copies under keys: each answered, in one instant too, up to MAX_KEYED_ANSWERS; a final flight keeps its timer resends', () => {
  const s = sender(1500);
  s.send(0, items, 6, 'final', true);
  let answered = 0;
  for (let i = 0; i < MAX_KEYED_ANSWERS + 5; i++) if (s.onPeerCopy(1, 'old', true)) answered++;
  assert.equal(answered, MAX_KEYED_ANSWERS);
  assert.equal(s.suppressed, 5);
  // An epoch-0 copy in the same period is not answered: the answers above used it.
  assert.equal(s.onPeerCopy(2, 'old'), undefined);
  // The answers did not use up the final flight's timer resends.
  let timer = 0;
  while (s.deadline !== undefined) {
    assert.ok(s.onTimeout(s.deadline));
    timer++;
  }
  assert.equal(timer, FINAL_FLIGHT_TIMER_RESENDS);
});
