// retransmit.rtt: a round trip the application already knows (from ICE, or an
// earlier connection) sets the first timer, as RFC 9147 5.8.2 asks: "In
// settings where there is external information ... about the RTT,
// implementations SHOULD use 1.5 times that RTT estimate as the retransmit timer".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions, type DtlsOptions } from '../../src/options.ts';
import { createPair } from '../../src/testing/index.ts';

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
