// The bounds of the connection's own queues (connection-data.ts,
// connection-output.ts): data held before the handshake completes, the
// peer's early records, and datagrams queued out. Each bound is a typed error
// or a counted drop, never unbounded memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeldData, checkSend, maxSendFor } from '../../src/connection-data.ts';
import { queueOut, single } from '../../src/connection-output.ts';
import type { ConnectionStats } from '../../src/connection-types.ts';
import { DtlsError } from '../../src/errors.ts';
import { resolveOptions } from '../../src/options.ts';
import { SimPair, bothIn, createPair } from '../../src/testing/index.ts';

const stats = (): ConnectionStats => ({ datagramsIn: 0, datagramsOut: 0, recordsIn: 0, recordsOut: 0, retransmits: 0, dropped: {} });
const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

for (const version of ['1.2', '1.3'] as const) {
  test(`DTLS ${version}: send() before the handshake holds up to limits.maxPendingSends, then a typed error; the held data arrives in order once connected`, () => {
    const { client, server } = createPair({ versions: [version], limits: { maxPendingSends: 3 } }, { versions: [version] }, { seed: 7 });
    const p = new SimPair(client, server, { seed: 7, link: { delay: 5 } });
    p.start();
    const sent = [bytes(10, 1), bytes(20, 2), bytes(30, 3)];
    for (const m of sent) client.send(0, m);
    sent[0]!.fill(9); // held as a copy: the caller may reuse its buffer
    assert.throws(
      () => client.send(0, bytes(5)),
      (e: unknown) => e instanceof DtlsError && e.code === 'internal_error' && /too much data queued/.test(e.message),
    );
    p.run({ until: (q) => bothIn('connected')(q) && q.log.b.received.length >= 3, maxDuration: 30_000 });
    assert.deepEqual(
      p.log.b.received.map((m) => [m.length, m[0]]),
      [
        [10, 1],
        [20, 2],
        [30, 3],
      ],
    );
    // Connected: send() no longer holds, so the bound no longer applies.
    for (let i = 0; i < 5; i++) client.send(p.now, bytes(4, i));
    p.run({ until: (q) => q.log.b.received.length >= 8, maxDuration: 5_000 });
    assert.equal(p.log.b.received.length, 8);
  });
}

test('close() during the handshake with data held closes once that data went out', () => {
  const { client, server } = createPair({ versions: ['1.3'] }, { versions: ['1.3'] }, { seed: 3 });
  const p = new SimPair(client, server, { seed: 3, link: { delay: 5 } });
  p.start();
  client.send(0, bytes(8, 4));
  client.close(0);
  assert.equal(client.state, 'handshaking');
  assert.throws(() => client.send(0, bytes(1)), DtlsError, 'a send after close() is refused even while the handshake runs');
  p.run({ until: (q) => q.a.state === 'closed' && q.log.b.received.length === 1, maxDuration: 30_000 });
  assert.equal(client.state, 'closed');
  assert.deepEqual([...p.log.b.received[0]!], [...bytes(8, 4)]);
});

test('HeldData: the peer early records are held up to 16, then refused (the connection drops them)', () => {
  const held = new HeldData();
  for (let i = 0; i < 16; i++) assert.equal(held.holdEarly(bytes(1, i)), true);
  assert.equal(held.holdEarly(bytes(1, 99)), false);
  assert.deepEqual(
    held.early.map((m) => m[0]),
    Array.from({ length: 16 }, (_, i) => i),
  );
});

test('checkSend: a TypeError for what is not a Uint8Array, a RangeError past the record limit, one byte less where DTLS 1.2 CIDs may be negotiated (RFC 9146 4)', () => {
  const plain = maxSendFor(resolveOptions({ role: 'client', verify: 'insecure' }));
  const cid12 = maxSendFor(resolveOptions({ role: 'client', verify: 'insecure', connectionId: 4 }));
  const cid13only = maxSendFor(resolveOptions({ role: 'client', verify: 'insecure', versions: ['1.3'], connectionId: 4 }));
  assert.deepEqual([plain, cid12, cid13only], [16384, 16383, 16384]);
  assert.throws(() => checkSend('text' as unknown as Uint8Array, plain), TypeError);
  checkSend(bytes(plain), plain);
  assert.throws(() => checkSend(bytes(plain + 1), plain), RangeError);
  assert.throws(() => checkSend(bytes(cid12 + 1), cid12), /RFC 9146 4/);
});

test('queueOut: at most 1024 datagrams queued; the rest are reported lost and not counted as sent', () => {
  const out: Uint8Array[] = [];
  const s = stats();
  for (let i = 0; i < 1020; i++) assert.equal(queueOut(out, single(bytes(1)), s), 0);
  assert.deepEqual([s.datagramsOut, s.recordsOut], [1020, 1020]);
  // A flight of 10 datagrams carrying 14 records: 4 fit, each counted as one record.
  const flight = { datagrams: Array.from({ length: 10 }, (_, i) => bytes(2, i)), records: 14, carried: [] };
  assert.equal(queueOut(out, flight, s), 6);
  assert.equal(out.length, 1024);
  assert.deepEqual(
    out.slice(1020).map((d) => d[0]),
    [0, 1, 2, 3],
  );
  assert.deepEqual([s.datagramsOut, s.recordsOut], [1024, 1024]);
  assert.equal(queueOut(out, single(bytes(1)), s), 1);
  // A flight that fits whole counts all its records.
  out.length = 0;
  assert.equal(queueOut(out, flight, s), 0);
  assert.deepEqual([s.datagramsOut, s.recordsOut], [1034, 1038]);
});
