// Connection.setMtu on a live connection (BoringSSL's SSL_set_mtu): after an
// ICMP "too big" or an ICE switch to a relay with a smaller MTU, the flight in
// progress is resent fragmented to the new MTU (RFC 9147 4.4: senders
// "retransmit handshake messages with smaller fragment sizes if the PMTU
// estimate changes"; RFC 6347 4.1.1.1), and so is everything after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, bothIn, createPair } from '../../src/testing/index.ts';
import { createConnection } from '../../src/core.ts';
import { testCertificates } from '../../src/testing/index.ts';

const SMALL = 256;

for (const version of ['1.2', '1.3'] as const) {
  test(`DTLS ${version}: started at MTU 1400 on a path that drops datagrams over ${SMALL} bytes, setMtu(${SMALL}) on both sides after the first loss; the resend fits and the handshake completes`, () => {
    const options = { versions: [version], mtu: 1400, retransmit: { initial: 100, adaptive: false } };
    // A client certificate: both sides have a flight larger than 256 bytes to send.
    const { client, server } = createPair(options, { ...options, requestClientCertificate: true }, { seed: 11 });
    const sent: { a: [number, number][]; b: [number, number][] } = { a: [], b: [] };
    const pair: SimPair = new SimPair(client, server, {
      link: { delay: 10, mtu: SMALL },
      aToB: { filter: (d) => (sent.a.push([pair.now, d.length]), true) },
      bToA: { filter: (d) => (sent.b.push([pair.now, d.length]), true) },
    });
    const oversize = () => pair.aToB.stats.oversize + pair.bToA.stats.oversize;

    // Without the change nothing over 256 bytes gets through: the run stops at the first such loss.
    const first = pair.run({ until: () => oversize() > 0, maxDuration: 10_000 });
    assert.equal(first.reason, 'until');
    assert.equal(client.state, 'handshaking');
    const changedAt = pair.now;
    const sentBefore = { a: sent.a.length, b: sent.b.length };
    const lostBefore = oversize();
    client.setMtu(SMALL);
    server.setMtu(SMALL);
    assert.equal(client.mtu, SMALL);
    assert.equal(server.mtu, SMALL);

    const done = pair.run({ until: bothIn('connected'), maxDuration: 30_000 });
    assert.equal(done.reason, 'until', `connected (client ${client.state}, server ${server.state})`);
    const after = [...sent.a.slice(sentBefore.a), ...sent.b.slice(sentBefore.b)];
    assert.ok(after.length > 0);
    assert.ok(
      after.every(([, n]) => n <= SMALL),
      `every datagram after setMtu fits: ${after.map(([, n]) => n).join(' ')}`,
    );
    assert.equal(oversize(), lostBefore, 'nothing lost to the MTU after the change');
    // The flight that did not fit was resent on the timer, fragmented anew: no new flight was needed to recover.
    const resent = [...pair.log.a.timeline, ...pair.log.b.timeline].filter((e) => e.event.type === 'retransmit' && e.time >= changedAt);
    assert.ok(resent.length > 0, 'a resend after the change');
    assert.ok(
      [...sent.a.slice(0, sentBefore.a), ...sent.b.slice(0, sentBefore.b)].some(([, n]) => n > SMALL),
      'before the change, datagrams over 256 bytes went out',
    );
  });
}

test('DTLS 1.3: a ClientHello of 1,300 bytes (X25519MLKEM768) sent whole at MTU 1400 is resent in fragments of at most 256 bytes after setMtu(256), to a server that reassembles it', () => {
  const options = { versions: ['1.3' as const], groups: ['X25519MLKEM768' as const], retransmit: { initial: 100, adaptive: false } };
  const { client, server } = createPair({ ...options, mtu: 1400 }, options, { seed: 5 });
  client.start(0);
  const firstTry: Uint8Array[] = [];
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) firstTry.push(d);
  assert.equal(firstTry.length, 1);
  assert.ok(firstTry[0]!.length > 1100, `one datagram of ${firstTry[0]!.length} bytes`);
  client.setMtu(256);
  assert.equal(client.pollTransmit(), undefined, 'setMtu sends nothing by itself');
  client.handleTimeout(100);
  const resend: Uint8Array[] = [];
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) resend.push(d);
  assert.ok(resend.length >= 5, `${resend.length} datagrams`);
  for (const d of resend) assert.ok(d.length <= 256, `${d.length} bytes`);
  server.start(100);
  for (const d of resend) server.handleDatagram(100, d);
  const answer: Uint8Array[] = [];
  for (let d = server.pollTransmit(); d; d = server.pollTransmit()) answer.push(d);
  assert.ok(answer.length > 0, 'the server answered the reassembled ClientHello');
  assert.equal(server.state, 'handshaking');
  assert.equal(server.error, undefined);
});

test('setMtu validates like options.mtu: a RangeError outside 128..65507 or for a non-integer, and the MTU in force is kept', () => {
  const conn = createConnection({ role: 'server', certificate: testCertificates().server, mtu: 1000 });
  for (const bad of [127, 0, -1, 65508, 1200.5, Number.NaN, Infinity]) {
    assert.throws(
      () => conn.setMtu!(bad),
      (e: unknown) => e instanceof RangeError && /setMtu\(\): mtu must be an integer in 128\.\.65507/.test(e.message),
      String(bad),
    );
  }
  conn.setMtu!(128);
  conn.setMtu!(65507);
  assert.throws(() => createConnection({ role: 'server', mtu: 127 }), /mtu must be an integer in 128\.\.65507, not 127/);
});

test('setMtu on one connection leaves another made from the same options alone', () => {
  const { client, server } = createPair({ versions: ['1.2'], mtu: 1400 }, { versions: ['1.2'] }, { seed: 2 });
  const { client: other } = createPair({ versions: ['1.2'], mtu: 1400 }, { versions: ['1.2'] }, { seed: 2 });
  client.setMtu(300);
  assert.equal(client.mtu, 300);
  assert.equal(other.mtu, 1400);
  assert.equal(server.mtu, 1200);
});
