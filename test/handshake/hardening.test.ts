// Hardening of the 1.2 core against forged or out-of-spec handshake input
// (issue 10): each test fails on the code before its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bothIn, runPair } from '../sim/network.ts';
import { certs, makePair } from './helpers.ts';
import { Connection } from '../../src/connection.ts';
import { resolveOptions, type DtlsOptions } from '../../src/options.ts';
import { decodeRecords, encodeRecord } from '../../src/wire/record.ts';
import { encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { encodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { ContentType, ExtensionType, HandshakeType, ProtocolVersion, type Extension } from '../../src/wire/types.ts';

/** One epoch-0 handshake record holding a whole message, as anyone can forge it. */
function forgedHandshake(msgType: number, messageSeq: number, body: Uint8Array, recordSeq: number): Uint8Array {
  const fragment = encodeHandshakeFragment({ msgType, length: body.length, messageSeq, fragmentOffset: 0, body });
  return encodeRecord({ contentType: ContentType.handshake, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: recordSeq, fragment });
}

test('spoofed HelloRequests mid-handshake are ignored before reassembly and the client handshake completes (RFC 5246 7.4.1.1)', () => {
  for (const requireCookie of [true, false]) {
    const { client, server } = makePair({}, { requireCookie });
    let n = 0;
    // Before each of the server's first two datagrams, a HelloRequest for each message_seq the client may
    // expect next (record numbers inside the replay window, so only reassembly is tested).
    const inject = (d: Uint8Array, i: number) =>
      i < 2 ? [...[0, 1, 2].map((seq) => forgedHandshake(HandshakeType.hello_request, seq, new Uint8Array(0), 40 + n++)), d] : [d];
    const r = runPair(client, server, { seed: 11, bToA: { rewrite: inject }, until: bothIn('connected'), maxDuration: 20_000 });
    assert.equal(r.reason, 'until', `requireCookie ${requireCookie}: client ${client.state} ${client.error?.message ?? ''}`);
    assert.ok((client.stats.dropped.unexpected ?? 0) >= 3, 'the forged HelloRequests are counted as dropped');
  }
});

test('a server refuses a ClientHello whose client_version is not a DTLS version, with protocol_version', () => {
  for (const version of [0x0303, 0x0001, 0xfe00 - 1, ProtocolVersion.DTLS1_0]) {
    const { client, server } = makePair();
    // The ClientHello's client_version follows the record (13) and handshake (12) headers.
    const isHello = (d: Uint8Array) => d[0] === ContentType.handshake && d[13] === HandshakeType.client_hello;
    const rewrite = (d: Uint8Array) => [isHello(d) ? Object.assign(d.slice(), { 25: version >> 8, 26: version & 0xff }) : d];
    runPair(client, server, { seed: 12, aToB: { rewrite }, until: (p) => p.b.state === 'failed', maxDuration: 5000 });
    assert.equal(server.error?.code, 'protocol_version', `0x${version.toString(16)}: ${server.state} ${server.error?.message}`);
    assert.equal(client.error?.alert, 70, 'the client hears protocol_version');
  }
});

/** A client after its first flight, fed a ServerHello carrying `extensions`. */
function clientFedServerHello(extensions: Extension[], options: DtlsOptions = {}): Connection {
  const client = new Connection(resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [certs().server.fingerprint] }, ...options }));
  client.start(0);
  while (client.pollTransmit()) {
    // drain: only what comes next matters
  }
  const body = encodeServerHello({
    version: ProtocolVersion.DTLS1_2,
    random: new Uint8Array(32).fill(7),
    sessionId: new Uint8Array(0),
    cipherSuite: 0xc02b,
    compressionMethod: 0,
    extensions,
  });
  client.handleDatagram(1, forgedHandshake(HandshakeType.server_hello, 0, body, 0));
  return client;
}

test('a client refuses ServerHello extensions it did not offer, with unsupported_extension (RFC 5246 7.4.1.4)', () => {
  const empty = new Uint8Array(0);
  const unoffered: [string, Extension, DtlsOptions][] = [
    ['server_name without SNI', { type: ExtensionType.server_name, data: empty }, {}],
    ['server_name for an IP literal (SNI not sent)', { type: ExtensionType.server_name, data: empty }, { serverName: '127.0.0.1' }],
    ['supported_groups', { type: ExtensionType.supported_groups, data: Uint8Array.of(0, 2, 0, 29) }, {}],
    ['signature_algorithms', { type: ExtensionType.signature_algorithms, data: Uint8Array.of(0, 2, 4, 3) }, {}],
    ['use_srtp without SRTP', { type: ExtensionType.use_srtp, data: Uint8Array.of(0, 2, 0, 1, 0) }, {}],
    ['alpn without ALPN', { type: ExtensionType.alpn, data: Uint8Array.of(0, 3, 2, 0x68, 0x32) }, {}],
    ['extended_master_secret when turned off', { type: ExtensionType.extended_master_secret, data: empty }, { extendedMasterSecret: false }],
  ];
  for (const [name, ext, options] of unoffered) {
    const client = clientFedServerHello([ext], options);
    assert.equal(client.state, 'failed', name);
    assert.equal(client.error?.code, 'unsupported_extension', `${name}: ${client.error?.message}`);
  }
  // Control: what was offered is taken (SNI acknowledged with an empty server_name, RFC 6066 3).
  const ok = clientFedServerHello(
    [
      { type: ExtensionType.server_name, data: empty },
      { type: ExtensionType.ec_point_formats, data: Uint8Array.of(1, 0) },
    ],
    { serverName: 'example.com' },
  );
  assert.equal(ok.state, 'handshaking', ok.error?.message);
});

test('stats.recordsOut counts records, not datagrams', () => {
  const { client, server } = makePair();
  const sent = { client: 0, server: 0 };
  const count = (who: 'client' | 'server') => (d: Uint8Array) => {
    sent[who] += decodeRecords(d).records.length;
    return [d];
  };
  const r = runPair(client, server, { seed: 13, aToB: { rewrite: count('client') }, bToA: { rewrite: count('server') }, until: bothIn('connected') });
  assert.equal(r.reason, 'until');
  assert.equal(client.stats.recordsOut, sent.client);
  assert.equal(server.stats.recordsOut, sent.server);
  assert.ok(server.stats.recordsOut > server.stats.datagramsOut, 'flight 4 packs several records in a datagram');
});

/** An epoch-0 fragment with an empty body: the first fragment of message `messageSeq`, 25 bytes on the wire. */
function forgedCopy(msgType: number, messageSeq: number, recordSeq: number): Uint8Array {
  const fragment = encodeHandshakeFragment({ msgType, length: 100, messageSeq, fragmentOffset: 0, body: new Uint8Array(0) });
  return encodeRecord({ contentType: ContentType.handshake, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: recordSeq, fragment });
}

test('forged copies of the ClientHello draw at most a few copies of flight 4, however many arrive (RFC 6347 4.2.4)', () => {
  const { client, server } = makePair({}, { requireCookie: false });
  client.start(0);
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(1, d);
  let flight4Bytes = 0;
  for (let d = server.pollTransmit(); d; d = server.pollTransmit()) flight4Bytes += d.length;
  assert.ok(flight4Bytes > 500, 'flight 4 went out');
  let bytesIn = 0;
  let bytesOut = 0;
  // 400 spoofed 25-byte datagrams over 2 s, the server's timer run as a stream layer would.
  for (let i = 0; i < 400; i++) {
    const now = 1 + i * 5;
    const t = server.pollTimeout();
    if (t !== undefined && t <= now) server.handleTimeout(t);
    const forged = forgedCopy(HandshakeType.client_hello, 0, 10 + i);
    assert.equal(forged.length, 25);
    bytesIn += forged.length;
    server.handleDatagram(now, forged);
    for (let d = server.pollTransmit(); d; d = server.pollTransmit()) bytesOut += d.length;
  }
  const answers: string[] = [];
  for (let e = server.pollEvent(); e; e = server.pollEvent()) if (e.type === 'retransmit' && e.reason === 'peer-retransmit') answers.push(`flight ${e.flight}`);
  assert.ok(answers.length >= 1, 'a copy is still answered');
  assert.ok(answers.length <= 8, `${answers.length} answers to 400 forged copies`);
  assert.equal(server.state, 'handshaking');
  // What the timer sends over 2 s (100, 200, 400, 800 ms) is not the forger's doing; the answers are capped.
  assert.ok(bytesOut < (8 + 5) * flight4Bytes, `${bytesOut} bytes out for ${bytesIn} in`);
});

test('after the handshake, epoch-0 copies of the client flight are dropped (stale_epoch) and draw no final flight', () => {
  const { client, server } = makePair();
  const r = runPair(client, server, { seed: 14, until: bothIn('connected') });
  assert.equal(r.reason, 'until');
  const before = server.stats.retransmits;
  for (let i = 0; i < 40; i++) server.handleDatagram(r.now + i, forgedCopy(HandshakeType.finished, i % 6, 100 + i));
  assert.equal(server.stats.retransmits, before, 'no resend of the final flight');
  assert.equal(server.pollTransmit(), undefined);
  assert.ok((server.stats.dropped.stale_epoch ?? 0) >= 40);
});

test("a server that fails on a ClientHello answers with an alert numbered from the ClientHello's record (RFC 6347 4.2.1), as a stateless cookie exchange needs", () => {
  // After listen()'s stateless HelloVerifyRequest (which reused the first ClientHello's number),
  // the second ClientHello has record number 5 here: anything the server sends must come after it,
  // or the client's replay window drops it (OpenSSL did: s_client waited for the alert in vain).
  const { client, server } = makePair({ groups: ['x25519'] }, { requireCookie: false });
  client.start(0);
  const hello = client.pollTransmit()!.slice();
  hello.set([0, 0, 0, 0, 0, 5], 5);
  server.handleDatagram(1, hello);
  assert.equal(server.error?.code, 'handshake_failure', server.error?.message);
  const alert = decodeRecords(server.pollTransmit()!).records[0]!;
  assert.equal(alert.contentType, ContentType.alert);
  assert.ok(alert.sequenceNumber >= 5, `the alert has record number ${alert.sequenceNumber}`);
});

test('a HelloVerifyRequest with an empty cookie (cookie<0..2^8-1>, RFC 6347 4.2.1) is answered with a second ClientHello', () => {
  const client = new Connection(resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [certs().server.fingerprint] } }));
  client.start(0);
  while (client.pollTransmit()) {
    // the first ClientHello
  }
  const hvr = Uint8Array.of(0xfe, 0xff, 0); // server_version DTLS 1.0, empty cookie
  client.handleDatagram(1, forgedHandshake(HandshakeType.hello_verify_request, 0, hvr, 0));
  assert.equal(client.state, 'handshaking', client.error?.message);
  const again = client.pollTransmit();
  assert.ok(again, 'a second ClientHello is sent');
  const rec = decodeRecords(again!).records[0];
  assert.equal(rec!.fragment[0], HandshakeType.client_hello);
  // message_seq 1: the ClientHello that answers the HelloVerifyRequest (RFC 6347 4.2.2).
  assert.equal((rec!.fragment[4]! << 8) | rec!.fragment[5]!, 1);
});
