// The DTLS 1.3 server under loss, against the 1.3 client, on the simulated
// network and virtual clock (deterministic from the seed): each server
// datagram lost in turn, each client datagram lost in turn, the stateless
// HelloRetryRequest lost (never resent by the server: the client's ClientHello
// draws it again, RFC 9147 5.1), and seeded random loss. Each run must connect
// both sides within bounded virtual time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { resolveOptions, type DtlsOptions } from '../../src/options.ts';
import { SimPair, bothIn, type LinkOptions } from '../../src/testing/network.ts';
import { seededCrypto } from '../../src/testing/crypto.ts';
import { certs } from '../handshake/helpers.ts';

function pair(seed: number, link: { aToB?: LinkOptions; bToA?: LinkOptions; link?: LinkOptions }, server: DtlsOptions = {}) {
  const c = certs();
  const client = new Connection(
    resolveOptions({ role: 'client', versions: ['1.3'], verify: { fingerprints: [c.server.fingerprint] }, crypto: seededCrypto(seed) }),
  );
  const srv = new Connection(resolveOptions({ role: 'server', versions: ['1.3', '1.2'], certificate: c.server, crypto: seededCrypto(seed + 1000), ...server }));
  return new SimPair(client, srv, { seed, ...link });
}

function connects(p: SimPair, what: string): void {
  const r = p.run({ until: bothIn('connected'), maxDuration: 60_000 });
  assert.equal(r.reason, 'until', `${what}: client ${p.a.state} (${p.a.error?.message}), server ${p.b.state} (${p.b.error?.message})`);
  assert.equal(p.b.handshakeInfo?.version, 'DTLS 1.3');
}

/** How many datagrams each side sends in a clean handshake (the ones to lose in turn). */
function cleanCounts(): { client: number; server: number } {
  const p = pair(9, {});
  connects(p, 'clean');
  return { client: p.aToB.stats.sent, server: p.bToA.stats.sent };
}

test('each server datagram of the handshake lost in turn: the handshake still completes', () => {
  const { server } = cleanCounts();
  assert.ok(server >= 1, `the server sent ${server} datagrams`);
  for (let i = 0; i < server; i++) {
    const p = pair(1, { bToA: { filter: (_, n) => n !== i } });
    connects(p, `server datagram ${i} lost`);
    assert.equal(p.bToA.stats.filtered, 1);
  }
});

test('each client datagram of the handshake lost in turn: the handshake still completes', () => {
  const { client } = cleanCounts();
  assert.ok(client >= 2, `the client sent ${client} datagrams`);
  for (let i = 0; i < client; i++) {
    const p = pair(2, { aToB: { filter: (_, n) => n !== i } });
    connects(p, `client datagram ${i} lost`);
    assert.equal(p.aToB.stats.filtered, 1);
  }
});

test('requireCookie: the HelloRetryRequest lost (twice) is drawn again by the ClientHello, and the handshake completes', () => {
  const p = pair(3, { bToA: { filter: (_, n) => n > 1 } }, { requireCookie: true });
  connects(p, 'first two HRRs lost');
  assert.equal(p.bToA.stats.filtered, 2);
});

test('30% loss both ways, 40 seeds: every handshake completes', () => {
  const failed: number[] = [];
  for (let seed = 100; seed < 140; seed++) {
    const p = pair(seed, { link: { loss: 0.3 } });
    if (p.run({ until: bothIn('connected'), maxDuration: 60_000 }).reason !== 'until') failed.push(seed);
  }
  assert.deepEqual(failed, []);
});

test('MTU 256: the server flight in many datagrams, each lost in turn, still completes', () => {
  const small = { mtu: 256 };
  const clean = pair(11, {}, small);
  connects(clean, 'clean at MTU 256');
  const n = clean.bToA.stats.sent;
  assert.ok(n >= 3, `the server flight took ${n} datagrams`);
  for (let i = 0; i < n; i++) {
    const p = pair(11, { bToA: { filter: (_, k) => k !== i } }, small);
    connects(p, `MTU 256, server datagram ${i} lost`);
  }
});
