// Every flight of the DTLS 1.2 handshake (RFC 6347 4.2.4) lost in turn, and the
// retransmission timer (RFC 6347 4.2.4.1) checked to the millisecond, as
// BoringSSL's runner does. Links have a fixed 25 ms one-way delay and no
// randomness, so every time below is exact: a clean handshake takes two round
// trips (100 ms), three with a HelloVerifyRequest (150 ms).
//
// Two timers are checked, both doubling on every timeout of their own:
// - the default one (`retransmit: {}`): every flight starts at I = 100 ms until
//   a flight is answered without a retransmission; then it is adaptive (RFC 9147
//   5.8.2): later flights start at max(retransmit.min = 100 ms, 1.5 x the
//   measured round trip), i.e. 100 ms again on these 50 ms round trips (1.5 x 50
//   = 75 is raised to the minimum);
// - the plain RFC 6347 4.2.4.1 one (I = 1 s, never adaptive), which needs
//   `retransmit: { initial: 1000, adaptive: false }`.
// So on these links every flight's first timer is I under both, and most
// schedules below are one formula in I. One consequence: the server's flight-4
// timer (started 25 ms before the client's flight-5 timer, and as long) fires
// first, so when flight 5 is lost the client resends it as the answer to the
// server's copy of flight 4, not on its own timer (tests that check that timer
// drop the server's copies).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, createPair as createPairAnyVersion, bothIn, type RunResult } from '../../src/testing/index.ts';
import type { DtlsOptions } from '../../src/options.ts';
import type { Connection } from '../../src/connection.ts';
import { dropFlight, flightOf, plainFragments, type Sender } from './wire-tools.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { HandshakeType } from '../../src/wire/types.ts';
import { utf8, fromUtf8 } from '../../src/wire/codec.ts';
import { FINAL_FLIGHT_TIMER_RESENDS, MAX_KEYED_ANSWERS } from '../../src/reliability/flight-limits.ts';

/** The flights and timer schedules here are DTLS 1.2's (RFC 6347 4.2.4): both sides speak 1.2 alone (the library's default is ['1.3', '1.2']). */
const createPair: typeof createPairAnyVersion = (client = {}, server = {}, opts) =>
  createPairAnyVersion({ versions: ['1.2'], ...client }, { versions: ['1.2'], ...server }, opts);

const DELAY = 25;
const RTT = 2 * DELAY;
/** The default timer's initial value and minimum (src/options.ts DEFAULTS.retransmit). */
const DEFAULT_INITIAL = 100;
const DEFAULT_MIN = 100;
/** The plain RFC 6347 4.2.4.1 timer: 1 s, doubling, nothing measured. */
const RFC_INITIAL = 1000;
const RFC_TIMER: DtlsOptions = { retransmit: { initial: RFC_INITIAL, adaptive: false } };

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
  for (const [side, log] of [
    ['client', r.a],
    ['server', r.b],
  ] as const) {
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

/** The default timer (adaptive, I = 100 ms) and the plain RFC 6347 4.2.4.1 one (I = 1 s). */
const TIMERS = [
  { name: 'default adaptive timer', rfc: false, both: {}, I: DEFAULT_INITIAL },
  { name: 'RFC 6347 timer (retransmit: { initial: 1000, adaptive: false })', rfc: true, both: RFC_TIMER, I: RFC_INITIAL },
] as const;

for (const { name, rfc, both, I } of TIMERS) {
  // The timer of flight 5 or 6, sent once the peer answered our previous flight
  // in one 50 ms round trip: max(100, 1.5 x 50) = 100 ms by default, 1 s under
  // RFC 6347 (which measures nothing). Flights 1, 2 and 4 have measured nothing
  // yet and flight 3 takes no sample from a HelloVerifyRequest: I under both
  // timers. On these links next === I under both, by two different rules.
  const next = rfc ? I : Math.max(DEFAULT_MIN, 1.5 * RTT);

  test(`${name}: flight 1 (ClientHello) lost: the client resends it at ${I} ms`, () => {
    // Resent by the client's timer at I, answered two round trips later.
    const { r, client, server, retx } = play({ flight: 1, both });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, I + 2 * RTT);
    assert.deepEqual(resent(retx), [`client flight 1 at ${I}`]);
    assert.equal(retx[0]!.reason, 'timeout');
    assert.equal(r.links.aToB.filtered, 1, 'exactly one datagram was dropped');
  });

  test(`${name}: flight 1 lost with a cookie exchange: the client resends it at ${I} ms, then three round trips`, () => {
    const { r, client, server, retx } = play({ flight: 1, cookie: true, both });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, I + 3 * RTT);
    assert.deepEqual(resent(retx), [`client flight 1 at ${I}`]);
  });

  test(`${name}: flight 2 (HelloVerifyRequest) lost: no timer of the server resends it; the resent ClientHello is answered with another`, () => {
    // The HelloVerifyRequest sent at 25 ms is lost; the client's timer resends the
    // ClientHello at I, answered with a second one at I + 25; then three round trips.
    const hvrs: number[] = [];
    const { r, client, server, retx } = play({ flight: 2, cookie: true, both, serverTap: (d, t) => flightOf(d, 'server') === 2 && hvrs.push(t) });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, I + 3 * RTT);
    // RFC 6347 4.2.4: the client's timer drives it; the server answers each ClientHello once.
    assert.deepEqual(timeouts(retx, 'client'), [I]);
    assert.deepEqual(timeouts(retx, 'server'), []);
    assert.deepEqual(hvrs, [DELAY, I + DELAY], 'one HelloVerifyRequest per ClientHello');
    assert.equal(r.links.bToA.filtered, 1);
  });

  // Under the default timer a sample of the 50 ms HelloVerifyRequest round trip
  // would give max(100, 1.5 x 50) = 100 ms too, the same as I: this test sets
  // retransmit.min to 50 ms there, so that a sample would show (75 ms, a resend at 125 ms).
  const flight3 = rfc ? both : { retransmit: { min: 50 } };
  test(`${name}: flight 3 (ClientHello with cookie) lost: the client resends it ${I} ms after sending it (a HelloVerifyRequest gives no round trip sample${rfc ? '' : '; retransmit.min: 50 so that one would show'})`, () => {
    // The HelloVerifyRequest answered the first ClientHello in 50 ms, but costs
    // the server no crypto: not a round trip for later flights, even when adaptive.
    // Flight 3 goes out at 50 ms, again at 50 + I, then two round trips.
    const hvrs: number[] = [];
    const { r, client, server, retx } = play({ flight: 3, cookie: true, both: flight3, serverTap: (d, t) => flightOf(d, 'server') === 2 && hvrs.push(t) });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, RTT + I + 2 * RTT);
    assert.deepEqual(resent(retx), [`client flight 3 at ${RTT + I}`]);
    assert.equal(retx[0]!.reason, 'timeout');
    assert.deepEqual(hvrs, [DELAY], 'the cookie is not asked for again');
  });

  for (const cookie of [false, true]) {
    const t0 = cookie ? RTT : 0; // when the ClientHello that flight 4 answers was sent
    test(`${name}: flight 4 (ServerHello..ServerHelloDone) lost${cookie ? ' after a cookie exchange' : ''}: the server resends it`, () => {
      const { r, client, server, retx } = play({ flight: 4, cookie, both });
      assert.equal(r.reason, 'until', state(client, server));
      // The ClientHello's timer is I under both timers (see above), and so is the
      // server's for flight 4 (it measured nothing), started 25 ms later: the
      // ClientHello resent at t0 + I reaches the server at t0 + I + 25, the instant
      // its own timer expires, and flight 4 goes out once. Then two round trips.
      assert.equal(r.now, t0 + I + 2 * RTT);
      assert.deepEqual(resent(retx), [`client flight ${cookie ? 3 : 1} at ${t0 + I}`, `server flight 4 at ${t0 + I + DELAY}`]);
      // The resent ClientHello is handled before the server's timer at the same instant.
      assert.deepEqual(
        retx.map((x) => x.reason),
        ['timeout', 'peer-retransmit'],
      );
      assert.equal(retx.filter((x) => x.side === 'server').length, 1, 'flight 4 went out again once');
    });

    test(`${name}: flight 5 (ClientKeyExchange, CCS, Finished) lost${cookie ? ' after a cookie exchange' : ''}: the client resends it`, () => {
      const { r, client, server, retx } = play({ flight: 5, cookie, both });
      assert.equal(r.reason, 'until', state(client, server));
      // Flight 5 (sent at t0 + 50) has the timer `next`, flight 4 (sent at t0 + 25)
      // the server's unmeasured I, and next === I under both timers here: the
      // server's timer fires first, at t0 + 25 + I, and its copy of flight 4 reaches
      // the client at t0 + 50 + I, the instant the client's own timer expires. The
      // client answers it with flight 5 at once and re-arms, so its timer does not
      // send flight 5 too. Then one round trip.
      assert.equal(r.now, t0 + RTT + next + RTT);
      assert.deepEqual(resent(retx), [`server flight 4 at ${t0 + DELAY + I}`, `client flight 5 at ${t0 + RTT + next}`]);
      assert.deepEqual(
        retx.map((x) => x.reason),
        ['timeout', 'peer-retransmit'],
      );
    });

    test(`${name}: flight 6 (the server's final CCS, Finished) lost${cookie ? ' after a cookie exchange' : ''}: resent when the client resends flight 5`, () => {
      const { r, client, server, retx } = play({ flight: 6, cookie, both });
      assert.equal(r.reason, 'until', state(client, server));
      // Flight 6 went out at t0 + 75 with the server's timer at `next` (flight 4
      // was answered in 50 ms); the client's flight-5 timer is `next` too, so its
      // resent flight 5 reaches the server the instant the server's own timer
      // expires: flight 6 goes out once, as the answer, and the timer is re-armed.
      assert.equal(r.now, t0 + RTT + next + RTT);
      assert.deepEqual(resent(retx), [`client flight 5 at ${t0 + RTT + next}`, `server flight 6 at ${t0 + 3 * DELAY + next}`]);
      const fromServer = retx.filter((x) => x.side === 'server');
      assert.deepEqual(
        fromServer.map((x) => x.reason),
        ['peer-retransmit'],
      );
      assert.equal(client.pollTimeout(), undefined, 'no timer left on the client once connected');
      // The server cannot know flight 6 arrived until the client's data shows it:
      // its own timer for flight 6 stays armed, re-armed when it answered.
      assert.equal(server.pollTimeout(), t0 + 3 * DELAY + next + next);
    });
  }
}

// ---------------------------------------------------------------------------
// Each flight lost three times in a row: recovered at an exact time under each
// timer, and, under the RFC 6347 timer, no later than its doubling schedule
// allows (1 + 2 + 4 s before the fourth try). Every first timer is I on these
// links (see the top), so one formula in I gives the time under both timers.

const lostThrice = (k: number) => k < 3;
for (const [flight, cookie, start, rtts, sentAt, doneAt] of [
  // Flight 1: nothing measured yet: the ClientHello goes out at 0, I, 3I and 7I,
  // the fourth arriving; then two round trips. Flight 2: each of those
  // ClientHellos is answered with a HelloVerifyRequest 25 ms later, the fourth
  // arriving; then three round trips.
  [1, false, 0, 2, (I: number) => [0, I, 3 * I, 7 * I], (I: number) => 7 * I + 2 * RTT],
  [2, true, 0, 3, (I: number) => [0, I, 3 * I, 7 * I].map((t) => t + DELAY), (I: number) => 7 * I + 3 * RTT],
  // Flight 3: no round trip sample from the HelloVerifyRequest, so I, 2I, 4I too:
  // sent at 50, 50 + I, 50 + 3I, 50 + 7I; then two round trips.
  [3, true, 50, 2, (I: number) => [0, I, 3 * I, 7 * I].map((t) => t + RTT), (I: number) => RTT + 7 * I + 2 * RTT],
  // Flight 4: sent at 25 ms (lost); answers to the ClientHello resent at I and
  // 3I go out at I + 25 (lost; the server's own timer, due then, is re-armed)
  // and 3I + 25 (arrives), the server's own timer at 2I + 25 (lost; the server
  // has measured nothing). Then flight 5 at 3I + 50, flight 6 at 3I + 75.
  [4, false, 0, 2, (I: number) => [0, I, 2 * I, 3 * I].map((t) => t + DELAY), (I: number) => 3 * I + 2 * RTT],
  // Flight 5: sent at 50 (lost); the server's timer resends flight 4 at I + 25,
  // answered at I + 50 (lost; the client's own timer, due then, is re-armed);
  // the client's timer at 2I + 50 (lost); the server's timer (doubled) at
  // 3I + 25, answered with the fourth copy at 3I + 50, which arrives.
  [5, false, 50, 1, (I: number) => [0, I, 2 * I, 3 * I].map((t) => t + RTT), (I: number) => 3 * I + 2 * RTT],
  // Flight 6: sent at 75 (lost); answers to the client's flight 5 resent at
  // I + 50 and 3I + 50 go out at I + 75 (lost; the server's own timer, due
  // then, is re-armed) and 3I + 75 (arrives), the server's own timer at
  // 2I + 75 (lost).
  [6, false, 50, 1, (I: number) => [0, I, 2 * I, 3 * I].map((t) => t + 3 * DELAY), (I: number) => 3 * I + 2 * RTT],
] as const) {
  for (const { name, rfc, both, I } of TIMERS) {
    const done = doneAt(I);
    test(`${name}: flight ${flight} lost three times in a row is recovered at ${done} ms`, () => {
      const sender: Sender = flight % 2 === 1 ? 'client' : 'server';
      const instants: number[] = [];
      const count = (d: Uint8Array, t: number) => {
        if (flightOf(d, sender) === flight && instants.at(-1) !== t) instants.push(t);
      };
      const { r, client, server } = play({ flight, cookie, both, drop: lostThrice, [sender === 'client' ? 'clientTap' : 'serverTap']: count });
      assert.equal(r.reason, 'until', state(client, server));
      assert.equal(instants.length, 4, `flight ${flight} went out at ${instants.join(', ')} ms`);
      assert.deepEqual(instants, sentAt(I));
      assert.equal(r.now, done);
      if (rfc) assert.ok(r.now <= start + 7000 + rtts * 50 && r.now >= start + 1000 + rtts * 50, `done at ${r.now} ms`);
    });
  }
}

// ---------------------------------------------------------------------------
// The server's final flight (RFC 6347 4.2.4: the peer's retransmissions drive
// it), now also resent on the server's own timer up to 6 times, and in all at
// most 16 times (FINAL_FLIGHT_TIMER_RESENDS, FINAL_FLIGHT_MAX_RESENDS in src/connection.ts).

test('flight 6 always lost (default timer): every copy of flight 5 answered (they come under keys), resent 6 times on the server’s timer, and the client gives up at the handshake timeout', () => {
  const { r, client, server, retx } = play({ flight: 6, drop: () => true, until: (p) => p.a.state === 'failed' });
  assert.equal(r.reason, 'until');
  assert.equal(r.now, 30_000);
  // The client's flight-5 timer: max(100, 1.5 x 50) = 100 ms (flight 4 answered
  // in 50 ms), doubling: 50 + 100 = 150, + 200 = 350, + 400 = 750, ... until 30 s;
  // from its second silent expiry each resend goes twice, back to back.
  // Each copy (its Finished under the epoch-1 keys, so authenticated) is
  // answered 25 ms later (the first at 175 ms, the instant the server's own
  // timer for flight 6, sent at 75 with 100 ms, expires) and re-arms the
  // server's timer, which doubles only on its own expiries: it resends 100 ms
  // after the first answer, 200 after the second, 400, 800, 1600 and 3200 after
  // the sixth, each before the next copy comes, then no more.
  assert.deepEqual(timeouts(retx, 'client'), [150, 350, 750, 1550, 3150, 6350, 12750, 25550]);
  assert.deepEqual(timeouts(retx, 'server'), [275, 575, 1175, 2375, 4775, 9575]);
  const answers = retx.filter((x) => x.side === 'server' && x.reason === 'peer-retransmit').map((x) => x.time);
  const twice = [375, 775, 1575, 3175, 6375, 12775, 25575].flatMap((t) => [t, t]);
  assert.deepEqual(answers, [175, ...twice], 'one answer per copy of flight 5, 25 ms after it was sent');
  assert.ok(retx.every((x) => (x.side === 'client' ? x.flight === 5 : x.flight === 6)));
  assert.equal(client.error?.code, 'handshake_timeout');
  // In DTLS 1.2 the server cannot know its final flight was lost: it stays connected.
  assert.equal(server.state, 'connected');
  assert.equal(client.pollTimeout(), undefined);
  assert.equal(server.pollTimeout(), undefined, 'its 6 timer resends are spent');
});

test('flight 6 always lost (RFC 6347 timer, retransmit: { initial: 1000, adaptive: false }): answered once per retransmission of flight 5, resent on the server’s timer 4 times before the client’s handshake timeout and twice after, 6 in all', () => {
  const { r, client, server, retx, pair } = play({ flight: 6, both: RFC_TIMER, drop: () => true, until: (p) => p.a.state === 'failed' });
  assert.equal(r.reason, 'until');
  assert.equal(r.now, 30_000);
  // The client's flight-5 timer: 1 s from 50 ms, doubling; each copy answered 25 ms
  // later (the first the instant the server's own 1 s timer expires), the server's
  // timer resending 1, 2, 4 and 8 s after the answers.
  assert.deepEqual(resent(retx), [
    'client flight 5 at 1050',
    'server flight 6 at 1075',
    'server flight 6 at 2075',
    'client flight 5 at 3050',
    'server flight 6 at 3075',
    'server flight 6 at 5075',
    'client flight 5 at 7050',
    'server flight 6 at 7075',
    'server flight 6 at 11075',
    'client flight 5 at 15050',
    'server flight 6 at 15075',
    'server flight 6 at 23075',
  ]);
  assert.deepEqual(timeouts(retx, 'server'), [2075, 5075, 11075, 23075]);
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(server.state, 'connected');
  // The server, still connected, has 2 timer resends left: 16 s after the 4th
  // (39075 ms), then 32 s after that (71075 ms), then none.
  const rest = pair.run({ maxDuration: 600_000 });
  assert.equal(rest.reason, 'idle');
  const serverTimer = rest.b.timeline.filter((x) => x.event.type === 'retransmit' && x.event.reason === 'timeout').map((x) => x.time);
  assert.deepEqual(serverTimer, [2075, 5075, 11075, 23075, 39075, 71075]);
  assert.equal(server.stats.retransmits, 4 + 6, '4 answers and 6 timer resends');
  assert.equal(server.pollTimeout(), undefined);
});

// The server's own timer for flight 6: T (the timer of a flight sent after an
// answered one: max(100, 1.5 x 50) = 100 ms by default, 1 s RFC 6347), doubling,
// 6 times: at 75 + T, + 2T, + 4T, + 8T, + 16T, + 32T.
for (const { name, rfc, both, I } of TIMERS) {
  const T = rfc ? I : Math.max(DEFAULT_MIN, 1.5 * RTT);
  const schedule = [1, 3, 7, 15, 31, 63].map((n) => 3 * DELAY + n * T);

  test(`${name}: the client's flight-5 retransmissions all lost after the server connected: the server's timer resends flight 6 exactly 6 times (at ${schedule.join(', ')} ms), then stops`, () => {
    const sent6: number[] = [];
    let t = 0;
    const lost5 = dropFlight(
      'client',
      5,
      (k) => k >= 1,
      () => t,
    );
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
    // Nothing more on the server's side, however long we wait (under RFC 6347 the
    // last two resends come after the client's handshake timeout at 30 s).
    const rest = pair.run({ maxDuration: 600_000 });
    assert.equal(rest.reason, 'idle');
    const fromServer = rest.b.timeline.filter((x) => x.event.type === 'retransmit');
    assert.deepEqual(
      fromServer.map((x) => x.event.type === 'retransmit' && `${x.event.flight} ${x.event.reason}`),
      Array(6).fill('6 timeout'),
    );
    assert.deepEqual(
      fromServer.map((x) => x.time),
      schedule,
    );
    assert.deepEqual(sent6, [3 * DELAY, ...schedule], 'flight 6 went out once, then 6 times on the timer');
    assert.equal(server.stats.retransmits, 6);
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
      assert.deepEqual(
        serverRetx().map((x) => x.time),
        schedule.slice(0, k),
      );
      assert.ok(serverRetx().every((x) => x.event.type === 'retransmit' && x.event.flight === 6 && x.event.reason === 'timeout'));
      assert.deepEqual(r.b.received.map(fromUtf8), ['flight 6 arrived']);
      assert.equal(server.state, 'connected');
    });
  }
}

/** What a Connection has to send, drained. */
function take(c: Connection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
  return out;
}

/** Driven by hand on a 25 ms link: the ClientHello reaches the server at 25 ms, flight 4 the client at 50; returns flight 5, not yet delivered. */
function upToFlight5() {
  const { client, server } = createPair({ handshakeTimeout: 10_000_000 }, {}, { seed: 42 });
  client.start(0);
  server.start(0);
  for (const d of take(client)) server.handleDatagram(25, d);
  for (const d of take(server)) client.handleDatagram(50, d);
  const first5 = take(client);
  assert.ok(first5.length > 0 && first5.every((d) => flightOf(d, 'client') === 5));
  return { client, server, first5 };
}

/**
 * A peer that answers every transmission of flight 6 with a fresh copy of
 * flight 5 (recorded retransmissions of a real client, so the record numbers
 * are new), `delay` ms after it was sent. Returns the server's retransmissions.
 */
function pingPong(delay: number) {
  const { client, server, first5 } = upToFlight5();
  // 48 retransmissions of flight 5, on the client's timer, never delivered.
  const copies: Uint8Array[][] = [];
  while (copies.length < 48) {
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
  let now: number;
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

test('a peer that answers every flight 6 with flight 5 at once: each copy (under keys) is answered until MAX_KEYED_ANSWERS, then the server’s 6 timer resends, then nothing: no endless ping-pong', () => {
  const { server, resends, used } = pingPong(DELAY);
  // Flight 6 goes out at 75 with a 100 ms timer (max(100, 1.5 x 50): flight 4
  // was answered in 50 ms). Each copy arrives 25 ms after a flight 6 and is
  // answered at once (re-arming the timer, which never fires meanwhile); from
  // the client's second recorded resend each copy is two transmissions back to
  // back, so two answers: 100, then twice at 125 ... 475, then 500: 32.
  const answers = resends.filter((x) => x.reason === 'peer-retransmit').map((x) => x.time);
  assert.equal(answers.length, MAX_KEYED_ANSWERS);
  assert.deepEqual(answers.slice(0, 3), [100, 125, 125]);
  assert.equal(answers.at(-1), 500);
  // Then the copies go unanswered, and the timer (100 ms from 500) resends and
  // doubles until its 6 resends are spent.
  assert.deepEqual(
    resends.filter((x) => x.reason === 'timeout').map((x) => x.time),
    [600, 800, 1200, 2000, 3600, 6800],
  );
  assert.ok(resends.every((x) => x.flight === 6));
  assert.equal(used, 24, 'one copy per instant flight 6 went: 75, the 17 instants of answers, the 6 timer resends');
  assert.equal(server.stats.retransmits, MAX_KEYED_ANSWERS + 6);
  assert.equal(server.state, 'connected');
  assert.equal(server.pollTimeout(), undefined);
});

test('a peer that answers every flight 6 with flight 5 after 5 s: every copy answered until MAX_KEYED_ANSWERS, 6 resends on the server’s timer, then none', () => {
  const { server, resends, used } = pingPong(5000);
  // The server's 100 ms timer (flight 6 sent at 75), doubling: 175, 375, 775,
  // 1575, 3175. From 5075 each of those transmissions comes back as a copy
  // (two back to back from the client's second recorded resend) and is
  // answered, and each answer does again 5 s later, until the 32nd answer
  // (16575); every answer re-arms the timer (3200 ms), whose sixth and last
  // resend comes 3200 ms after the last answer.
  assert.deepEqual(
    resends.filter((x) => x.reason === 'timeout').map((x) => x.time),
    [175, 375, 775, 1575, 3175, 19775],
  );
  const answers = resends.filter((x) => x.reason === 'peer-retransmit').map((x) => x.time);
  assert.equal(answers.length, MAX_KEYED_ANSWERS);
  assert.deepEqual(answers.slice(0, 3), [5075, 5175, 5175]);
  assert.equal(answers.at(-1), 16575);
  assert.ok(resends.every((x) => x.flight === 6));
  assert.ok(used <= 48);
  assert.equal(server.stats.retransmits, MAX_KEYED_ANSWERS + 6);
  assert.equal(server.pollTimeout(), undefined);
});

// Once no resend of flight 6 remains (6 on the timer, or 16 in all), there is
// nothing for the server's timer to do: pollTimeout() should be undefined at
// once, not one more (doubled) period later for an expiry that sends nothing.
test('after its last allowed resend of flight 6, the server has no timer left at once (no empty wake-up)', () => {
  // Six timer resends (flight 6 and the client's copies of flight 5 all lost):
  // the sixth goes out at 75 + 63 x 100 = 6375 ms.
  let t = 0;
  const lost5 = dropFlight(
    'client',
    5,
    (k) => k >= 1,
    () => t,
  );
  const { server, pair } = play({
    flight: 6,
    drop: () => true,
    clientFilter: (d, _i, now) => ((t = now), lost5(d)),
    until: (p) => p.log.b.events.filter((e) => e.type === 'retransmit').length === 6,
  });
  assert.equal(pair.now, 3 * DELAY + 63 * DEFAULT_INITIAL);
  assert.equal(server.stats.retransmits, 6);
  assert.equal(server.pollTimeout(), undefined, `after the 6th timer resend, pollTimeout() is ${server.pollTimeout()}`);
});

test('after its last allowed resend of flight 6 (6 on the timer, MAX_KEYED_ANSWERS answers to copies under keys), the server has no timer left at once (no empty wake-up)', () => {
  // The client's copies of flight 5 (its Finished under keys, so each is
  // answered), 10 ms after each expiry of the server's timer, then with the
  // timer spent one transmission per 200 ms, until the last allowed resend.
  const { client, server, first5 } = upToFlight5();
  for (const d of first5) server.handleDatagram(75, d);
  let now = 75;
  const last = FINAL_FLIGHT_TIMER_RESENDS + MAX_KEYED_ANSWERS;
  for (let i = 0; i < 60 && server.stats.retransmits < last; i++) {
    const t = server.pollTimeout();
    now = t === undefined ? now + 200 : t + 10;
    if (t !== undefined) server.handleTimeout(t);
    client.handleTimeout(client.pollTimeout()!);
    for (const d of take(client)) server.handleDatagram(now, d);
    take(server);
  }
  assert.equal(server.stats.retransmits, last);
  assert.equal(server.pollTimeout(), undefined, `after the last resend, pollTimeout() is ${server.pollTimeout()}`);
  // And further copies draw nothing.
  client.handleTimeout(client.pollTimeout()!);
  for (const d of take(client)) server.handleDatagram(now + 200, d);
  assert.equal(take(server).length, 0);
  assert.equal(server.stats.retransmits, last);
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
  assert.equal(
    serverAnswers.length,
    0,
    `the server answered flight 5 with flight 4 ${serverAnswers.length} times (first at ${serverAnswers
      .slice(0, 4)
      .map((x) => x.time)
      .join(', ')} ms)`,
  );
  // Flight 4 goes out again on the server's own timer only (sent at 25 ms, 100 ms:
  // it measured nothing), doubling until the 30 s handshake timeout.
  assert.deepEqual(timeouts(retx, 'server'), [125, 325, 725, 1525, 3125, 6325, 12725, 25525]);
  // The client answers each of those once.
  assert.equal(retx.filter((x) => x.side === 'client' && x.reason === 'peer-retransmit').length, 8);
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
  assert.equal(
    clientAnswers.length,
    0,
    `the client answered flight 4 with the ClientHello ${clientAnswers.length} times (first at ${clientAnswers
      .slice(0, 4)
      .map((x) => x.time)
      .join(', ')} ms)`,
  );
  // The ClientHello goes out again on the client's own timer only (100 ms, doubling
  // until the 30 s handshake timeout); the server answers each copy once, 25 ms
  // after it was sent (and also resends flight 4 on its own timer in between,
  // 100, 200, 400 ms... after each answer: never at the instant a copy arrives).
  assert.deepEqual(timeouts(retx, 'client'), [100, 300, 700, 1500, 3100, 6300, 12700, 25500]);
  assert.deepEqual(
    retx.filter((x) => x.side === 'server' && x.reason === 'peer-retransmit').map((x) => x.time),
    [125, 325, 725, 1525, 3125, 6325, 12725, 25525],
  );
});

// ---------------------------------------------------------------------------
// The timer, exactly (RFC 6347 4.2.4.1: from the initial value I, doubling, at least 60 s cap)

// A first flight never answered gives no round trip to measure, so the default
// (adaptive) timer runs the RFC 6347 doubling too, from its I = 100 ms: each
// test runs under both.
for (const { name, rfc, both, I } of TIMERS) {
  // Flight 1 under total loss: resent at I, 3I, 7I, ... (the timer doubling each
  // time) until the 30 s handshake timeout.
  const flight1 = rfc ? [1000, 3000, 7000, 15000] : [100, 300, 700, 1500, 3100, 6300, 12700, 25500];
  const seconds = (ts: readonly number[]) => ts.map((t) => t / 1000).join(', ');

  test(`${name}: RFC 6347 doubling from ${I} ms, client flight 1 under total loss: ${seconds(flight1)} s, then handshake_timeout at 30 s and no timer left`, () => {
    const { r, client, retx } = play({ both, clientFilter: () => false, until: (p) => p.a.state === 'failed' });
    assert.equal(r.reason, 'until');
    assert.deepEqual(timeouts(retx, 'client'), flight1);
    assert.deepEqual(
      r.a.events.filter((e) => e.type === 'retransmit').map((e) => e.type === 'retransmit' && e.attempt),
      flight1.map((_, k) => k + 1),
    );
    assert.equal(r.now, 30_000);
    assert.equal(client.error?.code, 'handshake_timeout');
    assert.equal(client.pollTimeout(), undefined);
    assert.equal(client.pollTransmit(), undefined);
  });

  test(`${name}: RFC 6347 doubling from ${I} ms with a long handshake timeout: the doubling stops at 60 s`, () => {
    // I, 2I, 4I, ... until 60 s, then 60 s each, before the 200 s handshake timeout:
    // by default 100 ms ... 51.2 s (resent at 102.3 s), then 60 s (162.3 s);
    // under RFC 6347 1 s ... 32 s (resent at 63 s), then 60 s (123 s, 183 s).
    const schedule = rfc ? [1000, 3000, 7000, 15000, 31000, 63000, 123000, 183000] : [100, 300, 700, 1500, 3100, 6300, 12700, 25500, 51100, 102300, 162300];
    const { r, client, retx } = play({
      both,
      client: { handshakeTimeout: 200_000 },
      clientFilter: () => false,
      until: (p) => p.a.state === 'failed',
      maxDuration: 300_000,
    });
    assert.equal(r.reason, 'until');
    assert.deepEqual(timeouts(retx, 'client'), schedule);
    assert.equal(r.now, 200_000);
    assert.equal(client.error?.code, 'handshake_timeout');
  });

  test(`${name}: RFC 6347 doubling from ${I} ms, server flight 4 under total loss (the client silent after one ClientHello): ${seconds(flight1.map((t) => t + DELAY))} s`, () => {
    // Flight 4 is sent at 25 ms, the server having measured nothing: flight 1's schedule, 25 ms later.
    const { r, server, retx } = play({ both, clientFilter: (_d, i) => i === 0, serverFilter: () => false, until: (p) => p.b.state === 'failed' });
    assert.equal(r.reason, 'until');
    assert.deepEqual(
      timeouts(retx, 'server'),
      flight1.map((t) => t + DELAY),
    );
    assert.equal(retx.filter((x) => x.side === 'server' && x.reason !== 'timeout').length, 0);
    assert.equal(r.now, 30_000, 'the server counts its handshake timeout from start()');
    assert.equal(server.error?.code, 'handshake_timeout');
    assert.equal(server.pollTimeout(), undefined);
  });

  test(`${name}: after a flight needed retransmissions, the next flight starts from the initial timer again (as BoringSSL and OpenSSL do; adaptive: a resent flight gives no round trip sample)`, () => {
    // Flight 1 lost twice (resent at I and 3I, the third copy arriving), then
    // flight 5 (sent at 3I + 50) lost once: resent by the client's timer I after
    // it was sent, not 4I (the doubled timer), nor, adaptive, 1.5 x the 3I + 50 ms
    // since the first ClientHello. (The server's copies of flight 4 after the one
    // sent at 3I + 25 are dropped, so only the client's timer can resend flight 5.)
    const flight4At = 3 * I + DELAY;
    let firstFlight5 = true;
    const { r, client, server, retx } = play({
      both,
      flight: 1,
      drop: (k) => k < 2,
      clientFilter: (d) => !(flightOf(d, 'client') === 5 && firstFlight5 && !(firstFlight5 = false)),
      serverFilter: (d, _i, t) => !(flightOf(d, 'server') === 4 && t > flight4At),
    });
    assert.equal(r.reason, 'until', state(client, server));
    assert.deepEqual(timeouts(retx, 'client'), [I, 3 * I, 3 * I + RTT + I]);
    assert.equal(r.now, 3 * I + RTT + I + RTT);
  });
}

test('RFC 6347 schedule (retransmit: { initial: 1000, adaptive: false }), client flight 5 under total loss: the timer starts again at 1 s for the new flight', () => {
  let fromServer = 0;
  const { r, client, retx } = play({
    both: RFC_TIMER,
    clientFilter: (d) => flightOf(d, 'client') !== 5,
    // Only the first transmission of flight 4 reaches the client, so only its own timer drives it.
    serverFilter: () => fromServer++ === 0,
    until: (p) => p.a.state === 'failed',
  });
  assert.equal(r.reason, 'until');
  // Flight 5 sent at 50 ms: 50 + 1 s, + 2 s, + 4 s, + 8 s.
  assert.deepEqual(timeouts(retx, 'client'), [1050, 3050, 7050, 15050]);
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(r.now, 30_000);
});

for (const { delay, retransmit, first, hello, why } of [
  { delay: 25, retransmit: {}, first: 100, hello: [], why: '1.5 x 50 = 75 ms, raised to retransmit.min (100 ms)' },
  { delay: 40, retransmit: {}, first: 120, hello: [], why: '1.5 x the 80 ms round trip, above retransmit.min' },
  {
    delay: 100,
    retransmit: {},
    first: 100,
    hello: [100],
    why: 'the 200 ms round trip outlasts the 100 ms initial timer: the ClientHello is resent at 100 ms, before its answer, so nothing is measured (a resent flight gives no sample) and flight 5 starts at the initial 100 ms',
  },
  {
    delay: 100,
    retransmit: { initial: 1000 },
    first: 300,
    hello: [],
    why: '1.5 x the 200 ms round trip: with a 1 s initial timer the ClientHello is answered before it is resent, so its round trip is measured',
  },
] as const) {
  const label = retransmit.initial === undefined ? 'default adaptive timer' : `adaptive timer with retransmit.initial ${retransmit.initial}`;
  test(`${label}, ${delay} ms each way, client flight 5 under total loss: starts at ${first} ms (RFC 9147 5.8.2), doubling`, () => {
    // `why` is the derivation of `first`.
    let fromServer = 0;
    const { r, client, retx } = play({
      delay,
      both: { retransmit },
      clientFilter: (d) => flightOf(d, 'client') !== 5,
      serverFilter: () => fromServer++ === 0,
      until: (p) => p.a.state === 'failed',
    });
    assert.equal(r.reason, 'until');
    assert.deepEqual(
      timeouts(
        retx.filter((x) => x.flight === 1),
        'client',
      ),
      hello,
      'ClientHello resends',
    );
    // Flight 5 goes out one round trip after the ClientHello.
    const sent = 2 * delay;
    const expected: number[] = [];
    for (let t = first, at = sent + t; at < 30_000; t *= 2, at += t) expected.push(at);
    assert.deepEqual(
      timeouts(
        retx.filter((x) => x.flight === 5),
        'client',
      ),
      expected,
    );
    assert.deepEqual(timeouts(retx, 'client'), [...hello, ...expected], 'nothing else resent');
    assert.equal(expected[0], sent + first, why);
    assert.equal(client.error?.code, 'handshake_timeout');
    assert.equal(r.now, 30_000);
  });
}

test('default adaptive timer, by hand: no sample from the HelloVerifyRequest round trip; flight 5 starts at 1.5 x the round trip of flight 3', () => {
  // The HelloVerifyRequest answers the ClientHello after 60 ms (not sampled),
  // flight 4 answers flight 3 after 90 ms: flight 5's timer is 1.5 x 90 = 135 ms.
  // Both answers come before the 100 ms initial timer, so nothing is resent.
  // (Had the HelloVerifyRequest been sampled: 1.5 x (7 x 60 + 90) / 8 = 95.6,
  // raised to 100 ms; had flight 3 not been: the initial 100 ms.)
  const I = DEFAULT_INITIAL;
  const { client, server } = createPair({}, { requireCookie: true }, { seed: 42 });
  const deliver = (from: Connection, to: Connection, now: number) => {
    for (let d = from.pollTransmit(); d; d = from.pollTransmit()) to.handleDatagram(now, d);
  };
  client.start(0);
  server.start(0);
  deliver(client, server, 0); // ClientHello -> HelloVerifyRequest
  assert.equal(server.pollTimeout(), 30_000, 'a HelloVerifyRequest has no timer (only the handshake timeout)');
  deliver(server, client, 60); // -> flight 3 at 60 ms
  assert.equal(client.pollTimeout(), 60 + I, 'flight 3: the initial 100 ms');
  deliver(client, server, 60); // -> flight 4
  assert.equal(server.pollTimeout(), 60 + I, 'flight 4: the server measured nothing, 100 ms');
  deliver(server, client, 150); // -> flight 5 at 150 ms
  assert.equal(client.pollTimeout(), 150 + 1.5 * 90);
  client.handleTimeout(284);
  assert.equal(client.stats.retransmits, 0, 'not before its time');
  client.handleTimeout(285);
  assert.equal(client.stats.retransmits, 1);
  assert.equal(client.pollTimeout(), 285 + 2 * 135, 'doubled');
});

test('retransmit: { initial: 100 } doubles from 100 ms: 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 12.7, 25.5 s (no round trip is ever measured, so the same adaptive or not)', () => {
  const { r, client, retx } = play({ client: { retransmit: { initial: 100 } }, clientFilter: () => false, until: (p) => p.a.state === 'failed' });
  assert.equal(r.reason, 'until');
  assert.deepEqual(timeouts(retx, 'client'), [100, 300, 700, 1500, 3100, 6300, 12700, 25500]);
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(r.now, 30_000);
});

test('a flight sent again for a peer retransmission re-arms the timer (RFC 6347 4.2.4: SENDING sets the timer), so it does not go out twice at once', () => {
  // Flight 4 lost once: the client's ClientHello, resent at 100 ms, arrives at
  // 125 ms, the instant the server's own 100 ms timer for flight 4 (sent at 25)
  // expires. RFC 6347 4.2.4: on the peer's retransmission the server goes to
  // SENDING, sends, sets the timer and waits, so its timer must not fire again then.
  const at = DEFAULT_INITIAL + DELAY;
  const { r, retx } = play({ flight: 4 });
  assert.equal(r.reason, 'until');
  const then = retx.filter((x) => x.side === 'server' && x.time === at);
  assert.equal(then.length, 1, `flight 4 went out ${then.length} times at ${at} ms (${then.map((x) => x.reason).join(', ')})`);
});
