// The ACK machinery end to end on the simulated network (virtual clock, seeded
// loss), in a scripted exchange shaped like a DTLS 1.3 handshake
// (ack-scripted-endpoint.ts): what a lost datagram costs with ACKs and without, a lost
// ACK, a lost final flight, and 30% loss over 1000 seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair } from '../../src/testing/index.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { ContentType } from '../../src/wire/types.ts';
import { FLIGHTS, ScriptedEndpoint } from './ack-scripted-endpoint.ts';

const DELAY = 25;
const B_BYTES = FLIGHTS.B.reduce((a, b) => a + b, 0);

function pair(acks: boolean, link: { aToB?: object; bToA?: object; seed?: number; loss?: number } = {}) {
  const client = new ScriptedEndpoint('client', { acks });
  const server = new ScriptedEndpoint('server', { acks });
  const p = new SimPair(client, server, {
    seed: link.seed ?? 1,
    link: { delay: DELAY, loss: link.loss ?? 0 },
    aToB: link.aToB ?? {},
    bToA: link.bToA ?? {},
  });
  const connected = () => client.state === 'connected' && server.state === 'connected';
  const done = () => connected() && client.settled && server.settled;
  const c = p.run({ until: connected, maxDuration: 120_000 });
  const r = p.run({ until: done, maxDuration: 120_000 });
  return { client, server, r, connectedAt: c.now, done: done() };
}

const isAck = (d: Uint8Array) => decodeRecords(d).records.some((r) => r.contentType === ContentType.ack);

test('clean path: no resend; one ACK, from the server, for the final flight; the client learns the round trip', () => {
  const { client, server, done, r } = pair(true);
  assert.ok(done);
  assert.equal(client.resentBytes + server.resentBytes, 0);
  assert.equal(server.acksSent, 1);
  assert.equal(client.acksSent, 0, 'flights answered by a flight are not ACKed');
  assert.equal(r.now, 4 * DELAY, 'two round trips: the client is settled when the ACK of its Finished arrives');
});

test('one datagram of the server flight lost: with ACKs only its part is sent again; without, the whole flight', () => {
  // The server's datagram 1 (second of flight B) is lost once.
  const lose = { filter: (_: Uint8Array, i: number) => i !== 1 };
  const withAcks = pair(true, { bToA: lose });
  const without = pair(false, { bToA: lose });
  assert.ok(withAcks.done && without.done);
  assert.ok(withAcks.server.resentBytes > 0 && withAcks.server.resentBytes < 700, `resent ${withAcks.server.resentBytes} bytes (one datagram is at most 600)`);
  assert.ok(without.server.resentBytes >= B_BYTES, `without ACKs the whole flight: ${without.server.resentBytes}`);
  assert.ok(withAcks.client.acksSent >= 1 && withAcks.client.acksSent <= 2, `the client ACKed the partial flight, paced (${withAcks.client.acksSent} ACKs)`);
  // The ACK came a quarter of the client's timer after the first record, sooner than the server's timer.
  assert.ok(withAcks.connectedAt < without.connectedAt, `${withAcks.connectedAt} ms with ACKs, ${without.connectedAt} ms without`);
});

test('the server ACK lost: the client resends its Finished on its timer and the server ACKs again', () => {
  let acks = 0;
  const { client, server, done } = pair(true, { bToA: { filter: (d: Uint8Array) => !isAck(d) || ++acks > 1 } });
  assert.ok(done);
  assert.ok(client.resentBytes > 0);
  assert.equal(server.acksSent, 2);
  assert.equal(server.resentBytes, 0, 'the server resends no flight, only its ACK');
});

test('the client final flight lost: the client timer resends it until the ACK; the server is connected only then', () => {
  const { client, server, done } = pair(true, {
    // The client's second and third datagrams are its Finished and the first resend.
    aToB: { filter: (_: Uint8Array, i: number) => i !== 1 && i !== 2 },
  });
  assert.ok(done);
  assert.equal(client.stats.retransmits, 2);
  assert.equal(server.acksSent, 1);
});

test('30% loss both ways, 1000 seeds: every exchange connects, with ACKs and without; ACKs resend fewer bytes', () => {
  const sum = { acks: { connected: 0, settled: 0, resent: 0, time: 0 }, plain: { connected: 0, settled: 0, resent: 0, time: 0 } };
  for (let seed = 1; seed <= 1000; seed++) {
    for (const [k, acks] of [
      ['acks', true],
      ['plain', false],
    ] as const) {
      const { client, server, done, connectedAt } = pair(acks, { seed, loss: 0.3 });
      if (client.state === 'connected' && server.state === 'connected') sum[k].connected++;
      if (done) sum[k].settled++;
      sum[k].resent += client.resentBytes + server.resentBytes;
      sum[k].time += connectedAt;
    }
  }
  const line = (k: 'acks' | 'plain') =>
    `${sum[k].connected} connected, ${sum[k].settled} settled, ${Math.round(sum[k].resent / 1000)} B resent, ${Math.round(sum[k].time / 1000)} ms to connected (mean)`;
  console.log(`30% loss, 1000 seeds, 120 s each: with ACKs ${line('acks')}; without ${line('plain')}`);
  assert.equal(sum.acks.connected, 1000);
  assert.equal(sum.plain.connected, 1000);
  // Settled with ACKs: the client's Finished acknowledged. An ACK round needs
  // both directions (0.7 x 0.7): a few seeds lose ten in a row and are still
  // waiting at 120 s, connected all the same.
  assert.ok(sum.acks.settled >= 995, `${sum.acks.settled}`);
  assert.ok(sum.acks.resent < sum.plain.resent / 2, 'ACKs resend less than half the bytes');
});
