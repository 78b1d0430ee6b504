// Property-based fuzzing of the decoders that test/wire (props.ts) and
// test/x509/fuzz.test.ts do not reach: the cookie gate, the record layer and
// record protection, alerts and arbitrary datagrams through a Connection, the
// reassembler, DER primitives, PEM, private keys, the crypto provider's
// peer-facing operations and the demultiplexer. For each: any input either
// decodes or fails with a typed error (or a documented null/drop), and
// encode(decode(x)) === x for valid x.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DtlsError } from '../../src/errors.ts';
import { DecodeError, equalBytes } from '../../src/wire/codec.ts';
import { ContentType, HandshakeType, ProtocolVersion } from '../../src/wire/types.ts';
import { decodeRecords, encodeRecord } from '../../src/wire/record.ts';
import { decodeHandshakeFragments, encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { encodeClientHello, type ClientHello } from '../../src/wire/messages/client-hello.ts';
import { decodeHelloVerifyRequest } from '../../src/wire/messages/hello-verify-request.ts';
import { createCookieGate, readClientHelloPrefix } from '../../src/handshake/cookie.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { RecordProtection } from '../../src/record/protection.ts';
import { CIPHER_SUITES } from '../../src/crypto/suites.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { aesCcm } from '../../src/crypto/ccm.ts';
import { Reassembler } from '../../src/reliability/reassembly.ts';
import {
  DerError,
  DerReader,
  Tag,
  decodeBitString,
  decodeInteger,
  decodeOid,
  decodeString,
  decodeTime,
  encodeBitString,
  encodeIa5String,
  encodeInteger,
  encodeOid,
  encodeSequence,
  encodeTime,
  encodeTlv,
  encodeUtf8String,
  type Tlv,
} from '../../src/x509/der.ts';
import { PemError, decodePem, encodePem } from '../../src/x509/pem.ts';
import { decodePrivateKeyPem } from '../../src/x509/keys.ts';
import { PACKET_CLASSES, classifyPacket } from '../../src/demux/classify.ts';
import { AlertDescription } from '../../src/errors.ts';
import { DROP_REASONS, KNOWN_CODES } from './engine.ts';
import { connectedPair, freshConnection, fuzzCerts, recordings } from './recordings.ts';
import { Prng } from './det-crypto.ts';

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });

/** Passes when `f` returns or throws an instance of one of `types`; fails on anything else. */
function onlyThrows(types: (abstract new (...a: never[]) => Error)[], f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!types.some((t) => e instanceof t)) throw new Error(`expected ${types.map((t) => t.name).join('/')}, got ${String(e)}`, { cause: e });
  }
}

/** One random corruption of valid bytes: flip, set, truncate, extend, insert or delete. */
function corrupt(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(fc.tuple(fc.nat(5), fc.nat(), u8), { minLength: 1, maxLength: 3 })).map(([b, ops]) => {
    const out = Array.from(b);
    for (const [op, i, v] of ops) {
      const at = out.length ? i % out.length : 0;
      if (op === 0 && out.length) out[at] = out[at]! ^ (1 << (v & 7));
      else if (op === 1 && out.length) out[at] = v;
      else if (op === 2) out.length = at;
      else if (op === 3) out.push(v);
      else if (op === 4) out.splice(at, 0, v);
      else out.splice(at, 1);
    }
    return Uint8Array.from(out);
  });
}

// ---------------------------------------------------------------------------
// Cookie gate (RFC 6347 4.2.1): stateless, so it parses untrusted datagrams itself.

const helloArb = fc.record(
  {
    random: bytes(32, 32),
    sessionId: bytes(0, 32),
    cipherSuites: fc.array(u16, { minLength: 1, maxLength: 8 }),
    recordSeq: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    messageSeq: fc.integer({ min: 0, max: 3 }),
  },
  { noNullPrototype: true },
);

function helloDatagram(
  h: { random: Uint8Array; sessionId: Uint8Array; cipherSuites: number[]; recordSeq: number; messageSeq: number },
  cookie: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const ch: ClientHello = {
    version: ProtocolVersion.DTLS1_2,
    random: h.random,
    sessionId: h.sessionId,
    cookie,
    cipherSuites: h.cipherSuites,
    compressionMethods: [0],
    extensions: [],
  };
  const hs = encodeHandshakeMessage({ msgType: HandshakeType.client_hello, messageSeq: h.messageSeq, body: encodeClientHello(ch) });
  return encodeRecord({ contentType: ContentType.handshake, version: ProtocolVersion.DTLS1_0, epoch: 0, sequenceNumber: h.recordSeq, fragment: hs });
}

const gate = createCookieGate({ secret: new Uint8Array(32).fill(7), crypto: nobleProvider });

/** Checks a verdict's shape; a reply must be one HelloVerifyRequest record no larger than the input. */
function checkVerdict(input: Uint8Array, v: ReturnType<typeof gate.check>): Uint8Array | undefined {
  assert.ok(v.action === 'accept' || v.action === 'reply' || v.action === 'drop');
  if (v.action !== 'reply') return undefined;
  assert.ok(v.datagram.length <= input.length, `amplification: ${v.datagram.length} bytes out for ${input.length} in`);
  const { records, malformed } = decodeRecords(v.datagram);
  assert.equal(malformed, false);
  assert.equal(records.length, 1);
  const rec = records[0]!;
  assert.equal(rec.epoch, 0);
  assert.equal(rec.sequenceNumber, decodeRecords(input).records[0]!.sequenceNumber, 'HVR reuses the ClientHello record sequence number');
  const [frag, ...rest] = decodeHandshakeFragments(rec.fragment);
  assert.equal(rest.length, 0);
  assert.equal(frag!.msgType, HandshakeType.hello_verify_request);
  return decodeHelloVerifyRequest(frag!.body).cookie;
}

test('cookie gate: any datagram gets a verdict, never a throw, and no reply larger than it', () => {
  const recordShaped = fc
    .tuple(fc.constantFrom(22, 22, 22, 21, 23, 0), fc.constantFrom(0, 0, 1), fc.nat(100), bytes(0, 300))
    .map(([type, epoch, seq, frag]) => encodeRecord({ contentType: type, version: ProtocolVersion.DTLS1_2, epoch, sequenceNumber: seq, fragment: frag }));
  const hsShaped = fc.tuple(fc.constantFrom(1, 1, 1, 3, 0), fc.nat(300), fc.nat(3), fc.nat(300), bytes(0, 200)).map(([t, len, seq, off, body]) => {
    const h = new Uint8Array(12 + body.length);
    h.set([
      t,
      len >> 16,
      (len >> 8) & 0xff,
      len & 0xff,
      0,
      seq,
      off >> 16,
      (off >> 8) & 0xff,
      off & 0xff,
      body.length >> 16,
      (body.length >> 8) & 0xff,
      body.length & 0xff,
    ]);
    h.set(body, 12);
    return encodeRecord({ contentType: 22, version: 0xfeff, epoch: 0, sequenceNumber: 0, fragment: h });
  });
  const inputs = fc.oneof(bytes(0, 400), recordShaped, hsShaped, corrupt(helloArb.map((h) => helloDatagram(h))));
  fc.assert(
    fc.property(inputs, fc.string({ maxLength: 30 }), (d, peer) => {
      let v!: ReturnType<typeof gate.check>;
      assert.doesNotThrow(() => (v = gate.check(d, peer)));
      checkVerdict(d, v);
    }),
    { numRuns: 3000 },
  );
});

test('cookie gate: the cookie it hands out is accepted from that peer only, for that random only', () => {
  fc.assert(
    fc.property(helloArb, fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), bytes(32, 32), (h, peer, other, otherRandom) => {
      const first = helloDatagram(h);
      const cookie = checkVerdict(first, gate.check(first, peer));
      assert.ok(cookie && cookie.length > 0, 'a cookie-less ClientHello gets a HelloVerifyRequest');
      const second = helloDatagram({ ...h, messageSeq: h.messageSeq + 1 }, cookie);
      assert.equal(gate.check(second, peer).action, 'accept');
      if (other !== peer) assert.notEqual(gate.check(second, other).action, 'accept');
      if (!equalBytes(otherRandom, h.random)) assert.notEqual(gate.check(helloDatagram({ ...h, random: otherRandom }, cookie), peer).action, 'accept');
      const bad = cookie.slice();
      bad[bad.length - 1]! ^= 1;
      assert.notEqual(gate.check(helloDatagram(h, bad), peer).action, 'accept');
    }),
    { numRuns: 300 },
  );
});

test('readClientHelloPrefix: any bytes give the prefix or undefined', () => {
  fc.assert(
    fc.property(
      fc.oneof(bytes(0, 120), corrupt(helloArb.map((h) => decodeHandshakeFragments(decodeRecords(helloDatagram(h)).records[0]!.fragment)[0]!.body))),
      (b) => {
        const p = readClientHelloPrefix(b);
        if (p) {
          assert.equal(p.random.length, 32);
          assert.ok(p.cookie.length <= 255);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

// ---------------------------------------------------------------------------
// Record protection and the record layer's open().

const suiteArb = fc.constantFrom(...CIPHER_SUITES);
const keyFor = (s: (typeof CIPHER_SUITES)[number], seed: number) => {
  const r = new Prng(seed);
  return { key: r.bytes(s.keyLength), iv: r.bytes(s.fixedIvLength) };
};

test('RecordProtection: seal/open round trip; open of anything else is null, never a throw', () => {
  fc.assert(
    fc.property(
      suiteArb,
      fc.nat(),
      u16,
      fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      u8,
      bytes(0, 100),
      bytes(0, 120),
      (suite, seed, epoch, seq, type, plain, junk) => {
        const { key, iv } = keyFor(suite, seed);
        const p = new RecordProtection(nobleProvider, suite, key, iv);
        const sealed = p.seal(epoch, seq, type, 0xfefd, plain);
        assert.equal(sealed.length, plain.length + p.overhead);
        assert.deepEqual(p.open(epoch, seq, type, 0xfefd, sealed), plain);
        assert.equal(p.open(epoch, seq, type ^ 1, 0xfefd, sealed), null);
        assert.equal(p.open(epoch, seq === 0 ? 1 : seq - 1, type, 0xfefd, sealed), null);
        assert.equal(p.open(epoch, seq, type, 0xfeff, sealed), null);
        assert.equal(p.open(epoch, seq, type, 0xfefd, sealed.subarray(0, sealed.length - 1)), null);
        let out: Uint8Array | null = null;
        assert.doesNotThrow(() => (out = p.open(epoch, seq, type, 0xfefd, junk)));
        assert.equal(out, null);
      },
    ),
    { numRuns: 400 },
  );
});

function layerPair(suite: (typeof CIPHER_SUITES)[number], seed: number) {
  const drops: string[] = [];
  const { key, iv } = keyFor(suite, seed);
  const writer = new RecordLayer(nobleProvider, () => {});
  const reader = new RecordLayer(nobleProvider, (r) => drops.push(r), { maxRecords: 4, maxBytes: 2000 });
  writer.installWrite(1, { suite, key, iv });
  reader.installRead(1, { suite, key, iv });
  return { writer, reader, drops };
}

test('RecordLayer.open: arbitrary datagrams never throw; only epoch-0 plaintext of at most 2^14 bytes comes out unkeyed', () => {
  const datagram = fc.oneof(
    bytes(0, 300),
    fc
      .array(fc.tuple(u8, fc.constantFrom(0xfefd, 0xfeff, 0xfefc, 0x0303), fc.nat(3), fc.integer({ min: 0, max: 2 ** 48 - 1 }), bytes(0, 80)), { maxLength: 5 })
      .map((rs) => rs.map(([contentType, version, epoch, sequenceNumber, fragment]) => encodeRecord({ contentType, version, epoch, sequenceNumber, fragment })))
      .map((parts) => Uint8Array.from(parts.flatMap((p) => [...p]))),
  );
  fc.assert(
    fc.property(fc.array(datagram, { minLength: 1, maxLength: 6 }), (ds) => {
      const drops: string[] = [];
      const layer = new RecordLayer(nobleProvider, (r) => drops.push(r), { maxRecords: 3, maxBytes: 500 });
      for (const d of ds) {
        let recs!: ReturnType<RecordLayer['open']>;
        assert.doesNotThrow(() => (recs = layer.open(d)));
        for (const r of recs) {
          assert.equal(r.epoch, 0);
          assert.ok(r.payload.length <= 16384);
        }
      }
      for (const r of drops) assert.ok(DROP_REASONS.has(r), r);
    }),
    { numRuns: 1500 },
  );
});

test('RecordLayer.open: sealed records open once, in order; any one-bit flip or truncation yields nothing', () => {
  fc.assert(
    fc.property(
      suiteArb,
      fc.nat(),
      fc.array(fc.tuple(fc.constantFrom(21, 22, 23), bytes(0, 60)), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      fc.nat(),
      (suite, seed, items, pick, bit) => {
        const { writer, reader, drops } = layerPair(suite, seed);
        const sealed = items.map(([t, p]) => writer.seal(t, p, 1));
        const datagram = Uint8Array.from(sealed.flatMap((s) => [...s]));
        const out = reader.open(datagram);
        assert.deepEqual(
          out.map((r) => [r.contentType, r.payload]),
          items.map(([t, p]) => [t, p]),
        );
        assert.deepEqual(reader.open(datagram), [], 'a replayed datagram yields nothing');
        assert.ok(drops.every((d) => d === 'replay'));
        // A fresh reader: one flipped bit anywhere in one record, or a truncation, and that record is
        // gone (a flip of the epoch to 0 makes it unauthenticated plaintext, which epoch 0 is).
        const { reader: r2 } = layerPair(suite, seed);
        const one = sealed[pick % sealed.length]!.slice();
        const b = bit % (one.length * 8);
        one[b >>> 3]! ^= 1 << (b & 7);
        assert.deepEqual(
          r2.open(one).filter((r) => r.epoch !== 0),
          [],
          `bit ${b} flipped`,
        );
        const { reader: r3 } = layerPair(suite, seed);
        assert.deepEqual(r3.open(sealed[0]!.subarray(0, bit % sealed[0]!.length)), []);
      },
    ),
    { numRuns: 300 },
  );
});

// ---------------------------------------------------------------------------
// Through a Connection: alerts (RFC 5246 7.2) and arbitrary datagrams.

const alertPayload = fc.oneof(
  fc.tuple(fc.constantFrom(1, 2, 1, 2, 0, 3, 255), u8).map(([l, d]) => Uint8Array.of(l, d)),
  fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(...Object.values(AlertDescription))).map(([l, d]) => Uint8Array.of(l, d)),
  bytes(0, 4),
);

/**
 * The outcome an alert payload must have on a connection in `state` (RFC 5246 7.2, connection.ts):
 * a malformed one is a counted drop at epoch 0 (anyone can inject it) and the peer's decode_error
 * under the keys (RFC 8446 5.1: alerts are neither fragmented nor coalesced).
 */
function expectAlertOutcome(
  conn: ReturnType<typeof freshConnection>,
  payload: Uint8Array,
  before: 'handshaking' | 'connected',
  malformedBefore: number,
  epoch: 0 | 1,
): void {
  const valid = payload.length === 2 && (payload[0] === 1 || payload[0] === 2);
  const err = conn.error;
  if (!valid && epoch === 0) {
    assert.equal(conn.state, before);
    assert.equal(conn.stats.dropped.malformed ?? 0, malformedBefore + 1, 'a malformed alert is dropped and counted');
    return;
  }
  if (!valid) {
    assert.equal(conn.state, 'failed');
    assert.ok(err instanceof DtlsError);
    assert.equal(err.code, 'decode_error');
    assert.equal(err.fromPeer, false);
    return;
  }
  const [level, description] = [payload[0]!, payload[1]!];
  if (description === AlertDescription.close_notify && before === 'connected') {
    assert.equal(conn.state, 'closed');
  } else if (level === 2 || description === AlertDescription.close_notify) {
    assert.equal(conn.state, 'failed');
    assert.ok(err instanceof DtlsError);
    assert.equal(err.code, 'peer_alert');
    assert.equal(err.alert, description);
    assert.equal(err.fromPeer, true);
  } else {
    assert.equal(conn.state, before, 'a warning alert does not end the connection');
  }
  if (conn.state !== before) assert.equal(conn.pollTimeout(), undefined, 'no timer after the end');
}

test('alerts through a handshaking Connection (epoch 0, plaintext): typed outcome by level and description', () => {
  const [rec] = recordings();
  fc.assert(
    fc.property(fc.boolean(), alertPayload, fc.nat(50), (asServer, payload, seq) => {
      const side = asServer ? rec!.server : rec!.client;
      const conn = freshConnection(side);
      conn.start(0);
      const malformed = conn.stats.dropped.malformed ?? 0;
      conn.handleDatagram(
        1,
        encodeRecord({ contentType: ContentType.alert, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: seq, fragment: payload }),
      );
      expectAlertOutcome(conn, payload, 'handshaking', malformed, 0);
    }),
    { numRuns: 500 },
  );
});

/**
 * A connected pair whose client can be made to seal any record (type and
 * payload): the hostile-but-authenticated peer of epoch 1.
 */
function forgingPair() {
  let forge: { type: number; payload: Uint8Array } | undefined;
  const pair = connectedPair({
    client: {
      onSeal: (_i, plaintext, aad) => {
        if (!forge) return plaintext;
        const { type, payload } = forge;
        forge = undefined;
        aad[8] = type;
        aad[11] = payload.length >>> 8;
        aad[12] = payload.length & 0xff;
        return payload;
      },
    },
  });
  const send = (type: number, payload: Uint8Array): Uint8Array => {
    forge = { type, payload };
    pair.client.send(pair.now, new Uint8Array(1));
    const d = pair.client.pollTransmit()!;
    d[0] = type; // the record header's type, to match the forged additional data
    return d;
  };
  return { ...pair, send };
}

test('alerts through a connected Connection (epoch 1, authenticated): typed outcome by level and description', () => {
  fc.assert(
    fc.property(alertPayload, (payload) => {
      const { server, now, send } = forgingPair();
      const malformed = server.stats.dropped.malformed ?? 0;
      server.handleDatagram(now + 1, send(ContentType.alert, payload));
      expectAlertOutcome(server, payload, 'connected', malformed, 1);
      if (server.state === 'closed') {
        const reply = server.pollTransmit();
        assert.ok(reply && decodeRecords(reply).records[0]?.contentType === ContentType.alert, 'close_notify is answered with close_notify');
      }
    }),
    { numRuns: 300 },
  );
});

function assertSettledOk(conn: ReturnType<typeof freshConnection>, what: string): void {
  const st = conn.state;
  if (st === 'failed') {
    const e = conn.error;
    assert.ok(e instanceof DtlsError, `${what}: failed without a DtlsError`);
    assert.ok(KNOWN_CODES.has(e.code), `${what}: failed with ${e.code}: ${e.message} ${e.cause instanceof Error ? e.cause.stack : ''}`);
  }
  if (st === 'failed' || st === 'closed') assert.equal(conn.pollTimeout(), undefined, `${what}: timer left after ${st}`);
}

test('any record, of any type and payload, from an authenticated peer: no throw, no internal_error; data arrives intact', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.constantFrom(20, 21, 22, 23, 24, 25, 26), u8),
      fc.oneof(bytes(0, 40), bytes(12, 12), fc.constant(Uint8Array.of(1))),
      (type, payload) => {
        const { server, now, send } = forgingPair();
        assert.doesNotThrow(() => server.handleDatagram(now + 1, send(type, payload)));
        assertSettledOk(server, `type ${type}`);
        const got = server.pollReceived();
        if (type === ContentType.application_data) assert.deepEqual(got, payload);
        else assert.equal(got, undefined);
      },
    ),
    { numRuns: 400 },
  );
});

test('unauthenticated epoch-0 records of any type and payload do not end, or feed data to, an established connection', () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(20, 21, 22, 23), u8), fc.nat(200), fc.oneof(alertPayload, bytes(0, 60), fc.constant(Uint8Array.of(1)))), {
        minLength: 1,
        maxLength: 4,
      }),
      (toServer, recs) => {
        const p = connectedPair();
        const conn = toServer ? p.server : p.client;
        const d = Uint8Array.from(
          recs.flatMap(([contentType, sequenceNumber, fragment]) => [
            ...encodeRecord({ contentType, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber, fragment }),
          ]),
        );
        assert.doesNotThrow(() => conn.handleDatagram(p.now + 1, d));
        assert.equal(conn.state, 'connected', conn.error?.message);
        assert.equal(conn.pollReceived(), undefined);
        let out = 0;
        while (conn.pollTransmit()) out++;
        assert.ok(out <= 4, `${out} datagrams in answer to one unauthenticated datagram`);
      },
    ),
    { numRuns: 400 },
  );
});

test('arbitrary datagrams into client and server Connections, handshaking or connected: no throw, typed failures only', () => {
  const [rec] = recordings();
  const datagram = fc.oneof(
    bytes(0, 200),
    fc
      .array(fc.tuple(fc.constantFrom(20, 21, 22, 23, 22, 22), fc.constantFrom(0xfefd, 0xfeff), fc.nat(2), fc.nat(64), bytes(0, 80)), {
        minLength: 1,
        maxLength: 4,
      })
      .map((rs) =>
        Uint8Array.from(
          rs.flatMap(([contentType, version, epoch, sequenceNumber, fragment]) => [...encodeRecord({ contentType, version, epoch, sequenceNumber, fragment })]),
        ),
      ),
  );
  fc.assert(
    fc.property(
      fc.constantFrom('client', 'server', 'connected-client', 'connected-server'),
      fc.array(datagram, { minLength: 1, maxLength: 4 }),
      (which, ds) => {
        let conn;
        let now = 0;
        if (which.startsWith('connected')) {
          const p = connectedPair();
          conn = which === 'connected-client' ? p.client : p.server;
          now = p.now;
        } else {
          conn = freshConnection(which === 'client' ? rec!.client : rec!.server);
          conn.start(now);
        }
        for (const d of ds) {
          assert.doesNotThrow(() => conn.handleDatagram(++now, d));
          while (conn.pollTransmit());
        }
        for (let i = 0, t = conn.pollTimeout(); i < 40 && t !== undefined; i++, t = conn.pollTimeout()) {
          assert.doesNotThrow(() => conn.handleTimeout(t));
        }
        assertSettledOk(conn, which);
        assert.ok(conn.state !== 'handshaking', 'settles: completes or fails by the handshake timeout');
      },
    ),
    { numRuns: 600 },
  );
});

// ---------------------------------------------------------------------------
// Reassembly with arbitrary (inconsistent, overlapping, huge) fragments.

test('Reassembler: arbitrary fragments never throw, stay within the byte cap, and only whole messages come out', () => {
  const frag = fc.record(
    {
      msgType: fc.constantFrom(1, 2, 11, 20, 255),
      length: fc.oneof(fc.nat(300), fc.constantFrom(0, 0xffffff, 70000)),
      messageSeq: fc.nat(12),
      fragmentOffset: fc.oneof(fc.nat(300), fc.constant(0xffffff)),
      body: bytes(0, 120),
    },
    { noNullPrototype: true },
  );
  fc.assert(
    fc.property(fc.array(frag, { maxLength: 40 }), (fs) => {
      const r = new Reassembler({ maxMessageLength: 4096, maxBufferedBytes: 1024 });
      for (const f of fs) {
        assert.ok(['buffered', 'old', 'dropped'].includes(r.add(f)));
        assert.ok(r.bufferedBytes <= 1024);
        for (let m = r.poll(); m; m = r.poll()) {
          const sent = fs.filter((g) => g.messageSeq === m!.messageSeq && g.msgType === m!.msgType && g.length === m!.body.length);
          assert.ok(sent.length > 0, 'a message someone announced with that type and length');
        }
      }
    }),
    { numRuns: 1000 },
  );
});

// ---------------------------------------------------------------------------
// DER (X.690) primitives and PEM (RFC 7468), beyond parseCertificate.

/** Reads every element recursively and decodes each primitive by its tag. */
function walkDer(buf: Uint8Array, depth = 0): void {
  const r = new DerReader(buf);
  while (!r.done) {
    const t: Tlv = r.read('element');
    if (t.tag & 0x20) {
      if (depth < 10) walkDer(t.value, depth + 1);
      continue;
    }
    switch (t.tag) {
      case Tag.INTEGER:
        decodeInteger(t.value, 'int');
        break;
      case Tag.BIT_STRING:
        decodeBitString(t.value, 'bits');
        break;
      case Tag.OID:
        decodeOid(t.value, 'oid');
        break;
      case Tag.UTCTime:
      case Tag.GeneralizedTime:
        decodeTime(t, 'time');
        break;
      default:
        if (
          [Tag.UTF8String, Tag.PrintableString, Tag.TeletexString, Tag.IA5String, Tag.VisibleString, Tag.UniversalString, Tag.BMPString].includes(t.tag as 0x0c)
        )
          decodeString(t, 'string');
    }
  }
}

const derTag = fc.constantFrom<number>(...Object.values(Tag), 0xa0, 0xa3, 0x80, 0x82, 0x1f, 0x00);
const derTree: fc.Arbitrary<Uint8Array> = fc.letrec<{ node: Uint8Array }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(derTag, bytes(0, 40)).map(([t, v]) => encodeTlv(t & ~0x20, v)),
    fc
      .tuple(fc.constantFrom(Tag.UTCTime, Tag.GeneralizedTime), fc.array(fc.integer({ min: 0x30, max: 0x39 }), { minLength: 12, maxLength: 14 }), fc.boolean())
      .map(([t, digits, z]) => encodeTlv(t, Uint8Array.from([...digits, ...(z ? [0x5a] : [])]))),
    fc
      .tuple(fc.constantFrom(0x30, 0x31, 0xa0, 0xa3), fc.array(tie('node'), { maxLength: 4 }))
      .map(([t, kids]) => encodeTlv(t, Uint8Array.from(kids.flatMap((k) => [...k])))),
  ),
})).node;

test('DER: arbitrary and mutated TLV trees decode or throw DerError', () => {
  fc.assert(
    fc.property(fc.oneof(bytes(0, 200), derTree, corrupt(derTree)), (b) => onlyThrows([DerError], () => walkDer(b))),
    { numRuns: 4000 },
  );
});

test('DER: encode(decode(x)) round trips for INTEGER, OID, times, strings, BIT STRING and long lengths', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 2n ** 200n }), (n) => {
      const enc = encodeInteger(n);
      const v = new DerReader(enc).unsigned('n');
      assert.equal(
        v.reduce((a, b) => (a << 8n) | BigInt(b), 0n),
        n,
      );
      assert.ok(equalBytes(encodeInteger(v), enc));
    }),
  );
  const arc = fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String);
  const oidArb = fc.tuple(fc.nat(2), fc.nat(39), fc.array(arc, { maxLength: 8 })).map(([a, b, rest]) => [a, a === 2 ? b * 100 : b, ...rest].join('.'));
  fc.assert(fc.property(oidArb, (oid) => assert.equal(decodeOid(new DerReader(encodeOid(oid)).read('o').value, 'o'), oid)));
  // Whole seconds from 0000-01-01 to 9999-12-31 (GeneralizedTime's range; UTCTime for 1950-2049).
  const ms = fc.integer({ min: -62167219200, max: 253402300799 }).map((s) => s * 1000);
  fc.assert(
    fc.property(ms, (t) => {
      const enc = encodeTime(t);
      assert.equal(new DerReader(enc).time('t'), t);
    }),
  );
  // Valid-looking time strings: a decoded one re-encodes to itself when it is in its canonical type.
  fc.assert(
    fc.property(fc.boolean(), fc.array(fc.integer({ min: 0x30, max: 0x39 }), { minLength: 14, maxLength: 14 }), (utc, digits) => {
      const s = Uint8Array.from([...digits.slice(utc ? 2 : 0), 0x5a]);
      const tlv = encodeTlv(utc ? Tag.UTCTime : Tag.GeneralizedTime, s);
      let t: number | undefined;
      onlyThrows([DerError], () => (t = new DerReader(tlv).time('t')));
      if (t === undefined) return;
      const y = new Date(t).getUTCFullYear();
      if (utc === (y >= 1950 && y < 2050)) assert.ok(equalBytes(encodeTime(t), tlv), new TextDecoder().decode(s));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => assert.equal(decodeString(new DerReader(encodeUtf8String(s)).read('s'), 's'), s)),
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary-ascii', maxLength: 40 }), (s) => assert.equal(decodeString(new DerReader(encodeIa5String(s)).read('s'), 's'), s)),
  );
  fc.assert(
    fc.property(bytes(0, 40), fc.nat(7), (b, unused) => {
      const u = b.length ? unused : 0;
      const bs = b.slice();
      if (bs.length) bs[bs.length - 1]! &= ~((1 << u) - 1) & 0xff;
      const enc = encodeBitString(bs, u);
      assert.deepEqual(new DerReader(enc).bits('b'), { unusedBits: u, bytes: bs });
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 70000 }), (n) => {
      const enc = encodeSequence(new Uint8Array(n));
      const t = new DerReader(enc).read('seq');
      assert.equal(t.value.length, n);
      assert.ok(equalBytes(encodeTlv(t.tag, t.value), enc));
    }),
    { numRuns: 50 },
  );
});

const pemLabel = fc.oneof(
  fc.constantFrom('CERTIFICATE', 'PRIVATE KEY', 'EC PRIVATE KEY', 'X509 CRL'),
  fc.array(fc.stringMatching(/^[A-Z0-9]{1,8}$/), { minLength: 1, maxLength: 3 }).map((w) => w.join(' ')),
);

test('PEM: arbitrary and mangled text decodes or throws PemError; encodePem/decodePem round trip', () => {
  const line = fc.oneof(
    fc.string({ maxLength: 70 }),
    pemLabel.map((l) => `-----BEGIN ${l}-----`),
    pemLabel.map((l) => `-----END ${l}-----`),
    fc.stringMatching(/^[A-Za-z0-9+/]{0,64}={0,3}$/),
    fc.constant('Proc-Type: 4,ENCRYPTED'),
    fc.constant(''),
  );
  const text = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.tuple(fc.array(line, { maxLength: 10 }), fc.constantFrom('\n', '\r\n', '\r')).map(([ls, eol]) => ls.join(eol)),
  );
  fc.assert(
    fc.property(text, (s) => onlyThrows([PemError], () => decodePem(s))),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(pemLabel, bytes(1, 300), (label, der) => {
      const [block, ...rest] = decodePem(encodePem(label, der));
      assert.equal(rest.length, 0);
      assert.equal(block!.label, label);
      assert.ok(equalBytes(block!.der, der));
    }),
  );
});

test('decodePrivateKeyPem: any text or mutated key is a key or a TypeError (configuration error)', () => {
  const keys = [fuzzCerts().server!, fuzzCerts().server384!];
  const sec1 = (k: (typeof keys)[number]) =>
    encodeSequence(
      encodeInteger(1),
      encodeTlv(Tag.OCTET_STRING, k.privateKey),
      encodeTlv(0xa0, encodeOid(k.curve === 'P-256' ? '1.2.840.10045.3.1.7' : '1.3.132.0.34')),
    );
  const valid = fc.constantFrom(...keys).map(sec1);
  fc.assert(
    fc.property(fc.oneof(valid, corrupt(valid), bytes(0, 80)), fc.constantFrom('EC PRIVATE KEY', 'PRIVATE KEY'), (der, label) => {
      onlyThrows([TypeError], () => {
        const k = decodePrivateKeyPem(encodePem(label, der.length ? der : Uint8Array.of(0)));
        assert.equal(k.privateKey.length, k.curve === 'P-256' ? 32 : 48);
      });
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => onlyThrows([TypeError], () => decodePrivateKeyPem(s))),
    { numRuns: 500 },
  );
});

// ---------------------------------------------------------------------------
// The crypto provider's operations on peer-supplied bytes.

test('nobleProvider.ecdh: any peer key is a shared secret or DtlsError(illegal_parameter)', () => {
  const shares = {
    x25519: nobleProvider.generateKeyShare('x25519'),
    secp256r1: nobleProvider.generateKeyShare('secp256r1'),
    secp384r1: nobleProvider.generateKeyShare('secp384r1'),
  };
  const group = fc.constantFrom('x25519', 'secp256r1', 'secp384r1') as fc.Arbitrary<keyof typeof shares>;
  const peerKey = fc.oneof(
    bytes(0, 100),
    bytes(32, 32),
    fc.tuple(fc.constantFrom(2, 3, 4, 0), bytes(64, 64)).map(([p, b]) => Uint8Array.from([p, ...b])),
    fc.tuple(fc.constantFrom(4), bytes(96, 96)).map(([p, b]) => Uint8Array.from([p, ...b])),
    fc.constantFrom(...Object.values(shares).map((s) => s.publicKey)),
    corrupt(fc.constantFrom(...Object.values(shares).map((s) => s.publicKey))),
  );
  fc.assert(
    fc.property(group, peerKey, (g, pk) => {
      try {
        const s = nobleProvider.ecdh(g, shares[g].privateKey, pk);
        assert.equal(s.length, g === 'secp384r1' ? 48 : 32);
      } catch (e) {
        assert.ok(e instanceof DtlsError && e.code === 'illegal_parameter', `threw ${String(e)}`);
      }
    }),
    { numRuns: 600 },
  );
});

test('nobleProvider.ecdsaVerify: any key and signature give a boolean, never a throw', () => {
  const c = fuzzCerts();
  const pub256 = nobleProvider.ecdsaPublicKey('P-256', c.server!.privateKey);
  const sig = nobleProvider.ecdsaSign('P-256', 'sha256', c.server!.privateKey, Uint8Array.of(1, 2, 3));
  fc.assert(
    fc.property(
      fc.constantFrom('P-256', 'P-384') as fc.Arbitrary<'P-256' | 'P-384'>,
      fc.oneof(fc.constant(pub256), corrupt(fc.constant(pub256)), bytes(0, 100)),
      fc.oneof(fc.constant(sig), corrupt(fc.constant(sig)), bytes(0, 110)),
      (curve, pub, s) => {
        let v: unknown;
        assert.doesNotThrow(() => (v = nobleProvider.ecdsaVerify(curve, 'sha256', pub, Uint8Array.of(1, 2, 3), s)));
        assert.equal(typeof v, 'boolean');
        if (v === true) assert.ok(curve === 'P-256' && equalBytes(pub, pub256));
      },
    ),
    { numRuns: 500 },
  );
});

test('AEAD open (GCM, ChaCha20-Poly1305, CCM, CCM_8): anything not sealed under the key is null, never a throw', () => {
  const aeads = fc.constantFrom(
    () => nobleProvider.aead('aes-128-gcm', new Uint8Array(16).fill(1)),
    () => nobleProvider.aead('aes-256-gcm', new Uint8Array(32).fill(1)),
    () => nobleProvider.aead('chacha20-poly1305', new Uint8Array(32).fill(1)),
    () => aesCcm(new Uint8Array(16).fill(1), 16),
    () => aesCcm(new Uint8Array(32).fill(1), 8),
  );
  fc.assert(
    fc.property(aeads, bytes(12, 12), bytes(0, 80), bytes(0, 13), fc.nat(), (make, nonce, plain, aad, bit) => {
      const a = make();
      const sealed = a.seal(nonce, plain, aad);
      assert.equal(sealed.length, plain.length + a.tagLength);
      assert.deepEqual(a.open(nonce, sealed, aad), plain);
      const bad = sealed.slice();
      const b = bit % (bad.length * 8);
      bad[b >>> 3]! ^= 1 << (b & 7);
      assert.equal(a.open(nonce, bad, aad), null);
      assert.equal(a.open(nonce, sealed.subarray(0, bit % sealed.length), aad), null);
    }),
    { numRuns: 400 },
  );
});

test('classifyPacket: any packet has a class or none, never a throw', () => {
  fc.assert(
    fc.property(bytes(0, 8), fc.boolean(), (b, turn) => {
      const c = classifyPacket(b, { turnChannels: turn });
      assert.ok(c === undefined || PACKET_CLASSES.includes(c));
      if (b.length && b[0]! >= 20 && b[0]! <= 63) assert.equal(c, 'dtls');
    }),
  );
});

// Keep DecodeError referenced: the wire decoders' typed error, which DerError and PemError extend.
test('DerError and PemError are DecodeErrors (typed, carrying decode_error)', () => {
  assert.ok(new DerError('x') instanceof DecodeError);
  assert.ok(new PemError('x') instanceof DecodeError);
  assert.equal(new DerError('x').code, 'decode_error');
});

test('cookie secrets rotate: a cookie is accepted for one to two periods, then refused', async () => {
  const { createCookieGate } = await import('../../src/handshake/cookie.ts');
  const { nobleProvider } = await import('../../src/crypto/noble.ts');
  const { encodeClientHello } = await import('../../src/wire/messages/client-hello.ts');
  const { encodeHandshakeMessage } = await import('../../src/wire/handshake-header.ts');
  const { encodeRecord, decodeRecords } = await import('../../src/wire/record.ts');
  const { decodeHandshakeFragments } = await import('../../src/wire/handshake-header.ts');
  const { decodeHelloVerifyRequest } = await import('../../src/wire/messages/hello-verify-request.ts');
  const hello = (cookie: Uint8Array) =>
    encodeRecord({
      contentType: 22,
      version: 0xfefd,
      epoch: 0,
      sequenceNumber: 0,
      fragment: encodeHandshakeMessage({
        msgType: 1,
        messageSeq: 0,
        body: encodeClientHello({
          version: 0xfefd,
          random: new Uint8Array(32).fill(5),
          sessionId: new Uint8Array(0),
          cookie,
          cipherSuites: [0xc02b],
          compressionMethods: [0],
          extensions: [],
        }),
      }),
    });
  const gate = createCookieGate({ crypto: nobleProvider, rotateAfter: 1000 });
  const first = gate.check(hello(new Uint8Array(0)), 'p', 0);
  assert.equal(first.action, 'reply');
  const hvr = decodeHelloVerifyRequest(decodeHandshakeFragments(decodeRecords((first as { datagram: Uint8Array }).datagram).records[0]!.fragment)[0]!.body);
  const cookie = hvr.cookie.slice();
  assert.equal(gate.check(hello(cookie), 'p', 500).action, 'accept');
  assert.equal(gate.check(hello(cookie), 'p', 1500).action, 'accept', 'previous secret still accepted');
  assert.equal(gate.check(hello(cookie), 'p', 2600).action, 'reply', 'two rotations later the cookie is refused');
});
