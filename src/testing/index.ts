/**
 * dtls-stream/testing: run real DTLS endpoints over a deterministic simulated
 * network in your own tests. Nothing here reads a clock, sets a timer or opens
 * a socket; one seed gives one exact run.
 *
 * @example
 * import { createPair, runPair, bothIn } from 'dtls-stream/testing';
 * const { client, server } = createPair({}, {}, { seed: 7 });
 * const r = runPair(client, server, { seed: 7, link: { loss: 0.2, delay: 20 }, until: bothIn('connected') });
 * assert.equal(r.reason, 'until');
 *
 * @module
 */
import { Connection } from '../connection.ts';
import type { ConnectionLike } from '../connection-types.ts';
import { resolveOptions, type DtlsOptions } from '../options.ts';
import { generateCertificate } from '../x509/generate.ts';
import { loadCertificate } from '../x509/load.ts';
import type { CertificateKeyPair } from '../x509/types.ts';
import { seededCrypto } from './crypto.ts';

export {
  Rng,
  Link,
  SimPair,
  runPair,
  bothIn,
  type LinkOptions,
  type LinkStats,
  type SideLog,
  type SimPairOptions,
  type RunOptions,
  type RunResult,
  type StopReason,
} from './network.ts';
export { seededCrypto } from './crypto.ts';

let certificates: { server: CertificateKeyPair; client: CertificateKeyPair } | undefined;

/**
 * Two self-signed ECDSA P-256 certificates ('server' and 'client'), made once
 * per process from a fixed seed, so they are the same bytes everywhere. Valid
 * from one day before to 30 days after time 0, i.e. at the virtual times a
 * SimPair starts from by default.
 */
export function testCertificates(): { server: CertificateKeyPair; client: CertificateKeyPair } {
  certificates ??= {
    server: generateCertificate({ commonName: 'server', now: 0, provider: seededCrypto(0x5e4e) }),
    client: generateCertificate({ commonName: 'client', now: 0, provider: seededCrypto(0xc11e) }),
  };
  return certificates;
}

/** Options of createPair(). */
export interface CreatePairOptions {
  /**
   * Seed of both endpoints' randomness (seededCrypto(2 * seed) for the client,
   * seededCrypto(2 * seed + 1) for the server, unless their options set `crypto`),
   * so a run depends on nothing but its seeds. Default: real randomness.
   */
  seed?: number;
}

/**
 * A client and a server Connection (the real sans-IO core) that will
 * handshake with each other: the server gets testCertificates().server unless
 * `serverOptions.certificate` says otherwise, and the client pins its
 * fingerprint unless `clientOptions.verify` says otherwise. When the server
 * requests a client certificate, the client gets testCertificates().client and
 * the server pins it, again unless the options say otherwise. Drive them with
 * SimPair or runPair.
 */
export function createPair(
  clientOptions: DtlsOptions = {},
  serverOptions: DtlsOptions = {},
  opts: CreatePairOptions = {},
): { client: Connection; server: Connection } {
  const certs = testCertificates();
  const seed = opts.seed;
  const crypto = (o: DtlsOptions, s: number | undefined) => o.crypto ?? (s === undefined ? undefined : seededCrypto(s));
  const requests = serverOptions.requestClientCertificate ?? false;
  const given = clientOptions.certificate;
  const clientCert = given && 'cert' in given ? loadCertificate(given.cert, given.key, clientOptions.crypto) : (given ?? (requests ? certs.client : undefined));
  const server = resolveOptions({
    ...serverOptions,
    role: 'server',
    certificate: serverOptions.certificate ?? certs.server,
    ...(requests && serverOptions.verify === undefined ? { verify: clientCert ? { fingerprints: [clientCert.fingerprint] } : ('insecure' as const) } : {}),
    ...optional('crypto', crypto(serverOptions, seed === undefined ? undefined : 2 * seed + 1)),
  });
  const client = resolveOptions({
    ...clientOptions,
    role: 'client',
    verify: clientOptions.verify ?? { fingerprints: [server.certificate!.fingerprint] },
    ...optional('certificate', clientCert),
    ...optional('crypto', crypto(clientOptions, seed === undefined ? undefined : 2 * seed)),
  });
  return { client: new Connection(client), server: new Connection(server) };
}

/**
 * Hands each side's datagrams to the other until neither has any left: a
 * perfect network where no time passes (`now` for every input). Returns how
 * many rounds it took; throws after `maxRounds` (two endpoints that never go
 * quiet). For handshakes in memory when loss and time do not matter; SimPair
 * and runPair model those.
 */
export function shuttle(a: ConnectionLike, b: ConnectionLike, now = 0, maxRounds = 1000): number {
  for (let rounds = 0; ; rounds++) {
    if (rounds >= maxRounds) throw new Error(`shuttle: still sending after ${maxRounds} rounds`);
    let moved = false;
    for (let d = a.pollTransmit(); d; d = a.pollTransmit()) {
      b.handleDatagram(now, d);
      moved = true;
    }
    for (let d = b.pollTransmit(); d; d = b.pollTransmit()) {
      a.handleDatagram(now, d);
      moved = true;
    }
    if (!moved) return rounds;
  }
}

/** `{ [key]: value }` to spread into options, or nothing when value is undefined. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
