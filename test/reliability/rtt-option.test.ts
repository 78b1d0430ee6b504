// retransmit.rtt: a round trip the application already knows (from ICE, or an
// earlier connection) sets the first timer, as RFC 9147 5.8.2 asks: "In
// settings where there is external information ... about the RTT,
// implementations SHOULD use 1.5 times that RTT estimate as the retransmit timer".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions, type DtlsOptions } from '../../src/options.ts';
import { SimPair, createPair as createPairAnyVersion } from '../../src/testing/index.ts';
import { flightOf } from '../sim/wire-tools.ts';

/** The round trips here are measured on DTLS 1.2's flights: both sides speak 1.2 alone (the library's default is ['1.3', '1.2']). */
const createPair: typeof createPairAnyVersion = (client = {}, server = {}, opts) =>
  createPairAnyVersion({ versions: ['1.2'], ...client }, { versions: ['1.2'], ...server }, opts);

/** When a client that never hears back resends its ClientHello (the first three times). */
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

test('retransmit.rtt is only a start: the first round trip measured replaces it', () => {
  // Given 300 ms on a 50 ms path: flight 1 waits 450 ms, is answered in 50 ms
  // (a clean sample), and flight 5, always lost, is resent at 1.5 x 50 = 75 ms,
  // raised to min (100 ms), after it went out at 50 ms: 150, then doubling.
  // (The server's flight-4 timer is set to 1 s so that its resends, which the
  // client would answer, stay out of the way.)
  const { client, server } = createPair({ retransmit: { rtt: 300 } }, { retransmit: { initial: 1000 } }, { seed: 4 });
  const pair = new SimPair(client, server, { seed: 4, link: { delay: 25 }, aToB: { filter: (d) => flightOf(d, 'client') !== 5 } });
  pair.run({ until: (p) => p.log.a.timeline.filter((e) => e.event.type === 'retransmit').length >= 2, maxDuration: 10_000 });
  const resends = pair.log.a.timeline.flatMap((e) => (e.event.type === 'retransmit' ? [`${e.time} flight ${e.event.flight} ${e.event.reason}`] : []));
  assert.deepEqual(resends, ['150 flight 5 timeout', '350 flight 5 timeout']);
});
