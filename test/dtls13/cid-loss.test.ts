// Connection IDs on the simulated lossy network (deterministic seeds, virtual
// clock): handshakes with CIDs complete at 30% loss, every datagram stays
// within the MTU with the CID in each header, and a RequestConnectionId under
// loss is resent until its NewConnectionId comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bothIn, createPair, runPair, SimPair } from '../../src/testing/index.ts';
import type { ConnectionLike } from '../../src/connection-types.ts';

/** The connection, with the size of every datagram it sends noted. */
function sized(c: ConnectionLike, sizes: number[]): ConnectionLike {
  return new Proxy(c, {
    get(target, key) {
      if (key === 'pollTransmit')
        return () => {
          const d = target.pollTransmit();
          if (d) sizes.push(d.length);
          return d;
        };
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

test('30% loss both ways, 40 seeds, MTU 256, CIDs of 20 and 16 bytes: every handshake completes, no datagram over the MTU', () => {
  let ok = 0;
  const sizes: number[] = [];
  for (let seed = 1; seed <= 40; seed++) {
    const { client, server } = createPair({ versions: ['1.3'], connectionId: 20, mtu: 256 }, { versions: ['1.3'], connectionId: 16, mtu: 256 }, { seed });
    runPair(sized(client, sizes), sized(server, sizes), { seed, link: { loss: 0.3, delay: 15 }, until: bothIn('connected'), maxDuration: 30000 });
    if (client.state === 'connected' && server.state === 'connected') ok++;
    assert.equal(client.connectionIds?.peer?.length, 16);
  }
  assert.equal(ok, 40);
  assert.ok(sizes.length > 0 && Math.max(...sizes) <= 256, `largest datagram ${Math.max(...sizes)}`);
});

test('RequestConnectionId at 40% loss: resent until the NewConnectionId arrives, which is resent until ACKed', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const { client, server } = createPair({ versions: ['1.3'], connectionId: 4 }, { versions: ['1.3'], connectionId: 8 }, { seed });
    const pair = new SimPair(client, server, { seed, link: { loss: 0.4, delay: 10 } });
    const r = pair.run({ until: bothIn('connected'), maxDuration: 30000 });
    assert.equal(r.reason, 'until', `seed ${seed}`);
    client.requestConnectionIds(pair.now, 2);
    pair.run({ until: () => client.connectionIds?.spares === 2, maxDuration: 60000 });
    assert.equal(client.connectionIds?.spares, 2, `seed ${seed}: the spares came`);
    assert.equal(server.connectionIds?.local.length, 3);
    // Then everything is acknowledged: nothing left to resend on either side.
    pair.run({ until: () => client.pollTimeout() === undefined && server.pollTimeout() === undefined, maxDuration: 120000 });
    assert.equal(server.pollTimeout(), undefined, `seed ${seed}: the NewConnectionId was ACKed`);
    assert.equal(client.pollTimeout(), undefined, `seed ${seed}: the RequestConnectionId was ACKed`);
  }
});
