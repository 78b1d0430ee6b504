// Shared helpers of the review tests (test/review only).
import { runPair, bothIn } from '../sim/network.ts';
import { makePair } from '../handshake/helpers.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { encodeRecord, decodeRecords } from '../../src/wire/record.ts';
import { encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { ContentType, ProtocolVersion } from '../../src/wire/types.ts';
import type { Connection } from '../../src/connection.ts';
import type { ConnectionEvent } from '../../src/connection-types.ts';

export function connectedPair(client: DtlsOptions = {}, server: DtlsOptions = {}) {
  const p = makePair(client, server);
  const r = runPair(p.client, p.server, { seed: 1, until: bothIn('connected') });
  if (r.reason !== 'until') throw new Error(`handshake did not complete: ${p.client.error?.message} / ${p.server.error?.message}`);
  return { ...p, pair: r.pair, now: r.pair.now };
}

export function plainRecord(contentType: number, epoch: number, seq: number, fragment: Uint8Array, version: number = ProtocolVersion.DTLS1_2): Uint8Array {
  return encodeRecord({ contentType, version, epoch, sequenceNumber: seq, fragment });
}

export function handshakeRecord(msgType: number, messageSeq: number, body: Uint8Array, epoch = 0, seq = 0): Uint8Array {
  return plainRecord(ContentType.handshake, epoch, seq, encodeHandshakeMessage({ msgType, messageSeq, body }));
}

export function drainOut(c: Connection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
  return out;
}

export function drainEvents(c: Connection): ConnectionEvent[] {
  const out: ConnectionEvent[] = [];
  for (let e = c.pollEvent(); e; e = c.pollEvent()) out.push(e);
  return out;
}

export function records(datagrams: Uint8Array[]) {
  return datagrams.flatMap((d) => decodeRecords(d).records);
}

/** Moves datagrams both ways and fires timers until `until` holds or nothing is left (bounded). */
export function pump(a: Connection, b: Connection, now: number, until: () => boolean, maxSteps = 10_000): number {
  for (let step = 0; step < maxSteps && !until(); step++) {
    let moved = false;
    for (const d of drainOut(a)) {
      b.handleDatagram(now, d);
      moved = true;
    }
    for (const d of drainOut(b)) {
      a.handleDatagram(now, d);
      moved = true;
    }
    if (moved) continue;
    const ts = [a.pollTimeout(), b.pollTimeout()].filter((t): t is number => t !== undefined);
    if (!ts.length) break;
    now = Math.max(now, Math.min(...ts));
    a.handleTimeout(now);
    b.handleTimeout(now);
  }
  return now;
}
