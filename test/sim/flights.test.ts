// Every flight of the DTLS 1.2 handshake (RFC 6347 4.2.4) lost in turn, and the
// retransmission timer (RFC 6347 4.2.4.1) checked to the millisecond, as
// BoringSSL's runner does. Links have a fixed 25 ms one-way delay and no
// randomness, so every time below is exact: a clean handshake takes two round
// trips (100 ms), three with a HelloVerifyRequest (150 ms).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, createPair, bothIn, type RunResult } from '../../src/testing/index.ts';
import type { DtlsOptions } from '../../src/options.ts';
import type { Connection } from '../../src/connection.ts';
import { dropFlight, flightOf, type Sender } from './wire-tools.ts';

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
}

function play(s: Scenario): { r: RunResult; client: Connection; server: Connection; retx: Retransmission[]; pair: SimPair } {
  const { client, server } = createPair(s.client ?? {}, { requireCookie: s.cookie ?? false, ...s.server }, { seed: 42 });
  let pair: SimPair | undefined;
  const now = () => pair!.now;
  const lose = (side: Sender) =>
    s.flight !== undefined && (s.flight % 2 === 1) === (side === 'client') ? dropFlight(side, s.flight, s.drop ?? ((k) => k === 0), now) : () => true;
  const loseClient = lose('client');
  const loseServer = lose('server');
  pair = new SimPair(client, server, {
    seed: 42,
    link: { delay: DELAY },
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
// Each flight lost once

test('flight 1 (ClientHello) lost: the client resends it at 1 s', () => {
  const { r, client, server, retx } = play({ flight: 1 });
  assert.equal(r.reason, 'until', state(client, server));
  assert.equal(r.now, 1000 + 100);
  assert.deepEqual(resent(retx), ['client flight 1 at 1000']);
  assert.equal(retx[0]!.reason, 'timeout');
  assert.equal(r.links.aToB.filtered, 1, 'exactly one datagram was dropped');
});

test('flight 1 lost with a cookie exchange: the client resends it at 1 s, then three round trips', () => {
  const { r, client, server, retx } = play({ flight: 1, cookie: true });
  assert.equal(r.reason, 'until', state(client, server));
  assert.equal(r.now, 1000 + 150);
  assert.deepEqual(resent(retx), ['client flight 1 at 1000']);
});

test('flight 2 (HelloVerifyRequest) lost: no timer of the server resends it; the resent ClientHello is answered with another', () => {
  const hvrs: number[] = [];
  const { r, client, server, retx } = play({ flight: 2, cookie: true, serverTap: (d, t) => flightOf(d, 'server') === 2 && hvrs.push(t) });
  assert.equal(r.reason, 'until', state(client, server));
  assert.equal(r.now, 1000 + 150);
  // RFC 6347 4.2.4: the client's timer drives it; the server answers each ClientHello once.
  assert.deepEqual(timeouts(retx, 'client'), [1000]);
  assert.deepEqual(timeouts(retx, 'server'), []);
  assert.deepEqual(hvrs, [25, 1025], 'one HelloVerifyRequest per ClientHello');
  assert.equal(r.links.bToA.filtered, 1);
});

test('flight 3 (ClientHello with cookie) lost: the client resends it at 1 s', () => {
  const hvrs: number[] = [];
  const { r, client, server, retx } = play({ flight: 3, cookie: true, serverTap: (d, t) => flightOf(d, 'server') === 2 && hvrs.push(t) });
  assert.equal(r.reason, 'until', state(client, server));
  assert.equal(r.now, 50 + 1000 + 100);
  assert.deepEqual(resent(retx), ['client flight 3 at 1050']);
  assert.deepEqual(hvrs, [25], 'the cookie is not asked for again');
});

for (const cookie of [false, true]) {
  const t0 = cookie ? 50 : 0; // when the ClientHello that flight 4 answers was sent
  test(`flight 4 (ServerHello..ServerHelloDone) lost${cookie ? ' after a cookie exchange' : ''}: the server resends it`, () => {
    const { r, client, server, retx } = play({ flight: 4, cookie });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, t0 + 1000 + 100);
    // Both the client's resent ClientHello and the server's own timer ask for it at t0 + 1025.
    assert.deepEqual(resent(retx), [`client flight ${cookie ? 3 : 1} at ${t0 + 1000}`, `server flight 4 at ${t0 + 1025}`]);
  });

  test(`flight 5 (ClientKeyExchange, CCS, Finished) lost${cookie ? ' after a cookie exchange' : ''}: the client resends it`, () => {
    const { r, client, server, retx } = play({ flight: 5, cookie });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, t0 + 50 + 1000 + 50);
    assert.ok(resent(retx).includes(`client flight 5 at ${t0 + 1050}`), resent(retx).join(', '));
  });

  test(`flight 6 (the server's final CCS, Finished) lost${cookie ? ' after a cookie exchange' : ''}: resent when the client resends flight 5`, () => {
    const { r, client, server, retx } = play({ flight: 6, cookie });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, t0 + 1050 + 50);
    assert.deepEqual(resent(retx), [`client flight 5 at ${t0 + 1050}`, `server flight 6 at ${t0 + 1075}`]);
    assert.equal(retx.find((x) => x.side === 'server')!.reason, 'peer-retransmit', 'the final flight has no timer of its own');
    assert.equal(client.pollTimeout(), undefined, 'no timer left once connected');
    assert.equal(server.pollTimeout(), undefined);
  });
}

// ---------------------------------------------------------------------------
// Each flight lost three times in a row: recovered, no later than the doubling
// schedule allows. (Exactly when depends on how the two sides' timers and their
// answers to each other's retransmissions interleave; the schedule of one timer
// alone is checked exactly further down.)

const lostThrice = (k: number) => k < 3;
for (const [flight, cookie, start, rtts] of [
  [1, false, 0, 2],
  [2, true, 0, 3],
  [3, true, 50, 2],
  [4, false, 0, 2],
  [5, false, 50, 1],
  [6, false, 50, 1],
] as const) {
  // Three losses cost at most the timer's 1 + 2 + 4 s before the fourth try.
  const latest = start + 7000 + rtts * 50;
  test(`flight ${flight} lost three times in a row is recovered by ${latest} ms`, () => {
    let transmissions = 0;
    let at = -1;
    const count = (d: Uint8Array, t: number) => {
      if (flightOf(d, flight % 2 === 1 ? 'client' : 'server') === flight && t !== at) {
        transmissions++;
        at = t;
      }
    };
    const { r, client, server } = play({ flight, cookie, drop: lostThrice, clientTap: count, serverTap: count });
    assert.equal(r.reason, 'until', state(client, server));
    assert.ok(transmissions >= 4, `flight ${flight} went out ${transmissions} times`);
    assert.ok(r.now <= latest, `done at ${r.now} ms`);
    assert.ok(r.now >= start + 1000 + rtts * 50, `done at ${r.now} ms`);
  });
}

test('the server’s final flight is resent once per retransmission of flight 5, and the client gives up at the handshake timeout', () => {
  const { r, client, server, retx } = play({ flight: 6, drop: () => true, until: (p) => p.a.state === 'failed' });
  assert.equal(r.reason, 'until');
  assert.equal(r.now, 30_000);
  assert.deepEqual(resent(retx), [
    'client flight 5 at 1050', 'server flight 6 at 1075',
    'client flight 5 at 3050', 'server flight 6 at 3075',
    'client flight 5 at 7050', 'server flight 6 at 7075',
    'client flight 5 at 15050', 'server flight 6 at 15075',
  ]);
  assert.equal(client.error?.code, 'handshake_timeout');
  // In DTLS 1.2 the server cannot know its final flight was lost: it stays connected.
  assert.equal(server.state, 'connected');
  assert.equal(client.pollTimeout(), undefined);
});

// ---------------------------------------------------------------------------
// The timer, exactly (RFC 6347 4.2.4.1: 1 s, doubling, at least 60 s cap)

test('RFC 6347 schedule, client flight 1 under total loss: 1, 3, 7, 15 s, then handshake_timeout at 30 s and no timer left', () => {
  const { r, client, retx } = play({ clientFilter: () => false, until: (p) => p.a.state === 'failed' });
  assert.equal(r.reason, 'until');
  assert.deepEqual(timeouts(retx, 'client'), [1000, 3000, 7000, 15000]);
  assert.deepEqual(r.a.events.filter((e) => e.type === 'retransmit').map((e) => e.type === 'retransmit' && e.attempt), [1, 2, 3, 4]);
  assert.equal(r.now, 30_000);
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(client.pollTimeout(), undefined);
  assert.equal(client.pollTransmit(), undefined);
});

test('RFC 6347 schedule with a long handshake timeout: the doubling stops at 60 s', () => {
  const { r, client, retx } = play({ client: { handshakeTimeout: 200_000 }, clientFilter: () => false, until: (p) => p.a.state === 'failed', maxDuration: 300_000 });
  assert.equal(r.reason, 'until');
  assert.deepEqual(timeouts(retx, 'client'), [1000, 3000, 7000, 15000, 31000, 63000, 123000, 183000]);
  assert.equal(r.now, 200_000);
  assert.equal(client.error?.code, 'handshake_timeout');
});

test('RFC 6347 schedule, server flight 4 under total loss (the client silent after one ClientHello)', () => {
  const { r, server, retx } = play({ clientFilter: (_d, i) => i === 0, serverFilter: () => false, until: (p) => p.b.state === 'failed' });
  assert.equal(r.reason, 'until');
  assert.deepEqual(timeouts(retx, 'server'), [1025, 3025, 7025, 15025]);
  assert.equal(retx.filter((x) => x.side === 'server' && x.reason !== 'timeout').length, 0);
  assert.equal(r.now, 30_000, 'the server counts its handshake timeout from start()');
  assert.equal(server.error?.code, 'handshake_timeout');
  assert.equal(server.pollTimeout(), undefined);
});

test('RFC 6347 schedule, client flight 5 under total loss: the timer starts again at 1 s for the new flight', () => {
  let fromServer = 0;
  const { r, client, retx } = play({
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

test('after a flight needed retransmissions, the next flight starts from the initial timer again (as BoringSSL and OpenSSL do)', () => {
  // Flight 1 lost twice (resent at 1 and 3 s), then flight 5 lost once: resent
  // by the client's timer 1 s after it was sent, not 4 s. (The server's later
  // copies of flight 4 are dropped, so only the client's timer can resend it.)
  let firstFlight5 = true;
  const { r, client, server, retx } = play({
    flight: 1,
    drop: (k) => k < 2,
    clientFilter: (d) => !(flightOf(d, 'client') === 5 && firstFlight5 && !(firstFlight5 = false)),
    serverFilter: (d, _i, t) => !(flightOf(d, 'server') === 4 && t > 3025),
  });
  assert.equal(r.reason, 'until', state(client, server));
  assert.deepEqual(timeouts(retx, 'client'), [1000, 3000, 3050 + 1000]);
  assert.equal(r.now, 4050 + 50);
});

test('retransmit: { initial: 100 } doubles from 100 ms: 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 12.7, 25.5 s', () => {
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
