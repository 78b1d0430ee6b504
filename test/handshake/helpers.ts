// Builds in-memory client/server Connection pairs for tests of the core.
import { Connection } from '../../src/connection.ts';
import type { ConnectionLike } from '../../src/connection-types.ts';
import { resolveOptions, type DtlsOptions } from '../../src/options.ts';
import { generateCertificate } from '../../src/x509/generate.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { runPair, bothIn } from '../sim/network.ts';
import type { CertificateKeyPair } from '../../src/x509/types.ts';

let cached: { server: CertificateKeyPair; client: CertificateKeyPair } | undefined;
export function certs() {
  cached ??= { server: generateCertificate({ commonName: 'server' }), client: generateCertificate({ commonName: 'client' }) };
  return cached;
}

/**
 * A client and a server Connection. DTLS 1.2 on both sides unless the options
 * say otherwise (`versions`): the tests that use it are about 1.2's handshake,
 * records and retransmissions; the library's default is ['1.3', '1.2'].
 */
export function makePair(client: DtlsOptions = {}, server: DtlsOptions = {}) {
  const c = certs();
  const cli = new Connection(resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [c.server.fingerprint] }, ...client }));
  const srv = new Connection(resolveOptions({ role: 'server', versions: ['1.2'], certificate: c.server, ...server }));
  return { client: cli, server: srv };
}

/** Every datagram the connection has queued to send. */
export function drain(c: ConnectionLike): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
  return out;
}

/** Hands every datagram `from` has queued to `to`, at `now`; how many there were. */
export function deliver(from: ConnectionLike, to: ConnectionLike, now: number): number {
  const ds = drain(from);
  for (const d of ds) to.handleDatagram(now, d);
  return ds.length;
}

/**
 * shuttle() that shows each datagram to `see` (by its sender) before it is
 * delivered; the pair must go quiet within 100 rounds.
 */
export function shuttleSeen(client: ConnectionLike, server: ConnectionLike, see: (from: 'client' | 'server', d: Uint8Array) => void, now = 0): void {
  for (let round = 0, moved = true; moved; round++) {
    if (round >= 100) throw new Error('shuttleSeen: still sending after 100 rounds');
    moved = false;
    for (let d = client.pollTransmit(); d; d = client.pollTransmit(), moved = true) {
      see('client', d);
      server.handleDatagram(now, d);
    }
    for (let d = server.pollTransmit(); d; d = server.pollTransmit(), moved = true) {
      see('server', d);
      client.handleDatagram(now, d);
    }
  }
}

/**
 * makePair() run on the simulated network (seeded) until both are connected or
 * one failed, then 50 ms more so a fatal alert in flight reaches the other side.
 */
export function connectPair(client: DtlsOptions, server: DtlsOptions, seed = 1): { client: Connection; server: Connection } {
  const pair = makePair(client, server);
  const r = runPair(pair.client, pair.server, { seed, until: (p) => bothIn('connected')(p) || p.a.state === 'failed' || p.b.state === 'failed' });
  r.pair.run({ maxDuration: 50 });
  return pair;
}

/** A provider whose signatures have one bit flipped: what a forger without the key sends. */
export function forging(base: CryptoProvider): CryptoProvider {
  return {
    ...base,
    sign(scheme, key, data) {
      const sig = base.sign(scheme, key, data);
      sig[sig.length >> 1] ^= 0x01;
      return sig;
    },
  };
}
