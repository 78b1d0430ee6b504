// Attacks on a listen() server with the real core and the real cookie gate:
// ClientHello floods (in memory from thousands of source ports, and over real
// UDP on 127.0.0.1), garbage floods, fragment floods against the reassembly
// cap, and slow or silent clients next to well-behaved ones. Time is a
// ManualClock except on real sockets; every wait is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { Connection } from '../../src/connection.ts';
import { DEFAULTS, resolveOptions } from '../../src/options.ts';
import type { DtlsError } from '../../src/errors.ts';
import { Reassembler } from '../../src/reliability/reassembly.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { encodeHandshakeFragment, encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { encodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { ContentType, HandshakeType, ProtocolVersion, type HandshakeFragment } from '../../src/wire/types.ts';
import { ManualClock } from '../../src/stream/clock.ts';
import { connect } from '../../src/stream/connect.ts';
import { listen } from '../../src/stream/server.ts';
import { bindUdp, nodeUdpConnected, nodeUdpSocket } from '../../src/adapters/node.ts';
import { Rng } from '../../src/testing/index.ts';
import { settle } from './fake-connection.ts';
import { cert, clientOptions, echoOnce, enc, handshakeRecord, memoryNet, rawClient, realServer, streamClient, until, type Net } from './memory-server.ts';

/** Seeded PRNG (the simulator's mulberry32): the same floods on every run. */
function rng(seed: number) {
  const r = new Rng(seed);
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => r.int(256));
  return { next: () => r.next(), int: (n: number) => r.int(n), bytes };
}

/** Like until(), on real sockets: polls every 5 ms for at most `ms`. */
async function eventually(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  for (let waited = 0; waited < ms; waited += 5) {
    if (cond()) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
  assert.fail(`still waiting for: ${what}`);
}

function record(contentType: number, epoch: number, seq: number, fragment: Uint8Array, version: number = ProtocolVersion.DTLS1_2): Uint8Array {
  return encodeRecord({ contentType, version, epoch, sequenceNumber: seq, fragment });
}

/** A ClientHello datagram built field by field. */
function helloDatagram(o: { random: Uint8Array; cookie?: Uint8Array; sessionId?: Uint8Array; suites?: number }): Uint8Array {
  const body = encodeClientHello({
    version: ProtocolVersion.DTLS1_2,
    random: o.random,
    sessionId: o.sessionId ?? new Uint8Array(0),
    cookie: o.cookie ?? new Uint8Array(0),
    cipherSuites: Array.from({ length: o.suites ?? 1 }, (_, i) => (i === 0 ? 0xc02b : 0x1000 + i)),
    compressionMethods: [0],
    extensions: [],
  });
  return record(ContentType.handshake, 0, 0, encodeHandshakeMessage({ msgType: HandshakeType.client_hello, messageSeq: 0, body }), ProtocolVersion.DTLS1_0);
}

/** The cookie of a HelloVerifyRequest datagram (record 13 + handshake 12 + version 2 bytes, then cookie<0..255>). */
function cookieOf(hvr: Uint8Array): Uint8Array {
  assert.equal(hvr[13], HandshakeType.hello_verify_request);
  return hvr.slice(28, 28 + hvr[27]!);
}

/** Every reply the server sent is no larger than the datagram (from that port) that caused it. */
function assertNoAmplification(net: Net, triggers: Map<number, Uint8Array>): void {
  for (const d of net.sent) {
    const trigger = triggers.get(d.port);
    assert.ok(trigger, `a reply to port ${d.port}, which sent nothing`);
    assert.ok(d.data.length <= trigger.length, `reply of ${d.data.length} bytes to a ${trigger.length}-byte datagram`);
  }
}

test('ClientHello flood without cookies from 2,000 source ports: no per-client state, no reply larger than its ClientHello', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving } = realServer(net, clock);
  const r = rng(1);
  const triggers = new Map<number, Uint8Array>();
  const shapes = [
    // A real client's first flight.
    () => {
      const c = new Connection(clientOptions);
      c.start(0);
      return c.pollTransmit()!;
    },
    // The smallest the cookie gate will parse: version, random, empty session_id and cookie (61 bytes).
    () =>
      record(
        ContentType.handshake,
        0,
        0,
        encodeHandshakeMessage({ msgType: HandshakeType.client_hello, messageSeq: 0, body: Uint8Array.of(0xfe, 0xfd, ...r.bytes(32), 0, 0) }),
      ),
    // A minimal complete ClientHello, one with a wrong cookie, one with a session id and many suites.
    () => helloDatagram({ random: r.bytes(32) }),
    () => helloDatagram({ random: r.bytes(32), cookie: r.bytes(32) }),
    () => helloDatagram({ random: r.bytes(32), sessionId: r.bytes(32), suites: 100 }),
    // The first fragment of a ClientHello too large for one datagram.
    () => {
      const body = encodeClientHello({
        version: ProtocolVersion.DTLS1_2,
        random: r.bytes(32),
        sessionId: new Uint8Array(0),
        cookie: new Uint8Array(0),
        cipherSuites: Array.from({ length: 700 }, (_, i) => 0x1000 + i),
        compressionMethods: [0],
        extensions: [],
      });
      return handshakeRecord(0, [{ msgType: HandshakeType.client_hello, length: body.length, messageSeq: 0, fragmentOffset: 0, body: body.subarray(0, 300) }]);
    },
  ];
  for (let i = 0; i < 2000; i++) {
    const port = 20_000 + i;
    const d = shapes[i % shapes.length]!();
    triggers.set(port, d);
    net.send(d, '203.0.113.7', port);
    if (i % 100 === 0) assert.equal(server.size, 0);
  }
  await until(() => server.stats.cookieReplies + server.stats.droppedUnknown + server.stats.heldFragments === 2000, 'every ClientHello answered or dropped');
  const s = server.stats;
  // The first fragments (one shape in six) are held by the 1.3-capable gate, bounded, until whole; every other one got a HelloVerifyRequest.
  const fragments = Math.floor((2000 - 6) / 6) + 1;
  assert.equal(s.heldFragments, fragments);
  assert.equal(s.cookieReplies, 2000 - fragments, 'each whole one got a HelloVerifyRequest');
  assert.equal(s.accepted, 0);
  assert.equal(server.size, 0);
  assert.equal(server.handshaking, 0);
  assert.equal(s.droppedBackpressure, 0);
  assert.equal(net.sent.length, 2000 - fragments);
  assertNoAmplification(net, triggers);
  assert.equal(Math.max(...net.sent.map((d) => d.data.length)), 60, 'a HelloVerifyRequest with a 32-byte cookie');
  assert.equal(Math.min(...[...triggers.values()].map((d) => d.length)), 61);

  // Cookies are bound to the address|port and the ClientHello's random.
  const random = r.bytes(32);
  net.send(helloDatagram({ random }), '203.0.113.8', 1);
  await until(() => net.sent.length === 2001 - fragments, 'a cookie');
  const cookie = cookieOf(net.sent.at(-1)!.data);
  net.send(helloDatagram({ random, cookie }), '203.0.113.8', 2); // another port
  net.send(helloDatagram({ random, cookie }), '203.0.113.9', 1); // another address
  net.send(helloDatagram({ random: r.bytes(32), cookie }), '203.0.113.8', 1); // another random
  await until(() => net.sent.length === 2004 - fragments, 'three more HelloVerifyRequests');
  assert.equal(server.stats.accepted, 0);
  net.send(helloDatagram({ random, cookie }), '203.0.113.8', 1);
  await until(() => server.stats.accepted === 1, 'the returned cookie is accepted');

  // Real clients that return their cookies get state, and only they do.
  const clients = Array.from({ length: 5 }, (_, i) => streamClient(net, clock, '198.51.100.1', 30_000 + i));
  await Promise.all(clients.map((c) => c.handshake));
  assert.equal(server.stats.handshakes, 5);
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
  await serving;
});

test('ClientHello flood over real UDP on 127.0.0.1 from 40 sockets: no state, no amplification; a real client still connects', async () => {
  const serverSock = await bindUdp({ address: '127.0.0.1' });
  const server = listen(nodeUdpSocket(serverSock, { highWaterMark: 1024 }), { certificate: cert });
  const port = serverSock.address().port;
  const socks: Socket[] = await Promise.all(Array.from({ length: 40 }, () => bindUdp({ address: '127.0.0.1' })));
  const smallest = new Map<number, number>();
  const replies: { port: number; size: number }[] = [];
  try {
    for (const s of socks) {
      const p = s.address().port;
      s.on('message', (msg) => replies.push({ port: p, size: msg.length }));
      for (let i = 0; i < 5; i++) {
        const c = new Connection(clientOptions);
        c.start(0);
        const hello = c.pollTransmit()!;
        smallest.set(p, Math.min(smallest.get(p) ?? Infinity, hello.length));
        s.send(hello, port, '127.0.0.1');
      }
    }
    await eventually(
      () => server.stats.cookieReplies + server.stats.droppedBackpressure === 200 && replies.length === server.stats.cookieReplies,
      'the flood handled',
    );
    assert.equal(server.size, 0);
    assert.equal(server.stats.accepted, 0);
    assert.ok(server.stats.cookieReplies >= 150, `answered ${server.stats.cookieReplies}`);
    for (const { port: p, size } of replies) assert.ok(size <= smallest.get(p)!, `${size} > ${smallest.get(p)}`);

    const clientSock = await bindUdp({ address: '127.0.0.1' });
    const dtls = await connect(nodeUdpConnected(clientSock, '127.0.0.1', port), { verify: { fingerprints: [cert.fingerprint] } });
    assert.equal(server.size, 1);
    await dtls.close();
    await new Promise<void>((resolve) => clientSock.close(() => resolve()));
  } finally {
    await server.close();
    await Promise.all([serverSock, ...socks].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
});

/** Garbage of many kinds (epoch-0 alerts have their own test below). */
function garbage(r: ReturnType<typeof rng>, i: number): Uint8Array {
  switch (i % 7) {
    case 0:
      return r.bytes(1 + r.int(1500));
    case 1: // a truncated record header
      return Uint8Array.of(ContentType.handshake, 0xfe, 0xfd, ...r.bytes(r.int(10)));
    case 2: // a header claiming more than the datagram holds
      return Uint8Array.of(ContentType.handshake, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0x40, 0, ...r.bytes(20));
    case 3: // a record of a keyed epoch, content type handshake or application data, random bytes
      return record(r.int(2) ? ContentType.application_data : ContentType.handshake, 1 + r.int(3), r.int(1e6), r.bytes(16 + r.int(200)));
    case 4: // epoch-0 handshake records with random bodies
      return record(ContentType.handshake, 0, r.int(1e6), r.bytes(1 + r.int(300)));
    case 5: // a ClientHello fragment that is not the first, or another message type
      return handshakeRecord(r.int(1e6), [
        {
          msgType: r.int(2) ? HandshakeType.client_hello : HandshakeType.client_key_exchange,
          length: 400,
          messageSeq: 0,
          fragmentOffset: r.int(2) ? 100 : 0,
          body: r.bytes(100),
        },
      ]);
    default: // a bad record version, or epoch-0 application data
      return r.int(2) ? record(ContentType.handshake, 0, r.int(1e6), r.bytes(60), 0x0303) : record(ContentType.application_data, 0, r.int(1e6), r.bytes(40));
  }
}

test('a flood of 3,000 garbage datagrams makes no state; at an established peer it is dropped, counted, and the connection goes on', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving, conns } = realServer(net, clock);
  const r = rng(2);
  const triggers = new Map<number, Uint8Array>();
  for (let i = 0; i < 3000; i++) {
    const d = garbage(r, i);
    triggers.set(10_000 + i, d);
    net.send(d, '192.0.2.66', 10_000 + i);
  }
  await until(() => server.stats.cookieReplies + server.stats.droppedUnknown + server.stats.heldFragments === 3000, 'every datagram handled');
  assert.equal(server.stats.accepted, 0);
  assert.equal(server.size, 0);
  assertNoAmplification(net, triggers);

  const dtls = streamClient(net, clock, '192.0.2.1', 443);
  await dtls.handshake;
  const conn = conns[0]!;
  const before = conn.stats.datagramsIn;
  for (let i = 0; i < 1000; i++) net.send(garbage(r, i), '192.0.2.1', 443);
  await until(() => conn.stats.datagramsIn === before + 1000, 'the garbage delivered');
  assert.equal(conn.state, 'connected');
  const drops = server.stats.droppedRecords;
  const total = Object.values(drops).reduce((a, b) => a + b, 0);
  // Nearly every one is a counted drop (a random epoch-0 handshake body can also
  // parse as a retransmitted old message: that is not a drop).
  assert.ok(total >= 900, `${total} drops: ${JSON.stringify(drops)}`);
  for (const reason of ['malformed', 'auth_failed', 'bad_version'] as const) assert.ok(drops[reason]! > 0, reason);
  assert.equal(await echoOnce(dtls, 'unharmed'), 'unharmed');
  await dtls.close();
  await server.close();
  await serving;
});

test("spoofed from an established peer's address: unauthenticated epoch-0 alerts do not end the connection, epoch-0 records do not keep it from idling out", async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving, conns } = realServer(net, clock, { idleTimeout: 10_000 });
  const dtls = streamClient(net, clock, '192.0.2.2', 443);
  await dtls.handshake;
  assert.equal(await echoOnce(dtls, 'hi'), 'hi');
  const before = conns[0]!.stats.datagramsIn;
  net.send(record(ContentType.alert, 0, 1000, Uint8Array.of(2, 40)), '192.0.2.2', 443); // fatal handshake_failure
  net.send(record(ContentType.alert, 0, 1001, Uint8Array.of(1, 0)), '192.0.2.2', 443); // close_notify
  await until(() => conns[0]!.stats.datagramsIn === before + 2, 'the alerts delivered');
  assert.equal(conns[0]!.stats.dropped.stale_epoch, 2);
  assert.equal(conns[0]!.state, 'connected');
  assert.equal(await echoOnce(dtls, 'still here'), 'still here');
  // Nothing authenticated for 10 s, only spoofed epoch-0 records every 4 s: it idles out.
  for (let i = 0; i < 3; i++) {
    clock.advance(4000);
    net.send(record(ContentType.application_data, 0, 2000 + i, Uint8Array.of(1)), '192.0.2.2', 443);
    net.send(record(ContentType.handshake, 0, 3000 + i, Uint8Array.of(HandshakeType.client_hello)), '192.0.2.2', 443);
    await settle();
  }
  await until(() => server.stats.idleTimeouts === 1, 'idle timeout');
  assert.equal(server.size, 0);
  await dtls.close();
  await server.close();
  await serving;
});

test("RFC 6347 4.2.8 at an established peer's address: a new ClientHello gets only a HelloVerifyRequest, a returned cookie replaces the connection, a late duplicate does not replace it again", async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving, conns, accepted } = realServer(net, clock);
  const first = rawClient(net, clock, '192.0.2.4', 4433);
  await until(() => first.conn.state === 'connected', 'first connected');
  await until(() => accepted.length === 1, 'offered');
  const original = net.sent.length;
  // The client's cookie-bearing ClientHello, as a duplicate delayed in the network.
  const client = new Connection(clientOptions);
  client.start(0);
  const hello1 = client.pollTransmit()!;

  // A spoofer (or the restarted client's first try): a new random, no cookie.
  net.send(hello1, '192.0.2.4', 4433);
  await until(() => net.sent.length === original + 1, 'a HelloVerifyRequest');
  const hvr = net.sent.at(-1)!.data;
  assert.equal(hvr[13], HandshakeType.hello_verify_request);
  assert.ok(hvr.length <= hello1.length);
  assert.equal(conns.length, 1);
  assert.equal(conns[0]!.state, 'connected');

  // The restarted client returns the cookie: a new connection replaces the old one.
  client.handleDatagram(0, hvr);
  const hello2 = client.pollTransmit()!;
  net.send(hello2, '192.0.2.4', 4433);
  await until(() => conns.length === 2, 'a new connection');
  assert.equal(server.stats.restarts, 1);
  assert.equal(server.size, 1);
  await until(() => accepted[0]!.state === 'closed', 'the old one closed');

  // A late duplicate of that ClientHello goes to the new connection, which treats it as a retransmission.
  net.send(hello2, '192.0.2.4', 4433);
  await until(() => conns[1]!.stats.datagramsIn === 2, 'the duplicate delivered');
  assert.equal(conns.length, 2);
  assert.equal(server.stats.restarts, 1);
  await server.close();
  await serving;
});

test('fragment floods (never-completing, overlapping, huge claimed lengths, inconsistent, far ahead, malformed) stay within maxReassemblyBytes; others still connect', async () => {
  let maxBuffered = 0;
  const add = Reassembler.prototype.add;
  Reassembler.prototype.add = function (this: Reassembler, f) {
    const res = add.call(this, f);
    maxBuffered = Math.max(maxBuffered, this.bufferedBytes);
    return res;
  };
  try {
    const clock = new ManualClock();
    const net = memoryNet();
    const { server, serving, conns, errors } = realServer(net, clock, { handshakeTimeout: 5000 });
    const cap = DEFAULTS.limits.maxReassemblyBytes;
    const max = DEFAULTS.limits.maxHandshakeMessage;

    // Without a cookie, fragments make no connection: the gate holds them, within its own bounds.
    for (let i = 0; i < 200; i++) {
      const f = { msgType: HandshakeType.client_hello, length: max, messageSeq: 0, fragmentOffset: 1 + i, body: new Uint8Array(100) };
      net.send(handshakeRecord(i, [f]), '192.0.2.99', 5000 + i);
    }
    await until(() => server.stats.heldFragments === 200, 'cookieless fragments held by the gate');
    assert.equal(server.stats.accepted, 0);
    assert.equal(server.size, 0);

    const hostile = rawClient(net, clock, '192.0.2.10', 666, { silentAfterCookie: true });
    await until(() => conns.length === 1, 'hostile peer accepted');
    const conn = conns[0]!;
    let seq = 100; // fresh record sequence numbers, or the replay window would drop repeats
    const frag = (messageSeq: number, length: number, fragmentOffset: number, size: number): HandshakeFragment => ({
      msgType: HandshakeType.certificate,
      length,
      messageSeq,
      fragmentOffset,
      body: new Uint8Array(size).fill(messageSeq),
    });
    const round = (): Uint8Array[] => {
      const flood: Uint8Array[] = [];
      // Never-completing messages of the largest allowed length, for every seq in the window.
      for (let s = 2; s < 10; s++) flood.push(handshakeRecord(seq++, [frag(s, max, 0, 1000)]));
      // Overlapping fragments that never cover the last byte, many to a record.
      for (let off = 0; off + 40 * 50 + 100 < max; off += 5000) {
        const frags = Array.from({ length: 40 }, (_, k) => frag(2, max, off + k * 50, 100));
        flood.push(handshakeRecord(seq++, frags));
      }
      // Huge claimed lengths, inconsistent lengths, far-ahead sequence numbers.
      for (let s = 2; s < 10; s++) flood.push(handshakeRecord(seq++, [frag(s, 0xffffff, 0, 500)]));
      for (let s = 2; s < 6; s++) flood.push(handshakeRecord(seq++, [frag(s, 1000, 0, 100)]));
      for (let s = 10; s < 2000; s += 97) flood.push(handshakeRecord(seq++, [frag(s, max, 0, 100)]));
      // A fragment running past its claimed length: malformed.
      const bad = encodeHandshakeFragment(frag(2, 200, 0, 100));
      bad[3] = 50; // length 200 -> 50, fragment_length still 100
      flood.push(record(ContentType.handshake, 0, seq++, bad));
      return flood;
    };
    let sent = 0;
    for (let i = 0; i < 20; i++)
      for (const d of round()) {
        net.send(d, '192.0.2.10', 666);
        sent++;
      }

    // Well-behaved clients handshake meanwhile.
    const good = Array.from({ length: 3 }, (_, i) => streamClient(net, clock, '198.51.100.2', 40_000 + i));
    await Promise.all(good.map((g) => g.handshake));
    await until(() => conn.stats.datagramsIn >= 1 + sent, 'the flood delivered');
    assert.ok(maxBuffered <= cap, `buffered ${maxBuffered} > ${cap}`);
    assert.equal(maxBuffered, cap, 'filled exactly to the cap');
    assert.equal(conn.state, 'handshaking', 'never completes');
    assert.ok(conn.stats.dropped.reassembly_limit! > 20 * 20, `reassembly drops ${conn.stats.dropped.reassembly_limit}`);
    assert.ok(conn.stats.dropped.malformed! >= 20);
    for (const g of good) assert.equal(await echoOnce(g, 'fine'), 'fine');

    // The flooding peer goes at its handshake timeout.
    clock.advance(5000);
    await until(() => server.size === 3, 'hostile peer removed');
    assert.equal(server.stats.handshakeTimeouts, 1);
    assert.equal(errors[0]!.port, 666);
    assert.ok(hostile.received.length >= 1);
    await Promise.all(good.map((g) => g.close()));
    await server.close();
    await serving;
    assert.equal(clock.pending, 0);
  } finally {
    Reassembler.prototype.add = add;
  }
});

test('one silent client, one slow client and one slow reader never stall other handshakes on the same server', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const HOG = 7777;
  const { server, serving, accepted, errors } = realServer(net, clock, { handshakeTimeout: 10_000 }, (port) => port === HOG);

  const silent = rawClient(net, clock, '192.0.2.20', 1, { silentAfterCookie: true });
  // The slow client reads the server's flight but holds back its answer.
  const slow = rawClient(net, clock, '192.0.2.21', 2, { pauseAfterCookie: true });
  await until(() => server.handshaking === 2 && slow.held.length > 0, 'both hanging');

  // A client whose data the server application never reads.
  const hog = streamClient(net, clock, '192.0.2.22', HOG);
  await hog.handshake;
  const w = hog.outbound.writable.getWriter();
  for (let i = 0; i < 200; i++) await w.write(enc(`message ${i}`));
  w.releaseLock();

  const others = Array.from({ length: 8 }, (_, i) => streamClient(net, clock, '198.51.100.3', 50_000 + i));
  await Promise.all(others.map((o) => o.handshake));
  for (const [i, o] of others.entries()) assert.equal(await echoOnce(o, `client ${i}`), `client ${i}`);
  assert.equal(silent.conn.state, 'handshaking');
  assert.equal(server.handshaking, 2);
  const hogServerSide = accepted.find((c) => c.remote!.port === HOG)!;
  await until(() => hogServerSide.stats.inboundOverflow === 200 - 64, 'the unread messages overflow, bounded');

  // The slow one finishes late; the silent one goes at its timeout.
  slow.resume();
  await until(() => slow.conn.state === 'connected', 'slow client connected');
  clock.advance(10_000);
  await until(() => server.handshaking === 0, 'silent peer gone');
  assert.equal(server.stats.handshakeTimeouts, 1);
  assert.deepEqual(
    errors.map((e) => [e.port, (e.error as DtlsError).code]),
    [[1, 'handshake_timeout']],
  );
  assert.equal(server.stats.handshakes, 1 + 8 + 1);
  await Promise.all([hog, ...others].map((o) => o.close()));
  await server.close();
  await serving;
});

test('a flood of partial ClientHellos from 3,000 addresses: the gate holds at most its caps (oldest out first), no connection is made, and a client whose DTLS 1.3 ClientHello spans datagrams still connects', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving, gate13 } = realServer(net, clock);
  assert.ok(gate13, 'the default server speaks 1.3');
  const r = rng(5);
  let most = { peers: 0, bytes: 0 };
  for (let i = 0; i < 3000; i++) {
    // The first 1,000 bytes of a claimed 60,000-byte ClientHello, each from its own address|port.
    const f = { msgType: HandshakeType.client_hello, length: 60_000, messageSeq: 0, fragmentOffset: 0, body: r.bytes(1000) };
    net.send(handshakeRecord(i, [f]), `198.18.${i >> 8}.${i & 255}`, 7000);
    if (i % 100 === 99) {
      await until(() => server.stats.heldFragments + server.stats.droppedUnknown === i + 1, 'the flood handled');
      const h = gate13.held;
      most = { peers: Math.max(most.peers, h.peers), bytes: Math.max(most.bytes, h.bytes) };
    }
  }
  assert.equal(server.size, 0);
  assert.equal(net.sent.length, 0, 'nothing sent to a partial ClientHello');
  assert.ok(most.peers <= 256 && most.bytes <= 1 << 20, JSON.stringify(most));
  assert.equal(most.peers, 256, 'the peer cap binds (256 x 1 KB is under the byte cap)');
  assert.equal(gate13.holds('198.18.0.0|7000'), false, 'the oldest went first');

  // A 1.3 client at MTU 256: its ClientHello in pieces, reassembled by the gate, answered with a HelloRetryRequest.
  const o = resolveOptions({ role: 'client', mtu: 256, verify: { fingerprints: [cert.fingerprint] } });
  const dtls = streamClient(net, clock, '192.0.2.13', 1300, o);
  const info = await dtls.handshake;
  assert.equal(info.version, 'DTLS 1.3');
  assert.equal(await echoOnce(dtls, 'through the flood'), 'through the flood');
  await dtls.close();
  await server.close();
  await serving;
});

test('RFC 6347 4.2.8 with a DTLS 1.3 ClientHello in pieces at an established peer address|port: the gate gathers the pieces, the returned cookie replaces the connection', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving, gate13 } = realServer(net, clock);
  const o = resolveOptions({ role: 'client', mtu: 256, verify: { fingerprints: [cert.fingerprint] } });
  const first = streamClient(net, clock, '192.0.2.48', 4848, o);
  assert.equal((await first.handshake).version, 'DTLS 1.3');
  const held = server.stats.heldFragments;
  // The client restarts on the same address|port (a new random): its ClientHello spans datagrams again.
  const second = streamClient(net, clock, '192.0.2.48', 4848, o);
  assert.equal((await second.handshake).version, 'DTLS 1.3');
  assert.equal(server.stats.restarts, 1);
  assert.ok(server.stats.heldFragments > held, 'the new pieces went to the gate, not only to the old connection');
  assert.equal(gate13!.holds('192.0.2.48|4848'), false);
  assert.equal(server.size, 1);
  assert.equal(await echoOnce(second, 'restarted'), 'restarted');
  await second.close();
  await server.close();
  await serving;
});
