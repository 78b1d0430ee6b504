// Application data after the handshake over a link that loses, duplicates,
// reorders and corrupts datagrams: no record is delivered twice, none is
// delivered corrupted, and records arrive in the order the link delivered them
// (DTLS does not reorder, RFC 6347 4.1.2.6 only drops replays).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, SimPair, createPair as createPairAnyVersion, bothIn } from '../../src/testing/index.ts';
import type { ConnectionLike } from '../../src/connection-types.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { ContentType } from '../../src/wire/types.ts';
import { toHex } from '../../src/wire/codec.ts';

/** These tests read DTLS 1.2 record headers and flights: both sides speak 1.2 alone (the library's default is ['1.3', '1.2']). */
const createPair: typeof createPairAnyVersion = (client = {}, server = {}, opts) =>
  createPairAnyVersion({ versions: ['1.2'], ...client }, { versions: ['1.2'], ...server }, opts);

/** Message i: [i hi, i lo, n, then n bytes derived from i], n in 1..200, so a payload checks itself. */
function message(i: number): Uint8Array {
  const n = 1 + ((i * 37) % 200);
  const m = new Uint8Array(3 + n);
  m.set([i >> 8, i & 0xff, n]);
  for (let k = 0; k < n; k++) m[3 + k] = (i * 31 + k * 7) & 0xff;
  return m;
}

function intact(m: Uint8Array): number | undefined {
  if (m.length < 3) return undefined;
  const i = (m[0]! << 8) | m[1]!;
  const expected = message(i);
  return toHex(expected) === toHex(m) ? i : undefined;
}

/** Records every datagram handed to `inner`, in the order the link delivered them. */
function recording(inner: ConnectionLike, delivered: Uint8Array[]): ConnectionLike {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'handleDatagram') {
        return (now: number, d: Uint8Array) => {
          delivered.push(d.slice());
          target.handleDatagram(now, d);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * What the receiver must hand out: the authentic datagrams (byte-identical to
 * one sent) in delivery order, less replays, and less records too old for the
 * 64-record replay window (RFC 6347 4.1.2.6).
 */
function expectedOrder(delivered: Uint8Array[], sent: Map<string, number>): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  let top = -1;
  for (const d of delivered) {
    const i = sent.get(toHex(d));
    if (i === undefined) continue; // corrupted, or not application data
    const seq = decodeRecords(d).records[0]!.sequenceNumber;
    if (seen.has(seq) || seq <= top - 64) continue;
    seen.add(seq);
    top = Math.max(top, seq);
    out.push(i);
  }
  return out;
}

function isSorted(xs: number[]): boolean {
  return xs.every((x, k) => k === 0 || xs[k - 1]! < x);
}

for (const direction of ['client to server', 'server to client'] as const) {
  test(`application data ${direction} over loss, duplication, reordering and corruption: none twice, none corrupted, in link order`, () => {
    for (let seed = 1; seed <= 4; seed++) {
      const { client, server } = createPair({}, {}, { seed });
      const fromClient = direction === 'client to server';
      const delivered: Uint8Array[] = [];
      const a = fromClient ? client : recording(client, delivered);
      const b = fromClient ? recording(server, delivered) : server;
      const sender: ConnectionLike = fromClient ? client : server;
      // Corruption only once connected: a flipped bit in a plaintext handshake
      // message would (rightly) fail the handshake, which is not what this tests.
      let phase: 'handshake' | 'data' = 'handshake';
      const rng = new Rng(seed * 104729);
      let corrupted = 0;
      const sent = new Map<string, number>();
      let sentCount = 0;
      const senderLink = {
        filter: (d: Uint8Array) => {
          if (phase === 'data' && decodeRecords(d).records[0]?.contentType === ContentType.application_data) sent.set(toHex(d), sentCount++);
          return true;
        },
        rewrite: (d: Uint8Array) => {
          if (phase !== 'data' || !rng.chance(0.1)) return [d];
          const c = d.slice();
          const bit = rng.int(c.length * 8);
          c[bit >>> 3]! ^= 1 << (bit & 7);
          corrupted++;
          return [c];
        },
      };
      const pair = new SimPair(a, b, {
        seed,
        link: { delay: 20, jitter: 15, loss: 0.15, duplicate: 0.2, reorder: 0.2, reorderDelay: 30 },
        [fromClient ? 'aToB' : 'bToA']: senderLink,
      });
      const hs = pair.run({ until: bothIn('connected'), maxDuration: 60_000 });
      assert.equal(hs.reason, 'until', `seed ${seed}: handshake`);
      phase = 'data';
      delivered.length = 0;
      const N = 300;
      for (let i = 0; i < N; i++) {
        sender.send(pair.now, message(i));
        pair.flush();
        pair.run({ maxDuration: 2 }); // one message every 2 ms: reordered ones are overtaken by ~15
      }
      // Server to client, the client sends nothing in epoch 1, so nothing tells the
      // server its final flight arrived: it resends flight 6 on its timer, at most
      // 6 times (T, 3T, 7T, 15T, 31T, 63T after it when no copy of flight 5 re-arms
      // it, T >= 100 ms here), and its timer then runs out. Client to server, the
      // first data the server gets stops that.
      const r = pair.run({ maxDuration: 60_000 });
      assert.equal(r.reason, 'idle', 'everything delivered or lost, no timer running');
      assert.equal(server.pollTimeout(), undefined);
      assert.equal(client.pollTimeout(), undefined);
      assert.equal(sentCount, N, 'one datagram per send');
      const serverResends = pair.log.b.timeline.filter((x) => x.event.type === 'retransmit' && x.time >= hs.now);
      assert.ok(
        serverResends.every((x) => x.event.type === 'retransmit' && x.event.flight === 6),
        'only the final flight is resent after the handshake',
      );
      const timerResends = pair.log.b.events.filter((e) => e.type === 'retransmit' && e.flight === 6 && e.reason === 'timeout').length;
      assert.ok(timerResends <= 6, `${timerResends} timer resends of flight 6`);
      if (!fromClient) assert.equal(timerResends, 6, 'a silent client leaves the server resending flight 6 all 6 times');

      const receivedLog = fromClient ? pair.log.b.received : pair.log.a.received;
      const received = receivedLog.map((m) => intact(m));
      assert.ok(
        received.every((i) => i !== undefined),
        `seed ${seed}: a corrupted record was delivered`,
      );
      const ids = received as number[];
      assert.equal(new Set(ids).size, ids.length, `seed ${seed}: a record was delivered twice`);
      assert.deepEqual(ids, expectedOrder(delivered, sent), `seed ${seed}: not the link's order`);

      // The link really did all of it, so the checks above meant something.
      const stats = fromClient ? r.links.aToB : r.links.bToA;
      const receiver = fromClient ? server : client;
      assert.ok(stats.duplicated > 10 && stats.lost > 10 && stats.reordered > 10 && corrupted > 10, JSON.stringify({ ...stats, corrupted }));
      assert.ok(!isSorted(ids), 'some records were overtaken on the link and delivered out of send order');
      assert.ok((receiver.stats.dropped.replay ?? 0) > 0, 'duplicates dropped as replays');
      assert.ok((receiver.stats.dropped.auth_failed ?? 0) + (receiver.stats.dropped.malformed ?? 0) + (receiver.stats.dropped.bad_version ?? 0) > 0);
      assert.ok(ids.length > N * 0.7, `${ids.length}/${N} delivered`);
      assert.equal(receiver.state, 'connected', 'bad records are dropped, never fatal');
    }
  });
}
