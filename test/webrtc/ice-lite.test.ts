// The ICE-lite responder over in-memory streams, icePath, and the whole Node
// path (UDP socket → demux → ICE-lite + DTLS) with a scripted full agent on
// loopback instead of a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import type { Datagram } from '../../src/adapters/types.ts';
import { bindUdp, nodeUdpConnected, nodeUdpSocket } from '../../src/adapters/node.ts';
import { connect } from '../../src/stream/connect.ts';
import { generateCertificate } from '../../src/x509/generate.ts';
import { utf8 } from '../../src/wire/codec.ts';
import { demuxSocket } from '../../src/demux/index.ts';
import {
  checkIntegrity,
  decodeErrorCode,
  decodeStun,
  decodeXorAddress,
  encodeStun,
  generateIceCredentials,
  getAttribute,
  icePath,
  IceLiteResponder,
  shortTermKey,
  StunAttribute,
  validateIceCredentials,
  type IceCheckDetail,
} from '../../src/webrtc/index.ts';

const LOCAL = { ufrag: 'lite', password: 'abcdefghijklmnopqrstuv' };

function check(opts: { username?: string; password?: string; useCandidate?: boolean; txid?: number } = {}): Uint8Array {
  const transactionId = new Uint8Array(12).fill(opts.txid ?? 7);
  return encodeStun(
    {
      method: 1,
      class: 'request',
      transactionId,
      attributes: [
        { type: StunAttribute.USERNAME, value: utf8(opts.username ?? 'lite:full') },
        { type: StunAttribute.ICE_CONTROLLING, value: new Uint8Array(8) },
        ...(opts.useCandidate ? [{ type: StunAttribute.USE_CANDIDATE, value: new Uint8Array(0) }] : []),
      ],
    },
    { integrityKey: shortTermKey(opts.password ?? LOCAL.password), fingerprint: true },
  );
}

function memoryPath() {
  let push!: ReadableStreamDefaultController<Datagram>;
  const sent: Datagram[] = [];
  const path = {
    readable: new ReadableStream<Datagram>({ start: (c) => void (push = c) }),
    writable: new WritableStream<Datagram>({ write: (d) => void sent.push(d) }),
  };
  return { path, push: (d: Datagram) => push.enqueue(d), sent };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

test('generateIceCredentials: valid ice-chars of the RFC 8839 lengths, different each time', () => {
  const a = generateIceCredentials();
  const b = generateIceCredentials();
  validateIceCredentials(a);
  assert.equal(a.ufrag.length, 8);
  assert.equal(a.password.length, 24);
  assert.notEqual(a.password, b.password);
  assert.throws(() => validateIceCredentials({ ufrag: 'abc', password: a.password }), TypeError);
  assert.throws(() => validateIceCredentials({ ufrag: 'abcd', password: 'short' }), TypeError);
});

test('IceLiteResponder: answers checks, validates sources, selects the nominated pair', async () => {
  const { path, push, sent } = memoryPath();
  const ice = new IceLiteResponder(path, { ...LOCAL, remoteUfrag: 'full' });
  const checks: IceCheckDetail[] = [];
  const selected: IceCheckDetail[] = [];
  ice.addEventListener('check', (e) => checks.push(e.detail));
  ice.addEventListener('selected', (e) => selected.push(e.detail));
  const a = { address: '127.0.0.1', port: 1001 };
  const b = { address: '::ffff:127.0.0.2', port: 1002 };
  const c = { address: '127.0.0.3', port: 1003 };

  push({ data: check(), ...a });
  assert.deepEqual(await ice.connected, a);
  await tick();
  assert.equal(sent.length, 1);
  assert.deepEqual({ address: sent[0]!.address, port: sent[0]!.port }, a);
  const r = decodeStun(sent[0]!.data);
  assert.equal(r.class, 'success');
  assert.ok(checkIntegrity(r, shortTermKey(LOCAL.password)));
  assert.deepEqual(decodeXorAddress(getAttribute(r, StunAttribute.XOR_MAPPED_ADDRESS)!, r.transactionId), { family: 'IPv4', ...a });
  assert.deepEqual(ice.selected, a);

  push({ data: check({ useCandidate: true, txid: 8 }), ...b });
  push({ data: check({ password: 'wrongwrongwrongwrongwrong', txid: 9 }), ...c });
  push({ data: Uint8Array.of(0, 1, 0, 0), ...c });
  await tick();
  assert.deepEqual(ice.selected, { address: '127.0.0.2', port: 1002 }, 'the nominated pair wins (v4-mapped address normalised)');
  assert.ok(ice.isValid('127.0.0.2', 1002) && ice.isValid('::ffff:127.0.0.2', 1002));
  assert.ok(!ice.isValid(c.address, c.port));
  assert.equal(decodeErrorCode(getAttribute(decodeStun(sent[2]!.data), StunAttribute.ERROR_CODE)!).code, 401);
  assert.deepEqual(ice.stats, { requests: 3, successes: 2, errors: 1, ignored: { not_stun: 1 } });
  assert.deepEqual(
    checks.map((x) => [x.port, x.ok, x.useCandidate]),
    [
      [1001, true, false],
      [1002, true, true],
      [1003, false, false],
    ],
  );
  assert.deepEqual(
    selected.map((x) => x.port),
    [1001, 1002],
  );

  // A later un-nominated check does not take the selection away.
  push({ data: check({ txid: 10 }), ...a });
  await tick();
  assert.equal(ice.selected!.port, 1002);
  ice.close();
});

test('icePath: only validated peers get in; writes wait for a check and go to the selected peer', async () => {
  const stun = memoryPath();
  const ice = new IceLiteResponder(stun.path, LOCAL);
  const dtls = memoryPath();
  const p = icePath(dtls.path, ice);
  const w = p.writable.getWriter();
  const early = w.write(Uint8Array.of(22, 1)); // before any check: waits
  await tick();
  assert.equal(dtls.sent.length, 0);
  const peer = { address: '127.0.0.1', port: 2000 };
  stun.push({ data: check(), ...peer });
  await early;
  assert.deepEqual(
    dtls.sent.map((d) => [d.data[1], d.port]),
    [[1, 2000]],
  );
  const r = p.readable.getReader();
  dtls.push({ data: Uint8Array.of(22, 9), address: '127.0.0.1', port: 9999 }); // never checked
  dtls.push({ data: Uint8Array.of(22, 2), ...peer });
  assert.deepEqual([...(await r.read()).value!], [22, 2]);
  assert.equal(p.stats.droppedUnknownSource, 1);
  ice.close();
});

test('IceLiteResponder: close() before any check rejects connected', async () => {
  const ice = new IceLiteResponder(memoryPath().path, LOCAL);
  ice.close();
  await assert.rejects(ice.connected, /closed/);
  assert.throws(() => new IceLiteResponder(memoryPath().path, { ...LOCAL, password: 'x' }), TypeError);
});

const closeSocket = (s: Socket): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

test('over loopback UDP: a scripted full agent checks, then does DTLS; one socket carries STUN, DTLS and "RTP"', async () => {
  const cert = generateCertificate();
  const [ours, theirs] = await Promise.all([bindUdp({ address: '127.0.0.1' }), bindUdp({ address: '127.0.0.1' })]);
  const mux = demuxSocket(nodeUdpSocket(ours));
  const ice = new IceLiteResponder(mux.stun, LOCAL);
  const serving = connect(icePath(mux.dtls, ice), { role: 'server', certificate: cert });
  const rtp = mux.rtp.readable.getReader();

  // The full agent: a Binding request from its socket, then DTLS and an RTP-looking packet from the same one.
  const responses: Uint8Array[] = [];
  theirs.on('message', (m) => {
    if (m[0]! < 4) responses.push(new Uint8Array(m));
  });
  const port = ours.address().port;
  theirs.send(check({ useCandidate: true }), port, '127.0.0.1');
  for (let i = 0; i < 100 && !responses.length; i++) await tick();
  const r = decodeStun(responses[0]!);
  assert.equal(r.class, 'success');
  assert.deepEqual(decodeXorAddress(getAttribute(r, StunAttribute.XOR_MAPPED_ADDRESS)!, r.transactionId).port, theirs.address().port);

  const client = await connect(nodeUdpConnected(theirs, '127.0.0.1', port), { verify: { fingerprints: [cert.fingerprint] } });
  const server = await serving;
  theirs.send(Uint8Array.of(0x80, 111, 0, 1), port, '127.0.0.1');
  assert.deepEqual([...(await rtp.read()).value!.data], [0x80, 111, 0, 1]);
  const w = client.outbound.writable.getWriter();
  await w.write(utf8('over the ICE path'));
  const got = await server.inbound.readable.getReader().read();
  assert.equal(new TextDecoder().decode(got.value), 'over the ICE path');
  assert.equal(mux.stats.delivered.stun, 1);
  await client.close();
  await server.close();
  ice.close();
  mux.close();
  await Promise.all([ours, theirs].map(closeSocket));
});
