// The fuzzer's footing: recordings are deterministic and a fresh Connection
// fed an unmutated recording completes exactly as the recorded one did. If
// this fails, the conversation shards measure nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCase, runCase } from './engine.ts';
import { recordings, T0, drive, freshConnection, describeHandshake, exporterOf } from './recordings.ts';
import { mutateOnce } from './mutate.ts';
import { Prng } from './det-crypto.ts';

test('every recording, both sides, replays unmutated to the recorded handshake', () => {
  const recs = recordings();
  assert.ok(recs.length >= 7);
  for (const r of recs) {
    for (const side of [r.client, r.server]) {
      const c = freshConnection(side);
      c.start(T0);
      drive(c, side.received, () => {
        while (c.pollTransmit());
        while (c.pollEvent());
      });
      assert.ok(c.handshakeInfo, `${r.name} ${side.role}: ${c.state} ${c.error?.message ?? ''}`);
      assert.equal(describeHandshake(c), side.info);
      assert.equal(exporterOf(c), side.exporter);
      const got: string[] = [];
      for (let d = c.pollReceived(); d; d = c.pollReceived()) got.push(Buffer.from(d).toString());
      assert.deepEqual(
        got,
        side.peerAppData.map((d) => Buffer.from(d).toString()),
      );
    }
  }
});

test('a case is a pure function of (seed, index)', () => {
  for (const i of [0, 1, 17, 4242]) {
    const a = makeCase(99, i);
    const b = makeCase(99, i);
    assert.deepEqual(a.mutations, b.mutations);
    assert.deepEqual(a.deliveries, b.deliveries);
    assert.deepEqual(runCase(a), runCase(b));
  }
});

test('mutations change what is delivered', () => {
  const r = recordings()[0]!;
  const rng = new Prng(5);
  let changed = 0;
  for (let i = 0; i < 200; i++) {
    const list = r.server.received.slice();
    mutateOnce(rng, list, { pool: [Uint8Array.of(22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)] });
    if (JSON.stringify(list.map((d) => [d.at, Array.from(d.data)])) !== JSON.stringify(r.server.received.map((d) => [d.at, Array.from(d.data)]))) changed++;
  }
  assert.ok(changed > 180, `${changed} of 200 mutations changed the conversation`);
});

test('the harness reports an exception inside the connection as a bug', () => {
  // A case whose connection throws from handleDatagram must come out as a bug, not a pass.
  const spec = makeCase(1, 0);
  const broken = { ...spec, deliveries: [{ at: T0 + 1, data: null as unknown as Uint8Array }] };
  const res = runCase(broken);
  assert.equal(res.outcome, 'bug');
  assert.match(res.problem ?? '', /failed with internal_error|exception/);
});
