// SDP helpers: fingerprints, a=setup and the DTLS role, ICE credentials, and
// the ICE-lite answer, on an offer as Chromium 156 writes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateCertificate } from '../../src/x509/generate.ts';
import { fingerprint } from '../../src/x509/fingerprint.ts';
import {
  answerDtlsRole,
  attributeValues,
  fingerprintAttribute,
  iceLiteAnswer,
  offerDtlsRole,
  parseSdp,
  sdpFingerprints,
  sdpIceParameters,
  sdpSetup,
  type SetupValue,
} from '../../src/webrtc/sdp.ts';
import { generateIceCredentials } from '../../src/webrtc/ice-lite.ts';

const FP = '7F:E3:8C:A8:FA:0B:F8:AA:56:61:F2:A8:0A:45:4A:5C:82:89:92:41:F3:82:91:13:46:E9:04:0E:9B:DA:46:5F';
const OFFER =
  [
    'v=0',
    'o=- 7943475324612108129 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1 2',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS 4b274f18',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:kuXK',
    'a=ice-pwd:MdGU0vxCGah9RM2dr42xnifY',
    'a=ice-options:trickle',
    `a=fingerprint:sha-256 ${FP}`,
    'a=setup:actpass',
    'a=mid:0',
    'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    'a=sendrecv',
    'a=msid:4b274f18 f57e6f66',
    'a=rtcp-mux',
    'a=rtcp-rsize',
    'a=rtpmap:111 opus/48000/2',
    'a=rtcp-fb:111 transport-cc',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:63 red/48000/2',
    'a=fmtp:63 111/111',
    'a=rtpmap:9 G722/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:13 CN/8000',
    'a=rtpmap:110 telephone-event/48000',
    'a=rtpmap:126 telephone-event/8000',
    'a=ssrc:1417853796 cname:IB+mVBTjSRTCK5H4',
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:kuXK',
    'a=ice-pwd:MdGU0vxCGah9RM2dr42xnifY',
    `a=fingerprint:sha-256 ${FP}`,
    'a=setup:actpass',
    'a=mid:1',
    'a=recvonly',
    'a=rtcp-mux',
    'a=rtpmap:96 VP8/90000',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:kuXK',
    'a=ice-pwd:MdGU0vxCGah9RM2dr42xnifY',
    'a=ice-options:trickle',
    `a=fingerprint:sha-256 ${FP.toLowerCase()}`,
    'a=setup:actpass',
    'a=mid:2',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
  ].join('\r\n') + '\r\n';

test('parseSdp: session lines and media sections', () => {
  const p = parseSdp(OFFER);
  assert.equal(p.session[0], 'v=0');
  assert.deepEqual(
    p.media.map((m) => [m.kind, m.port, m.proto]),
    [
      ['audio', 9, 'UDP/TLS/RTP/SAVPF'],
      ['video', 9, 'UDP/TLS/RTP/SAVPF'],
      ['application', 9, 'UDP/DTLS/SCTP'],
    ],
  );
  assert.deepEqual(p.media[0]!.formats, ['111', '63', '9', '0', '8', '13', '110', '126']);
  assert.deepEqual(attributeValues(p.media[0]!.lines, 'rtcp-mux'), ['']);
  assert.deepEqual(attributeValues(p.media[2]!.lines, 'sctp-port'), ['5000']);
  assert.deepEqual(parseSdp(OFFER.replace(/\r\n/g, '\n')), p, 'LF line ends too');
  assert.throws(() => parseSdp('o=- 1 1 IN IP4 0.0.0.0'), TypeError);
  assert.throws(() => parseSdp('v=0\r\nm=audio\r\n'), /bad m= line/);
  assert.throws(() => parseSdp('v=0\r\nnot sdp\r\n'), TypeError);
});

test('sdpFingerprints: every live section, normalised, without duplicates', () => {
  assert.deepEqual(sdpFingerprints(OFFER), [`sha-256 ${FP}`]);
  const two = OFFER.replace('a=mid:2', 'a=mid:2\r\na=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33');
  assert.deepEqual(sdpFingerprints(two), [`sha-256 ${FP}`, 'sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33']);
  // Session level applies to sections without their own.
  const sessionLevel = `v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 ${FP}\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n`;
  assert.deepEqual(sdpFingerprints(sessionLevel), [`sha-256 ${FP}`]);
  assert.throws(() => sdpFingerprints(OFFER.replaceAll(/a=fingerprint:.*\r\n/g, '')), /no a=fingerprint/);
  assert.throws(() => sdpFingerprints(OFFER.replace(FP, FP.slice(3))), TypeError);
});

test('sdpSetup and the DTLS role (RFC 8842): actpass lets the answerer choose; active is the DTLS client', () => {
  assert.equal(sdpSetup(OFFER), 'actpass');
  assert.throws(() => sdpSetup(OFFER.replace('a=setup:actpass\r\na=mid:2', 'a=setup:active\r\na=mid:2')), /conflicting/);
  assert.throws(() => sdpSetup(OFFER.replaceAll('a=setup:actpass', 'a=setup:sideways')), /unknown/);
  const table: [SetupValue, 'client' | 'server' | undefined, string, string][] = [
    ['actpass', undefined, 'active', 'client'],
    ['actpass', 'client', 'active', 'client'],
    ['actpass', 'server', 'passive', 'server'],
    ['active', 'client', 'passive', 'server'],
    ['passive', 'server', 'active', 'client'],
  ];
  for (const [offer, prefer, setup, role] of table) assert.deepEqual(answerDtlsRole(offer, prefer), { setup, role }, `${offer}/${prefer}`);
  assert.throws(() => answerDtlsRole('holdconn'), /holdconn/);
  assert.equal(offerDtlsRole('active'), 'server');
  assert.equal(offerDtlsRole('passive'), 'client');
  assert.throws(() => offerDtlsRole('actpass'), TypeError);
});

test('sdpIceParameters: the peer credentials, and whether it is lite', () => {
  assert.deepEqual(sdpIceParameters(OFFER), { ufrag: 'kuXK', password: 'MdGU0vxCGah9RM2dr42xnifY', lite: false, options: ['trickle'] });
  assert.throws(() => sdpIceParameters(OFFER.replaceAll(/a=ice-pwd:.*\r\n/g, '')), /ice-pwd/);
});

test('fingerprintAttribute: the a=fingerprint line of a certificate', () => {
  const cert = generateCertificate();
  assert.equal(fingerprintAttribute(cert), `a=fingerprint:${cert.fingerprint}`);
  assert.match(fingerprintAttribute(cert), /^a=fingerprint:sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(fingerprintAttribute(cert, 'sha-384'), `a=fingerprint:${fingerprint(cert.chain[0]!, 'sha-384')}`);
  assert.equal(fingerprintAttribute(cert.chain[0]!), `a=fingerprint:${cert.fingerprint}`);
});

test('iceLiteAnswer: ICE-lite, our credentials, fingerprint, setup and candidate; opus accepted, video rejected, data channel kept', () => {
  const cert = generateCertificate();
  const ice = generateIceCredentials();
  const answer = iceLiteAnswer(OFFER, { ice, certificate: cert, setup: 'passive', candidates: [{ address: '127.0.0.1', port: 50123 }], sessionId: '42' });
  assert.ok(answer.endsWith('\r\n') && !/[^\r]\n/.test(answer), 'CRLF line ends');
  const p = parseSdp(answer);
  assert.deepEqual(p.session, ['v=0', 'o=- 42 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 2', 'a=ice-lite']);
  const [audio, video, data] = p.media;
  assert.deepEqual([audio!.port, audio!.formats], [50123, ['111']]);
  for (const line of [
    'c=IN IP4 127.0.0.1',
    'a=mid:0',
    `a=ice-ufrag:${ice.ufrag}`,
    `a=ice-pwd:${ice.password}`,
    `a=fingerprint:${cert.fingerprint}`,
    'a=setup:passive',
    'a=recvonly',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=candidate:1 1 udp 2130706431 127.0.0.1 50123 typ host',
    'a=end-of-candidates',
  ])
    assert.ok(audio!.lines.includes(line), line);
  assert.deepEqual([video!.port, video!.lines], [0, ['a=mid:1']], 'no VP8 accepted: rejected');
  assert.deepEqual([data!.port, data!.formats], [50123, ['webrtc-datachannel']]);
  assert.ok(data!.lines.includes('a=sctp-port:5000') && data!.lines.includes('a=max-message-size:262144'));
  // Our own helpers read it back.
  assert.equal(sdpSetup(answer), 'passive');
  assert.deepEqual(sdpFingerprints(answer), [cert.fingerprint]);
  assert.deepEqual(sdpIceParameters(answer), { ...ice, lite: true, options: [] });
  assert.equal(offerDtlsRole(sdpSetup(answer)), 'client', 'the browser (offerer) is the DTLS client');
});

test('iceLiteAnswer: codec choice, IPv6 candidates, direction, and misuse', () => {
  const ice = generateIceCredentials();
  const base = {
    ice,
    certificate: `sha-256 ${FP}`,
    setup: 'active' as const,
    candidates: [
      { address: '::1', port: 4000 },
      { address: '127.0.0.1', port: 4000 },
    ],
  };
  const pcmu = parseSdp(iceLiteAnswer(OFFER, { ...base, codecs: ['PCMU', 'opus'], direction: 'sendrecv' }));
  assert.deepEqual(pcmu.media[0]!.formats, ['0', '111']);
  assert.ok(pcmu.media[0]!.lines.includes('a=sendrecv'));
  assert.ok(pcmu.media[0]!.lines.includes('c=IN IP6 ::1'));
  assert.ok(pcmu.media[0]!.lines.includes('a=candidate:2 1 udp 2130706175 127.0.0.1 4000 typ host'));
  const noCodec = parseSdp(iceLiteAnswer(OFFER, { ...base, codecs: ['AV1'] }));
  assert.equal(noCodec.media[0]!.port, 0);
  assert.ok(noCodec.session.includes('a=group:BUNDLE 2'));
  assert.throws(() => iceLiteAnswer(OFFER.replace(/m=application[^]*$/, ''), { ...base, codecs: ['AV1'] }), /nothing in the offer/);
  assert.throws(() => iceLiteAnswer(OFFER, { ...base, ice: { ufrag: 'a', password: ice.password } }), /ice-ufrag/);
  assert.throws(() => iceLiteAnswer(OFFER, { ...base, setup: 'actpass' as 'active' }), /setup/);
  assert.throws(() => iceLiteAnswer(OFFER, { ...base, candidates: [{ address: 'localhost', port: 1 }] }), /not an IP/);
  assert.throws(() => iceLiteAnswer(OFFER, { ...base, candidates: [] }), /candidate/);
});
