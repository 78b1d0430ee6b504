// DtlsStream.setMtu and setRetransmitTimeout (also on what listen() offers):
// the stream's real timer follows a rescaled deadline, on a ManualClock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/stream/clock.ts';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { Connection } from '../../src/connection.ts';
import { resolveOptions } from '../../src/options.ts';
import { memoryNet, realServer, streamClient, until, cert } from '../stream/memory-server.ts';

/** A client stream with no peer: what it sends, with the virtual time it was read at. */
function lonelyClient(options: Parameters<typeof resolveOptions>[0], clock: ManualClock) {
  const dtls = DtlsStream.fromConnection(new Connection(resolveOptions({ role: 'client', verify: 'insecure', ...options })), { clock });
  const sent: [number, number][] = [];
  void dtls.outbound.readable.pipeTo(new WritableStream({ write: (d: Uint8Array) => void sent.push([clock.now(), d.length]) })).catch(() => {});
  return { dtls, sent };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("DtlsStream.setRetransmitTimeout: the stream's timer fires at the rescaled deadline, and at once when that has passed", async () => {
  const clock = new ManualClock();
  const { dtls, sent } = lonelyClient({ versions: ['1.2'], retransmit: { initial: 100, adaptive: false } }, clock);
  await until(() => sent.length === 1, 'the ClientHello');
  dtls.setRetransmitTimeout(1000);
  clock.advance(999);
  await turn();
  assert.equal(sent.length, 1, 'not at 100 any more');
  clock.advance(1);
  await until(() => sent.length === 2, 'the resend at 1000');
  assert.equal(sent[1]![0], 1000);
  // Running since 1000 with one doubling (2000); 40 doubled is 80: already past at 1500.
  clock.advance(500);
  await turn();
  assert.equal(sent.length, 2);
  dtls.setRetransmitTimeout(40);
  clock.advance(0);
  await until(() => sent.length === 3, 'the resend at once');
  assert.equal(sent[2]![0], 1500);
  assert.throws(() => dtls.setRetransmitTimeout(0), RangeError);
  await dtls.close();
});

test('DtlsStream.setMtu: a ClientHello of 1,300 bytes resent after setMtu(300) comes in datagrams of at most 300 bytes', async () => {
  const clock = new ManualClock();
  const { dtls, sent } = lonelyClient({ versions: ['1.3'], groups: ['X25519MLKEM768'], mtu: 1400, retransmit: { initial: 100, adaptive: false } }, clock);
  await until(() => sent.length === 1, 'the ClientHello');
  assert.ok(sent[0]![1] > 1100);
  dtls.setMtu(300);
  assert.throws(() => dtls.setMtu(100), RangeError);
  clock.advance(100);
  await until(() => sent.length > 1, 'the resend');
  await turn();
  const resend = sent.slice(1);
  assert.ok(resend.length >= 4, `${resend.length} datagrams`);
  for (const [at, n] of resend) {
    assert.equal(at, 100);
    assert.ok(n <= 300, `${n} bytes`);
  }
  await dtls.close();
});

test("what listen() offers has both methods; each changes that peer's connection only", async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, conns, accepted, serving } = realServer(net, clock, { mtu: 1400 });
  const options = resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [cert.fingerprint] } });
  const a = streamClient(net, clock, '10.0.0.1', 1, options);
  const b = streamClient(net, clock, '10.0.0.2', 2, options);
  await Promise.all([a.handshake, b.handshake]);
  await until(() => accepted.length === 2, 'two peers');
  const [first] = accepted;
  first!.setMtu(576);
  first!.setRetransmitTimeout(800);
  assert.throws(() => first!.setMtu(127), RangeError);
  assert.deepEqual(
    conns.map((c) => c.mtu),
    accepted[0]!.remote!.address === '10.0.0.1' ? [576, 1400] : [1400, 576],
  );
  await Promise.all([a.close(), b.close()]);
  await server.close();
  await serving;
});
