import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fragmentMessage } from '../../src/reliability/fragment.ts';
import { concat } from '../../src/wire/codec.ts';

const msg = (n: number) => ({ msgType: 11, messageSeq: 3, body: Uint8Array.from({ length: n }, (_, i) => i & 0xff) });

test('an empty body gives one empty fragment', () => {
  const f = fragmentMessage(msg(0), 100);
  assert.equal(f.length, 1);
  assert.deepEqual({ ...f[0], body: [...f[0]!.body] }, { msgType: 11, length: 0, messageSeq: 3, fragmentOffset: 0, body: [] });
});

test('splits at maxFragmentBody with a shorter last fragment', () => {
  const m = msg(250);
  const f = fragmentMessage(m, 100);
  assert.deepEqual(
    f.map((x) => [x.fragmentOffset, x.body.length, x.length, x.msgType, x.messageSeq]),
    [
      [0, 100, 250, 11, 3],
      [100, 100, 250, 11, 3],
      [200, 50, 250, 11, 3],
    ],
  );
  assert.equal(fragmentMessage(msg(200), 100).length, 2);
  assert.equal(fragmentMessage(msg(100), 100).length, 1);
});

test('bodies are views into the message body', () => {
  const m = msg(10);
  for (const x of fragmentMessage(m, 3)) {
    assert.equal(x.body.buffer, m.body.buffer);
    assert.equal(x.body.byteOffset, m.body.byteOffset + x.fragmentOffset);
  }
});

test('rejects a non-positive or fractional maximum', () => {
  assert.throws(() => fragmentMessage(msg(1), 0), RangeError);
  assert.throws(() => fragmentMessage(msg(1), 1.5), RangeError);
});

test('fragments tile the body exactly (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 300 }), (body, max) => {
      const f = fragmentMessage({ msgType: 1, messageSeq: 0, body }, max);
      assert.ok(f.length >= 1 && f.length === Math.max(1, Math.ceil(body.length / max)));
      let off = 0;
      for (const x of f) {
        assert.equal(x.fragmentOffset, off);
        assert.ok(x.body.length <= max);
        off += x.body.length;
      }
      assert.deepEqual(concat(...f.map((x) => x.body)), body);
    }),
  );
});
