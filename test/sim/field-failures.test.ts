// Failures seen in the field (issue 3), each a named regression test over the
// simulated network: peers that fragment differently, ClientHellos larger than
// a datagram (through the stateless cookie gate too), final flights lost in
// part, and peers that go silent mid-handshake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, Rng, createPair as createPairAnyVersion, bothIn, runPair, type RunResult } from '../../src/testing/index.ts';
import { Connection } from '../../src/connection.ts';
import { createCookieGate, type CookieGate, type CookieVerdict } from '../../src/handshake/cookie.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import type { ConnectionEvent, ConnectionLike, ConnectionState, ConnectionStats, HandshakeInfo } from '../../src/connection-types.ts';
import { decodeRecords, encodeRecord } from '../../src/wire/record.ts';
import { encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { decodeClientHello, encodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { decodeHelloVerifyRequest } from '../../src/wire/messages/hello-verify-request.ts';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion } from '../../src/wire/types.ts';
import { Writer, utf8, fromUtf8 } from '../../src/wire/codec.ts';
import { between, boundaries, flightOf, pack, plainFragments, refragment } from './wire-tools.ts';

/** These field failures are DTLS 1.2 ones (HelloVerifyRequest, ChangeCipherSpec, its flights and record headers): both sides speak 1.2 alone (the library's default is ['1.3', '1.2']). */
const createPair: typeof createPairAnyVersion = (client = {}, server = {}, opts) =>
  createPairAnyVersion({ versions: ['1.2'], ...client }, { versions: ['1.2'], ...server }, opts);

function state(c: ConnectionLike, s: ConnectionLike): string {
  return `client ${c.state} ${c.error?.message ?? ''} / server ${s.state} ${s.error?.message ?? ''}`;
}

/** A counter for fresh record sequence numbers (well above what the peers use themselves). */
function counter(start: number): () => number {
  let n = start;
  return () => n++;
}

/** Sends data both ways over a connected pair and checks it arrives (the link may be lossy: resend until it lands). */
function echo(pair: SimPair): void {
  for (const [from, log] of [
    [pair.a, pair.log.b],
    [pair.b, pair.log.a],
  ] as const) {
    const before = log.received.length;
    for (let i = 0; i < 20 && log.received.length === before; i++) {
      from.send(pair.now, utf8(`hello ${i}`));
      pair.flush();
      pair.run({ until: () => log.received.length > before, maxDuration: 200 });
    }
    assert.ok(log.received.length > before, 'application data arrives after the handshake');
    assert.match(fromUtf8(log.received.at(-1)!), /^hello \d+$/);
  }
}

// ---------------------------------------------------------------------------
// Peers that fragment differently

test('a peer that retransmits a flight fragmented at different boundaries: the halves of both transmissions are put together', () => {
  // The server's flight 4 goes out twice with different fragment sizes (100 then
  // 77 bytes of body); each transmission loses half of every message, so neither
  // alone is complete. The client must combine them and finish at once after the
  // first retransmission: its ClientHello, resent by its 100 ms default timer,
  // reaches the server at 125 ms, the instant the server's own 100 ms timer for
  // flight 4 (sent at 25) expires, and flight 4 goes out once more; then two
  // round trips of 50 ms.
  const { client, server } = createPair({}, {}, { seed: 1 });
  let pair!: SimPair;
  const seq = counter(1000);
  const seen: string[][] = [[], []];
  let k = -1;
  let at = -1;
  const rewrite = (d: Uint8Array): Uint8Array[] => {
    if (flightOf(d, 'server') !== 4) return refragment(d, () => 1 << 20, seq, 1200); // renumbered only, so our numbers stay in order
    if (pair.now !== at) {
      k++;
      at = pair.now;
    }
    if (k > 1) return refragment(d, () => 1 << 20, seq, 1200);
    const pieces = refragment(d, () => (k === 0 ? 100 : 77), seq, 1);
    const kept = pieces.filter((p) => {
      const [r] = decodeRecords(p).records;
      const [f] = plainFragments(r!);
      if (!f) return true;
      const half = f.length / 2;
      return f.length === 0 || (k === 0 ? f.fragmentOffset < half : f.fragmentOffset + f.body.length > half);
    });
    for (const p of kept) seen[k]!.push(...boundaries(p));
    return pack(kept, 1200);
  };
  pair = new SimPair(client, server, { seed: 1, link: { delay: 25 }, bToA: { rewrite } });
  const r = pair.run({ until: bothIn('connected'), maxDuration: 60_000 });
  assert.equal(r.reason, 'until', state(client, server));
  assert.equal(k, 1, 'flight 4 went out exactly twice');
  assert.equal(r.now, 100 + 100);
  // The two transmissions really used different boundaries (the Certificate is message_seq 1).
  const cert = (i: number) => seen[i]!.filter((b) => b.startsWith('1:'));
  assert.ok(cert(0).length > 1 && cert(1).length > 1);
  assert.equal(cert(0).filter((b) => cert(1).includes(b)).length, 0, `${cert(0)} vs ${cert(1)}`);
  echo(pair);
});

test('peers that fragment everything into datagrams of at most 256 bytes, at random boundaries, both directions, under loss and reordering', () => {
  for (let seed = 1; seed <= 8; seed++) {
    // The endpoints themselves use an MTU of 1200; the "peer" stacks re-cut
    // every plaintext handshake record into fragments of 1..200 body bytes.
    const { client, server } = createPair({}, {}, { seed });
    const rng = new Rng(seed * 7919);
    const seqA = counter(1000);
    const seqB = counter(1000);
    const cut = (seq: () => number) => (d: Uint8Array) => refragment(d, () => between(rng, 1, 200), seq, 256);
    const r = runPair(client, server, {
      seed,
      link: { delay: 20, jitter: 10, loss: 0.1, reorder: 0.1, reorderDelay: 40, mtu: 256 },
      aToB: { rewrite: cut(seqA) },
      bToA: { rewrite: cut(seqB) },
      until: bothIn('connected'),
      maxDuration: 60_000,
    });
    assert.equal(r.reason, 'until', `seed ${seed}: ${state(client, server)}`);
    assert.equal(r.links.aToB.oversize + r.links.bToA.oversize, 0, 'every datagram fit in 256 bytes');
    assert.ok(r.links.bToA.sent < r.links.bToA.rewritten * 20, 'sanity');
    echo(r.pair);
  }
});

test('an endpoint with mtu: 256 sends no datagram over 256 bytes and completes through a 256-byte link (both roles)', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const { client, server } = createPair({ mtu: 256 }, { mtu: 256 }, { seed });
    const sizes: number[] = [];
    let flight4 = 0;
    const r = runPair(client, server, {
      seed,
      link: { delay: 20, loss: 0.1, mtu: 256, filter: (d) => (sizes.push(d.length), true) },
      bToA: { filter: (d) => (sizes.push(d.length), flightOf(d, 'server') === 4 && flight4++, true) },
      until: bothIn('connected'),
      maxDuration: 60_000,
    });
    assert.equal(r.reason, 'until', `seed ${seed}: ${state(client, server)}`);
    assert.ok(Math.max(...sizes) <= 256);
    assert.ok(flight4 >= 3, `flight 4 took ${flight4} datagrams`);
  }
});

// ---------------------------------------------------------------------------
// ClientHellos larger than one datagram

/** ALPN names that make the ClientHello about 1.5 KB; the server picks the last one, in the second fragment. */
const manyAlpn = Array.from({ length: 16 }, (_, i) => `protocol-${String(i).padStart(2, '0')}-${'x'.repeat(80)}`);

function clientHellos(r: RunResult): number[] {
  return r.b.events.flatMap((e) => (e.type === 'trace' && e.direction === 'in' && e.what === 'ClientHello' ? [e.bytes] : []));
}

test('a ClientHello larger than one datagram (~1.5 KB) is reassembled by the server, under loss', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const { client, server } = createPair({ alpn: manyAlpn }, { alpn: [manyAlpn.at(-1)!] }, { seed });
    let firstFlight = 0;
    const r = runPair(client, server, {
      seed,
      link: { delay: 20, loss: 0.2 },
      aToB: { filter: (d) => (flightOf(d, 'client') === 1 && firstFlight++, true) },
      until: bothIn('connected'),
      maxDuration: 60_000,
    });
    assert.equal(r.reason, 'until', `seed ${seed}: ${state(client, server)}`);
    assert.ok(clientHellos(r)[0]! > 1400, `ClientHello of ${clientHellos(r)[0]} bytes`);
    assert.ok(firstFlight >= 2, 'the ClientHello took two datagrams');
    assert.equal(client.handshakeInfo?.alpn, manyAlpn.at(-1), 'the server read the end of the second fragment');
  }
});

test('a ClientHello larger than one datagram, with a HelloVerifyRequest: the cookie round trip and the reassembly both hold', () => {
  const { client, server } = createPair({ alpn: manyAlpn }, { alpn: [manyAlpn.at(-1)!], requireCookie: true }, { seed: 3 });
  const sizes = { hello: 0, hvr: 0 };
  const r = runPair(client, server, {
    seed: 3,
    link: { delay: 20 },
    aToB: { filter: (d) => (flightOf(d, 'client') === 1 && !sizes.hello && (sizes.hello = d.length), true) },
    bToA: { filter: (d) => (flightOf(d, 'server') === 2 && (sizes.hvr = d.length), true) },
    until: bothIn('connected'),
  });
  assert.equal(r.reason, 'until', state(client, server));
  assert.deepEqual(
    clientHellos(r).map((b) => b > 1400),
    [true, true],
  );
  assert.ok(sizes.hvr > 0 && sizes.hvr <= sizes.hello, `HelloVerifyRequest ${sizes.hvr} B, first ClientHello datagram ${sizes.hello} B: no amplification`);
  assert.equal(r.now, 120, 'three round trips of 40 ms');
});

/**
 * The server side of listen() in miniature: datagrams from the (one) unknown
 * peer go through the stateless cookie gate; only an accepted ClientHello
 * makes a Connection, which then gets everything.
 */
class GatedServer implements ConnectionLike {
  connection: Connection | undefined;
  readonly verdicts: CookieVerdict['action'][] = [];
  created = 0;
  #out: Uint8Array[] = [];
  readonly #idle: ConnectionStats = { datagramsIn: 0, datagramsOut: 0, recordsIn: 0, recordsOut: 0, retransmits: 0, dropped: {} };

  constructor(
    readonly gate: CookieGate,
    readonly make: () => Connection,
    readonly peer = '192.0.2.1|5000',
  ) {}

  get state(): ConnectionState {
    return this.connection?.state ?? 'idle';
  }
  get stats(): ConnectionStats {
    return this.connection?.stats ?? this.#idle;
  }
  get handshakeInfo(): HandshakeInfo | undefined {
    return this.connection?.handshakeInfo;
  }
  get error() {
    return this.connection?.error;
  }
  start(): void {}
  handleDatagram(now: number, d: Uint8Array): void {
    if (this.connection) return this.connection.handleDatagram(now, d);
    const v = this.gate.check(d, this.peer);
    this.verdicts.push(v.action);
    if (v.action === 'reply') this.#out.push(v.datagram);
    if (v.action !== 'accept') return;
    this.created++;
    this.connection = this.make();
    this.connection.start(now);
    this.connection.handleDatagram(now, d);
  }
  handleTimeout(now: number): void {
    this.connection?.handleTimeout(now);
  }
  send(now: number, p: Uint8Array): void {
    this.connection!.send(now, p);
  }
  close(now: number): void {
    this.connection?.close(now);
  }
  pollTransmit(): Uint8Array | undefined {
    return this.#out.shift() ?? this.connection?.pollTransmit();
  }
  pollReceived(): Uint8Array | undefined {
    return this.connection?.pollReceived();
  }
  pollEvent(): ConnectionEvent | undefined {
    return this.connection?.pollEvent();
  }
  pollTimeout(): number | undefined {
    return this.connection?.pollTimeout();
  }
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array {
    return this.connection!.exportKeyingMaterial(label, context, length);
  }
}

test('a ~1.5 KB ClientHello through the stateless cookie gate: only the first fragment is read, no state until the cookie returns', () => {
  const secret = new Uint8Array(32).fill(7);
  const { client, server } = createPair({ alpn: manyAlpn }, { alpn: [manyAlpn.at(-1)!] }, { seed: 5 });
  const createdAt: number[] = [];
  let pair!: SimPair;
  const gated = new GatedServer(createCookieGate({ secret, crypto: nobleProvider }), () => (createdAt.push(pair.now), server));
  pair = new SimPair(client, gated, { seed: 5, link: { delay: 20 } });
  const r = pair.run({ until: bothIn('connected') });
  assert.equal(r.reason, 'until', state(client, gated));
  // ClientHello 1: fragment 1 answered with a cookie, fragment 2 dropped (no
  // offset 0, and nothing remembered to attach it to). ClientHello 2 with the
  // cookie: fragment 1 accepted, and from then on the Connection gets the rest.
  assert.deepEqual(gated.verdicts, ['reply', 'drop', 'accept']);
  assert.equal(gated.created, 1);
  assert.deepEqual(createdAt, [60], 'the Connection exists only once the cookie came back (one round trip and a half in)');
  assert.equal(client.handshakeInfo?.alpn, manyAlpn.at(-1));
  assert.equal(r.now, 120);
});

test('the cookie gate keeps no state: a crafted 1.4 KB ClientHello (post-quantum key share) is answered from its first fragment alone', () => {
  // A real ClientHello with key shares for X25519MLKEM768 (1,216 bytes), x25519
  // and P-256 added, as a DTLS 1.3-capable client sends them; a DTLS 1.2 server
  // skips the extension.
  const { client } = createPair({}, {}, { seed: 9 });
  client.start(0);
  const [rec] = decodeRecords(client.pollTransmit()!).records;
  const ch = decodeClientHello(plainFragments(rec!)[0]!.body);
  const share = new Writer(1400);
  share.u16(4 + 1216 + 4 + 32 + 4 + 65);
  share.u16(NamedGroup.X25519MLKEM768).u16(1216).bytes(new Uint8Array(1216).fill(0xab));
  share.u16(NamedGroup.x25519).u16(32).bytes(new Uint8Array(32).fill(0xcd));
  share
    .u16(NamedGroup.secp256r1)
    .u16(65)
    .bytes(Uint8Array.of(4, ...new Array<number>(64).fill(0xef)));
  const shares = share.finish();
  const bigHello = (cookie: Uint8Array, messageSeq: number) => {
    const body = encodeClientHello({ ...ch, cookie, extensions: [...ch.extensions, { type: ExtensionType.key_share, data: shares }] });
    assert.ok(body.length > 1400, `${body.length} bytes`);
    // Two fragments in two datagrams, as a 1200-byte MTU forces.
    return [0, 1100].map((offset, i) =>
      encodeRecord({
        contentType: ContentType.handshake,
        version: ProtocolVersion.DTLS1_2,
        epoch: 0,
        sequenceNumber: messageSeq * 2 + i,
        fragment: encodeHandshakeFragment({
          msgType: HandshakeType.client_hello,
          length: body.length,
          messageSeq,
          fragmentOffset: offset,
          body: body.subarray(offset, i === 0 ? 1100 : body.length),
        }),
      }),
    );
  };
  const secret = new Uint8Array(32).fill(1);
  const peer = '198.51.100.7|4433';
  const [first, second] = bigHello(new Uint8Array(0), 0);
  const gate = createCookieGate({ secret, crypto: nobleProvider });
  const v1 = gate.check(first!, peer);
  assert.equal(v1.action, 'reply');
  const reply = (v1 as { datagram: Uint8Array }).datagram;
  assert.ok(reply.length <= first!.length, 'no amplification');
  assert.deepEqual(gate.check(second!, peer), { action: 'drop' }, 'a later fragment alone is dropped');
  // Statelessness: the same input gives the same bytes again, and a gate that
  // never saw the exchange (same secret) judges exactly alike.
  const other = createCookieGate({ secret, crypto: nobleProvider });
  assert.deepEqual(gate.check(first!, peer), v1);
  assert.deepEqual(other.check(first!, peer), v1);
  const [rr] = decodeRecords(reply).records;
  const cookie = decodeHelloVerifyRequest(plainFragments(rr!)[0]!.body).cookie;
  const [first2, second2] = bigHello(cookie, 1);
  assert.deepEqual(other.check(first2!, peer), { action: 'accept', state: new Uint8Array(0) }, 'the cookie is accepted by a gate that never saw it issued');
  assert.equal(other.check(first2!, '198.51.100.8|4433').action, 'reply', 'the cookie is bound to the address');
  // The accepted peer's Connection reassembles the two fragments and answers with flight 4.
  const { server } = createPair({}, {}, { seed: 9 });
  server.start(0);
  server.handleDatagram(0, second2!);
  assert.equal(server.pollTransmit(), undefined, 'half a ClientHello is not enough');
  server.handleDatagram(0, first2!);
  const out = server.pollTransmit();
  assert.ok(out && flightOf(out, 'server') === 4, 'ServerHello after reassembly');
  const events: ConnectionEvent[] = [];
  for (let e = server.pollEvent(); e; e = server.pollEvent()) events.push(e);
  const inHello = events.find((e) => e.type === 'trace' && e.direction === 'in' && e.what === 'ClientHello');
  assert.ok(inHello && inHello.type === 'trace' && inHello.bytes > 1400);
});

// ---------------------------------------------------------------------------
// Final flights lost in part (flights 5 and 6 are a CCS record and an epoch-1 Finished record)

/** Splits a datagram into one datagram per record. */
function split(d: Uint8Array): Uint8Array[] {
  return decodeRecords(d).records.map((r) => encodeRecord(r));
}

for (const [sender, flight] of [
  ['server', 6],
  ['client', 5],
] as const) {
  for (const lose of ['ChangeCipherSpec', 'Finished'] as const) {
    const other = lose === 'Finished' ? 'ChangeCipherSpec' : 'Finished';
    test(`flight ${flight} (${sender}): its ${lose} lost the first time, its ${other} every later time; the half that arrived first is kept`, () => {
      // Only the first transmission carries the one record, only later ones the
      // other: the handshake can complete only if the receiver kept what came
      // first (a CCS that opened the epoch, or a Finished held until a CCS opens it).
      const { client, server } = createPair({}, {}, { seed: 11 });
      let pair!: SimPair;
      let k = -1;
      let at = -1;
      const isFinished = (rec: Uint8Array) => rec[0] === ContentType.handshake && decodeRecords(rec).records[0]!.epoch === 1;
      const isCcs = (rec: Uint8Array) => rec[0] === ContentType.change_cipher_spec;
      const rewrite = (d: Uint8Array): Uint8Array[] => {
        if (flightOf(d, sender) !== flight) return [d];
        if (pair.now !== at) {
          k++;
          at = pair.now;
        }
        const drop = k === 0 ? lose : other;
        return split(d).filter((rec) => !(drop === 'ChangeCipherSpec' ? isCcs(rec) : isFinished(rec)));
      };
      pair = new SimPair(client, server, { seed: 11, link: { delay: 25 }, [sender === 'client' ? 'aToB' : 'bToA']: { rewrite } });
      const r = pair.run({ until: bothIn('connected'), maxDuration: 60_000 });
      assert.equal(r.reason, 'until', state(client, server));
      assert.ok(k >= 1, 'the flight was retransmitted');
      assert.ok(r.now <= 1100, `done at ${r.now} ms: no later than one retransmission timer allows`);
    });
  }
}

// ---------------------------------------------------------------------------
// Peers that go silent mid-handshake

for (const [silent, survivor] of [
  ['client', 'server'],
  ['server', 'client'],
] as const) {
  test(`a ${silent} that goes silent after its first flight is dropped by the ${survivor} at the handshake timeout: handshake_timeout, no timer left, nothing more sent`, () => {
    const { client, server } = createPair({ handshakeTimeout: 10_000 }, { handshakeTimeout: 10_000 }, { seed: 13 });
    let n = 0;
    const quiet = { filter: () => n++ < 1 };
    const victim = survivor === 'server' ? server : client;
    const r = runPair(client, server, {
      seed: 13,
      link: { delay: 20 },
      ...(silent === 'client' ? { aToB: quiet } : { bToA: quiet }),
      until: () => victim.state === 'failed',
      maxDuration: 60_000,
    });
    assert.equal(r.reason, 'until', state(client, server));
    assert.equal(r.now, 10_000, 'exactly at the handshake timeout');
    assert.equal(victim.error?.code, 'handshake_timeout');
    assert.ok(victim.stats.retransmits >= 3, 'it kept trying until then');
    assert.equal(victim.pollTimeout(), undefined, 'no timer left');
    assert.equal(victim.pollTransmit(), undefined);
    const sentBefore = victim.stats.datagramsOut;
    victim.handleTimeout(20_000);
    victim.handleDatagram(20_000, new Uint8Array([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0]));
    assert.equal(victim.stats.datagramsOut, sentBefore, 'a failed connection stays quiet');
    assert.equal(victim.pollTimeout(), undefined);
    assert.equal(r[survivor === 'server' ? 'b' : 'a'].events.filter((e) => e.type === 'close').length, 1, 'one close event');
  });
}

test('a silent peer with the default handshake timeout is dropped at 30 s, and the run then goes idle (no timer anywhere)', () => {
  const { client, server } = createPair({}, {}, { seed: 14 });
  const r = runPair(client, server, { seed: 14, link: { delay: 20 }, aToB: { filter: (_d, i) => i === 0 }, maxDuration: 120_000 });
  assert.equal(r.reason, 'idle');
  assert.equal(r.now, 30_000);
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(server.error?.code, 'handshake_timeout');
  assert.equal(client.pollTimeout(), undefined);
  assert.equal(server.pollTimeout(), undefined);
});
