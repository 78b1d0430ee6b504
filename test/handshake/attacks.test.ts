// Attacks on the handshake itself, each through the simulated network: an
// on-path rewrite caught by Finished, a version downgrade, certificates that
// are expired or name the wrong host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPair } from '../sim/network.ts';
import { makePair } from './helpers.ts';
import { generateCertificate } from '../../src/x509/generate.ts';
import { encodePem } from '../../src/x509/pem.ts';
import type { Clock } from '../../src/stream/clock.ts';
import type { Connection } from '../../src/connection.ts';

const settled = (_a: Connection, _b: Connection) => (p: { a: { state: string }; b: { state: string } }) =>
  ['failed', 'closed'].includes(p.a.state) || ['failed', 'closed'].includes(p.b.state) || (p.a.state === 'connected' && p.b.state === 'connected');

/** Swaps the first two cipher suites of the ClientHello in the first datagram (an on-path rewrite). */
function swapSuites(d: Uint8Array, i: number): Uint8Array[] {
  if (i !== 0) return [d];
  const out = d.slice();
  // record header 13 + handshake header 12 + version 2 + random 32 + session_id 1 + cookie 1 = 61: suites length, then suites.
  assert.equal((out[61]! << 8) | out[62]!, 12, 'six suites offered (ECDSA, then RSA)');
  out.set([d[65]!, d[66]!, d[63]!, d[64]!], 63);
  return [out];
}

test('a ClientHello rewritten on the path is caught by the Finished check (decrypt_error)', () => {
  // Without extended master secret the keys do not cover the transcript, so the
  // Finished verify_data is what catches the change (RFC 5246 7.4.9).
  const { client, server } = makePair({ extendedMasterSecret: false }, { extendedMasterSecret: false });
  const r = runPair(client, server, { seed: 1, aToB: { rewrite: swapSuites }, until: settled(client, server) });
  r.pair.run({ maxDuration: 50 });
  assert.equal(server.error?.code, 'decrypt_error', server.error?.message);
  assert.match(server.error!.message, /Finished does not verify/);
  assert.equal(client.error?.alert, 51);
  assert.equal(client.error?.fromPeer, true);
});

test('with extended master secret the same rewrite gives different keys: the handshake never completes', () => {
  const { client, server } = makePair({ handshakeTimeout: 5000 }, { handshakeTimeout: 5000 });
  const r = runPair(client, server, {
    seed: 2,
    aToB: { rewrite: swapSuites },
    until: (p) => p.a.state === 'failed' && p.b.state === 'failed',
    maxDuration: 10_000,
  });
  assert.equal(r.reason, 'until', `${r.reason}: client ${client.state} ${client.error?.message}, server ${server.state} ${server.error?.message}`);
  assert.equal(client.state, 'failed');
  assert.equal(server.state, 'failed');
  assert.ok((server.stats.dropped.auth_failed ?? 0) >= 1, 'the client Finished does not authenticate under the server keys');
});

test('a downgraded ServerHello version is refused with protocol_version', () => {
  const { client, server } = makePair();
  // Server→client datagram 0 is flight 4: ServerHello starts right after the headers; its version is at 25..26.
  const r = runPair(client, server, {
    seed: 3,
    bToA: { rewrite: (d, i) => (i === 0 ? [Object.assign(d.slice(), { 25: 0xfe, 26: 0xff })] : [d]) },
    until: settled(client, server),
  });
  r.pair.run({ maxDuration: 50 });
  assert.equal(client.error?.code, 'protocol_version');
});

const wallClock = (at: number): Clock => ({ now: () => 0, wallTime: (now) => at + now, setTimeout: () => 0, clearTimeout: () => {} });

test('an expired server certificate fails with certificate_expired', () => {
  const day = 86_400_000;
  const now = Date.UTC(2026, 10, 25);
  const old = generateCertificate({ commonName: 'localhost', subjectAltNames: ['localhost'], days: 2, now: now - 10 * day });
  const ca = encodePem('CERTIFICATE', old.chain[0]!);
  const { client, server } = makePair({ verify: { ca: [ca] }, serverName: 'localhost', clock: wallClock(now) }, { certificate: old });
  const r = runPair(client, server, { seed: 4, until: settled(client, server) });
  r.pair.run({ maxDuration: 50 });
  assert.equal(client.error?.code, 'certificate_expired', client.error?.message);
  assert.equal(server.error?.alert, 45);
});

test('a certificate for another name fails with bad_certificate', () => {
  const now = Date.UTC(2026, 10, 25);
  const other = generateCertificate({ commonName: 'example.org', subjectAltNames: ['example.org'], now });
  const { client, server } = makePair(
    { verify: { ca: [encodePem('CERTIFICATE', other.chain[0]!)] }, serverName: 'localhost', clock: wallClock(now) },
    { certificate: other },
  );
  runPair(client, server, { seed: 5, until: settled(client, server) });
  assert.equal(client.error?.code, 'bad_certificate', client.error?.message);
  assert.match(client.error!.message, /localhost/);
});
