// DTLS 1.2 connection IDs (RFC 9146) on the simulated lossy network
// (deterministic seeds, virtual clock): handshakes with CIDs complete at 30%
// loss, every datagram stays within the MTU with the CID in each tls12_cid
// header, and data then flows both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bothIn, createPair, runPair, SimPair } from '../../src/testing/index.ts';
import type { ConnectionLike } from '../../src/connection-types.ts';
import { decodeRecords } from '../../src/wire/record.ts';

/** The connection, with every datagram it sends noted. */
function noted(c: ConnectionLike, sent: Uint8Array[]): ConnectionLike {
  return new Proxy(c, {
    get(target, key) {
      if (key === 'pollTransmit')
        return () => {
          const d = target.pollTransmit();
          if (d) sent.push(d);
          return d;
        };
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

test('30% loss both ways, 40 seeds, MTU 256, CIDs of 20 and 16 bytes: every DTLS 1.2 handshake completes, no datagram over the MTU', () => {
  let ok = 0;
  const fromClient: Uint8Array[] = [];
  const fromServer: Uint8Array[] = [];
  for (let seed = 1; seed <= 40; seed++) {
    const { client, server } = createPair({ versions: ['1.2'], connectionId: 20, mtu: 256 }, { versions: ['1.2'], connectionId: 16, mtu: 256 }, { seed });
    runPair(noted(client, fromClient), noted(server, fromServer), { seed, link: { loss: 0.3, delay: 15 }, until: bothIn('connected'), maxDuration: 30000 });
    if (client.state === 'connected' && server.state === 'connected') ok++;
    assert.equal(client.handshakeInfo?.version, 'DTLS 1.2');
    assert.equal(client.connectionIds?.peer?.length, 16);
    assert.equal(server.connectionIds?.peer?.length, 20);
  }
  assert.equal(ok, 40);
  // Every datagram splits with the receiver's CID length, and the Finished messages went as tls12_cid.
  for (const [sent, cidLength] of [
    [fromClient, 16],
    [fromServer, 20],
  ] as const) {
    const records = sent.flatMap((d) => {
      const r = decodeRecords(d, cidLength);
      assert.equal(r.malformed, false);
      return r.records;
    });
    const keyed = records.filter((r) => r.epoch > 0);
    assert.ok(keyed.length >= 40);
    for (const r of keyed) assert.equal(r.cid?.length, cidLength);
  }
  const largest = Math.max(...[...fromClient, ...fromServer].map((d) => d.length));
  assert.ok(largest <= 256, `largest datagram ${largest}`);
});

test('30% loss, 20 seeds: application data both ways under CIDs gets through', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const { client, server } = createPair({ versions: ['1.2'], connectionId: 4 }, { versions: ['1.2'], connectionId: 8 }, { seed });
    const pair = new SimPair(client, server, { seed, link: { loss: 0.3, delay: 10 } });
    assert.equal(pair.run({ until: bothIn('connected'), maxDuration: 30000 }).reason, 'until', `seed ${seed}`);
    // DTLS does not resend application data: ten records each way, of which some arrive.
    for (let i = 0; i < 10; i++) {
      client.send(pair.now, Uint8Array.of(1, i));
      server.send(pair.now, Uint8Array.of(2, i));
      pair.flush();
      pair.run({ maxDuration: 50 });
    }
    pair.run({ maxDuration: 1000 });
    const toServer = pair.log.b.received.filter((p) => p[0] === 1).length;
    const toClient = pair.log.a.received.filter((p) => p[0] === 2).length;
    assert.ok(toServer > 0 && toClient > 0, `seed ${seed}: ${toServer} and ${toClient} of 10`);
    assert.equal(client.state, 'connected');
    assert.equal(server.state, 'connected');
  }
});
