// Helpers of the KeyUpdate tests: a DTLS 1.3 pair of the real sans-IO core on
// the simulated network (deterministic from its seed), with the internals
// (smaller AEAD limits) createPair() does not take, and readers of what went
// by: the epochs of the KeyUpdates each side received, and the epoch bits of
// the records a side sent.
import assert from 'node:assert/strict';
import { Connection, type ConnectionInternals } from '../../src/connection.ts';
import { resolveOptions, type DtlsOptions } from '../../src/options.ts';
import { SimPair, bothIn, seededCrypto, testCertificates, type LinkOptions, type SideLog } from '../../src/testing/index.ts';

export const DELAY = 10;

export function pair13(seed: number, internals: ConnectionInternals = {}, clientOptions: DtlsOptions = {}): { client: Connection; server: Connection } {
  const certs = testCertificates();
  const server = resolveOptions({ versions: ['1.3'], role: 'server', certificate: certs.server, crypto: seededCrypto(2 * seed + 1) });
  const client = resolveOptions({
    versions: ['1.3'],
    role: 'client',
    verify: { fingerprints: [certs.server.fingerprint] },
    crypto: seededCrypto(2 * seed),
    ...clientOptions,
  });
  return { client: new Connection(client, internals), server: new Connection(server, internals) };
}

/** Epoch bits of every keyed (unified header) record a link carried, in order: pushed by a LinkOptions filter. */
export function epochBitsOf(datagram: Uint8Array): number | undefined {
  return (datagram[0]! & 0xe0) === 0x20 ? datagram[0]! & 3 : undefined;
}

export interface Sim {
  client: Connection;
  server: Connection;
  p: SimPair;
}

/** A connected pair on a link with DELAY ms each way (plus `link`), both sides' handshake done and quiet. */
export function connected(seed: number, opts: { link?: LinkOptions; aToB?: LinkOptions; bToA?: LinkOptions; internals?: ConnectionInternals } = {}): Sim {
  const { client, server } = pair13(seed, opts.internals);
  const p = new SimPair(client, server, { seed, link: { delay: DELAY, ...opts.link }, aToB: opts.aToB ?? {}, bToA: opts.bToA ?? {} });
  const r = p.run({ until: bothIn('connected'), maxDuration: 60_000 });
  assert.equal(r.reason, 'until', `handshake: ${client.error?.message ?? server.error?.message ?? r.reason}`);
  settle(p);
  return { client, server, p };
}

/** Runs until nothing is scheduled (ACKs and resends done), bounded. */
export function settle(p: SimPair, maxDuration = 120_000): void {
  const r = p.run({ maxDuration });
  assert.equal(r.reason, 'idle', `still busy after ${maxDuration} ms`);
}

/** The epochs of the KeyUpdates a side received ('in') or sent ('out'), in order. */
export function keyUpdates(log: SideLog, direction: 'in' | 'out'): number[] {
  return log.events.flatMap((e) => (e.type === 'trace' && e.what === 'KeyUpdate' && e.direction === direction ? [e.epoch] : []));
}

/** Sends `n` numbered messages (2 bytes, from `from`) from one side, flushing them onto the link. */
export function sendNumbered(p: SimPair, side: Connection, from: number, n: number): void {
  for (let i = from; i < from + n; i++) side.send(p.now, Uint8Array.of(i >> 8, i & 0xff));
  p.flush();
}

/** The numbers of the messages a side received, in arrival order. */
export function numbers(log: SideLog): number[] {
  return log.received.map((m) => (m[0]! << 8) | m[1]!);
}

export function range(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}
