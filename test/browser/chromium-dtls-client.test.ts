// dtls-stream as the DTLS client and Chromium as the DTLS server (our answer
// says a=setup:active): we send the ClientHello once Chromium's ICE check
// told us where it is, and check Chromium's certificate against the offer.
// DTLS 1.2 here (versions: ['1.2']); ./chromium-dtls13.test.ts has 1.3.
import { test } from './runner.ts';
import assert from 'node:assert/strict';
import { pageStats, startSession } from './harness.ts';
import { checkSrtp, fingerprintHex, isOpusPacket, parseSctpPacket, TLS_VERSION_HEX } from './checks.ts';
import { attributeValues, parseSdp, sdpFingerprints, sdpSetup, srtpKeys, srtpProfile } from '../../src/webrtc/index.ts';

const LIMIT = { timeout: 30_000 };

test('dtls-stream client → Chromium server: a=setup:active, fingerprint checked, getStats() agrees with HandshakeInfo', LIMIT, async (t) => {
  const s = await startSession(t, { versions: ['1.2'], role: 'client', srtpProfiles: ['SRTP_AES128_CM_SHA1_80', 'SRTP_AEAD_AES_128_GCM'] });
  assert.equal(sdpSetup(s.answer), 'active');
  const info = await s.connected;
  assert.equal(s.role, 'client');
  assert.equal(info.version, 'DTLS 1.2');
  assert.ok(sdpFingerprints(s.offer).includes(info.peerFingerprint!), "Chromium's certificate matches the offer");
  assert.ok(info.srtpProfile === 'SRTP_AES128_CM_SHA1_80' || info.srtpProfile === 'SRTP_AEAD_AES_128_GCM', `Chromium chose ${info.srtpProfile}`);

  const stats = await pageStats(s.page);
  const tr = stats.transport!;
  assert.equal(stats.connectionState, 'connected');
  assert.equal(tr.dtlsState, 'connected');
  assert.equal(tr.dtlsRole, 'server');
  assert.equal(tr.tlsVersion, TLS_VERSION_HEX[info.version]);
  assert.equal(tr.dtlsCipher, info.cipherSuite);
  assert.equal(tr.srtpCipher, srtpProfile(info.srtpProfileId!)!.ianaName);
  // Chromium as server asks for our certificate (WebRTC is mutually authenticated) and got it.
  assert.equal(stats.certificates[tr.remoteCertificateId as string]?.fingerprint.toUpperCase(), fingerprintHex(s.certificate.fingerprint));
  assert.equal(stats.certificates[tr.localCertificateId as string]?.fingerprint.toUpperCase(), fingerprintHex(info.peerFingerprint!));

  // Data flows in this direction too: Chromium's SCTP INIT (or its answer to ours) decrypts.
  await s.until(() => s.plaintexts.length >= 1, 'the first plaintext');
  assert.ok(parseSctpPacket(s.plaintexts[0]!).checksumValid);
});

test("dtls-stream client → Chromium server: SRTP_AEAD_AES_256_GCM: Chromium's SRTP and SRTCP authenticate (GCM tag) and decrypt to Opus", LIMIT, async (t) => {
  const s = await startSession(t, { versions: ['1.2'], role: 'client', srtpProfiles: ['SRTP_AEAD_AES_256_GCM'] });
  const info = await s.connected;
  assert.equal(info.srtpProfile, 'SRTP_AEAD_AES_256_GCM');
  assert.equal((await pageStats(s.page)).transport!.srtpCipher, 'SRTP_AEAD_AES_256_GCM');
  await s.until(() => s.media.filter((d) => d.data[1]! >= 192 && d.data[1]! <= 223).length >= 1 && s.media.length >= 25, 'SRTP and SRTCP', 10_000);

  const keys = srtpKeys(s.dtls, 'client');
  assert.equal(keys.remote.key.length, 32);
  assert.equal(keys.remote.salt.length, 12);
  const opus = Number(
    attributeValues(parseSdp(s.answer).media[0]!.lines, 'rtpmap')
      .find((r) => /opus/i.test(r))!
      .split(' ')[0],
  );
  const summary = checkSrtp(s.media, keys.profile, keys.remote, opus);
  assert.ok(summary.rtp >= 20, `${summary.rtp} SRTP packets`);
  assert.equal(summary.rtpFailed, 0, 'every GCM tag verifies');
  assert.ok(summary.payloads.length >= 20 && summary.payloads.every(isOpusPacket), 'Opus payloads');
  assert.ok(
    summary.payloads.some((p) => p.length > 20),
    'an audible frame',
  );
  assert.ok(summary.rtcpAuthenticated >= 1 && summary.rtcpAuthenticated === summary.rtcp, 'SRTCP authenticates');
  const stats = await pageStats(s.page);
  assert.ok(summary.senderReportSsrcs.has(stats.outbound!.ssrc as number));
  assert.equal(checkSrtp(s.media, keys.profile, keys.local, opus).rtpAuthenticated, 0, 'control: the other half authenticates nothing');
});
