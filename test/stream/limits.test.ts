// listen()'s limits, each reached with the real core over an in-memory socket
// and a ManualClock: maxConnections, maxHandshakes, handshakeTimeout,
// idleTimeout, and the per-peer memory limits passed through to each connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { resolveOptions, type DtlsOptions } from '../../src/options.ts';
import { DtlsError } from '../../src/errors.ts';
import { Reassembler } from '../../src/reliability/reassembly.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { ContentType, HandshakeType, ProtocolVersion, type HandshakeFragment } from '../../src/wire/types.ts';
import { ManualClock } from '../../src/stream/clock.ts';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { LISTEN_DEFAULTS, listen } from '../../src/stream/server.ts';
import type { Datagram } from '../../src/adapters/types.ts';
import { FakeConnection, settle } from './fake-connection.ts';
import { certs } from '../handshake/helpers.ts';
import { cert, clientOptions, echoOnce, handshakeRecord, memoryNet, noop, rawClient, realServer, streamClient, until } from './memory-server.ts';

test('listen() defaults: maxConnections 1000, maxHandshakes 200, idleTimeout 5 min for each peer; Infinity turns idle off; bad values throw', async () => {
  assert.deepEqual(LISTEN_DEFAULTS, { maxConnections: 1000, maxHandshakes: 200, idleTimeout: 300_000 });
  const given: DtlsOptions[] = [];
  const hooks = {
    createConnection: (o: DtlsOptions) => (given.push(o), new FakeConnection('server')),
    cookieGate: null,
  };
  const net = memoryNet();
  const a = listen(net.socket, { limits: { maxReassemblyBytes: 1234 } }, hooks);
  net.send(Uint8Array.of(ContentType.handshake), '127.0.0.1', 1);
  await until(() => given.length === 1, 'a peer');
  assert.equal(given[0]!.idleTimeout, 300_000);
  assert.deepEqual(given[0]!.limits, { maxReassemblyBytes: 1234 });
  assert.equal('maxHandshakes' in given[0]!, false);
  await a.close();

  const net2 = memoryNet();
  const b = listen(net2.socket, { idleTimeout: Infinity }, hooks);
  net2.send(Uint8Array.of(ContentType.handshake), '127.0.0.1', 1);
  await until(() => given.length === 2, 'a peer');
  assert.equal(given[1]!.idleTimeout, undefined);
  await b.close();

  const { socket } = memoryNet();
  for (const bad of [
    { maxHandshakes: 0 },
    { maxHandshakes: 1.5 },
    { maxConnections: -1 },
    { idleTimeout: 0 },
    { idleTimeout: 2 ** 31 },
    { idleTimeout: NaN },
  ]) {
    assert.throws(() => listen(socket, bad, hooks), RangeError, JSON.stringify(bad));
  }
});

test('maxConnections (real core): the next new peer gets no HelloVerifyRequest and is counted; it gets in once a slot frees', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving } = realServer(net, clock, { maxConnections: 2 });
  const a = streamClient(net, clock, '10.0.0.1', 1);
  const b = streamClient(net, clock, '10.0.0.2', 2);
  await Promise.all([a.handshake, b.handshake]);
  const c = rawClient(net, clock, '10.0.0.3', 3);
  await until(() => server.stats.droppedOverCapacity === 1, 'the drop');
  assert.equal(c.received.length, 0, 'dropped before the cookie check: no reply');
  assert.equal(server.stats.cookieReplies, 2);
  assert.equal(server.size, 2);

  await a.close();
  await until(() => server.size === 1, 'a removed');
  c.retransmit();
  await until(() => c.conn.state === 'connected', 'c connected');
  assert.equal(server.size, 2);
  assert.equal(server.stats.handshakes, 3);
  await server.close();
  await serving;
});

test('maxHandshakes: while that many handshakes hang, new ClientHellos are dropped before any state; established peers do not count', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving, errors } = realServer(net, clock, { maxHandshakes: 2, handshakeTimeout: 5000 });
  const done = streamClient(net, clock, '10.1.0.1', 1);
  await done.handshake;
  const s1 = rawClient(net, clock, '10.1.0.2', 2, { silentAfterCookie: true });
  rawClient(net, clock, '10.1.0.3', 3, { silentAfterCookie: true });
  await until(() => server.handshaking === 2, 'two handshakes in progress');
  assert.equal(server.size, 3);
  assert.equal(s1.conn.state, 'handshaking');

  const late = rawClient(net, clock, '10.1.0.4', 4);
  await until(() => server.stats.droppedHandshakeLimit === 1, 'the drop');
  assert.equal(late.received.length, 0, 'no HelloVerifyRequest, no state');
  assert.equal(server.stats.cookieReplies, 3);
  assert.equal(server.stats.accepted, 3);
  late.retransmit();
  await until(() => server.stats.droppedHandshakeLimit === 2, 'the second drop');

  // The hanging handshakes end at handshakeTimeout, freeing their slots.
  clock.advance(4999);
  await settle();
  assert.equal(server.handshaking, 2);
  clock.advance(1);
  await until(() => server.handshaking === 0, 'slots freed');
  assert.equal(server.size, 1);
  assert.equal(server.stats.handshakeTimeouts, 2);
  assert.deepEqual(
    errors.map((e) => [e.port, (e.error as DtlsError).code]),
    [
      [2, 'handshake_timeout'],
      [3, 'handshake_timeout'],
    ],
  );
  late.retransmit();
  await until(() => late.conn.state === 'connected', 'late connected');
  assert.equal(server.handshaking, 0);
  assert.equal(server.size, 2);
  assert.equal(await echoOnce(done, 'still here'), 'still here');
  await server.close();
  await serving;
});

test('handshakeTimeout: a peer silent mid-handshake is removed at exactly handshakeTimeout, and cannot resume without a new cookie exchange', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving, errors, conns } = realServer(net, clock, { maxConnections: 1, handshakeTimeout: 3000 });
  const silent = rawClient(net, clock, '10.2.0.1', 1, { silentAfterCookie: true });
  await until(() => server.size === 1, 'silent peer accepted');
  const other = rawClient(net, clock, '10.2.0.2', 2);
  await until(() => server.stats.droppedOverCapacity === 1, 'other dropped');

  clock.advance(2999);
  await settle();
  assert.equal(server.size, 1);
  assert.ok(conns[0]!.stats.retransmits >= 1, 'the server retransmitted its flight meanwhile');
  clock.advance(1);
  await until(() => server.size === 0, 'silent peer removed');
  assert.equal(server.stats.handshakeTimeouts, 1);
  assert.equal((errors[0]!.error as DtlsError).code, 'handshake_timeout');
  assert.equal(clock.pending, 0, 'no timer left for the removed peer');

  // Its late flight is from an unknown peer now: no state.
  const before = server.stats.droppedUnknown;
  for (const d of silent.received.slice(1)) silent.conn.handleDatagram(clock.now(), d);
  assert.equal(silent.conn.state, 'handshaking');
  for (let d = silent.conn.pollTransmit(); d; d = silent.conn.pollTransmit()) net.send(d, '10.2.0.1', 1);
  await until(() => server.stats.droppedUnknown > before, 'late flight dropped');
  assert.equal(server.size, 0);

  other.retransmit();
  await until(() => other.conn.state === 'connected', 'other connected');
  await server.close();
  await serving;
});

test('idleTimeout: a connected peer that sends nothing is sent close_notify and removed; a chatty one stays', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving } = realServer(net, clock, { idleTimeout: 10_000 });
  const quiet = streamClient(net, clock, '10.3.0.1', 1);
  const chatty = streamClient(net, clock, '10.3.0.2', 2);
  await Promise.all([quiet.handshake, chatty.handshake]);
  const alerts: string[] = [];
  quiet.addEventListener('alert', (e) => alerts.push(`${e.detail.name} from ${e.detail.fromPeer ? 'server' : 'us'}`));
  for (const t of [4000, 8000, 12_000]) {
    clock.advance(4000);
    assert.equal(await echoOnce(chatty, `at ${t}`), `at ${t}`);
  }
  // 12 s in: the quiet peer went at 10 s.
  await quiet.closed; // it got close_notify: a clean close on its side
  assert.deepEqual(alerts.slice(0, 1), ['close_notify from server']);
  await until(() => server.size === 1, 'quiet removed');
  assert.equal(server.stats.idleTimeouts, 1);
  assert.deepEqual(server.addresses, [{ address: '10.3.0.2', port: 2 }]);
  assert.equal(await echoOnce(chatty, 'still here'), 'still here');
  await chatty.close();
  await server.close();
  await serving;
});

test('idleTimeout: the 5-minute default arms one timer per connected peer; Infinity arms none', async () => {
  for (const [options, expected] of [
    [{}, 300_000],
    [{ idleTimeout: Infinity }, undefined],
  ] as const) {
    const clock = new ManualClock();
    const net = memoryNet();
    const { server, serving } = realServer(net, clock, options);
    const dtls = streamClient(net, clock, '10.4.0.1', 1);
    await dtls.handshake;
    // Data from the client proves the server's final flight arrived (which stops its resend timer).
    assert.equal(await echoOnce(dtls, 'hi'), 'hi');
    await settle();
    assert.equal(clock.nextDeadline, expected);
    await dtls.close();
    await server.close();
    await serving;
  }
});

test('per-peer limits pass through: future-epoch records and handshake reassembly stay within their caps', async () => {
  let maxBuffered = 0;
  const add = Reassembler.prototype.add;
  Reassembler.prototype.add = function (this: Reassembler, f) {
    const r = add.call(this, f);
    maxBuffered = Math.max(maxBuffered, this.bufferedBytes);
    return r;
  };
  try {
    const clock = new ManualClock();
    const net = memoryNet();
    const limits = { maxFutureEpochRecords: 4, maxFutureEpochBytes: 1000, maxHandshakeMessage: 2048, maxReassemblyBytes: 4096 };
    const { server, serving, conns } = realServer(net, clock, { limits });
    rawClient(net, clock, '10.5.0.1', 1, { silentAfterCookie: true });
    await until(() => conns.length === 1, 'hostile peer accepted');
    const conn = conns[0]!;
    // (The connection's options are private now: the caps hit below show the limits reached it.)
    const sendAll = async (datagrams: Uint8Array[]) => {
      const target = conn.stats.datagramsIn + datagrams.length;
      for (const d of datagrams) net.send(d, '10.5.0.1', 1);
      await until(() => conn.stats.datagramsIn === target, 'flood delivered');
    };

    // Records of epoch 1 before its keys: 300-byte ones hit the byte cap after 3, small ones the count cap after 4.
    const epoch1 = (seq: number, size: number) =>
      encodeRecord({
        contentType: ContentType.handshake,
        version: ProtocolVersion.DTLS1_2,
        epoch: 1,
        sequenceNumber: seq,
        fragment: new Uint8Array(size).fill(seq),
      });
    await sendAll(Array.from({ length: 10 }, (_, i) => epoch1(i, 300)));
    assert.equal(conn.stats.dropped.future_epoch_overflow, 7);
    await sendAll(Array.from({ length: 10 }, (_, i) => epoch1(100 + i, 10)));
    assert.equal(conn.stats.dropped.future_epoch_overflow, 7 + 9);

    // Never-completing handshake messages: two of 2048 fill the 4096-byte budget; the rest are dropped.
    const frag = (seq: number, length: number): HandshakeFragment => ({
      msgType: HandshakeType.client_key_exchange,
      length,
      messageSeq: seq,
      fragmentOffset: 0,
      body: new Uint8Array(16),
    });
    await sendAll(Array.from({ length: 8 }, (_, i) => handshakeRecord(200 + i, [frag(2 + i, 2048)])));
    await sendAll([handshakeRecord(300, [frag(2, 2049)])]); // over maxHandshakeMessage
    assert.equal(conn.stats.dropped.reassembly_limit, 6 + 1);
    assert.ok(maxBuffered <= limits.maxReassemblyBytes, `buffered ${maxBuffered}`);
    assert.equal(maxBuffered, 4096);
    assert.equal(server.stats.droppedRecords.reassembly_limit, 7);
    assert.equal(server.stats.droppedRecords.future_epoch_overflow, 16);

    // The server still serves others under the same limits.
    const ok = streamClient(net, clock, '10.5.0.2', 2);
    await ok.handshake;
    await ok.close();
    await server.close();
    await serving;
    assert.equal(server.stats.droppedRecords.reassembly_limit, 7, 'kept after the peer is removed');
  } finally {
    Reassembler.prototype.add = add;
  }
});

test('a failed handshake frees its slot and is counted; a backed-up socket drops cookie replies beyond 64 queued (stateless)', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving, errors } = realServer(net, clock, { maxHandshakes: 1 });
  const wrong = DtlsStream.fromConnection(new Connection(resolveOptions({ role: 'client', verify: { fingerprints: [certs().client.fingerprint] } })), {
    clock,
  });
  const w = wrong.inbound.writable.getWriter();
  net.routes.set('10.6.0.1|1', (d) => void w.write(d).catch(noop));
  void wrong.outbound.readable.pipeTo(new WritableStream({ write: (data) => net.send(data, '10.6.0.1', 1) })).catch(noop);
  await assert.rejects(wrong.handshake, (e: unknown) => e instanceof DtlsError && e.code === 'verification_failed');
  await until(() => server.stats.handshakeFailures === 1, 'the failure counted');
  assert.equal((errors[0]!.error as DtlsError).code, 'peer_alert');
  assert.equal(server.handshaking, 0);
  assert.equal(server.size, 0);
  const ok = streamClient(net, clock, '10.6.0.2', 2);
  await ok.handshake; // the slot is free again
  await ok.close();
  await server.close();
  await serving;

  // A socket whose sends never complete (high-water mark 1).
  let ctl!: ReadableStreamDefaultController<Datagram>;
  const stuck = {
    readable: new ReadableStream<Datagram>({ start: (c) => void (ctl = c) }),
    writable: new WritableStream<Datagram>({ write: () => new Promise<void>(noop) }),
  };
  const blocked = listen(stuck, { certificate: cert });
  for (let i = 0; i < 100; i++) {
    const c = new Connection(clientOptions);
    c.start(0);
    ctl.enqueue({ data: c.pollTransmit()!, address: '10.6.0.3', port: 1000 + i });
  }
  await until(() => blocked.stats.cookieReplies + blocked.stats.droppedBackpressure === 100, 'every hello handled');
  assert.deepEqual([blocked.stats.cookieReplies, blocked.stats.droppedBackpressure, blocked.size], [65, 35, 0]);
  await blocked.close();
});
