// Mutation fuzzing of whole conversations. Case `index` of run `seed` picks a
// recording and a side, mutates what that side received, and replays it into
// a fresh Connection of that role (same deterministic crypto seed as the
// recorded one, so it answers identically until the mutation), then lets the
// virtual clock run until the connection settles. Every case is independent
// and reproducible from (seed, index) alone.
//
// Each case must end in one of: handshake complete (connected, or closed after
// a close_notify), or failed with a DtlsError whose code is known and not
// internal_error. Checked after every input:
//   - no exception out of start/handleDatagram/handleTimeout/close, and send()
//     throws only a DtlsError once the connection is closed, failed or closing;
//   - no internal_error (the Connection turns our own exceptions into it);
//   - once failed or closed: no timer (pollTimeout() undefined), no other
//     state afterwards, one close event, no output for further input;
//   - an established connection ends only on a record that authenticated;
//   - handleTimeout moves the deadline (a stuck one is a busy loop);
//   - at most MAX_OUT_PER_STEP datagrams per input, MAX_OUT_TOTAL per case;
//   - drop counters only under the DropReason names;
// and at the end: not still handshaking after MAX_SETTLE_STEPS timeouts; a
// completed handshake negotiated exactly what the recorded one did (same
// parameters, same exporter output, so the same keys); application data
// delivered is data the peer sent, each at most once.
import { AlertDescription, DtlsError } from '../../src/errors.ts';
import type { DropReason } from '../../src/connection-types.ts';
import { Prng, mixSeed } from './det-crypto.ts';
import { T0, describeHandshake, drive, exporterOf, freshConnection, recordings, type Delivery, type Recording, type Side } from './recordings.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { mutateOnce, mutatePlaintext, recordSpans, retypeRecord, type MutationContext } from './mutate.ts';

/** Codes a failed handshake may end with. internal_error is a bug in our code. */
export const KNOWN_CODES: ReadonlySet<string> = new Set([
  ...Object.keys(AlertDescription).filter((k) => k !== 'internal_error'),
  'handshake_timeout',
  'idle_timeout',
  'peer_alert',
  'closed',
  'verification_failed',
]);

/**
 * Open bugs in src/ with a failing reproducer in regressions.test.ts: cases
 * that hit one are counted apart, so the bulk runs fail only on new findings.
 * Add an entry (name, and a pattern of the finding's problem line) when a bug
 * is reported but not yet fixed; remove it with the fix. Bugs 1-3 of
 * regressions.test.ts are fixed; bug 4 is open.
 */
export const KNOWN_BUGS: readonly { name: string; match: RegExp }[] = [];

/** Every DropReason (connection-types.ts): a counter under any other name is a bug. */
export const DROP_REASONS: ReadonlySet<string> = new Set<DropReason>([
  'malformed',
  'bad_version',
  'replay',
  'stale_epoch',
  'future_epoch_overflow',
  'auth_failed',
  'unexpected',
  'after_close',
  'reassembly_limit',
  'unknown_cid',
  'outbound_overflow',
]);

/** Bounds: datagrams sent in answer to one input, and over a whole case. */
const MAX_OUT_PER_STEP = 128;
const MAX_OUT_TOTAL = 2048;
/** Timeouts handled while settling; the handshake timeout is reached in far fewer. */
const MAX_SETTLE_STEPS = 64;

export interface CaseSpec {
  seed: number;
  index: number;
  recording: Recording;
  side: Side;
  deliveries: Delivery[];
  mutations: string[];
  /** When set: the n-th authenticated plaintext is rewritten (hostile peer with keys). */
  plaintext?: { openIndex: number; seed: number };
  /** Application calls meanwhile: send() and close() after input n (0: right after start). */
  api?: { sends: number[]; close: number | undefined };
}

export interface CaseResult {
  /** 'connected', 'closed', 'failed:<code>', or 'bug'. */
  outcome: string;
  problem?: string;
  cause?: unknown;
  /** Description of the plaintext mutation, if it fired. */
  plaintextMutation?: string;
}

let ctxCache: MutationContext | undefined;
function context(): MutationContext {
  if (ctxCache) return ctxCache;
  const pool: Uint8Array[] = [];
  for (const r of recordings()) {
    for (const side of [r.client, r.server]) {
      for (const d of side.received) for (const s of recordSpans(d.data)) pool.push(d.data.slice(s.at, s.at + 13 + s.length));
    }
  }
  // Records no recording holds, as an attacker without keys would send them.
  const plain = (contentType: number, sequenceNumber: number, fragment: Uint8Array) =>
    encodeRecord({ contentType, version: 0xfefd, epoch: 0, sequenceNumber, fragment });
  const hs = (msgType: number, messageSeq: number, body: Uint8Array) => encodeHandshakeMessage({ msgType, messageSeq, body });
  for (const seq of [0, 7, 100]) {
    for (const a of [
      [2, 40],
      [1, 0],
      [2, 0],
      [1, 100],
      [2, 20],
    ])
      pool.push(plain(21, seq, Uint8Array.from(a)));
    pool.push(plain(20, seq, Uint8Array.of(1)));
    pool.push(plain(23, seq, Uint8Array.of(1, 2, 3)));
    pool.push(plain(22, seq, hs(0, 0, new Uint8Array(0))));
    pool.push(plain(22, seq, hs(20, 1, new Uint8Array(12))));
    pool.push(plain(22, seq, hs(14, 4, new Uint8Array(0))));
  }
  ctxCache = { pool };
  return ctxCache;
}

/** The case (seed, index): which recording, which side, which mutations. */
export function makeCase(seed: number, index: number): CaseSpec {
  const rng = new Prng(mixSeed(seed, index));
  const recs = recordings();
  const recording = rng.pick(recs);
  const side = rng.chance(0.5) ? recording.client : recording.server;
  const deliveries = side.received.slice();
  const mutations: string[] = [];
  let plaintext: CaseSpec['plaintext'];
  if (rng.chance(0.15)) {
    plaintext = { openIndex: rng.int(3), seed: rng.u32() };
    // Half the time the peer also seals another content type (see retype in det-crypto.ts).
    if (rng.chance(0.5)) mutations.push(retypeRecord(rng, deliveries) ?? mutateOnce(rng, deliveries, context()));
    else if (rng.chance(0.3)) mutations.push(mutateOnce(rng, deliveries, context()));
  } else {
    const r = rng.u32() / 4294967296;
    const n = r < 0.6 ? 1 : r < 0.85 ? 2 : 3 + rng.int(3);
    for (let i = 0; i < n; i++) mutations.push(mutateOnce(rng, deliveries, context()));
  }
  // Drawn from a stream of its own, so adding this did not change the other draws.
  const arng = new Prng(mixSeed(seed, index, 0xa91));
  let api: CaseSpec['api'];
  if (arng.chance(0.1)) {
    const sends = Array.from({ length: arng.int(4) }, () => arng.int(deliveries.length + 1));
    api = { sends, close: arng.chance(0.5) ? arng.int(deliveries.length + 1) : undefined };
  }
  return { seed, index, recording, side, deliveries, mutations, ...(plaintext ? { plaintext } : {}), ...(api ? { api } : {}) };
}

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  let s = e.stack ?? `${e.name}: ${e.message}`;
  for (let c = e.cause; c !== undefined; c = c instanceof Error ? c.cause : undefined) {
    s += `\n  caused by: ${c instanceof Error ? (c.stack ?? c.message) : String(c)}`;
    if (!(c instanceof Error)) break;
  }
  return s;
}

/** Replays a case; `trace` (if given) receives a line per input and output. */
export function runCase(spec: CaseSpec, trace?: (line: string) => void): CaseResult {
  let plaintextMutation: string | undefined;
  const pt = spec.plaintext;
  /** Records that authenticated (AEAD open succeeded), to tell who ended a connection. */
  let authenticated = 0;
  const conn = freshConnection(spec.side, {
    // A hostile peer with the keys may also seal any content type.
    retype: pt !== undefined,
    onOpen: (i, p) => {
      authenticated++;
      if (!pt || i !== pt.openIndex) return p;
      const m = mutatePlaintext(new Prng(pt.seed), p);
      plaintextMutation = `authenticated plaintext #${i} (${p.length} bytes): ${m.desc}`;
      return m.plaintext;
    },
  });
  let problem: string | undefined;
  let cause: unknown;
  let outTotal = 0;
  let closeEvents = 0;
  const delivered: Uint8Array[] = [];
  const fail = (p: string, c?: unknown) => {
    problem ??= p;
    if (c !== undefined && cause === undefined) cause = c;
  };

  const check = (now: number, what: string) => {
    for (let e = conn.pollEvent(); e; e = conn.pollEvent()) {
      if (e.type === 'close') closeEvents++;
      if (e.type === 'statechange' && (e.previous === 'failed' || e.previous === 'closed')) fail(`state ${e.previous} -> ${e.state} after ${what}`);
      if (!trace) continue;
      if (e.type === 'trace') trace(`  ${e.direction} ${e.what} epoch ${e.epoch} ${e.bytes} bytes`);
      else
        trace(
          `  event ${JSON.stringify(e, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v instanceof Error ? `${v.name}: ${v.message}` : v))}`,
        );
    }
    let out = 0;
    for (let d = conn.pollTransmit(); d; d = conn.pollTransmit()) {
      out++;
      trace?.(`  sent datagram of ${d.length} bytes`);
    }
    outTotal += out;
    if (out > MAX_OUT_PER_STEP) fail(`${out} datagrams queued out after ${what}`);
    for (let r = conn.pollReceived(); r; r = conn.pollReceived()) delivered.push(r);
    for (const reason of Object.keys(conn.stats.dropped)) if (!DROP_REASONS.has(reason)) fail(`unknown drop reason ${reason}`);
    const st = conn.state;
    if ((st === 'failed' || st === 'closed') && conn.pollTimeout() !== undefined) fail(`timer ${conn.pollTimeout()} left in state ${st} after ${what}`);
    if (st === 'failed' && !(conn.error instanceof DtlsError)) fail(`failed without a DtlsError after ${what}`, conn.error);
    void now;
  };

  const guarded = (what: string, f: () => void): void => {
    try {
      f();
    } catch (e) {
      fail(`exception from ${what}: ${(e as Error)?.message ?? String(e)}`, e);
    }
  };

  let closeCalled = false;
  const appCalls = (step: number, at: number): void => {
    const api = spec.api;
    if (!api) return;
    for (const s of api.sends) {
      if (s !== step) continue;
      const before = conn.state;
      trace?.(`  app: send() in state ${before}`);
      try {
        conn.send(at, Uint8Array.of(0xa5, step));
      } catch (e) {
        // Documented: send() throws the connection's error (or 'closed') once it cannot send,
        // which includes after close() (during a handshake, close() waits for it to deliver what was sent).
        const mayThrow = before === 'failed' || before === 'closed' || closeCalled;
        if (!(e instanceof DtlsError) || !mayThrow) fail(`send() in state ${before} threw ${String(e)}`, e);
      }
    }
    if (api.close === step) {
      closeCalled = true;
      trace?.(`  app: close() in state ${conn.state}`);
      guarded('close', () => conn.close(at));
    }
    check(at, `application calls after input ${step}`);
  };

  // Both recorded endpoints started at T0.
  let now = T0;
  guarded('start', () => conn.start(now));
  check(now, 'start');
  appCalls(0, now);
  let step = 0;
  let datagrams = 0;
  let wasConnected = false;
  let authBefore = 0;
  guarded('replay', () => {
    now = drive(conn, spec.deliveries, (t, input) => {
      step++;
      const st = conn.state;
      if (input === 'datagram' && wasConnected && (st === 'failed' || st === 'closed') && authenticated === authBefore) {
        fail(`an established connection ended (${st}${conn.error ? `: ${conn.error.message}` : ''}) on input ${step} without an authenticated record`);
      }
      trace?.(`step ${step} at T0+${t - T0} ms: state ${conn.state}`);
      check(t, `input ${step}`);
      if (input === 'datagram') appCalls(++datagrams, t);
      wasConnected = conn.state === 'connected';
      authBefore = authenticated;
    });
  });
  // Settle: run the clock until nothing is scheduled.
  for (let i = 0; i < MAX_SETTLE_STEPS && !problem; i++) {
    const t = conn.pollTimeout();
    if (t === undefined) break;
    now = Math.max(now, t);
    trace?.(`timeout at T0+${now - T0} ms: state ${conn.state}`);
    guarded('handleTimeout', () => conn.handleTimeout(now));
    check(now, 'timeout');
    const next = conn.pollTimeout();
    if (next !== undefined && next <= now) fail(`pollTimeout() is ${next} right after handleTimeout(${now}): the deadline did not move`);
  }
  const st = conn.state;
  if (st === 'handshaking' || st === 'idle') fail(`still ${st} after ${MAX_SETTLE_STEPS} timeouts (pollTimeout ${conn.pollTimeout()})`);
  if (outTotal > MAX_OUT_TOTAL) fail(`${outTotal} datagrams sent in one case`);
  if (st === 'failed') {
    const e = conn.error;
    if (e && !KNOWN_CODES.has(e.code)) fail(`failed with ${e.code}: ${e.message}`, e);
  }
  if (closeEvents > 1) fail(`${closeEvents} close events`);
  if ((st === 'failed' || st === 'closed') && closeEvents !== 1) fail(`state ${st} without a close event`);
  if (conn.handshakeInfo) {
    // A completed handshake, mutated or not, must have negotiated what the recorded one did.
    if (describeHandshake(conn) !== spec.side.info) fail(`handshake completed with other parameters: ${describeHandshake(conn)}`);
    else if (exporterOf(conn) !== spec.side.exporter) fail('handshake completed with other keys than the recorded one');
  } else if (st === 'connected') fail('connected without handshakeInfo');
  if (!pt) {
    // No application data that the peer did not send, and none twice.
    const left = spec.side.peerAppData.map((p) => Buffer.from(p).toString('hex'));
    for (const d of delivered) {
      const i = left.indexOf(Buffer.from(d).toString('hex'));
      if (i < 0) fail(`delivered ${d.length} bytes of application data the peer never sent (or twice)`);
      else left.splice(i, 1);
    }
  }
  // A settled connection ignores further input.
  if (!problem && (st === 'failed' || st === 'closed')) {
    guarded('input after close', () => {
      conn.handleTimeout(now + 3_600_000);
      if (spec.side.received[0]) conn.handleDatagram(now + 3_600_000, spec.side.received[0].data);
    });
    if (conn.pollTransmit() || conn.pollEvent()) fail(`output after ${st}`);
  }
  const outcome = problem ? 'bug' : st === 'failed' ? `failed:${conn.error?.code}` : st;
  return { outcome, ...(problem ? { problem } : {}), ...(cause !== undefined ? { cause } : {}), ...(plaintextMutation ? { plaintextMutation } : {}) };
}

export interface Finding {
  seed: number;
  index: number;
  recording: string;
  role: string;
  mutations: string[];
  plaintextMutation: string | undefined;
  /** The application calls of the case, if any. */
  api: CaseSpec['api'];
  problem: string;
  cause: string | undefined;
}

export interface RunSummary {
  seed: number;
  cases: number;
  ms: number;
  outcomes: Record<string, number>;
  /** New problems: each one fails the run. */
  findings: Finding[];
  /** Cases that hit a KNOWN_BUGS entry, by its name. */
  known: Record<string, number>;
}

export function knownBug(f: Pick<Finding, 'problem' | 'cause'>): string | undefined {
  return KNOWN_BUGS.find((k) => k.match.test(f.problem))?.name;
}

export function describeApi(api: NonNullable<CaseSpec['api']>): string {
  const sends = api.sends.length ? `send() after datagram ${api.sends.join(', ')}` : 'no send()';
  return `${sends}${api.close !== undefined ? `; close() after datagram ${api.close}` : ''} (0: right after start)`;
}

export function formatFinding(f: Finding): string {
  return [
    `seed ${f.seed} case ${f.index}: ${f.problem}`,
    `  recording ${f.recording}, replayed into a fresh ${f.role}`,
    ...f.mutations.map((m) => `  mutation: ${m}`),
    ...(f.plaintextMutation ? [`  mutation: ${f.plaintextMutation}`] : []),
    ...(f.api ? [`  application: ${describeApi(f.api)}`] : []),
    ...(f.cause ? [`  ${f.cause.split('\n').slice(0, 12).join('\n  ')}`] : []),
    `  reproduce: npx tsx scripts/fuzz-long.ts --seed ${f.seed} --case ${f.index}`,
  ].join('\n');
}

/** Runs cases [start, start + count) of `seed` (or until `deadline`, a performance.now() value). */
export function runCases(seed: number, start: number, count: number, deadline = Infinity, onFinding?: (f: Finding) => void): RunSummary {
  const t0 = performance.now();
  const outcomes: Record<string, number> = {};
  const findings: Finding[] = [];
  const known: Record<string, number> = {};
  let n = 0;
  for (let i = start; i < start + count; i++) {
    if ((n & 255) === 0 && performance.now() > deadline) break;
    const spec = makeCase(seed, i);
    const r = runCase(spec);
    n++;
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    if (r.problem) {
      const f: Finding = {
        seed,
        index: i,
        recording: spec.recording.name,
        role: spec.side.role,
        mutations: spec.mutations,
        plaintextMutation: r.plaintextMutation,
        api: spec.api,
        problem: r.problem,
        cause: r.cause === undefined ? undefined : describeError(r.cause),
      };
      const k = knownBug(f);
      if (k) known[k] = (known[k] ?? 0) + 1;
      else {
        findings.push(f);
        onFinding?.(f);
      }
    }
  }
  return { seed, cases: n, ms: performance.now() - t0, outcomes, findings, known };
}

/** Seed of a run: FUZZ_SEED from the environment, else a fixed default so CI is repeatable. */
export function runSeed(): number {
  const s = process.env.FUZZ_SEED;
  return s === undefined ? 0x5eed : Number(s) >>> 0;
}
