// DTLS 1.3 on a clean path with a 500 ms round trip (250 ms each way, no
// loss): the default timer starts at 100 ms, so a message goes out again before
// its answer can come back until a round trip is measured. ACKs name the
// records they acknowledge, so the first ACK measures it (RFC 9147 5.8.2, 7):
// from then on nothing is sent early. Counted here in datagrams per KeyUpdate
// (one KeyUpdate, one ACK when nothing is sent twice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, createPair, bothIn } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';

const DELAY = 250;

function connectedPair(): { client: Connection; server: Connection; pair: SimPair } {
  const { client, server } = createPair({ versions: ['1.3'] }, { versions: ['1.3'] }, { seed: 1 });
  const pair = new SimPair(client, server, { link: { delay: DELAY } });
  assert.equal(pair.run({ until: bothIn('connected'), maxDuration: 30_000 }).reason, 'until');
  // Let the last ACKs and copies of the handshake settle.
  pair.run({ maxDuration: 5_000 });
  return { client, server, pair };
}

/** Runs one KeyUpdate of `who` to the end: datagrams each way, and the retransmissions `who` made (ms after the call). */
function keyUpdate(pair: SimPair, who: Connection): { out: number; back: number; resent: number[] } {
  const t0 = pair.now;
  const mine = who === pair.a ? pair.aToB : pair.bToA;
  const theirs = who === pair.a ? pair.bToA : pair.aToB;
  const before = [mine.stats.sent, theirs.stats.sent];
  who.updateKeys(pair.now);
  pair.run({ maxDuration: 5_000 });
  const log = who === pair.a ? pair.log.a : pair.log.b;
  const resent = log.timeline.filter((e) => e.time >= t0 && e.event.type === 'retransmit').map((e) => e.time - t0);
  return { out: mine.stats.sent - before[0]!, back: theirs.stats.sent - before[1]!, resent };
}

test('client: its flight 5 was acknowledged during the handshake, so every KeyUpdate goes out once and draws one ACK', () => {
  const { client, pair } = connectedPair();
  const acksIn = pair.log.a.timeline.filter((e) => e.event.type === 'trace' && e.event.direction === 'in' && e.event.what === 'ACK');
  assert.ok(acksIn.length > 0, 'the client had an ACK before');
  for (let k = 0; k < 3; k++) assert.deepEqual(keyUpdate(pair, client), { out: 1, back: 1, resent: [] }, `KeyUpdate ${k}`);
});

test('server: its first KeyUpdate, before any ACK came in, goes out early (100, 300 ms); every later one once, timed from that ACK', () => {
  const { server, pair } = connectedPair();
  const acksIn = pair.log.b.timeline.filter((e) => e.event.type === 'trace' && e.event.direction === 'in' && e.event.what === 'ACK');
  assert.equal(acksIn.length, 0, 'no ACK reached the server during the handshake (its flight is acknowledged implicitly)');
  const first = keyUpdate(pair, server);
  assert.deepEqual(first.resent, [100, 300], 'no round trip known: the 100 ms timer, doubling');
  for (let k = 1; k < 4; k++) assert.deepEqual(keyUpdate(pair, server), { out: 1, back: 1, resent: [] }, `KeyUpdate ${k}`);
});
