// When the server's final flight (DTLS 1.2 flight 6) first goes out again on
// its own timer, for the `retransmit` options a test or an application gives.
// The Chromium test "our final flight is lost" (test/browser/chromium-loss)
// wants Chromium's retransmission to come before our timer and gave
// `retransmit: { initial: 8000 }`; under load it saw our timer first. The
// cause, shown here on a virtual clock: `initial` is the first timeout only
// until a round trip is measured; once flight 4 is answered without a
// retransmission, the adaptive timer (RFC 9147 5.8.2) starts the next flight
// at max(min, 1.5 x round trip), and `min` defaults to 100 ms. Whether the
// browser run measured a round trip depended on whether Chromium's
// ClientHello went out twice (a resent flight gives no sample): a race.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, createPair } from '../../src/testing/index.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { flightOf } from './wire-tools.ts';

const DELAY = 25;

/**
 * Client and server speak DTLS 1.2 over 25 ms links; every flight 6 is lost
 * and the client's copies of flight 5 too, so only the server's own timer can
 * resend flight 6. Returns how long after the server connected (sent flight 6)
 * its first timer resend of flight 6 came.
 */
function firstFinalFlightTimeout(server: DtlsOptions['retransmit']): number {
  const { client, server: srv } = createPair({ versions: ['1.2'] }, { versions: ['1.2'], ...(server ? { retransmit: server } : {}) }, { seed: 3 });
  let flight5 = 0;
  const pair = new SimPair(client, srv, {
    link: { delay: DELAY },
    aToB: { filter: (d) => flightOf(d, 'client') !== 5 || flight5++ === 0 },
    bToA: { filter: (d) => flightOf(d, 'server') !== 6 },
  });
  const resent = () => pair.log.b.timeline.find((e) => e.event.type === 'retransmit' && e.event.flight === 6 && e.event.reason === 'timeout');
  const r = pair.run({ until: () => resent() !== undefined, maxDuration: 20_000 });
  assert.equal(r.reason, 'until', 'the server resent flight 6 on its timer');
  const connected = pair.log.b.timeline.find((e) => e.event.type === 'statechange' && e.event.state === 'connected');
  assert.ok(connected, 'the server connected (flight 6 sent)');
  // Flight 4 went out once and was answered: a round trip was measured.
  assert.equal(pair.log.b.timeline.filter((e) => e.event.type === 'retransmit' && e.event.flight === 4).length, 0);
  return resent()!.time - connected.time;
}

test('retransmit: { initial: 8000 } alone: once flight 4 is answered without a resend, flight 6 starts at max(min = 100 ms, 1.5 x 50 ms), not 8 s', () => {
  assert.equal(firstFinalFlightTimeout({ initial: 8000 }), 100);
});

test('retransmit: { initial: 8000, adaptive: false }: flight 6 first resent on the timer 8 s after it went out (what the Chromium test needs)', () => {
  assert.equal(firstFinalFlightTimeout({ initial: 8000, adaptive: false }), 8000);
});

test('retransmit: { initial: 8000, min: 8000 }: adaptive, but never under 8 s', () => {
  assert.equal(firstFinalFlightTimeout({ initial: 8000, min: 8000 }), 8000);
});
