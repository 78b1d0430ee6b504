// Mutated tls12_cid datagrams (RFC 9146) against a connected DTLS 1.2 pair
// with connection IDs (deterministic seed): flipped bits, the content type
// changed, CIDs and lengths changed, truncations, records spliced, random
// bytes behind a tls12_cid type. None is authenticated, so each is a counted
// drop: the connection stays up, no exception, nothing delivered twice, and
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

test('2000 mutated tls12_cid datagrams: all dropped and counted, the connection goes on', () => {
  const { client, server } = createPair({ versions: ['1.2'], connectionId: 4 }, { versions: ['1.2'], connectionId: 8 }, { seed: 9 });
  client.start(0);
  server.start(0);
  shuttle(client, server);
  assert.equal(server.state, 'connected', server.error?.message);
  const samples: Uint8Array[] = [];
  for (let i = 0; i < 8; i++) {
    client.send(0, Uint8Array.of(i, i, i));
    samples.push(client.pollTransmit()!);
  }
  for (const s of samples) assert.equal(s[0], 25);
  const r = rng(4242);
  const pick = (n: number) => Math.floor(r() * n);
  const before = server.stats.datagramsIn;
  let unchanged = 0;
  for (let i = 0; i < 2000; i++) {
    const base = samples[pick(samples.length)]!;
    let d = base.slice();
    switch (pick(7)) {
      case 0: // flip a bit anywhere
        d[pick(d.length)] ^= 1 << pick(8);
        break;
      case 1: // another content type, version or epoch
        d[pick(5)] = pick(256);
        break;
      case 2: // another CID of the same length
        for (let k = 11; k < 19; k++) d[k] = pick(256);
        break;
      case 3: // truncated
        d = d.subarray(0, pick(d.length));
        break;
      case 4: // a second record spliced on, with a mangled CID
        d = Uint8Array.of(...base, ...base.map((b, k) => (k === 12 ? b ^ 0xff : b)));
        break;
      case 5: // the length field changed
        d[19 + pick(2)] = pick(256);
        break;
      default: // random bytes behind a tls12_cid type
        d = Uint8Array.from({ length: 1 + pick(64) }, () => pick(256));
        d[0] = 25;
    }
    if (d.length === base.length && d.every((b, k) => b === base[k])) {
      unchanged++;
      continue;
    }
    server.handleDatagram(1, d);
    const cid = datagramCid(d, 8);
    if (cid) assert.ok(cid.length === 8 && d.length >= 19);
  }
  assert.equal(server.state, 'connected', server.error?.message);
  assert.equal(server.stats.datagramsIn, before + 2000 - unchanged);
  // Spliced datagrams carry the genuine first record: delivered once, then replays.
  const delivered: number[] = [];
  for (let p = server.pollReceived(); p; p = server.pollReceived()) delivered.push(p[0]!);
  assert.ok(new Set(delivered).size === delivered.length, 'no record delivered twice');
  const drops = server.stats.dropped;
  assert.ok((drops.unknown_cid ?? 0) > 100 && (drops.auth_failed ?? 0) > 10 && (drops.malformed ?? 0) > 10, JSON.stringify(drops));
  client.send(2, Uint8Array.of(42));
  shuttle(client, server, 2);
  const last: number[] = [];
  for (let p = server.pollReceived(); p; p = server.pollReceived()) last.push(p[0]!);
  assert.equal(last[last.length - 1], 42);
});
