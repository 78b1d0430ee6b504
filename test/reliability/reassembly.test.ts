import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reassembler } from '../../src/reliability/reassembly.ts';
import { fragmentMessage } from '../../src/reliability/fragment.ts';
import type { HandshakeFragment, HandshakeMessage } from '../../src/wire/types.ts';

const body = (n: number, salt = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + salt) & 0xff);
const frag = (seq: number, length: number, offset: number, b: Uint8Array, msgType = 11): HandshakeFragment => ({
  msgType,
  length,
  messageSeq: seq,
  fragmentOffset: offset,
  body: b,
});
/** A fragment of message `m` covering [start, end). */
const slice = (m: HandshakeMessage, start: number, end: number): HandshakeFragment =>
  frag(m.messageSeq, m.body.length, start, m.body.subarray(start, end), m.msgType);

function drain(r: Reassembler): HandshakeMessage[] {
  const out: HandshakeMessage[] = [];
  for (let m = r.poll(); m; m = r.poll()) out.push(m);
  return out;
}

test('in order, one message', () => {
  const m = { msgType: 11, messageSeq: 0, body: body(1000) };
  const r = new Reassembler();
  const fs = fragmentMessage(m, 300);
  for (const [i, f] of fs.entries()) {
    assert.equal(r.add(f), 'buffered');
    if (i < fs.length - 1) assert.equal(r.poll(), undefined);
  }
  assert.deepEqual(r.poll(), m);
  assert.equal(r.poll(), undefined);
  assert.equal(r.nextSeq, 1);
  assert.equal(r.bufferedBytes, 0);
  assert.equal(r.stats.messages, 1);
});

test('reversed, duplicated and overlapping fragments', () => {
  const m = { msgType: 2, messageSeq: 0, body: body(100) };
  const r = new Reassembler();
  const parts = [slice(m, 90, 100), slice(m, 50, 95), slice(m, 50, 95), slice(m, 0, 10), slice(m, 5, 60)];
  for (const f of parts) {
    assert.equal(r.poll(), undefined);
    assert.equal(r.add(f), 'buffered');
  }
  assert.deepEqual(r.poll(), m);
});

test('messages ahead wait for the earlier one', () => {
  const m0 = { msgType: 2, messageSeq: 0, body: body(40) };
  const m1 = { msgType: 11, messageSeq: 1, body: body(30, 1) };
  const m2 = { msgType: 14, messageSeq: 2, body: new Uint8Array(0) };
  const r = new Reassembler();
  r.add(slice(m2, 0, 0));
  r.add(slice(m1, 0, 30));
  assert.equal(r.poll(), undefined);
  r.add(slice(m0, 20, 40));
  assert.equal(r.poll(), undefined);
  r.add(slice(m0, 0, 20));
  assert.deepEqual(drain(r), [m0, m1, m2]);
  assert.equal(r.nextSeq, 3);
});

test('the body is copied: the caller may reuse its datagram', () => {
  const src = body(10);
  const r = new Reassembler();
  r.add(frag(0, 10, 0, src));
  src.fill(0);
  assert.deepEqual(r.poll()!.body, body(10));
});

test("'old' for messages already handed out, and after nextSeq is set", () => {
  const r = new Reassembler();
  r.add(frag(0, 3, 0, body(3)));
  r.poll();
  assert.equal(r.add(frag(0, 3, 0, body(3))), 'old');
  assert.equal(r.add(frag(0, 3, 1, body(1))), 'old');
  r.nextSeq = 5;
  assert.equal(r.add(frag(4, 1, 0, body(1))), 'old');
  assert.equal(r.add(frag(5, 1, 0, body(1))), 'buffered');
  assert.equal(r.stats.old, 3);
  assert.equal(r.poll()!.messageSeq, 5);
});

test('setting nextSeq discards messages outside the new window', () => {
  const r = new Reassembler({ maxMessagesAhead: 4 });
  r.add(frag(1, 10, 0, body(5)));
  r.add(frag(3, 10, 0, body(5)));
  assert.equal(r.bufferedBytes, 20);
  r.nextSeq = 2;
  assert.equal(r.bufferedBytes, 10);
  assert.equal(r.bufferedMessages, 1);
});

test('a huge claimed length is refused without allocating it', () => {
  const r = new Reassembler();
  assert.equal(r.add(frag(0, 16 * 1024 * 1024, 0, body(10))), 'dropped');
  assert.equal(r.add(frag(0, 65537, 0, body(10))), 'dropped');
  assert.equal(r.stats.tooLarge, 2);
  assert.equal(r.bufferedBytes, 0);
  assert.equal(r.add(frag(0, 65536, 0, body(10))), 'buffered');
  assert.equal(r.bufferedBytes, 65536);
});

test('too many messages ahead are dropped', () => {
  const r = new Reassembler();
  r.nextSeq = 10;
  assert.equal(r.add(frag(17, 1, 0, body(1))), 'buffered');
  assert.equal(r.add(frag(18, 1, 0, body(1))), 'dropped');
  assert.equal(r.stats.tooFarAhead, 1);
});

test('inconsistent and malformed fragments are dropped and counted', () => {
  const r = new Reassembler();
  r.add(frag(0, 10, 0, body(4), 11));
  assert.equal(r.add(frag(0, 10, 4, body(4), 12)), 'dropped');
  assert.equal(r.add(frag(0, 11, 4, body(4), 11)), 'dropped');
  assert.equal(r.stats.inconsistent, 2);
  assert.equal(r.add(frag(0, 10, 8, body(4), 11)), 'dropped');
  assert.equal(r.add(frag(1, 3, 0, body(4), 11)), 'dropped');
  assert.equal(r.stats.malformed, 2);
  assert.equal(r.stats.dropped, 4);
  assert.equal(r.add(frag(0, 10, 4, body(6).subarray(0, 6), 11)), 'buffered');
  assert.equal(r.poll()!.body.length, 10);
});

test('an empty message completes with its single fragment', () => {
  const r = new Reassembler();
  assert.equal(r.add(frag(0, 0, 0, new Uint8Array(0), 14)), 'buffered');
  assert.deepEqual(r.poll(), { msgType: 14, messageSeq: 0, body: new Uint8Array(0) });
});

test('a flood of tiny overlapping fragments stays within maxBufferedBytes', () => {
  const max = 100_000;
  const r = new Reassembler({ maxBufferedBytes: max });
  let x = 12345;
  const rand = (n: number) => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n;
  for (let i = 0; i < 50_000; i++) {
    const seq = rand(8);
    const off = rand(65530);
    r.add(frag(seq, 65536, off, body(1 + rand(6))));
    assert.ok(r.bufferedBytes <= max);
  }
  assert.ok(r.stats.overBudget > 0);
  assert.equal(r.stats.dropped, r.stats.overBudget);
});

test('an earlier message evicts later ones to make progress', () => {
  const r = new Reassembler({ maxBufferedBytes: 300 });
  for (const seq of [1, 2, 3]) assert.equal(r.add(frag(seq, 100, 0, body(50))), 'buffered');
  assert.equal(r.add(frag(4, 100, 0, body(50))), 'dropped', 'no room, nothing later to evict');
  assert.equal(r.add(frag(0, 150, 0, body(150))), 'buffered');
  assert.equal(r.stats.evicted, 2, 'seq 3 and 2 made room');
  assert.equal(r.bufferedBytes, 250);
  assert.equal(r.poll()!.body.length, 150);
  assert.equal(r.add(frag(1, 100, 50, body(50))), 'buffered');
  assert.equal(r.poll()!.messageSeq, 1);
});

test('reset forgets everything but the counters', () => {
  const r = new Reassembler();
  r.nextSeq = 3;
  r.add(frag(3, 10, 0, body(5)));
  r.reset();
  assert.equal(r.nextSeq, 0);
  assert.equal(r.bufferedBytes, 0);
  assert.equal(r.stats.fragments, 1);
});

test('rejects bad options', () => {
  assert.throws(() => new Reassembler({ maxMessagesAhead: 0 }), RangeError);
  assert.throws(() => new Reassembler({ maxBufferedBytes: -1 }), RangeError);
  assert.throws(() => {
    new Reassembler().nextSeq = -1;
  }, RangeError);
});

/** Random cuts of a message into fragments, plus random extra overlapping ones. */
const fragmentsOf = (m: HandshakeMessage) =>
  fc
    .tuple(
      fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, m.body.length - 1) }), { maxLength: 20 }),
      fc.array(fc.tuple(fc.nat(m.body.length), fc.nat(m.body.length)), { maxLength: 5 }),
    )
    .map(([cuts, extra]) => {
      const points = [0, ...cuts.filter((c) => c < m.body.length).sort((a, b) => a - b), m.body.length];
      const out: HandshakeFragment[] = [];
      for (let i = 0; i + 1 < points.length; i++) out.push(slice(m, points[i]!, points[i + 1]!));
      if (out.length === 0) out.push(slice(m, 0, 0));
      for (const [a, b] of extra) out.push(slice(m, Math.min(a, b), Math.max(a, b)));
      return out;
    });

test('random fragmentation, order and duplication always gives back the originals (property)', () => {
  const messages = fc
    .array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 600 })), { minLength: 1, maxLength: 5 })
    .map((xs) => xs.map(([msgType, b], i): HandshakeMessage => ({ msgType, messageSeq: i, body: b })));
  const scenario = messages.chain((ms) =>
    fc.tuple(
      fc.constant(ms),
      fc.tuple(...ms.map(fragmentsOf)).chain((fss) => fc.shuffledSubarray(fss.flat(), { minLength: fss.flat().length })),
    ),
  );
  fc.assert(
    fc.property(scenario, fc.nat(3), ([ms, fs], dupEvery) => {
      const r = new Reassembler();
      const got: HandshakeMessage[] = [];
      fs.forEach((f, i) => {
        assert.notEqual(r.add(f), 'dropped');
        if (dupEvery && i % dupEvery === 0) r.add(f);
        got.push(...drain(r));
      });
      assert.deepEqual(got, ms);
      assert.equal(r.bufferedBytes, 0);
      assert.equal(r.nextSeq, ms.length);
    }),
  );
});
