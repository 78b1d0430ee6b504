// The flight sender under DTLS 1.3 ACKs (RFC 9147 7.2, 5.8): acknowledged
// fragments are not sent again, a fully acknowledged flight stops its timer,
// a partial ACK of the latest transmission resends the rest at once, ACKs give
// round-trip samples (Karn), and what it remembers is bounded. All on a
// virtual clock: `now` is a number the test chooses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import { ACK_FLIGHT_MAX_RESENDS, MAX_REMEMBERED_RECORDS } from '../../src/reliability/flight-limits.ts';
import { encodeFlight, type FlightItem, type SentFragment } from '../../src/reliability/flight.ts';
import { encodePieces } from '../../src/reliability/flight-pieces.ts';
import { Unacked } from '../../src/reliability/unacked.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { ContentType } from '../../src/wire/types.ts';
import { recordNumber, type RecordNumber } from '../../src/wire/record-number.ts';
import { DtlsError } from '../../src/errors.ts';

const retransmit = { initial: 100, max: 60_000, min: 10, adaptive: true, rtt: undefined };
const items: FlightItem[] = [
  { kind: 'handshake', epoch: 0, message: { msgType: 2, messageSeq: 0, body: new Uint8Array(300).fill(1) } },
  { kind: 'handshake', epoch: 0, message: { msgType: 11, messageSeq: 1, body: new Uint8Array(700).fill(2) } },
  { kind: 'handshake', epoch: 0, message: { msgType: 14, messageSeq: 2, body: new Uint8Array(0) } },
];

function sender(mtu = 256) {
  return new FlightSender(new RecordLayer(nobleProvider, () => {}), { retransmit, mtu });
}

const rn = (c: SentFragment): RecordNumber => recordNumber(c.epoch, c.sequenceNumber);

/** message_seq -> the byte ranges the datagrams carry, merged. */
function coverage(datagrams: Uint8Array[]): Map<number, Array<[number, number]>> {
  const out = new Map<number, Array<[number, number]>>();
  for (const d of datagrams)
    for (const r of decodeRecords(d).records) {
      if (r.contentType !== ContentType.handshake) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) {
        const list = out.get(f.messageSeq) ?? [];
        list.push([f.fragmentOffset, f.fragmentOffset + f.body.length]);
        out.set(f.messageSeq, list);
      }
    }
  for (const [k, list] of out) {
    list.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [s, e] of list) {
      const last = merged.at(-1);
      if (last && s <= last[1]) last[1] = Math.max(last[1], e);
      else merged.push([s, e]);
    }
    out.set(k, merged);
  }
  return out;
}

test('encodePieces over whole items gives the bytes encodeFlight gives', () => {
  for (const mtu of [60, 256, 1500]) {
    const a = encodeFlight(items, new RecordLayer(nobleProvider, () => {}), mtu);
    const pieces = new Unacked(items).pieces();
    const b = encodePieces(items, pieces, new RecordLayer(nobleProvider, () => {}), mtu);
    assert.deepEqual(b.datagrams, a.datagrams, `mtu ${mtu}`);
    assert.deepEqual(b.carried, a.carried);
    assert.equal(b.records, a.records);
  }
});

test('Unacked: ranges leave as fragments are acknowledged; an empty message by its one empty fragment', () => {
  const u = new Unacked(items);
  u.ack(1, 100, 200);
  u.ack(1, 0, 50);
  u.ack(2, 0, 0);
  u.ack(7, 0, 10); // not in the flight: ignored
  assert.deepEqual(u.pieces(), [
    { item: 0, offset: 0, length: 300 },
    { item: 1, offset: 50, length: 50 },
    { item: 1, offset: 300, length: 400 },
  ]);
  u.ack(0, 0, 300);
  u.ack(1, 0, 700);
  assert.ok(u.done);
});

/** The ranges `fragments` cover, per message_seq, merged. */
function ranges(fragments: readonly SentFragment[]): Map<number, Array<[number, number]>> {
  const out = new Map<number, Array<[number, number]>>();
  for (const c of fragments) out.set(c.messageSeq, [...(out.get(c.messageSeq) ?? []), [c.offset, c.offset + c.length]]);
  for (const [k, list] of out) {
    list.sort((x, y) => x[0] - y[0]);
    const merged: Array<[number, number]> = [];
    for (const [x, y] of list) {
      const last = merged.at(-1);
      if (last && x <= last[1]) last[1] = Math.max(last[1], y);
      else merged.push([x, y]);
    }
    out.set(k, merged);
  }
  return out;
}

test('an ACK of every other record resends at once what the records before the last acknowledged one carried; the timer then only the unacknowledged', () => {
  const s = sender();
  s.send(0, items, 4, 'retransmit', true);
  const first = [...s.carried];
  assert.ok(first.length >= 6);
  // The first record alone: nothing sent before it, nothing lost.
  const r0 = s.onAck(40, [rn(first[0]!)], 0);
  assert.equal(r0.newlyAcked, 1);
  assert.equal(r0.resend, undefined);
  // Every other record, and not the last one: the odd records before the highest acknowledged are lost.
  const got = first.filter((_, i) => i % 2 === 0 && i < first.length - 1);
  const r = s.onAck(50, got.map(rn), 0);
  assert.equal(r.newlyAcked, got.length - 1);
  assert.equal(r.flightAcked, false);
  assert.ok(r.resend);
  const highest = first.indexOf(got.at(-1)!);
  const lost = first.filter((_, i) => i % 2 === 1 && i < highest);
  assert.deepEqual(coverage(r.resend.datagrams), ranges(lost), 'exactly the lost fragments, not those sent after the acknowledged one');
  assert.ok(
    s.carried.every((c) => c.sequenceNumber > first.at(-1)!.sequenceNumber),
    'in new records',
  );
  // The same ACK again acknowledges nothing new and draws nothing.
  assert.equal(s.onAck(60, got.map(rn), 0).resend, undefined);
  // The timer: everything not acknowledged, across both transmissions.
  const again = s.onTimeout(s.deadline!)!;
  const unacked = first.filter((_, i) => !(i % 2 === 0 && i < first.length - 1));
  assert.deepEqual(coverage(again.out.datagrams), ranges(unacked));
});

test('an ACK of the whole flight, over several transmissions, stops the timer; later copies and timeouts send nothing', () => {
  const s = sender();
  s.send(0, items, 4, 'retransmit', true);
  const t0 = [...s.carried];
  s.onTimeout(100);
  const t1 = [...s.carried];
  // Half from each transmission: any transmission's record counts (RFC 9147 7.2).
  const mix = [...t0.slice(0, Math.ceil(t0.length / 2)), ...t1.slice(Math.ceil(t1.length / 2))];
  const r = s.onAck(150, mix.map(rn), 0);
  assert.equal(r.flightAcked, true);
  assert.equal(r.resend, undefined);
  assert.equal(s.deadline, undefined);
  assert.deepEqual(s.current, { number: 4, mode: 'retransmit', acked: true, exhausted: false });
  assert.equal(s.onTimeout(10_000), undefined);
  assert.equal(s.onPeerCopy(10_000, 'old'), undefined);
  assert.equal(s.onAck(10_001, mix.map(rn), 0).newlyAcked, 0, 'a repeated ACK acknowledges nothing new');
});

test('what an ACK shows lost is resent once: repeated ACKs and ACKs of older records draw nothing more; the timer re-arms, not doubled', () => {
  const s = sender();
  s.send(0, items, 4, 'retransmit', true);
  const t0 = [...s.carried];
  const r = s.onAck(30, [rn(t0[2]!)], 0);
  assert.ok(r.resend);
  const t1 = [...s.carried];
  assert.deepEqual(ranges(t1), ranges(t0.slice(0, 2)), 'records 0 and 1 were lost; 3.. may still be in flight');
  assert.equal(s.deadline, 30 + 100, 're-armed at the current timeout from the resend');
  assert.equal(s.onAck(31, [rn(t0[2]!)], 0).resend, undefined, 'nothing newly acknowledged');
  assert.equal(s.onAck(32, [rn(t0[0]!)], 0).resend, undefined, 'an older record arriving late: nothing lost');
  // The last record of the first transmission acknowledged: t0[3..] before it is lost now; t1, sent after, is not.
  const r3 = s.onAck(60, [rn(t0.at(-1)!)], 0);
  assert.ok(r3.resend);
  assert.deepEqual(ranges(s.carried), ranges(t0.slice(3, -1)));
});

test('a copy of the peer flight draws only the unacknowledged part once some was acknowledged, nothing once all was', () => {
  const s = sender();
  s.send(0, items, 4, 'retransmit', true);
  const t0 = [...s.carried];
  s.onAck(40, [rn(t0[0]!)], 0);
  assert.equal(s.rtt, 40);
  const r = s.onPeerCopy(200, 'old');
  assert.ok(r);
  assert.deepEqual(coverage(r.out.datagrams), ranges(t0.slice(1)), 'the tail only');
  // A copy while what was resent is still on its way (sent less than a round trip ago): nothing.
  const sentAt = s.deadline!;
  s.onTimeout(sentAt);
  assert.equal(s.onPeerCopy(sentAt + 20, 'old'), undefined, 'the tail just went');
  assert.ok(s.onPeerCopy(sentAt + 40, 'old'), 'a round trip later it is stale: resent');
  s.onAck(sentAt + 150, s.carried.map(rn), 0);
  assert.equal(s.onPeerCopy(400, 'old'), undefined);
  assert.equal(s.onPeerCopy(401, 'ahead'), undefined);
});

test('ACKs give round-trip samples, from the transmission they name: the next flight times out at 1.5 x RTT', () => {
  const s = sender(1500);
  s.send(0, items, 4, 'retransmit', true);
  assert.equal(s.rtt, undefined);
  s.onAck(40, s.carried.map(rn), 0);
  assert.equal(s.rtt, 40);
  s.answered(90); // the same flight answered later: no second sample
  assert.equal(s.rtt, 40);
  s.send(100, items, 5, 'ack', false);
  assert.equal(s.deadline, 100 + 60, '1.5 x 40');

  // Resent before its ACK (a slow path): the ACK names the transmission that
  // arrived, so it measures from that one; an implicit answer would not (Karn).
  const k = sender(1500);
  k.send(0, items, 4, 'retransmit', true);
  k.onTimeout(100);
  k.onTimeout(300);
  const t2 = [...k.carried];
  k.onAck(420, t2.map(rn), 0);
  assert.equal(k.rtt, 120, 'from the second resend, the newest record acknowledged');
  const j = sender(1500);
  j.send(0, items, 4, 'retransmit', true);
  const j0 = [...j.carried];
  j.onTimeout(100);
  j.onAck(500, j0.map(rn), 0);
  assert.equal(j.rtt, 500, 'the first transmission acknowledged late: 500 ms, not 400');
  const m = sender(1500);
  m.send(0, items, 4, 'retransmit', true);
  m.onTimeout(100);
  m.answered(150);
  assert.equal(m.rtt, undefined, 'an implicit answer to a resent flight: no sample');
  // An 'ack' flight (post-handshake) measures too.
  const p = sender(1500);
  p.send(0, items, 6, 'ack', false);
  p.onAck(25, p.carried.map(rn), 0);
  assert.equal(p.rtt, 25);
});

test("an 'ack' flight is resent until acknowledged, survives answered(), ends on its ACK or gives up after ACK_FLIGHT_MAX_RESENDS", () => {
  const s = sender(1500);
  s.send(0, items, 6, 'ack', false);
  s.answered(10);
  assert.ok(s.deadline !== undefined, 'the handshake completing does not end it');
  for (let i = 0; i < 3; i++) assert.ok(s.onTimeout(s.deadline!));
  const r = s.onAck(s.deadline! - 1, s.carried.map(rn), 0);
  assert.ok(r.flightAcked);
  assert.equal(s.deadline, undefined);
  assert.equal(s.current?.exhausted, false);

  const g = new FlightSender(new RecordLayer(nobleProvider, () => {}), { retransmit: { ...retransmit, max: 200 }, mtu: 1500 });
  g.send(0, items, 6, 'ack', false);
  let resends = 0;
  while (g.deadline !== undefined) if (g.onTimeout(g.deadline)) resends++;
  assert.equal(resends, ACK_FLIGHT_MAX_RESENDS);
  assert.equal(g.current?.exhausted, true);
  assert.equal(g.current?.acked, false);

  const c = sender(1500);
  c.send(0, items, 6, 'ack', false);
  c.confirmed();
  assert.equal(c.current, undefined, "the peer's data under the new keys ends it too");
});

test('an ACK naming a record of an epoch above its own is illegal_parameter; unknown and huge record numbers are ignored', () => {
  const s = sender();
  s.send(0, items, 4, 'retransmit', true);
  assert.throws(
    () => s.onAck(1, [recordNumber(1, 0)], 0),
    (e: unknown) => e instanceof DtlsError && e.code === 'illegal_parameter',
  );
  const big = (1n << 64n) - 1n;
  const r = s.onAck(1, [{ epoch: 0n, sequenceNumber: big }, recordNumber(0, 999_999)], 3);
  assert.equal(r.newlyAcked, 0);
  assert.ok(s.deadline !== undefined);
});

test('memory is bounded: a flood of distinct record numbers holds nothing; records beyond MAX_REMEMBERED_RECORDS are forgotten oldest first', () => {
  const s = sender(1500);
  s.send(0, items, 4, 'retransmit', true);
  const flood: RecordNumber[] = [];
  for (let i = 0; i < 4095; i++) flood.push(recordNumber(0, 1_000_000 + i));
  for (let k = 0; k < 50; k++) assert.equal(s.onAck(1, flood, 0).newlyAcked, 0);
  assert.ok(s.deadline !== undefined);

  // One byte per fragment: each transmission of a 1200-byte message is 1200 records.
  const big: FlightItem[] = [{ kind: 'handshake', epoch: 0, message: { msgType: 11, messageSeq: 0, body: new Uint8Array(1200) } }];
  const t = new FlightSender(new RecordLayer(nobleProvider, () => {}), { retransmit, mtu: 26 });
  t.send(0, big, 4, 'retransmit', true);
  const first = [...t.carried];
  assert.equal(first.length, 1200);
  const n = Math.ceil(MAX_REMEMBERED_RECORDS / 1200) + 1;
  for (let i = 0; i < n; i++) t.onTimeout(t.deadline!);
  assert.equal(t.onAck(1e6, first.map(rn), 0).newlyAcked, 0, 'the first transmission was forgotten');
  const last = [...t.carried];
  const r = t.onAck(1e6, last.map(rn), 0);
  assert.equal(r.newlyAcked, 1200);
  assert.ok(r.flightAcked);
});
