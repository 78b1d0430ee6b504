// Chromium as the DTLS client, dtls-stream as the DTLS server (our answer says
// a=setup:passive), over ICE-lite on one Node UDP socket shared by STUN, DTLS
// and SRTP. Chromium offers DTLS 1.3 and 1.2; these tests hold us to 1.2
// (versions: ['1.2']), so Chromium falls back (./chromium-dtls13.test.ts has
// 1.3). See ./harness.ts for the plumbing.
import { test } from './runner.ts';
import assert from 'node:assert/strict';
import { pageStats, startSession, withTimeout } from './harness.ts';
import { checkSrtp, fingerprintHex, isOpusPacket, opusFrameMs, parseSctpInit, parseSctpPacket, TLS_VERSION_HEX } from './checks.ts';
import { attributeValues, parseSdp, sdpFingerprints, srtpKeys, srtpProfile } from '../../src/webrtc/index.ts';
import { DtlsError } from '../../src/errors.ts';
import { generateCertificate } from '../../src/x509/generate.ts';

const LIMIT = { timeout: 30_000 };

test('Chromium → dtls-stream server: ICE-lite check, mutual fingerprint check, getStats() agrees with HandshakeInfo', LIMIT, async (t) => {
  const s = await startSession(t, { versions: ['1.2'], role: 'server', srtpProfiles: ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_SHA1_80'] });
  const info = await s.connected;

  // ICE: Chromium's checks were answered and it nominated the pair.
  const ice = s.ice.stats;
  assert.ok(ice.successes >= 1, 'a check succeeded');
  assert.equal(ice.errors, 0);
  assert.ok(s.ice.selected, 'a selected peer');

  // We asked for Chromium's certificate and checked it against the offer's a=fingerprint.
  assert.equal(info.version, 'DTLS 1.2');
  assert.ok(info.peerCertificates.length >= 1);
  assert.ok(sdpFingerprints(s.offer).includes(info.peerFingerprint!), 'the peer certificate matches the offer');
  assert.equal(info.srtpProfile, 'SRTP_AEAD_AES_128_GCM', 'our preference among what Chromium offers');
  assert.equal(info.extendedMasterSecret, true);

  const stats = await pageStats(s.page);
  const tr = stats.transport!;
  assert.equal(stats.connectionState, 'connected');
  assert.equal(tr.dtlsState, 'connected');
  assert.equal(tr.dtlsRole, 'client');
  assert.equal(tr.iceRole, 'controlling');
  assert.equal(tr.iceState, 'connected');
  assert.equal(tr.tlsVersion, TLS_VERSION_HEX[info.version]);
  assert.equal(tr.dtlsCipher, info.cipherSuite);
  assert.equal(tr.srtpCipher, srtpProfile(info.srtpProfileId!)!.ianaName);
  // Each side holds the other's certificate: Chromium's remote one is ours, its local one is what we verified.
  assert.equal(stats.certificates[tr.remoteCertificateId as string]?.fingerprint.toUpperCase(), fingerprintHex(s.certificate.fingerprint));
  assert.equal(stats.certificates[tr.localCertificateId as string]?.fingerprint.toUpperCase(), fingerprintHex(info.peerFingerprint!));
});

test('Chromium → dtls-stream server: a certificate that does not match the fingerprint fails the handshake on both sides', LIMIT, async (t) => {
  const other = generateCertificate();
  const s = await startSession(t, { versions: ['1.2'], role: 'server', verifyFingerprints: [other.fingerprint], timeout: 8000 });
  await assert.rejects(s.dtls.handshake, (e: unknown) => e instanceof DtlsError && e.code === 'verification_failed');
  await assert.rejects(s.connected);
  await s.until(() => s.dtls.state === 'failed', 'our stream to fail');
  // Chromium got our fatal alert: its transport fails rather than connecting.
  const deadline = Date.now() + 8000;
  let stats = await pageStats(s.page);
  while (stats.transport?.dtlsState !== 'failed' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    stats = await pageStats(s.page);
  }
  assert.equal(stats.transport?.dtlsState, 'failed');
  assert.notEqual(stats.connectionState, 'connected');
});

test("Chromium → dtls-stream server: Chromium's first application data decrypts to an SCTP INIT with a valid CRC-32C", LIMIT, async (t) => {
  const s = await startSession(t, { versions: ['1.2'], role: 'server', audio: false });
  await s.connected;
  await s.until(() => s.plaintexts.length >= 1, 'the first plaintext');
  const sctp = parseSctpPacket(s.plaintexts[0]!);
  const port = Number(attributeValues(parseSdp(s.offer).media.find((m) => m.kind === 'application')!.lines, 'sctp-port')[0]);
  assert.ok(sctp.checksumValid, 'CRC-32C');
  assert.equal(sctp.sourcePort, port);
  assert.equal(sctp.destinationPort, port);
  assert.equal(sctp.verificationTag, 0, 'an INIT carries verification tag 0 (RFC 9260 8.5.1)');
  assert.equal(sctp.chunks.length, 1);
  assert.equal(sctp.chunks[0]!.type, 1, 'INIT');
  const init = parseSctpInit(sctp.chunks[0]!.value);
  assert.notEqual(init.initiateTag, 0);
  assert.ok(init.outboundStreams >= 1 && init.inboundStreams >= 1);
  // A corrupted copy fails the same check, so the check means something.
  const bad = s.plaintexts[0]!.slice();
  bad[bad.length - 1]! ^= 1;
  assert.equal(parseSctpPacket(bad).checksumValid, false);
});

test(
  "Chromium → dtls-stream server: Chromium's SRTP and SRTCP for the audio track authenticate with our exporter's keys (AES_CM_128_HMAC_SHA1_80) and decrypt to Opus",
  LIMIT,
  async (t) => {
    const s = await startSession(t, { versions: ['1.2'], role: 'server', srtpProfiles: ['SRTP_AES128_CM_SHA1_80'] });
    const info = await s.connected;
    assert.equal(info.srtpProfile, 'SRTP_AES128_CM_SHA1_80');
    // Chromium sends 50 packets a second and a sender report every second or so.
    await s.until(() => s.media.filter((d) => d.data[1]! >= 192 && d.data[1]! <= 223).length >= 1 && s.media.length >= 25, 'SRTP and SRTCP', 10_000);

    const keys = srtpKeys(s.dtls, 'server');
    const opus = Number(
      attributeValues(parseSdp(s.answer).media[0]!.lines, 'rtpmap')
        .find((r) => /opus/i.test(r))!
        .split(' ')[0],
    );
    const summary = checkSrtp(s.media, keys.profile, keys.remote, opus);
    assert.ok(summary.rtp >= 20, `${summary.rtp} SRTP packets`);
    assert.equal(summary.rtpFailed, 0, 'every SRTP packet authenticates (HMAC-SHA1-80)');
    assert.deepEqual([...summary.payloadTypes], [opus]);
    const stats = await pageStats(s.page);
    assert.deepEqual([...summary.ssrcs], [stats.outbound!.ssrc], 'the SSRC of the audio track');
    assert.ok(summary.payloads.every(isOpusPacket), 'well-formed Opus packets');
    assert.ok(
      summary.payloads.every((p) => opusFrameMs(p[0]!) === 20),
      '20 ms frames (Chromium default ptime)',
    );
    assert.ok(
      summary.payloads.some((p) => p.length > 20),
      'an audible frame (the oscillator), not just silence',
    );
    assert.ok(summary.rtcpAuthenticated >= 1 && summary.rtcpAuthenticated === summary.rtcp, 'SRTCP authenticates');
    assert.ok(summary.senderReportSsrcs.has(stats.outbound!.ssrc as number), 'an SRTCP sender report for the track');

    // Control: our own half of the keys, or the client/server halves swapped, authenticate nothing.
    const wrong = checkSrtp(s.media, keys.profile, keys.local, opus);
    assert.equal(wrong.rtpAuthenticated, 0);
    assert.equal(wrong.rtcpAuthenticated, 0);
    await withTimeout(s.dtls.close(), 5000, 'close');
  },
);
