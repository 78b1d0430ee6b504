// Mutated datagrams against a connected DTLS 1.3 pair with connection IDs
// (deterministic seed): flipped bits, the C bit toggled, CIDs and lengths
// changed, truncations, records spliced. None is authenticated, so each is a
// counted drop: the connection stays up, no exception, nothing delivered, and
// the peer's next genuine record still arrives. datagramCid (listen()'s
// routing) never reads outside the datagram.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import { datagramCid } from '../../src/record/cid.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('2000 mutated CID datagrams: all dropped and counted, the connection goes on', () => {
  const { client, server } = createPair({ versions: ['1.3'], connectionId: 4 }, { versions: ['1.3'], connectionId: 8 }, { seed: 7 });
  client.start(0);
  server.start(0);
  shuttle(client, server);
  assert.equal(server.state, 'connected');
  const samples: Uint8Array[] = [];
  for (let i = 0; i < 8; i++) {
    client.send(0, Uint8Array.of(i, i, i));
    samples.push(client.pollTransmit()!);
  }
  const r = rng(12345);
  const pick = (n: number) => Math.floor(r() * n);
  const before = server.stats.datagramsIn;
  let unchanged = 0;
  for (let i = 0; i < 2000; i++) {
    const base = samples[pick(samples.length)]!;
    let d = base.slice();
    switch (pick(6)) {
      case 0: // flip a bit anywhere
        d[pick(d.length)] ^= 1 << pick(8);
        break;
      case 1: // toggle the C, S or L bit of the first byte
        d[0] ^= [0x10, 0x08, 0x04][pick(3)]!;
        break;
      case 2: // another CID of the same length
        for (let k = 1; k <= 8; k++) d[k] = pick(256);
        break;
      case 3: // truncated
        d = d.subarray(0, pick(d.length));
        break;
      case 4: // a second record spliced on, with a mangled CID
        d = Uint8Array.of(...base, ...base.map((b, k) => (k === 3 ? b ^ 0xff : b)));
        break;
      default: // random bytes behind a unified header with the C bit
        d = Uint8Array.from({ length: 1 + pick(64) }, () => pick(256));
        d[0] = 0x3c | pick(4);
    }
    // A truncation to the full length leaves it genuine: not a mutation.
    if (d.length === base.length && d.every((b, k) => b === base[k])) {
      unchanged++;
      continue;
    }
    server.handleDatagram(1, d);
    const cid = datagramCid(d, 8);
    if (cid) assert.ok(cid.length === 8 && d.length >= 9);
  }
  assert.equal(server.state, 'connected', server.error?.message);
  assert.equal(server.stats.datagramsIn, before + 2000 - unchanged);
  // Spliced datagrams carry the genuine first record: those records were delivered once, then replays.
  const delivered: number[] = [];
  for (let p = server.pollReceived(); p; p = server.pollReceived()) delivered.push(p[0]!);
  assert.ok(new Set(delivered).size === delivered.length, 'no record delivered twice');
  const drops = server.stats.dropped;
  assert.ok((drops.unknown_cid ?? 0) > 100 && (drops.auth_failed ?? 0) > 100 && (drops.malformed ?? 0) > 10, JSON.stringify(drops));
  // The client's next record still goes through.
  client.send(2, Uint8Array.of(42));
  shuttle(client, server, 2);
  assert.deepEqual([...(server.pollReceived() ?? [])], [42]);
});
