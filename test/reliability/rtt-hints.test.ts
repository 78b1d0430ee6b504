// Round trips the first timers can start from (RFC 9147 5.8.2: "In settings
// where there is external information ... about the RTT, implementations
// SHOULD use 1.5 times that RTT estimate as the retransmit timer"): a cookie's
// age for the server, the record number a HelloVerifyRequest echoes for the
// client (test/sim/flights.test.ts checks that one on the wire), and
// retransmit.rtt given by the application.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_COOKIE_RTT, cookieAge, createCookieGate, makeCookie } from '../../src/handshake/cookie.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { Connection } from '../../src/connection.ts';
import { resolveOptions, type DtlsOptions } from '../../src/options.ts';
import { defaultConnection } from '../../src/stream/default-connection.ts';
import { ManualClock } from '../../src/stream/clock.ts';
import { createPair } from '../../src/testing/index.ts';

const secret = new Uint8Array(32).fill(7);
const random = new Uint8Array(32).fill(9);

test('a cookie says when it was made: its age when it returns, and nothing for another peer, random, secret or a changed time', () => {
  const c = makeCookie(nobleProvider, secret, '192.0.2.1|5000', random, 1_000);
  assert.equal(c.length, 32, '4 bytes of time and 28 of HMAC: a HelloVerifyRequest no larger than the smallest ClientHello');
  assert.equal(cookieAge(nobleProvider, secret, '192.0.2.1|5000', random, c, 1_180), 180);
  assert.equal(cookieAge(nobleProvider, secret, '192.0.2.1|5001', random, c, 1_180), undefined);
  assert.equal(cookieAge(nobleProvider, secret, '192.0.2.1|5000', random.map((x) => x ^ 1), c, 1_180), undefined);
  assert.equal(cookieAge(nobleProvider, new Uint8Array(32), '192.0.2.1|5000', random, c, 1_180), undefined);
  const older = c.slice();
  older[3]! ^= 0x10; // claims another time: the HMAC covers it
  assert.equal(cookieAge(nobleProvider, secret, '192.0.2.1|5000', random, older, 1_180), undefined);
  assert.equal(cookieAge(nobleProvider, secret, '192.0.2.1|5000', random, c.subarray(0, 31), 1_180), undefined);
  // 32 bits of ms wrap after 49.7 days: the age is taken modulo that.
  const wrap = makeCookie(nobleProvider, secret, 'p', random, 2 ** 32 - 10);
  assert.equal(cookieAge(nobleProvider, secret, 'p', random, wrap, 2 ** 32 + 30), 40);
});

/** A ClientHello datagram with the given cookie (the gate reads only up to it). */
function hello(cookie: Uint8Array, recordSeq = 0): Uint8Array {
  const body = Uint8Array.of(0xfe, 0xfd, ...random, 0, cookie.length, ...cookie, 0, 2, 0xc0, 0x2b, 1, 0);
  const hs = Uint8Array.of(1, 0, 0, body.length, 0, 0, 0, 0, 0, 0, 0, body.length, ...body);
  return Uint8Array.of(22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, recordSeq, 0, hs.length, ...hs);
}

/** The cookie of a HelloVerifyRequest datagram (record 13, handshake 12, version 2, then the length). */
const cookieOf = (hvr: Uint8Array): Uint8Array => hvr.subarray(28, 28 + hvr[27]!);

test("the cookie gate's accept carries the round trip of the exchange: the cookie's age", () => {
  const gate = createCookieGate({ crypto: nobleProvider });
  const first = gate.check(hello(new Uint8Array(0), 5), 'peer', 10_000);
  assert.equal(first.action, 'reply');
  const hvr = first.action === 'reply' ? first.datagram : new Uint8Array(0);
  assert.equal(hvr[10], 5, 'the HelloVerifyRequest carries the ClientHello\'s record number (RFC 6347 4.2.1)');
  const cookie = cookieOf(hvr);
  assert.deepEqual(gate.check(hello(cookie), 'peer', 10_240), { action: 'accept', rtt: 240 });
  // Returned after MAX_COOKIE_RTT: still a valid cookie, but no round trip.
  assert.deepEqual(gate.check(hello(cookie), 'peer', 10_000 + MAX_COOKIE_RTT + 1), { action: 'accept' });
  // Without a clock the age means nothing.
  const noClock = createCookieGate({ crypto: nobleProvider });
  const r = noClock.check(hello(new Uint8Array(0)), 'peer');
  assert.equal(r.action, 'reply');
  assert.deepEqual(noClock.check(hello(cookieOf(r.action === 'reply' ? r.datagram : new Uint8Array(0))), 'peer'), { action: 'accept' });
});

/** When a client that never hears back resends its ClientHello. */
function clientResends(o: DtlsOptions): number[] {
  const { client } = createPair(o, {}, { seed: 3 });
  client.start(0);
  while (client.pollTransmit());
  const at: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = client.pollTimeout()!;
    client.handleTimeout(t);
    while (client.pollTransmit());
    at.push(t);
  }
  return at;
}

test('retransmit.rtt: the first flight starts at 1.5 x the given round trip, never below min; adaptive: false keeps the plain schedule', () => {
  assert.deepEqual(clientResends({}), [100, 300, 700], 'the default: 100 ms, doubling');
  assert.deepEqual(clientResends({ retransmit: { rtt: 300 } }), [450, 1350, 3150]);
  assert.deepEqual(clientResends({ retransmit: { rtt: 10 } }), [100, 300, 700], 'at least min (100 ms)');
  assert.deepEqual(clientResends({ retransmit: { rtt: 10, min: 20 } }), [20, 60, 140]);
  assert.deepEqual(clientResends({ retransmit: { rtt: 300, adaptive: false } }), [100, 300, 700]);
  const bad = (rtt: number) => () => resolveOptions({ role: 'client', verify: 'insecure', retransmit: { rtt } });
  assert.throws(bad(-1), RangeError);
  assert.throws(bad(Number.NaN), RangeError);
  assert.throws(bad(60_001), RangeError);
});

test("listen()'s connections take the cookie's age as retransmit.rtt; an application's own rtt wins", () => {
  const clock = new ManualClock();
  const start = (o: DtlsOptions, hints?: { rtt?: number }) => {
    const c = defaultConnection.prepare({ role: 'client', verify: 'insecure', clock, ...o }).createConnection(hints) as Connection;
    c.start(0);
    return c.pollTimeout();
  };
  assert.equal(start({}, { rtt: 200 }), 300);
  assert.equal(start({}, undefined), 100);
  assert.equal(start({ retransmit: { rtt: 400 } }, { rtt: 200 }), 600);
  assert.equal(start({ handshakeTimeout: 200_000 }, { rtt: 1e9 }), 60_000, 'capped at max');
});
