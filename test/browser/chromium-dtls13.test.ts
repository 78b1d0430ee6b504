// DTLS 1.3 with Chromium's WebRTC stack (BoringSSL), the independent DTLS 1.3
// peer here: Chromium offers 1.3 first (with X25519MLKEM768), so a dtls-stream
// that allows 1.3 negotiates it, in either role, through the same ICE-lite
// fixture as the 1.2 tests. getStats() says tlsVersion FEFC, and SRTP packets
// authenticate with the keys we export through the TLS 1.3 exporter.
import { test } from './runner.ts';
import assert from 'node:assert/strict';
import { pageStats, startSession } from './harness.ts';
import { checkSrtp, TLS_VERSION_HEX } from './checks.ts';
import { dropFirstEpoch2Flight } from './filters13.ts';
import { attributeValues, parseSdp, srtpKeys } from '../../src/webrtc/index.ts';

const LIMIT = { timeout: 30_000 };

for (const role of ['server', 'client'] as const) {
  test(`Chromium ⇄ dtls-stream ${role}: DTLS 1.3 negotiated (tlsVersion FEFC), SRTP authenticates with our exported keys`, LIMIT, async (t) => {
    const s = await startSession(t, { role, versions: ['1.3', '1.2'], srtpProfiles: ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_SHA1_80'] });
    const info = await s.connected;
    assert.equal(info.version, 'DTLS 1.3');
    const stats = await pageStats(s.page);
    const tr = stats.transport!;
    assert.equal(tr.tlsVersion, TLS_VERSION_HEX['DTLS 1.3']);
    assert.equal(tr.dtlsCipher, info.cipherSuite);
    // The server picks the SRTP profile (RFC 5764 4.1.1): ours as server, Chromium's among ours as client.
    if (role === 'server') assert.equal(info.srtpProfile, 'SRTP_AEAD_AES_128_GCM');
    else assert.ok(['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_SHA1_80'].includes(info.srtpProfile!));
    await s.until(() => s.media.length >= 10, 'SRTP from Chromium', 10_000);
    const keys = srtpKeys(s.dtls, role);
    const opus = Number(
      attributeValues(parseSdp(s.answer).media[0]!.lines, 'rtpmap')
        .find((r) => /opus/i.test(r))!
        .split(' ')[0],
    );
    const summary = checkSrtp(s.media, keys.profile, keys.remote, opus);
    assert.ok(summary.rtp >= 5, `${summary.rtp} SRTP packets`);
    assert.equal(summary.rtpFailed, 0, 'every SRTP packet authenticates with the keys from the 1.3 exporter');
    // Control: our own half authenticates nothing.
    assert.equal(checkSrtp(s.media, keys.profile, keys.local, opus).rtpAuthenticated, 0);
  });
}

for (const role of ['server', 'client'] as const) {
  test(`Chromium ⇄ dtls-stream ${role}: DTLS 1.3 with the hybrid post-quantum group X25519MLKEM768`, LIMIT, async (t) => {
    const s = await startSession(t, { role, versions: ['1.3'], groups: ['X25519MLKEM768', 'X25519'] });
    const info = await s.connected;
    assert.equal(info.version, 'DTLS 1.3');
    assert.equal(info.group, 'X25519MLKEM768');
    const tr = (await pageStats(s.page)).transport!;
    assert.equal(tr.tlsVersion, 'FEFC');
    assert.equal(tr.dtlsCipher, info.cipherSuite);
  });
}

// Loss of the client's final flight (RFC 9147 5.7: it ends only on the server's
// ACK, so the client keeps it and sends it again until then).
test("DTLS 1.3, Chromium's final flight (Certificate, CertificateVerify, Finished) lost once: it comes again and both sides connect", LIMIT, async (t) => {
  const drop = dropFirstEpoch2Flight();
  const s = await startSession(t, { role: 'server', versions: ['1.3'], inboundFilter: drop.stream });
  const info = await s.connected;
  assert.equal(info.version, 'DTLS 1.3');
  assert.ok(drop.dropped.length >= 1, "Chromium's final flight was dropped");
  assert.ok(drop.retransmissionPassedAt !== undefined && drop.retransmissionPassedAt <= s.timeline.handshakeAt!, 'its retransmission completed our handshake');
  await s.until(() => s.plaintexts.length >= 1, 'application data');
  assert.equal((await pageStats(s.page)).transport?.tlsVersion, 'FEFC');
});

test('DTLS 1.3, our final flight lost once: we send it again until it is acknowledged, and both sides connect', LIMIT, async (t) => {
  const drop = dropFirstEpoch2Flight();
  const s = await startSession(t, { role: 'client', versions: ['1.3'], outboundFilter: drop.stream });
  const info = await s.connected;
  assert.equal(info.version, 'DTLS 1.3');
  assert.ok(drop.dropped.length >= 1, 'our final flight was dropped');
  assert.ok(drop.retransmissionPassedAt !== undefined, 'we sent it again');
  const stats = await pageStats(s.page);
  assert.equal(stats.transport?.dtlsState, 'connected');
  assert.equal(stats.transport?.tlsVersion, 'FEFC');
});
