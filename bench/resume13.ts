// DTLS 1.3 handshakes per second in memory, full against resumed (PSK with
// (EC)DHE, RFC 8446 2.2): the same two sans-IO Connections as bench/core-pair.ts,
// x25519 and an ECDSA P-256 certificate; a resumed handshake skips the
// certificate, its signature and its verification, and keeps the key exchange.
// Run: npx tsx bench/resume13.ts [seconds per cell, default 5; five alternating rounds, medians]
import { Connection } from '../src/connection.ts';
import { defaultCryptoProvider } from '../src/crypto/default.ts';
import { nobleProvider } from '../src/crypto/noble.ts';
import type { CryptoProvider } from '../src/crypto/provider.ts';
import { resolveOptions, type DtlsOptions } from '../src/options.ts';
import { generateCertificate } from '../src/x509/generate.ts';
import { BENCH_SUITE13, shuttle } from './core-pair.ts';

const SECONDS = Number(process.argv[2] ?? 5);
const ticketKeys = [new Uint8Array(32).fill(9)];

function pair(crypto: CryptoProvider, server: DtlsOptions, client: DtlsOptions): Connection {
  const v = { versions: ['1.3' as const], cipherSuites: [BENCH_SUITE13], groups: ['x25519' as const] };
  const c = new Connection(resolveOptions({ role: 'client', crypto, ...v, ...client }));
  const s = new Connection(resolveOptions({ role: 'server', crypto, ...v, ticketKeys, ...server }));
  s.start(0);
  c.start(0);
  shuttle(c, s);
  if (c.state !== 'connected' || s.state !== 'connected') throw new Error(`handshake failed: ${c.error?.message ?? s.error?.message}`);
  return c;
}

function perSecond(fn: () => void, seconds: number): number {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < seconds * 1000) {
    fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Medians of rounds that alternate between the two, so a load that comes and goes weighs on both alike. */
function alternating(a: () => void, b: () => void): [number, number] {
  const rounds = 5;
  const ra: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    ra.push(perSecond(a, SECONDS / rounds));
    rb.push(perSecond(b, SECONDS / rounds));
  }
  const median = (v: number[]): number => v.sort((x, y) => x - y)[rounds >> 1]!;
  return [median(ra), median(rb)];
}

for (const [name, crypto] of [
  ['native', defaultCryptoProvider()],
  ['noble', nobleProvider],
] as const) {
  const certificate = generateCertificate({ provider: crypto });
  const verify = { fingerprints: [certificate.fingerprint] };
  let session: Uint8Array | undefined;
  pair(crypto, { certificate }, { verify, onSession: (s) => (session = s) });
  const [full, resumed] = alternating(
    () => pair(crypto, { certificate }, { verify }),
    () => {
      const c = pair(crypto, { certificate }, { verify, session: session! });
      if (!c.handshakeInfo?.resumed) throw new Error('not resumed');
    },
  );
  console.log(`${name}: full ${full.toFixed(0)} handshakes/s, resumed ${resumed.toFixed(0)} handshakes/s (x${(resumed / full).toFixed(2)})`);
}
