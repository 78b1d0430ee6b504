// Every flight of the DTLS 1.2 handshake (RFC 6347 4.2.4) lost in turn, and the
// retransmission timer (RFC 6347 4.2.4.1) checked to the millisecond, as
// BoringSSL's runner does. Links have a fixed 25 ms one-way delay and no
// randomness, so every time below is exact: a clean handshake takes two round
// trips (100 ms), three with a HelloVerifyRequest (150 ms).
//
// Two timers are checked: the default one, adaptive (RFC 9147 5.8.2: once a
// flight is answered without a retransmission, later flights start at
// max(retransmit.min = 200 ms, 1.5 x the measured round trip), so 200 ms on these
// 50 ms round trips), and the pure RFC 6347 4.2.4.1 one (1 s, doubling), which
// needs `retransmit: { adaptive: false }`. Both double on every timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, createPair, bothIn, type RunResult } from '../../src/testing/index.ts';
import type { DtlsOptions } from '../../src/options.ts';
import type { Connection } from '../../src/connection.ts';
import { dropFlight, flightOf, plainFragments, type Sender } from './wire-tools.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { HandshakeType } from '../../src/wire/types.ts';
import { utf8, fromUtf8 } from '../../src/wire/codec.ts';

const DELAY = 25;

interface Retransmission {
  side: Sender;
  time: number;
  flight: number;
  reason: 'timeout' | 'peer-retransmit';
}

interface Scenario {
  /** Flight to lose, and which of its transmissions (0 = the first) to drop. */
  flight?: number;
  drop?: (k: number) => boolean;
  cookie?: boolean;
  /** Options of both sides (e.g. the timer), under `client` and `server`. */
  both?: DtlsOptions;
  client?: DtlsOptions;
  server?: DtlsOptions;
  /** Extra filters (pass everything by default). */
  clientFilter?: (d: Uint8Array, i: number, now: number) => boolean;
  serverFilter?: (d: Uint8Array, i: number, now: number) => boolean;
  /** See every datagram a side sends, before any is dropped, with the time. */
  clientTap?: (d: Uint8Array, now: number) => void;
  serverTap?: (d: Uint8Array, now: number) => void;
  until?: (p: SimPair) => boolean;
  maxDuration?: number;
  /** One-way delay of both links, ms (default DELAY). */
  delay?: number;
}

function play(s: Scenario): { r: RunResult; client: Connection; server: Connection; retx: Retransmission[]; pair: SimPair } {
  const { client, server } = createPair({ ...s.both, ...s.client }, { requireCookie: s.cookie ?? false, ...s.both, ...s.server }, { seed: 42 });
  let pair: SimPair | undefined;
  const now = () => pair!.now;
  const lose = (side: Sender) =>
    s.flight !== undefined && (s.flight % 2 === 1) === (side === 'client') ? dropFlight(side, s.flight, s.drop ?? ((k) => k === 0), now) : () => true;
  const loseClient = lose('client');
  const loseServer = lose('server');
  pair = new SimPair(client, server, {
    seed: 42,
    link: { delay: s.delay ?? DELAY },
    aToB: { filter: (d, i) => (s.clientTap?.(d, now()), loseClient(d) && (s.clientFilter?.(d, i, now()) ?? true)) },
    bToA: { filter: (d, i) => (s.serverTap?.(d, now()), loseServer(d) && (s.serverFilter?.(d, i, now()) ?? true)) },
  });
  const r = pair.run({ until: s.until ?? bothIn('connected'), maxDuration: s.maxDuration ?? 60_000 });
  const retx: Retransmission[] = [];
  for (const [side, log] of [['client', r.a], ['server', r.b]] as const) {
    for (const { time, event: e } of log.timeline) if (e.type === 'retransmit') retx.push({ side, time, flight: e.flight, reason: e.reason });
  }
  retx.sort((x, y) => x.time - y.time);
  return { r, client, server, retx, pair };
}

/** Distinct (side, flight, time) of the retransmissions: what went out again, when. */
function resent(retx: Retransmission[]): string[] {
  return [...new Set(retx.map((x) => `${x.side} flight ${x.flight} at ${x.time}`))];
}

/** Times of the retransmissions one side's own timer made. */
function timeouts(retx: Retransmission[], side: Sender): number[] {
  return retx.filter((x) => x.side === side && x.reason === 'timeout').map((x) => x.time);
}

function state(c: Connection, s: Connection): string {
  return `client ${c.state} ${c.error?.message ?? ''} / server ${s.state} ${s.error?.message ?? ''}`;
}

// ---------------------------------------------------------------------------
// Each flight lost once, under both timers

/** The default timer (adaptive) and the pure RFC 6347 4.2.4.1 one. */
const TIMERS = [
  { name: 'default adaptive timer', rfc: false, both: {} },
  { name: 'RFC 6347 timer (retransmit.adaptive: false)', rfc: true, both: { retransmit: { adaptive: false } } },
] as const;

for (const { name, rfc, both } of TIMERS) {
  // The timer of flight 5 or 6, sent once the peer answered our previous flight
  // in one 50 ms round trip. (Flights 1, 2 and 4 have measured nothing yet and
  // flight 3 takes no sample from a HelloVerifyRequest: 1 s under both timers.)
  const next = rfc ? 1000 : 200;

  test(`${name}: flight 1 (ClientHello) lost: the client resends it at 1 s`, () => {
    const { r, client, server, retx } = play({ flight: 1, both });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, 1000 + 100);
    assert.deepEqual(resent(retx), ['client flight 1 at 1000']);
    assert.equal(retx[0]!.reason, 'timeout');
    assert.equal(r.links.aToB.filtered, 1, 'exactly one datagram was dropped');
  });

  test(`${name}: flight 1 lost with a cookie exchange: the client resends it at 1 s, then three round trips`, () => {
    const { r, client, server, retx } = play({ flight: 1, cookie: true, both });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, 1000 + 150);
    assert.deepEqual(resent(retx), ['client flight 1 at 1000']);
  });

  test(`${name}: flight 2 (HelloVerifyRequest) lost: no timer of the server resends it; the resent ClientHello is answered with another`, () => {
    const hvrs: number[] = [];
    const { r, client, server, retx } = play({ flight: 2, cookie: true, both, serverTap: (d, t) => flightOf(d, 'server') === 2 && hvrs.push(t) });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, 1000 + 150);
    // RFC 6347 4.2.4: the client's timer drives it; the server answers each ClientHello once.
    assert.deepEqual(timeouts(retx, 'client'), [1000]);
    assert.deepEqual(timeouts(retx, 'server'), []);
    assert.deepEqual(hvrs, [25, 1025], 'one HelloVerifyRequest per ClientHello');
    assert.equal(r.links.bToA.filtered, 1);
  });

  test(`${name}: flight 3 (ClientHello with cookie) lost: the client resends it at 1 s (a HelloVerifyRequest gives no round trip sample)`, () => {
    // The HelloVerifyRequest answered the first ClientHello in 50 ms, but costs
    // the server no crypto: not a round trip for later flights, even when adaptive.
    const hvrs: number[] = [];
    const { r, client, server, retx } = play({ flight: 3, cookie: true, both, serverTap: (d, t) => flightOf(d, 'server') === 2 && hvrs.push(t) });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, 50 + 1000 + 100);
    assert.deepEqual(resent(retx), ['client flight 3 at 1050']);
    assert.equal(retx[0]!.reason, 'timeout');
    assert.deepEqual(hvrs, [25], 'the cookie is not asked for again');
  });

  for (const cookie of [false, true]) {
    const t0 = cookie ? 50 : 0; // when the ClientHello that flight 4 answers was sent
    test(`${name}: flight 4 (ServerHello..ServerHelloDone) lost${cookie ? ' after a cookie exchange' : ''}: the server resends it`, () => {
      const { r, client, server, retx } = play({ flight: 4, cookie, both });
      assert.equal(r.reason, 'until', state(client, server));
      // The ClientHello's timer is 1 s under both timers (see above), the server's
      // too: both the client's resent ClientHello and the server's own timer ask
      // for flight 4 at t0 + 1025 ms, and it goes out once.
      assert.equal(r.now, t0 + 1000 + 100);
      assert.deepEqual(resent(retx), [`client flight ${cookie ? 3 : 1} at ${t0 + 1000}`, `server flight 4 at ${t0 + 1025}`]);
      // The resent ClientHello is handled before the server's timer at the same instant.
      assert.deepEqual(retx.map((x) => x.reason), ['timeout', 'peer-retransmit']);
      assert.equal(retx.filter((x) => x.side === 'server').length, 1, 'flight 4 went out again once');
    });

    test(`${name}: flight 5 (ClientKeyExchange, CCS, Finished) lost${cookie ? ' after a cookie exchange' : ''}: the client resends it`, () => {
      const { r, client, server, retx } = play({ flight: 5, cookie, both });
      assert.equal(r.reason, 'until', state(client, server));
      if (!rfc) {
        // Flight 4 came 50 ms after the ClientHello: flight 5's timer is 200 ms.
        assert.equal(r.now, t0 + 50 + 200 + 50);
        assert.deepEqual(resent(retx), [`client flight 5 at ${t0 + 250}`]);
        assert.equal(retx[0]!.reason, 'timeout');
      } else {
        // The server's 1 s timer for flight 4 (sent at t0 + 25) fires before the
        // client's for flight 5 (sent at t0 + 50): the client answers that
        // retransmission with flight 5 at once, and re-arms, so its timer does not send it too.
        assert.equal(r.now, t0 + 50 + 1000 + 50);
        assert.deepEqual(resent(retx), [`server flight 4 at ${t0 + 1025}`, `client flight 5 at ${t0 + 1050}`]);
        assert.deepEqual(retx.map((x) => x.reason), ['timeout', 'peer-retransmit']);
      }
    });

    test(`${name}: flight 6 (the server's final CCS, Finished) lost${cookie ? ' after a cookie exchange' : ''}: resent when the client resends flight 5`, () => {
      const { r, client, server, retx } = play({ flight: 6, cookie, both });
      assert.equal(r.reason, 'until', state(client, server));
      // Flight 6 went out at t0 + 75 with the server's timer at `next` (flight 4
      // was answered in 50 ms); the client's flight-5 timer is `next` too, so its
      // resent flight 5 reaches the server the instant the server's own timer
      // expires: flight 6 goes out once, as the answer, and the timer is re-armed.
      assert.equal(r.now, t0 + 50 + next + 50);
      assert.deepEqual(resent(retx), [`client flight 5 at ${t0 + 50 + next}`, `server flight 6 at ${t0 + 75 + next}`]);
      const fromServer = retx.filter((x) => x.side === 'server');
      assert.deepEqual(fromServer.map((x) => x.reason), ['peer-retransmit']);
      assert.equal(client.pollTimeout(), undefined, 'no timer left on the client once connected');
      // The server cannot know flight 6 arrived until the client's data shows it:
      // its own timer for flight 6 stays armed, re-armed when it answered.
      assert.equal(server.pollTimeout(), t0 + 75 + next + next);
    });
  }
}

// ---------------------------------------------------------------------------
// Each flight lost three times in a row: recovered at an exact time under each
// timer, and, under the RFC 6347 timer, no later than its doubling schedule
// allows (1 + 2 + 4 s before the fourth try).

const lostThrice = (k: number) => k < 3;
for (const [flight, cookie, start, rtts, adaptiveDone, rfcDone] of [
  // Flights 1 and 2: before any round trip is measured, 1, 2, 4 s under both timers.
  [1, false, 0, 2, 7100, 7100],
  [2, true, 0, 3, 7150, 7150],
  // Flight 3: no round trip sample from the HelloVerifyRequest, so 1, 2, 4 s too.
  [3, true, 50, 2, 7150, 7150],
  // Flight 4: sent at 25 ms (lost); answers to the resent ClientHello at 1025 and
  // 3025 ms and the server's own timer at 2025 ms, under both timers (the server has measured nothing).
  [4, false, 0, 2, 3100, 3100],
  // Flight 5 (adaptive): sent at 50, resent at 250 and 650 ms (lost), then the
  // server's 1 s timer resends flight 4 at 1025 ms and the client answers it with
  // the fourth copy at 1050 ms. RFC: 50, 1050 (answer), 2050 (timer), 3050 (answer).
  [5, false, 50, 1, 1100, 3100],
  // Flight 6 (adaptive): sent at 75 ms; resent at 275 (answering the client's
  // flight 5), 475 (the server's timer) and 675 ms (answering again), which arrives.
  // RFC: 75, 1075 (answer), 2075 (timer), 3075 (answer).
  [6, false, 50, 1, 700, 3100],
] as const) {
  for (const { name, rfc, both } of TIMERS) {
    const done = rfc ? rfcDone : adaptiveDone;
    test(`${name}: flight ${flight} lost three times in a row is recovered at ${done} ms`, () => {
      const sender: Sender = flight % 2 === 1 ? 'client' : 'server';
      const instants: number[] = [];
      const count = (d: Uint8Array, t: number) => {
        if (flightOf(d, sender) === flight && instants.at(-1) !== t) instants.push(t);
      };
      const { r, client, server } = play({ flight, cookie, both, drop: lostThrice, [sender === 'client' ? 'clientTap' : 'serverTap']: count });
      assert.equal(r.reason, 'until', state(client, server));
      assert.equal(instants.length, 4, `flight ${flight} went out at ${instants.join(', ')} ms`);
      assert.equal(r.now, done);
      if (rfc) assert.ok(r.now <= start + 7000 + rtts * 50 && r.now >= start + 1000 + rtts * 50, `done at ${r.now} ms`);
    });
  }
}

// ---------------------------------------------------------------------------
// The server's final flight (RFC 6347 4.2.4: the peer's retransmissions drive
// it), now also resent on the server's own timer up to 4 times, and in all at
// most 16 times (FINAL_FLIGHT_TIMER_RESENDS, FINAL_FLIGHT_MAX_RESENDS in src/connection.ts).

test('flight 6 always lost (default timer): answered once per retransmission of flight 5, resent 4 times on the server’s timer, and the client gives up at the handshake timeout', () => {
  const { r, client, server, retx } = play({ flight: 6, drop: () => true, until: (p) => p.a.state === 'failed' });
  assert.equal(r.reason, 'until');
  assert.equal(r.now, 30_000);
  // The client's flight-5 timer: 200 ms (flight 4 answered in 50 ms), doubling.
  // Each of its copies is answered 25 ms later (and re-arms the server's timer);
  // the server's timer (also 200 ms, doubling only on its own expiries) resends
  // at 475, 1075, 2275 and 4675 ms, then no more.
  assert.deepEqual(timeouts(retx, 'client'), [250, 650, 1450, 3050, 6250, 12650, 25450]);
  assert.deepEqual(timeouts(retx, 'server'), [475, 1075, 2275, 4675]);
  const answers = retx.filter((x) => x.side === 'server' && x.reason === 'peer-retransmit').map((x) => x.time);
  assert.deepEqual(answers, [275, 675, 1475, 3075, 6275, 12675, 25475], 'one answer per copy of flight 5, 25 ms after it was sent');
  assert.ok(retx.every((x) => x.side === 'client' ? x.flight === 5 : x.flight === 6));
  assert.equal(client.error?.code, 'handshake_timeout');
  // In DTLS 1.2 the server cannot know its final flight was lost: it stays connected.
  assert.equal(server.state, 'connected');
  assert.equal(client.pollTimeout(), undefined);
  assert.equal(server.pollTimeout(), undefined, 'its 4 timer resends are spent');
});

test('flight 6 always lost (RFC 6347 timer, retransmit.adaptive: false): answered once per retransmission of flight 5, resent 4 times on the server’s timer', () => {
  const { r, client, server, retx } = play({ flight: 6, both: { retransmit: { adaptive: false } }, drop: () => true, until: (p) => p.a.state === 'failed' });
  assert.equal(r.reason, 'until');
  assert.equal(r.now, 30_000);
  assert.deepEqual(resent(retx), [
    'client flight 5 at 1050', 'server flight 6 at 1075', 'server flight 6 at 2075',
    'client flight 5 at 3050', 'server flight 6 at 3075', 'server flight 6 at 5075',
    'client flight 5 at 7050', 'server flight 6 at 7075', 'server flight 6 at 11075',
    'client flight 5 at 15050', 'server flight 6 at 15075', 'server flight 6 at 23075',
  ]);
  assert.deepEqual(timeouts(retx, 'server'), [2075, 5075, 11075, 23075]);
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(server.state, 'connected');
});

// The server's own timer for flight 6: T (the timer of a flight sent after an
// answered one: max(200, 1.5 x 50) adaptive, 1 s RFC 6347), doubling, 4 times.
for (const { name, rfc, both } of TIMERS) {
  const T = rfc ? 1000 : 200;
  const schedule = [75 + T, 75 + 3 * T, 75 + 7 * T, 75 + 15 * T];

  test(`${name}: the client's flight-5 retransmissions all lost after the server connected: the server's timer resends flight 6 exactly 4 times (at ${schedule.join(', ')} ms), then stops`, () => {
    const sent6: number[] = [];
    let t = 0;
    const lost5 = dropFlight('client', 5, (k) => k >= 1, () => t);
    const { r, client, server, retx, pair } = play({
      both,
      flight: 6,
      drop: () => true,
      clientFilter: (d, _i, now) => ((t = now), lost5(d)),
      serverTap: (d, now) => flightOf(d, 'server') === 6 && sent6.at(-1) !== now && sent6.push(now),
      until: (p) => p.a.state === 'failed',
    });
    assert.equal(r.reason, 'until');
    assert.equal(client.error?.code, 'handshake_timeout');
    assert.ok(timeouts(retx, 'client').length >= 4, 'the client kept resending flight 5');
    // Nothing more on the server's side, however long we wait.
    const rest = pair.run({ maxDuration: 600_000 });
    assert.equal(rest.reason, 'idle');
    const fromServer = rest.b.events.filter((e) => e.type === 'retransmit');
    assert.deepEqual(fromServer.map((e) => e.type === 'retransmit' && `${e.flight} ${e.reason}`), Array(4).fill('6 timeout'));
    assert.deepEqual(timeouts(retx, 'server'), schedule);
    assert.deepEqual(sent6, [75, ...schedule], 'flight 6 went out once, then 4 times on the timer');
    assert.equal(server.stats.retransmits, 4);
    assert.equal(server.state, 'connected');
    assert.equal(server.pollTimeout(), undefined, 'no timer left');
  });

  for (const k of [0, 2]) {
    test(`${name}: epoch-1 data from the client stops the server's resends of flight 6 (sent after ${k} of them)`, () => {
      const { client, server } = createPair(both, both, { seed: 42 });
      const pair = new SimPair(client, server, { seed: 42, link: { delay: DELAY } });
      const serverRetx = () => pair.log.b.timeline.filter((x) => x.event.type === 'retransmit');
      pair.run({ until: (p) => p.a.state === 'connected' && serverRetx().length === k });
      assert.equal(pair.now, k === 0 ? 100 : schedule[k - 1]);
      // Armed while timer resends remain: the next one is due.
      assert.equal(server.pollTimeout(), schedule[k]);
      client.send(pair.now, utf8('flight 6 arrived'));
      pair.flush();
      const at = pair.now + DELAY;
      pair.run({ until: (p) => p.log.b.received.length === 1 });
      assert.equal(pair.now, at);
      assert.equal(server.pollTimeout(), undefined, 'stopped at once');
      const r = pair.run({ maxDuration: 600_000 });
      assert.equal(r.reason, 'idle');
      assert.deepEqual(serverRetx().map((x) => x.time), schedule.slice(0, k));
      assert.ok(serverRetx().every((x) => x.event.type === 'retransmit' && x.event.flight === 6 && x.event.reason === 'timeout'));
      assert.deepEqual(r.b.received.map(fromUtf8), ['flight 6 arrived']);
      assert.equal(server.state, 'connected');
    });
  }
}

/**
 * A peer that answers every transmission of flight 6 with a fresh copy of
 * flight 5 (recorded retransmissions of a real client, so the record numbers
 * are new), `delay` ms after it was sent. Returns the server's retransmissions.
 */
function pingPong(delay: number) {
  const { client, server } = createPair({ handshakeTimeout: 10_000_000 }, {}, { seed: 42 });
  const take = (c: Connection) => {
    const out: Uint8Array[] = [];
    for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
    return out;
  };
  client.start(0);
  server.start(0);
  for (const d of take(client)) server.handleDatagram(25, d);
  for (const d of take(server)) client.handleDatagram(50, d);
  const first5 = take(client);
  assert.ok(first5.length > 0 && first5.every((d) => flightOf(d, 'client') === 5));
  // 24 retransmissions of flight 5, on the client's timer, never delivered.
  const copies: Uint8Array[][] = [];
  while (copies.length < 24) {
    client.handleTimeout(client.pollTimeout()!);
    copies.push(take(client));
  }
  const feeds: number[] = [];
  const resends: { time: number; reason: string; flight: number }[] = [];
  let used = 0;
  const drain = (now: number) => {
    if (take(server).some((d) => flightOf(d, 'server') === 6)) feeds.push(now + delay);
    for (let e = server.pollEvent(); e; e = server.pollEvent()) {
      if (e.type === 'retransmit') resends.push({ time: now, reason: e.reason, flight: e.flight });
      assert.notEqual(e.type, 'alert');
    }
  };
  for (const d of first5) server.handleDatagram(75, d);
  assert.equal(server.state, 'connected');
  drain(75);
  let now = 75;
  for (let steps = 0; ; steps++) {
    assert.ok(steps < 1000, 'the exchange goes on');
    const t = Math.min(feeds[0] ?? Infinity, server.pollTimeout() ?? Infinity);
    if (t === Infinity) break;
    now = t;
    if (feeds[0] === now) {
      feeds.shift();
      assert.ok(used < copies.length, 'ran out of copies of flight 5');
      for (const d of copies[used++]!) server.handleDatagram(now, d);
      drain(now);
    }
    if ((server.pollTimeout() ?? Infinity) <= now) {
      server.handleTimeout(now);
      drain(now);
    }
  }
  return { server, resends, used };
}

test('a peer that answers every flight 6 with flight 5 at once: the server answers 16 times (FINAL_FLIGHT_MAX_RESENDS), then stops: no endless ping-pong', () => {
  const { server, resends, used } = pingPong(DELAY);
  // Each copy arrives 25 ms after a flight 6, before the server's 200 ms timer:
  // all 16 are answers (each re-arming the timer), then the 17th copy goes unanswered.
  assert.deepEqual(resends.map((x) => x.time), Array.from({ length: 16 }, (_, i) => 100 + 25 * i));
  assert.ok(resends.every((x) => x.flight === 6 && x.reason === 'peer-retransmit'));
  assert.equal(used, 17, 'the cap ended it, not the supply of copies');
  assert.equal(server.stats.retransmits, 16);
  assert.equal(server.state, 'connected');
  assert.equal(server.pollTimeout(), undefined);
});

test('a peer that answers every flight 6 with flight 5 after 5 s: 4 resends on the server’s timer and 12 answers, 16 in all, then none', () => {
  const { server, resends, used } = pingPong(5000);
  assert.deepEqual(resends.filter((x) => x.reason === 'timeout').map((x) => x.time), [275, 675, 1475, 3075]);
  // Answers to the copies sent 5 s after flight 6 (75) and its timer resends,
  // then 5 s after each answer, until the 16th resend.
  assert.deepEqual(
    resends.filter((x) => x.reason === 'peer-retransmit').map((x) => x.time),
    [5075, 5275, 5675, 6475, 8075, 10075, 10275, 10675, 11475, 13075, 15075, 15275],
  );
  assert.ok(resends.every((x) => x.flight === 6));
  assert.equal(used, 17);
  assert.equal(server.stats.retransmits, 16);
  assert.equal(server.pollTimeout(), undefined);
});

// Once no resend of flight 6 remains (4 on the timer, or 16 in all), there is
// nothing for the server's timer to do: pollTimeout() should be undefined at
// once, not one more (doubled) period later for an expiry that sends nothing.
test('after its last allowed resend of flight 6, the server has no timer left at once (no empty wake-up)', () => {
  // Four timer resends (flight 6 and the client's copies of flight 5 all lost):
  // the fourth goes out at 75 + 15 x 200 = 3075 ms.
  let t = 0;
  const lost5 = dropFlight('client', 5, (k) => k >= 1, () => t);
  const { server } = play({
    flight: 6,
    drop: () => true,
    clientFilter: (d, _i, now) => ((t = now), lost5(d)),
    until: (p) => p.log.b.events.filter((e) => e.type === 'retransmit').length === 4,
  });
  assert.equal(server.stats.retransmits, 4);
  assert.equal(server.pollTimeout(), undefined, `after the 4th timer resend, pollTimeout() is ${server.pollTimeout()}`);
});

test('after the 16th resend of flight 6 (all answers), the server has no timer left at once (no empty wake-up)', () => {
  // As in the ping-pong above, stopped right after the 16th answer (at 475 ms).
  const { client, server } = createPair({ handshakeTimeout: 10_000_000 }, {}, { seed: 42 });
  const take = (c: Connection) => {
    const out: Uint8Array[] = [];
    for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
    return out;
  };
  client.start(0);
  server.start(0);
  for (const d of take(client)) server.handleDatagram(25, d);
  for (const d of take(server)) client.handleDatagram(50, d);
  for (const d of take(client)) server.handleDatagram(75, d);
  for (let i = 0; i < 16; i++) {
    client.handleTimeout(client.pollTimeout()!);
    for (const d of take(client)) server.handleDatagram(100 + 25 * i, d);
  }
  assert.equal(server.stats.retransmits, 16);
  assert.equal(server.pollTimeout(), undefined, `after the 16th resend, pollTimeout() is ${server.pollTimeout()}`);
});

// ---------------------------------------------------------------------------
// Answers to the peer's retransmissions: only a retransmission of the peer's
// previous flight (its last message's first fragment arriving again) is
// answered. Messages of a flight that arrived only in part are not that: the
// peer resending the flight we are still waiting for does not mean it lacks ours.

/** True when a datagram carries a record of the given epoch, or (epoch 0) a handshake message of type `msgType`. */
function carries(d: Uint8Array, what: { epoch: number } | { msgType: number }): boolean {
  return decodeRecords(d).records.some((r) => ('epoch' in what ? r.epoch === what.epoch : plainFragments(r).some((f) => f.msgType === what.msgType)));
}

test('flight 5 arrives in part (client certificate, MTU 256; the datagram with its Finished always lost): the server does not answer its copies with flight 4, no ping-pong', () => {
  const { r, client, server, retx } = play({
    both: { mtu: 256 },
    server: { mtu: 256, requestClientCertificate: true },
    clientFilter: (d) => !carries(d, { epoch: 1 }),
    until: (p) => p.a.state !== 'handshaking' && p.b.state !== 'handshaking',
  });
  assert.equal(r.reason, 'until');
  assert.equal(r.now, 30_000);
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(server.error?.code, 'handshake_timeout');
  const serverAnswers = retx.filter((x) => x.side === 'server' && x.reason === 'peer-retransmit');
  assert.equal(serverAnswers.length, 0, `the server answered flight 5 with flight 4 ${serverAnswers.length} times (first at ${serverAnswers.slice(0, 4).map((x) => x.time).join(', ')} ms)`);
  // Flight 4 goes out again on the server's own timer only (1 s: it measured nothing).
  assert.deepEqual(timeouts(retx, 'server'), [1025, 3025, 7025, 15025]);
  // The client answers each of those once.
  assert.equal(retx.filter((x) => x.side === 'client' && x.reason === 'peer-retransmit').length, 4);
});

test('flight 4 arrives in part (MTU 256; the datagram with ServerHelloDone always lost): the client does not answer its copies with the ClientHello, no ping-pong', () => {
  const { r, client, server, retx } = play({
    both: { mtu: 256 },
    serverFilter: (d) => !carries(d, { msgType: HandshakeType.server_hello_done }),
    until: (p) => p.a.state !== 'handshaking' && p.b.state !== 'handshaking',
  });
  assert.equal(r.reason, 'until');
  assert.equal(r.now, 30_000);
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(server.error?.code, 'handshake_timeout');
  const clientAnswers = retx.filter((x) => x.side === 'client' && x.reason === 'peer-retransmit');
  assert.equal(clientAnswers.length, 0, `the client answered flight 4 with the ClientHello ${clientAnswers.length} times (first at ${clientAnswers.slice(0, 4).map((x) => x.time).join(', ')} ms)`);
  // The ClientHello goes out again on the client's own timer only; the server answers each copy once.
  assert.deepEqual(timeouts(retx, 'client'), [1000, 3000, 7000, 15000]);
  assert.deepEqual(retx.filter((x) => x.side === 'server' && x.reason === 'peer-retransmit').map((x) => x.time), [1025, 3025, 7025, 15025]);
});

// ---------------------------------------------------------------------------
// The timer, exactly (RFC 6347 4.2.4.1: 1 s, doubling, at least 60 s cap)

// A first flight never answered gives no round trip to measure, so the default
// (adaptive) timer runs the RFC 6347 schedule too: each test runs under both.
for (const { name, both } of TIMERS) {
  test(`${name}: RFC 6347 schedule, client flight 1 under total loss: 1, 3, 7, 15 s, then handshake_timeout at 30 s and no timer left`, () => {
    const { r, client, retx } = play({ both, clientFilter: () => false, until: (p) => p.a.state === 'failed' });
    assert.equal(r.reason, 'until');
    assert.deepEqual(timeouts(retx, 'client'), [1000, 3000, 7000, 15000]);
    assert.deepEqual(r.a.events.filter((e) => e.type === 'retransmit').map((e) => e.type === 'retransmit' && e.attempt), [1, 2, 3, 4]);
    assert.equal(r.now, 30_000);
    assert.equal(client.error?.code, 'handshake_timeout');
    assert.equal(client.pollTimeout(), undefined);
    assert.equal(client.pollTransmit(), undefined);
  });

  test(`${name}: RFC 6347 schedule with a long handshake timeout: the doubling stops at 60 s`, () => {
    const { r, client, retx } = play({ both, client: { handshakeTimeout: 200_000 }, clientFilter: () => false, until: (p) => p.a.state === 'failed', maxDuration: 300_000 });
    assert.equal(r.reason, 'until');
    assert.deepEqual(timeouts(retx, 'client'), [1000, 3000, 7000, 15000, 31000, 63000, 123000, 183000]);
    assert.equal(r.now, 200_000);
    assert.equal(client.error?.code, 'handshake_timeout');
  });

  test(`${name}: RFC 6347 schedule, server flight 4 under total loss (the client silent after one ClientHello)`, () => {
    const { r, server, retx } = play({ both, clientFilter: (_d, i) => i === 0, serverFilter: () => false, until: (p) => p.b.state === 'failed' });
    assert.equal(r.reason, 'until');
    assert.deepEqual(timeouts(retx, 'server'), [1025, 3025, 7025, 15025]);
    assert.equal(retx.filter((x) => x.side === 'server' && x.reason !== 'timeout').length, 0);
    assert.equal(r.now, 30_000, 'the server counts its handshake timeout from start()');
    assert.equal(server.error?.code, 'handshake_timeout');
    assert.equal(server.pollTimeout(), undefined);
  });

  test(`${name}: after a flight needed retransmissions, the next flight starts from the initial timer again (as BoringSSL and OpenSSL do; adaptive: a resent flight gives no round trip sample)`, () => {
    // Flight 1 lost twice (resent at 1 and 3 s), then flight 5 lost once: resent
    // by the client's timer 1 s after it was sent, not 4 s. (The server's later
    // copies of flight 4 are dropped, so only the client's timer can resend it.)
    let firstFlight5 = true;
    const { r, client, server, retx } = play({
      both,
      flight: 1,
      drop: (k) => k < 2,
      clientFilter: (d) => !(flightOf(d, 'client') === 5 && firstFlight5 && !(firstFlight5 = false)),
      serverFilter: (d, _i, t) => !(flightOf(d, 'server') === 4 && t > 3025),
    });
    assert.equal(r.reason, 'until', state(client, server));
    assert.deepEqual(timeouts(retx, 'client'), [1000, 3000, 3050 + 1000]);
    assert.equal(r.now, 4050 + 50);
  });
}

test('RFC 6347 schedule (retransmit.adaptive: false), client flight 5 under total loss: the timer starts again at 1 s for the new flight', () => {
  let fromServer = 0;
  const { r, client, retx } = play({
    both: { retransmit: { adaptive: false } },
    clientFilter: (d) => flightOf(d, 'client') !== 5,
    // Only the first transmission of flight 4 reaches the client, so only its own timer drives it.
    serverFilter: () => fromServer++ === 0,
    until: (p) => p.a.state === 'failed',
  });
  assert.equal(r.reason, 'until');
  assert.deepEqual(timeouts(retx, 'client'), [1050, 3050, 7050, 15050]);
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(r.now, 30_000);
});

for (const [delay, first] of [
  [25, 200], // 1.5 x 50 = 75 ms, raised to retransmit.min (200 ms)
  [100, 300], // 1.5 x 200 ms
] as const) {
  test(`default adaptive timer, ${delay} ms each way, client flight 5 under total loss: starts at ${first} ms (RFC 9147 5.8.2), doubling`, () => {
    let fromServer = 0;
    const { r, client, retx } = play({
      delay,
      clientFilter: (d) => flightOf(d, 'client') !== 5,
      serverFilter: () => fromServer++ === 0,
      until: (p) => p.a.state === 'failed',
    });
    assert.equal(r.reason, 'until');
    // Flight 5 goes out one round trip after the ClientHello, which it measured.
    const sent = 2 * delay;
    const expected: number[] = [];
    for (let t = first, at = sent + t; at < 30_000; t *= 2, at += t) expected.push(at);
    assert.deepEqual(timeouts(retx, 'client'), expected);
    assert.equal(expected[0], sent + first);
    assert.equal(client.error?.code, 'handshake_timeout');
    assert.equal(r.now, 30_000);
  });
}

test('default adaptive timer, by hand: no sample from the HelloVerifyRequest round trip; flight 5 starts at 1.5 x the round trip of flight 3', () => {
  // The HelloVerifyRequest answers the ClientHello after 100 ms (not sampled),
  // flight 4 answers flight 3 after 500 ms: flight 5's timer is 1.5 x 500 = 750 ms.
  const { client, server } = createPair({}, { requireCookie: true }, { seed: 42 });
  const deliver = (from: Connection, to: Connection, now: number) => {
    for (let d = from.pollTransmit(); d; d = from.pollTransmit()) to.handleDatagram(now, d);
  };
  client.start(0);
  server.start(0);
  deliver(client, server, 0); // ClientHello -> HelloVerifyRequest
  assert.equal(server.pollTimeout(), 30_000, 'a HelloVerifyRequest has no timer (only the handshake timeout)');
  deliver(server, client, 100); // -> flight 3 at 100 ms
  assert.equal(client.pollTimeout(), 100 + 1000, 'flight 3: the initial 1 s');
  deliver(client, server, 100); // -> flight 4
  assert.equal(server.pollTimeout(), 100 + 1000, 'flight 4: the server measured nothing, 1 s');
  deliver(server, client, 600); // -> flight 5 at 600 ms
  assert.equal(client.pollTimeout(), 600 + 750);
  client.handleTimeout(1349);
  assert.equal(client.stats.retransmits, 0, 'not before its time');
  client.handleTimeout(1350);
  assert.equal(client.stats.retransmits, 1);
  assert.equal(client.pollTimeout(), 1350 + 1500, 'doubled');
});

test('retransmit: { initial: 100 } doubles from 100 ms: 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 12.7, 25.5 s (no round trip is ever measured, so the same adaptive or not)', () => {
  const { r, client, retx } = play({ client: { retransmit: { initial: 100 } }, clientFilter: () => false, until: (p) => p.a.state === 'failed' });
  assert.equal(r.reason, 'until');
  assert.deepEqual(timeouts(retx, 'client'), [100, 300, 700, 1500, 3100, 6300, 12700, 25500]);
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(r.now, 30_000);
});

test('a flight sent again for a peer retransmission re-arms the timer (RFC 6347 4.2.4: SENDING sets the timer), so it does not go out twice at once', () => {
  // Flight 4 lost once: the client's resent ClientHello arrives at 1025 ms, the
  // instant the server's own timer expires. RFC 6347 4.2.4: on the peer's
  // retransmission the server goes to SENDING, sends, sets the timer and waits,
  // so its timer must not fire again at 1025 ms.
  const { r, retx } = play({ flight: 4 });
  assert.equal(r.reason, 'until');
  const at1025 = retx.filter((x) => x.side === 'server' && x.time === 1025);
  assert.equal(at1025.length, 1, `flight 4 went out ${at1025.length} times at 1025 ms (${at1025.map((x) => x.reason).join(', ')})`);
});
