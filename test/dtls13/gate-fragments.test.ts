// The 1.3 gate with a ClientHello in fragments (hrr-gate.ts, hello-reassembly.ts):
// the pieces are held per address, bounded, until the message is whole; then it
// is judged like a whole one (HRR, or HelloVerifyRequest for 1.2), and an
// accepted one hands back every datagram for the connection to read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions, type ResolvedOptions } from '../../src/options.ts';
import { Connection } from '../../src/connection.ts';
import { createCookieGate13 } from '../../src/handshake/hrr-gate.ts';
import { gateCookies } from '../../src/handshake/cookie.ts';
import { createHandshake } from '../../src/handshake/dispatch.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { ContentType, HandshakeType } from '../../src/wire/types.ts';
import { decodeRecords, encodeRecord } from '../../src/wire/record.ts';
import { decodeHandshakeFragments, encodeHandshakeFragment, encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { certs } from '../handshake/helpers.ts';
import { WireClient, drain } from './server-wire.ts';

function options(): ResolvedOptions {
  return resolveOptions({ role: 'server', certificate: certs().server, versions: ['1.3', '1.2'] });
}

const PEER = '192.0.2.1|4444';

/** One whole-ClientHello datagram as pieces of `size` bytes, each in its own record (numbers counting up). */
function split(datagram: Uint8Array, size: number): Uint8Array[] {
  const rec = decodeRecords(datagram).records[0]!;
  const m = decodeHandshakeFragments(rec.fragment)[0]!;
  const out: Uint8Array[] = [];
  for (let off = 0; off < m.length; off += size) {
    const body = m.body.subarray(off, off + size);
    const fragment = encodeHandshakeFragment({ msgType: m.msgType, length: m.length, messageSeq: m.messageSeq, fragmentOffset: off, body });
    out.push(encodeRecord({ contentType: ContentType.handshake, version: rec.version, epoch: 0, sequenceNumber: rec.sequenceNumber + out.length, fragment }));
  }
  return out;
}

test('gate: a 1.3 ClientHello in fragments (any order, with copies) draws an HRR once whole; a fragmented ClientHello2 is accepted with all its datagrams and the connection completes', () => {
  const o = options();
  const gate = createCookieGate13({ options: o });
  const client = new WireClient();
  const ch1 = split(client.hello(), 50);
  assert.ok(ch1.length >= 3);
  const order = [ch1.length - 1, 0, 0, ...ch1.map((_, i) => i).slice(1, -1)];
  for (const i of order.slice(0, -1)) assert.equal(gate.check(ch1[i]!, PEER, 0).action, 'hold');
  assert.equal(gate.holds(PEER), true);
  assert.equal(gate.held.peers, 1);
  const v1 = gate.check(ch1[order.at(-1)!]!, PEER, 0);
  assert.equal(v1.action, 'reply', 'whole: judged as a 1.3 ClientHello, not sent to the HelloVerifyRequest gate');
  if (v1.action !== 'reply') return;
  assert.deepEqual(gate.held, { peers: 0, bytes: 0 }, 'nothing kept once answered');
  client.receive([v1.datagram]);
  const { cookie } = client.script.readRetry(client.flight());
  client.messages = [];

  const ch2 = split(client.hello({ cookie }), 60);
  for (const d of ch2.slice(0, -1)) assert.equal(gate.check(d, PEER, 0).action, 'hold');
  const v2 = gate.check(ch2.at(-1)!, PEER, 0);
  assert.equal(v2.action, 'accept');
  if (v2.action !== 'accept') return;
  assert.equal(v2.datagrams?.length, ch2.length, 'every datagram of the ClientHello, for the connection');

  const server = new Connection({ ...o, hrrCookies: gateCookies(gate) } as ResolvedOptions);
  server.start(0);
  for (const d of v2.datagrams!) server.handleDatagram(0, d);
  const c = client.answer(drain(server));
  for (const d of c.datagrams) server.handleDatagram(0, d);
  assert.equal(server.state, 'connected');
  assert.equal(server.handshakeInfo?.version, 'DTLS 1.3');
});

test('gate: a fragmented ClientHello2 with a forged cookie is dropped once whole; overlapping pieces that disagree forget the partial message', () => {
  const gate = createCookieGate13({ options: options() });
  const client = new WireClient();
  const bad = new Uint8Array(64).fill(7);
  const forged = split(client.hello({ cookie: bad }), 100);
  for (const d of forged.slice(0, -1)) assert.equal(gate.check(d, PEER, 0).action, 'hold');
  assert.equal(gate.check(forged.at(-1)!, PEER, 0).action, 'drop');

  const pieces = split(client.hello(), 100);
  assert.equal(gate.check(pieces[0]!, PEER, 0).action, 'hold');
  const liar = pieces[0]!.slice();
  liar[liar.length - 1]! ^= 1;
  assert.equal(gate.check(liar, PEER, 0).action, 'drop', 'the same bytes, different contents');
  assert.equal(gate.holds(PEER), false);
  // Pieces of another message_seq while one is held: a later one replaces it, an earlier one is dropped.
  assert.equal(gate.check(pieces[0]!, PEER, 0).action, 'hold');
  const rec = decodeRecords(pieces[1]!).records[0]!;
  const f = decodeHandshakeFragments(rec.fragment)[0]!;
  const older = encodeRecord({ ...rec, fragment: encodeHandshakeFragment({ ...f, messageSeq: f.messageSeq + 5 }) });
  assert.equal(gate.check(older, PEER, 0).action, 'hold');
  assert.equal(gate.check(pieces[1]!, PEER, 0).action, 'drop', 'an earlier message_seq than the one held');
});

test('gate: a fragmented DTLS 1.2 ClientHello gets a HelloVerifyRequest once whole, and its fragmented return with the cookie is accepted with all datagrams', () => {
  const o = options();
  const gate = createCookieGate13({ options: o });
  const machine = createHandshake(resolveOptions({ role: 'client', verify: 'insecure', versions: ['1.2'] }));
  const flight = machine.start(0).find((a) => a.kind === 'flight');
  assert.ok(flight && flight.kind === 'flight' && flight.items[0]!.kind === 'handshake');
  const it = flight.items[0]!;
  if (it.kind !== 'handshake') return;
  const layer = new RecordLayer(nobleProvider, () => {});
  const pieces = split(layer.seal(ContentType.handshake, encodeHandshakeMessage(it.message), 0), 60);
  for (const d of pieces.slice(0, -1)) assert.equal(gate.check(d, PEER, 0).action, 'hold');
  const v = gate.check(pieces.at(-1)!, PEER, 0);
  assert.equal(v.action, 'reply');
  if (v.action !== 'reply') return;
  const hvr = decodeHandshakeFragments(decodeRecords(v.datagram).records[0]!.fragment)[0]!;
  assert.equal(hvr.msgType, HandshakeType.hello_verify_request);
  // The ClientHello again with the cookie (RFC 6347 4.2.1), in pieces.
  const cookie = hvr.body.subarray(3);
  const body = it.message.body;
  const sidLen = body[34]!;
  const at = 35 + sidLen;
  const ch2 = new Uint8Array([...body.subarray(0, at), cookie.length, ...cookie, ...body.subarray(at + 1)]);
  const pieces2 = split(layer.seal(ContentType.handshake, encodeHandshakeMessage({ msgType: HandshakeType.client_hello, messageSeq: 1, body: ch2 }), 0), 60);
  for (const d of pieces2.slice(0, -1)) assert.equal(gate.check(d, PEER, 0).action, 'hold');
  const v2 = gate.check(pieces2.at(-1)!, PEER, 0);
  assert.equal(v2.action, 'accept');
  if (v2.action === 'accept') assert.equal(v2.datagrams?.length, pieces2.length);
});

test('gate: a flood of partial ClientHellos from many addresses never holds more than the caps, oldest evicted first; old pieces expire', () => {
  const caps = { maxPeers: 16, maxTotalBytes: 8192, maxAge: 1000 };
  const gate = createCookieGate13({ options: options(), reassembly: caps });
  const client = new WireClient();
  const first = split(client.hello(), 100)[0]!;
  for (let i = 0; i < 2000; i++) {
    assert.equal(gate.check(first, `198.51.100.${i % 250}|${1000 + i}`, 0).action, 'hold');
    assert.ok(gate.held.peers <= caps.maxPeers, `peers ${gate.held.peers}`);
    assert.ok(gate.held.bytes <= caps.maxTotalBytes, `bytes ${gate.held.bytes}`);
  }
  assert.equal(gate.held.peers, 16);
  assert.equal(gate.holds('198.51.100.249|2999'), true, 'the newest is kept');
  assert.equal(gate.holds('198.51.100.0|1000'), false, 'the oldest went first');

  // Big pieces: the byte cap, not the peer cap, binds.
  const big = split(client.hello({ extra: [{ type: 0xfafa, data: new Uint8Array(3000) }] }), 1200)[0]!;
  for (let i = 0; i < 50; i++) gate.check(big, `203.0.113.${i}|5000`, 0);
  assert.ok(gate.held.bytes <= caps.maxTotalBytes && gate.held.peers <= caps.maxPeers);
  assert.ok(gate.held.peers < 16, 'fewer peers fit when each holds more');

  // A claimed length beyond the largest handshake message is not held at all.
  const small = createCookieGate13({
    options: resolveOptions({ role: 'server', certificate: certs().server, versions: ['1.3', '1.2'], limits: { maxHandshakeMessage: 2000 } }),
  });
  assert.equal(small.check(big, PEER, 0).action, 'drop');

  // Age: at maxAge the partial messages are forgotten as the gate sees the time pass.
  gate.check(first, PEER, 999);
  assert.ok(gate.held.peers > 1);
  gate.check(first, PEER, 2000);
  assert.equal(gate.held.peers, 1, 'only the one just held is left');
});

test('gate: one peer cannot hold more than its share: at most 64 datagrams and maxHandshakeMessage bytes; a whole ClientHello from it forgets its pieces', () => {
  const gate = createCookieGate13({ options: options() });
  const piece = (offset: number, size: number, length = 60_000) =>
    encodeRecord({
      contentType: ContentType.handshake,
      version: 0xfefd,
      epoch: 0,
      sequenceNumber: offset,
      fragment: encodeHandshakeFragment({
        msgType: HandshakeType.client_hello,
        length,
        messageSeq: 0,
        fragmentOffset: offset,
        body: new Uint8Array(size).fill(1),
      }),
    });
  const verdicts = Array.from({ length: 100 }, (_, i) => gate.check(piece(i * 100, 100), PEER, 0).action);
  assert.deepEqual(verdicts.slice(0, 64), new Array(64).fill('hold'));
  assert.deepEqual(verdicts.slice(64), new Array(36).fill('drop'), 'the 65th datagram and later are not kept');
  assert.equal(gate.held.bytes, 64 * piece(0, 100).length);
  // Bytes: 1,000-byte pieces (never the first byte: never whole) reach 65,536 bytes before 64 datagrams.
  const other = '192.0.2.2|4444';
  let kept = 0;
  for (let i = 0; i < 64; i++) if (gate.check(piece(1 + i * 900, 1000), other, 0).action === 'hold') kept++;
  assert.equal(kept, Math.floor(65536 / piece(0, 1000).length));
  // A 60,000-byte ClientHello that does complete: judged (not 1.3: the 1.2 gate's verdict) without a throw.
  const big = '192.0.2.3|4444';
  const last = Array.from({ length: 60 }, (_, i) => gate.check(piece(i * 1000, 1000), big, 0).action).at(-1);
  assert.ok(last === 'reply' || last === 'drop', last);
  assert.equal(gate.holds(big), false);
  // A whole ClientHello from the first peer: judged at once, its pieces forgotten.
  assert.equal(gate.check(new WireClient().hello(), PEER, 0).action, 'reply');
  assert.equal(gate.holds(PEER), false);
  assert.equal(gate.held.peers, 1);
});
