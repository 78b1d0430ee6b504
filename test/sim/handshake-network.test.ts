// The whole DTLS 1.2 handshake over a simulated network with a virtual clock,
// each case from a fixed seed (deterministic: a failure reproduces exactly).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPair, bothIn, type LinkOptions, type SimPair } from './network.ts';
import { resolveOptions } from '../../src/options.ts';
import { makePair } from '../handshake/helpers.ts';
import { utf8, fromUtf8 } from '../../src/wire/codec.ts';
import type { Connection } from '../../src/connection.ts';

function describe(c: Connection, s: Connection): string {
  return `client ${c.state} ${c.error?.message ?? ''} / server ${s.state} ${s.error?.message ?? ''}`;
}

function handshakeUnder(link: LinkOptions, seed: number, opts: { mtu?: number } = {}) {
  const { client, server } = makePair({ mtu: opts.mtu ?? 1200, handshakeTimeout: 120_000 }, { mtu: opts.mtu ?? 1200, handshakeTimeout: 120_000 });
  const r = runPair(client, server, { seed, link, until: bothIn('connected'), maxDuration: 240_000 });
  assert.equal(r.reason, 'until', `seed ${seed}: ${describe(client, server)}`);
  // Data both ways once connected, over the same lossy link: retry until it lands.
  return { client, server, r };
}

test('handshake completes under 30% random loss (40 seeds; failures only as typed timeouts)', () => {
  // At 30% loss each way a flight round trip succeeds about half the time, and
  // the timer (100 ms doubling, from max(100 ms, 1.5 x the round trip) once one
  // is measured) allows only a limited number of tries in 120 s: a rare seed
  // could run out of them. Those must fail cleanly; issue 3 tunes the schedule.
  let ok = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const { client, server } = makePair({ handshakeTimeout: 120_000 }, { handshakeTimeout: 120_000 });
    const r = runPair(client, server, { seed, link: { loss: 0.3, delay: 20, jitter: 10 }, until: bothIn('connected'), maxDuration: 240_000 });
    if (r.reason === 'until') ok++;
    else assert.ok(client.error?.code === 'handshake_timeout' || server.error?.code === 'handshake_timeout', `seed ${seed}: ${describe(client, server)}`);
  }
  assert.ok(ok >= 38, `${ok}/40 completed`);
});

test('handshake completes with reordering and duplication (20 seeds)', () => {
  for (let seed = 1; seed <= 20; seed++) {
    handshakeUnder({ reorder: 0.3, reorderDelay: 30, duplicate: 0.3, delay: 10, jitter: 20 }, seed);
  }
});

test('handshake completes with an MTU of 256, and no datagram exceeds it', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const { r } = handshakeUnder({ mtu: 256, delay: 5 }, seed, { mtu: 256 });
    assert.equal(r.links.aToB.oversize, 0);
    assert.equal(r.links.bToA.oversize, 0);
  }
});

test('handshake completes under 30% loss, reordering, duplication and MTU 256 together (20 seeds)', () => {
  for (let seed = 100; seed < 120; seed++) {
    handshakeUnder({ loss: 0.3, reorder: 0.2, duplicate: 0.2, delay: 10, jitter: 20, mtu: 256 }, seed, { mtu: 256 });
  }
});

test('a lost final flight (server CCS+Finished) is resent when the client retransmits', () => {
  const { client, server } = makePair();
  // Server→client datagrams: 0 = flight 4, 1 = flight 6 (the final flight). Drop the latter once.
  const r = runPair(client, server, { seed: 3, bToA: { filter: (_d, i) => i !== 1 }, until: bothIn('connected') });
  assert.equal(r.reason, 'until', describe(client, server));
  const serverRetx = r.b.events.filter((e) => e.type === 'retransmit');
  assert.ok(
    serverRetx.some((e) => e.type === 'retransmit' && e.flight === 6 && e.reason === 'peer-retransmit'),
    'server resent flight 6 on the peer retransmission',
  );
  const clientRetx = r.a.events.filter((e) => e.type === 'retransmit');
  assert.ok(clientRetx.some((e) => e.type === 'retransmit' && e.flight === 5 && e.reason === 'timeout'));
});

for (const [timer, retransmit, expected] of [
  // No link delay: the ClientHello was answered in a 0 ms round trip, so the
  // adaptive timer of flight 5 is max(retransmit.min, 1.5 x 0) = retransmit.min,
  // 100 ms by default. (The server's flight-4 timer, 100 ms from 0 too, expires
  // at the same instant; the client's timer is handled first.)
  ['the default adaptive timer', {}, 100],
  // 1 s from 0, nothing measured.
  ['the RFC 6347 timer (retransmit: { initial: 1000, adaptive: false })', { initial: 1000, adaptive: false }, 1000],
] as const) {
  test(`a lost client final flight is retransmitted on the client's timer: ${timer}, at ${expected} ms`, () => {
    const { client, server } = makePair({ retransmit }, { retransmit });
    // Client→server: 0 = ClientHello, 1 = flight 5. Drop flight 5 once.
    const r = runPair(client, server, { seed: 4, aToB: { filter: (_d, i) => i !== 1 }, until: bothIn('connected') });
    assert.equal(r.reason, 'until', describe(client, server));
    const t = r.a.timeline.find((e) => e.event.type === 'retransmit');
    assert.deepEqual(t, { time: expected, event: { type: 'retransmit', flight: 5, attempt: 1, reason: 'timeout' } });
  });
}

test('retransmission schedule doubles from the initial value and the handshake times out with a typed error', () => {
  const { client, server } = makePair({ retransmit: { initial: 1000, max: 8000 }, handshakeTimeout: 30_000 });
  const r = runPair(client, server, { seed: 5, aToB: { loss: 1 }, until: (p) => p.a.state === 'failed' });
  assert.equal(r.reason, 'until');
  const times = r.a.timeline.filter((e) => e.event.type === 'retransmit').map((e) => e.time);
  // 1, +2, +4, +8, then capped at 8 s: 1000, 3000, 7000, 15000, 23000; then the 30 s deadline.
  assert.deepEqual(times, [1000, 3000, 7000, 15000, 23000]);
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(r.now, 30_000);
  assert.equal(client.pollTimeout(), undefined, 'no timer left after failure');
});

test('replayed and forged records are dropped and counted, never fatal', () => {
  const { client, server } = makePair();
  const captured: Uint8Array[] = [];
  let capture = false;
  const r = runPair(client, server, {
    seed: 6,
    aToB: { filter: (d) => (capture && captured.push(d.slice()), true) },
    until: bothIn('connected'),
  });
  assert.equal(r.reason, 'until');
  capture = true;
  client.send(r.pair.now, utf8('once'));
  r.pair.flush();
  r.pair.run({ until: (p) => p.log.b.received.length === 1, maxDuration: 1000 });
  capture = false;
  const record = captured[0]!;
  server.handleDatagram(r.pair.now, record); // replay
  const forged = record.slice();
  forged[10] = (forged[10]! + 5) & 0xff; // a fresh sequence number, so it is not a replay
  forged[forged.length - 1]! ^= 1;
  server.handleDatagram(r.pair.now, forged); // bad tag
  const garbage = new Uint8Array([23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 99, 0, 3, 1, 2, 3]);
  server.handleDatagram(r.pair.now, garbage);
  r.pair.flush();
  assert.equal(r.pair.log.b.received.length, 1);
  assert.equal(fromUtf8(r.pair.log.b.received[0]!), 'once');
  assert.equal(server.stats.dropped.replay, 1);
  assert.equal(server.stats.dropped.auth_failed, 2, 'the forged record and the short garbage record');
  assert.equal(server.state, 'connected');
});

test('a server requiring a cookie sends HelloVerifyRequest first and completes', () => {
  const { client, server } = makePair({}, { requireCookie: true });
  const r = runPair(client, server, { seed: 7, until: bothIn('connected') });
  assert.equal(r.reason, 'until', describe(client, server));
  assert.ok(r.a.events.some((e) => e.type === 'trace' && e.direction === 'in' && e.what === 'HelloVerifyRequest'));
});

test('a lost HelloVerifyRequest is answered again when the ClientHello is retransmitted', () => {
  const { client, server } = makePair({}, { requireCookie: true });
  const r = runPair(client, server, { seed: 8, bToA: { filter: (_d, i) => i !== 0 }, until: bothIn('connected') });
  assert.equal(r.reason, 'until', describe(client, server));
});

test('close_notify closes both sides cleanly', () => {
  const { client, server } = makePair();
  const r = runPair(client, server, { seed: 9, until: bothIn('connected') });
  client.close(r.pair.now);
  r.pair.flush();
  r.pair.run({ until: bothIn('closed'), maxDuration: 1000 });
  assert.equal(client.state, 'closed');
  assert.equal(server.state, 'closed');
  assert.equal(server.error, undefined);
  assert.ok(r.pair.log.b.events.some((e) => e.type === 'alert' && e.name === 'close_notify' && e.fromPeer));
});

test('idleTimeout closes a silent connection with close_notify and a typed error', () => {
  const { client, server } = makePair({}, { idleTimeout: 5000 });
  const r = runPair(client, server, { seed: 10, until: bothIn('connected') });
  const connectedAt = r.pair.now;
  client.send(r.pair.now, utf8('keepalive'));
  r.pair.flush();
  r.pair.run({ until: (p) => p.b.state !== 'connected', maxDuration: 60_000 });
  assert.equal(server.error?.code, 'idle_timeout');
  assert.equal(r.pair.now, connectedAt + 5000, 'measured from the last record heard');
  r.pair.run({ maxDuration: 100 });
  assert.equal(client.state, 'closed', 'the client saw close_notify');
});

test('limits bound the reassembly buffer: a huge claimed message is dropped and counted', () => {
  const { server } = makePair({}, { limits: { maxHandshakeMessage: 4096 } });
  server.start(0);
  // A ClientHello fragment that claims a 1 MB body.
  const frag = new Uint8Array([1, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
  const rec = new Uint8Array(13 + frag.length);
  rec.set([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, frag.length]);
  rec.set(frag, 13);
  server.handleDatagram(0, rec);
  assert.equal(server.stats.dropped.reassembly_limit, 1);
  assert.equal(server.state, 'handshaking');
});

// The server gets `retransmit: { initial: 1000 }` in these: its flight 4 (sent
// one delay after the start, nothing measured) would otherwise be resent by its
// 100 ms default timer and reach the client at 2 x delay + 100 ms, at each delay
// here no later than the client's own timer for flight 5 (at 2 x delay +
// max(100, 1.5 x 2 x delay); at 25 ms both at 150 ms, the copy handled first):
// the client would resend flight 5 as the answer to that copy, and its timer,
// which is what is checked here, would not show.
for (const [delay, clientRetransmit, expected, why] of [
  // The client too: a 200 ms round trip outlasts the 100 ms default initial timer,
  // so the ClientHello would be resent before its answer and give no sample.
  [100, { initial: 1000 }, 300, "1.5 x the 200 ms round trip (measured: the client's 1 s initial timer outlasts it)"],
  [40, {}, 120, '1.5 x the 80 ms round trip = 120, above the default retransmit.min, 100 ms'],
  [25, {}, 100, '1.5 x 50 ms = 75, raised to the default retransmit.min, 100 ms'],
] as const) {
  test(`adaptive timer (client: ${clientRetransmit.initial ? `initial ${clientRetransmit.initial} ms` : 'the defaults'}; server: initial 1000 ms): after an answered flight, the next one retransmits at 1.5 x the measured round trip, at least retransmit.min (RFC 9147 5.8.2): ${delay} ms each way, ${expected} ms`, () => {
    const { client, server } = makePair({ retransmit: clientRetransmit }, { retransmit: { initial: 1000 } });
    // The ClientHello is answered after one round trip (2 x delay).
    // Client→server: 0 = ClientHello, 1 = flight 5 (dropped once).
    const r = runPair(client, server, { seed: 11, link: { delay }, aToB: { filter: (_d, i) => i !== 1 }, until: bothIn('connected') });
    assert.equal(r.reason, 'until', client.error?.message);
    const sent5 = r.a.timeline.find((e) => e.event.type === 'trace' && e.event.what === 'ClientKeyExchange')!.time;
    assert.equal(sent5, 2 * delay);
    const retx = r.a.timeline.find((e) => e.event.type === 'retransmit')!;
    assert.deepEqual(retx.event, { type: 'retransmit', flight: 5, attempt: 1, reason: 'timeout' });
    assert.equal(retx.time - sent5, expected, why);
    assert.equal(r.now, 2 * delay + expected + delay + delay, 'the resent flight 5 is answered one round trip later');
  });
}

test('adaptive timer never goes below retransmit.min (here set to 50 ms, on a 0 ms round trip)', () => {
  // 50 ms, not the default 100 ms, which is also the default initial timer: the
  // resend at 50 ms shows the minimum, not the initial value, was used.
  const { client, server } = makePair({ retransmit: { adaptive: true, min: 50 } });
  const r = runPair(client, server, { seed: 12, aToB: { filter: (_d, i) => i !== 1 }, until: bothIn('connected') });
  const sent5 = r.a.timeline.find((e) => e.event.type === 'trace' && e.event.what === 'ClientKeyExchange')!.time;
  const retx = r.a.timeline.find((e) => e.event.type === 'retransmit')!.time;
  assert.equal(retx - sent5, 50);
});

for (const srtp of [false, true]) {
  test(`the default initial timer is 100 ms ${srtp ? 'with' : 'without'} srtpProfiles: the first retransmission of a lost ClientHello at 100 ms (the default does not depend on DTLS-SRTP)`, () => {
    const o = srtp ? { srtpProfiles: ['SRTP_AES128_CM_SHA1_80'] } : {};
    assert.equal(resolveOptions({ role: 'client', verify: 'insecure', ...o }).srtpProfiles.length > 0, srtp);
    const { client, server } = makePair(o, o);
    const r = runPair(client, server, { seed: 13, aToB: { loss: 1 }, until: (p) => p.log.a.timeline.some((e) => e.event.type === 'retransmit') });
    assert.equal(r.reason, 'until');
    assert.equal(r.now, 100);
    assert.deepEqual(
      r.a.timeline.filter((e) => e.event.type === 'retransmit'),
      [{ time: 100, event: { type: 'retransmit', flight: 1, attempt: 1, reason: 'timeout' } }],
    );
  });
}

test('retransmit: { initial: 1000, adaptive: false } gives the RFC 6347 schedule for a ClientHello that is always lost: 1000, 3000, 7000 ms', () => {
  const retransmit = { initial: 1000, adaptive: false };
  const { client, server } = makePair({ retransmit }, { retransmit });
  const resends = (p: SimPair) => p.log.a.timeline.filter((e) => e.event.type === 'retransmit');
  const r = runPair(client, server, { seed: 14, aToB: { loss: 1 }, until: (p) => resends(p).length === 3 });
  assert.equal(r.reason, 'until');
  // 1 s, then doubled to 2 s, then to 4 s; the next one due 8 s later.
  assert.deepEqual(
    resends(r.pair).map((e) => e.time),
    [1000, 3000, 7000],
  );
  assert.equal(r.now, 7000);
  assert.equal(client.pollTimeout(), 15000);
});
