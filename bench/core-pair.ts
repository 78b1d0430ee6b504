// Two sans-IO Connections handshaken back to back in memory (no sockets, no
// time), the unit the in-process benchmarks measure: ECDHE on `group`, an
// ECDSA certificate, ECDHE-ECDSA-AES128-GCM-SHA256 (DTLS 1.3: TLS_AES_128_GCM_SHA256).
import { Connection } from '../src/connection.ts';
import type { CryptoProvider, GroupName } from '../src/crypto/provider.ts';
import { resolveOptions } from '../src/options.ts';
import { shuttle as shuttleDatagrams } from '../src/testing/index.ts';
import type { CertificateKeyPair } from '../src/x509/types.ts';

export const BENCH_SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';

/** Every datagram across until both are quiet, then their events dropped (only state matters here). */
export function shuttle(a: Connection, b: Connection): void {
  shuttleDatagrams(a, b);
  while (a.pollEvent());
  while (b.pollEvent());
}

/** The DTLS 1.3 counterpart of BENCH_SUITE. */
export const BENCH_SUITE13 = 'TLS_AES_128_GCM_SHA256';

/** A connected client and server (DTLS 1.2 unless `version` says 1.3); throws when the handshake did not complete. */
export function corePair(
  crypto: CryptoProvider,
  cert: CertificateKeyPair,
  group: GroupName = 'x25519',
  version: '1.2' | '1.3' = '1.2',
): { client: Connection; server: Connection } {
  const v = { versions: [version], cipherSuites: [version === '1.3' ? BENCH_SUITE13 : BENCH_SUITE] };
  const client = new Connection(resolveOptions({ role: 'client', crypto, verify: { fingerprints: [cert.fingerprint] }, ...v, groups: [group, 'secp256r1'] }));
  const server = new Connection(resolveOptions({ role: 'server', crypto, certificate: cert, ...v, groups: [group] }));
  server.start(0);
  client.start(0);
  shuttle(client, server);
  if (client.state !== 'connected' || server.state !== 'connected') throw new Error(`handshake failed: ${client.error?.message ?? server.error?.message}`);
  return { client, server };
}
