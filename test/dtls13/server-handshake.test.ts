// The DTLS 1.3 server machine against a scripted client that checks every
// signature and Finished with its own key schedule (server-peer.ts): full
// handshakes with each group and suite, the stateless HelloRetryRequest
// (cookie only, and asking for a key share), client certificates, and the
// refusals RFC 8446 and RFC 9147 name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions, type DtlsOptions, type ResolvedOptions } from '../../src/options.ts';
import { createHandshake } from '../../src/handshake/dispatch.ts';
import type { HandshakeAction } from '../../src/handshake/machine.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { AlertDescription } from '../../src/errors.ts';
import { HandshakeType, SrtpProfile } from '../../src/wire/types.ts';
import { findExtension } from '../../src/wire/extensions/index.ts';
import { decodeAlpn, encodeAlpn } from '../../src/wire/extensions/alpn.ts';
import { decodeUseSrtp, encodeUseSrtp } from '../../src/wire/extensions/use-srtp.ts';
import { ExtensionType } from '../../src/wire/types.ts';
import { certs } from '../handshake/helpers.ts';
import { ScriptedClient13, failure, feed, flightMessages, fragmentedRecords, kinds } from './server-peer.ts';

function serverOptions(o: DtlsOptions = {}): ResolvedOptions {
  return resolveOptions({ role: 'server', certificate: certs().server, versions: ['1.3', '1.2'], ...o });
}

const crypto = nobleProvider;

function keysOf(actions: HandshakeAction[], kind: 'write-keys' | 'read-keys', epoch: number) {
  const a = actions.find((x) => x.kind === kind && x.epoch === epoch);
  assert.ok(a && (a.kind === 'write-keys' || a.kind === 'read-keys'), `${kind} ${epoch}`);
  const k = a.keys as unknown as { key: Uint8Array; iv: Uint8Array; sn: Uint8Array };
  return { key: k.key, iv: k.iv, sn: k.sn };
}

test('a full DTLS 1.3 handshake: flights, keys per epoch and the result, checked by an independent client', () => {
  const server = createHandshake(serverOptions());
  const client = new ScriptedClient13(crypto);
  const a1 = feed(server, [client.helloRecord()]);
  assert.deepEqual(kinds(a1), ['record-version', 'advance-write-seq', 'write-keys 2', 'flight 4 retransmit', 'read-keys 2']);
  const types = flightMessages(a1).map((m) => m.message.msgType);
  assert.deepEqual(types, [HandshakeType.server_hello, 8, HandshakeType.certificate, HandshakeType.certificate_verify, HandshakeType.finished]);
  assert.deepEqual(
    flightMessages(a1).map((m) => m.message.messageSeq),
    [0, 1, 2, 3, 4],
  );
  const c = client.finish(a1, certs().server);
  assert.deepEqual(keysOf(a1, 'write-keys', 2), c.serverHs);
  assert.deepEqual(keysOf(a1, 'read-keys', 2), c.clientHs);
  const a2 = feed(server, c.records);
  assert.deepEqual(kinds(a2), ['read-keys 3', 'write-keys 3', 'complete']);
  assert.deepEqual(keysOf(a2, 'write-keys', 3), c.serverAp);
  assert.deepEqual(keysOf(a2, 'read-keys', 3), c.clientAp);
  assert.ok(server.done);
  const done = a2.find((a) => a.kind === 'complete');
  assert.ok(done && done.kind === 'complete');
  assert.equal(done.result.info.version, 'DTLS 1.3');
  assert.equal(done.result.info.cipherSuite, 'TLS_AES_128_GCM_SHA256');
  assert.equal(done.result.info.group, 'x25519');
  // RFC 8446 7.5: both ends export the same keying material, context or not.
  assert.deepEqual(done.result.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 60), c.exporter('EXTRACTOR-dtls_srtp', undefined, 60));
  assert.deepEqual(done.result.exportKeyingMaterial('label', new Uint8Array([1, 2]), 32), c.exporter('label', new Uint8Array([1, 2]), 32));
  const lines = done.result.keyLogLines();
  assert.equal(lines.length, 5);
  assert.match(lines[0]!, /^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{64}$/);
});

for (const group of ['x25519', 'secp256r1', 'secp384r1', 'X25519MLKEM768'] as const) {
  test(`key share ${group}: the server answers it and both ends derive the same keys`, () => {
    const server = createHandshake(serverOptions({ groups: [group, 'x25519'] }));
    const client = new ScriptedClient13(crypto);
    const a1 = feed(server, [client.helloRecord({ shares: [group] })]);
    const c = client.finish(a1, certs().server);
    assert.equal(c.group, group);
    assert.deepEqual(kinds(feed(server, c.records)), ['read-keys 3', 'write-keys 3', 'complete']);
  });
}

for (const suite of [0x1301, 0x1302, 0x1303, 0x1304, 0x1305]) {
  test(`suite 0x${suite.toString(16)} when the server lists it`, () => {
    const server = createHandshake(serverOptions({ cipherSuites: [suite] }));
    const client = new ScriptedClient13(crypto);
    const c = client.finish(feed(server, [client.helloRecord({ suites: [0x1301, 0x1302, 0x1303, 0x1304, 0x1305] })]), certs().server);
    assert.equal(c.suite.id, suite);
    const done = feed(server, c.records).find((a) => a.kind === 'complete');
    assert.ok(done && done.kind === 'complete' && done.result.info.cipherSuiteId === suite);
  });
}

test('HelloRetryRequest for a key share: stateless, then the second ClientHello completes with the transcript rebuilt from the cookie', () => {
  const server = createHandshake(serverOptions());
  const client = new ScriptedClient13(crypto);
  // The client supports x25519 and P-256 but sends no share: the server must ask.
  const a1 = feed(server, [client.helloRecord({ groups: ['x25519', 'secp256r1'], shares: [] })]);
  assert.deepEqual(kinds(a1), ['record-version', 'advance-write-seq', 'flight 2 once'], 'the HRR is not retransmitted and no keys exist');
  assert.equal(server.stateName, 'wait_client_hello');
  const hrr = client.readRetry(a1);
  assert.equal(hrr.group, 'x25519');
  const a2 = feed(server, [client.helloRecord({ groups: ['x25519', 'secp256r1'], shares: ['x25519'], cookie: hrr.cookie })]);
  assert.deepEqual(
    flightMessages(a2).map((m) => m.message.messageSeq),
    [1, 2, 3, 4, 5],
    'the ServerHello follows the HRR (message_seq 1)',
  );
  const c = client.finish(a2, certs().server);
  assert.deepEqual(kinds(feed(server, c.records)), ['read-keys 3', 'write-keys 3', 'complete']);
});

test('requireCookie: every first ClientHello draws a HelloRetryRequest with a cookie alone (no key_share in it)', () => {
  const server = createHandshake(serverOptions({ requireCookie: true }));
  const client = new ScriptedClient13(crypto);
  const a1 = feed(server, [client.helloRecord()]);
  const hrr = client.readRetry(a1);
  assert.equal(hrr.group, undefined);
  assert.ok(hrr.cookie.length > 32);
  const c = client.finish(feed(server, [client.helloRecord({ cookie: hrr.cookie })]), certs().server);
  assert.deepEqual(kinds(feed(server, c.records)), ['read-keys 3', 'write-keys 3', 'complete']);
});

test('a cookie is refused when tampered with, from another server, or for another ClientHello random (illegal_parameter)', () => {
  const opts = serverOptions({ requireCookie: true });
  const cases = ['tampered', 'another server', 'another random', 'control'] as const;
  for (const why of cases) {
    const server = createHandshake(opts);
    const client = new ScriptedClient13(crypto);
    const { cookie } = client.readRetry(feed(server, [client.helloRecord()]));
    const tampered = cookie.slice();
    tampered[3]! ^= 1;
    const m = why === 'another server' ? createHandshake(opts) : server;
    const hello = why === 'tampered' ? { cookie: tampered } : why === 'another random' ? { cookie, random: crypto.random(32) } : { cookie };
    const f = failure(feed(m, [client.helloRecord(hello)]));
    assert.equal(f?.alert, why === 'control' ? undefined : AlertDescription.illegal_parameter, why);
  }
});

test('after a HelloRetryRequest for x25519, a second ClientHello with a P-256 share is an illegal_parameter', () => {
  const server = createHandshake(serverOptions());
  const client = new ScriptedClient13(crypto);
  const hrr = client.readRetry(feed(server, [client.helloRecord({ groups: ['x25519', 'secp256r1'], shares: [] })]));
  const f = failure(feed(server, [client.helloRecord({ groups: ['x25519', 'secp256r1'], shares: ['secp256r1'], cookie: hrr.cookie })]));
  assert.equal(f?.alert, AlertDescription.illegal_parameter);
});

test('refusals: missing signature_algorithms, supported_groups or key_share (missing_extension), no common suite or group (handshake_failure)', () => {
  const cases: [string, Parameters<ScriptedClient13['hello']>[0], number][] = [
    ['no signature_algorithms', { schemes: null }, AlertDescription.missing_extension],
    ['no supported_groups', { omit: [ExtensionType.supported_groups] }, AlertDescription.missing_extension],
    ['no key_share', { omit: [51] }, AlertDescription.missing_extension],
    ['no common suite', { suites: [0x1304] }, AlertDescription.handshake_failure],
    ['no common group', { groups: ['secp384r1'], shares: ['secp384r1'] }, AlertDescription.handshake_failure],
    ['no scheme for our P-256 key', { schemes: [0x0807] }, AlertDescription.handshake_failure],
  ];
  for (const [why, hello, alert] of cases) {
    const server = createHandshake(serverOptions(why === 'no common group' ? { groups: ['x25519'] } : {}));
    const f = failure(feed(server, [new ScriptedClient13(crypto).helloRecord(hello)]));
    assert.equal(f?.alert, alert, why);
  }
});

test('a bad client Finished is a decrypt_error, and nothing completes', () => {
  const server = createHandshake(serverOptions());
  const client = new ScriptedClient13(crypto);
  const c = client.finish(feed(server, [client.helloRecord()]), certs().server, { badFinished: true });
  const a = feed(server, c.records);
  assert.equal(failure(a)?.alert, AlertDescription.decrypt_error);
  assert.ok(!a.some((x) => x.kind === 'complete'));
});

test('client certificates: requested, sent and verified; a bad CertificateVerify is a decrypt_error; none under "require" fails', () => {
  const { client: clientCert } = certs();
  const verify = { fingerprints: [clientCert.fingerprint] };
  {
    const server = createHandshake(serverOptions({ requestClientCertificate: true, verify }));
    const client = new ScriptedClient13(crypto);
    const c = client.finish(feed(server, [client.helloRecord()]), certs().server, { cert: clientCert });
    const done = feed(server, c.records).find((a) => a.kind === 'complete');
    assert.ok(done && done.kind === 'complete');
    assert.equal(done.result.info.peerFingerprint, clientCert.fingerprint);
  }
  {
    const server = createHandshake(serverOptions({ requestClientCertificate: true, verify }));
    const client = new ScriptedClient13(crypto);
    const c = client.finish(feed(server, [client.helloRecord()]), certs().server, { cert: clientCert, badSignature: true });
    assert.equal(failure(feed(server, c.records))?.alert, AlertDescription.decrypt_error);
  }
  {
    const server = createHandshake(serverOptions({ requestClientCertificate: 'require', verify }));
    const client = new ScriptedClient13(crypto);
    const c = client.finish(feed(server, [client.helloRecord()]), certs().server, { cert: 'none' });
    assert.equal(failure(feed(server, c.records))?.alert, AlertDescription.handshake_failure);
  }
  {
    const server = createHandshake(serverOptions({ requestClientCertificate: true, verify }));
    const client = new ScriptedClient13(crypto);
    const c = client.finish(feed(server, [client.helloRecord()]), certs().server, { cert: 'none' });
    const done = feed(server, c.records).find((a) => a.kind === 'complete');
    assert.ok(done && done.kind === 'complete' && done.result.info.peerCertificates.length === 0, 'optional: goes on without one');
  }
});

test('use_srtp and ALPN are answered in EncryptedExtensions, and the summary names them', () => {
  const server = createHandshake(serverOptions({ srtpProfiles: ['SRTP_AEAD_AES_128_GCM'], alpn: ['webrtc'] }));
  const client = new ScriptedClient13(crypto);
  const extra = [
    {
      type: ExtensionType.use_srtp,
      data: encodeUseSrtp({ profiles: [SrtpProfile.SRTP_AES128_CM_SHA1_80, SrtpProfile.SRTP_AEAD_AES_128_GCM], mki: new Uint8Array(0) }),
    },
    { type: ExtensionType.alpn, data: encodeAlpn(['c-webrtc', 'webrtc']) },
  ];
  const c = client.finish(feed(server, [client.helloRecord({ extra })]), certs().server);
  assert.deepEqual(decodeUseSrtp(findExtension(c.ee!.extensions, ExtensionType.use_srtp)!.data).profiles, [SrtpProfile.SRTP_AEAD_AES_128_GCM]);
  assert.deepEqual(decodeAlpn(findExtension(c.ee!.extensions, ExtensionType.alpn)!.data), ['webrtc']);
  const done = feed(server, c.records).find((a) => a.kind === 'complete');
  assert.ok(done && done.kind === 'complete');
  assert.equal(done.result.info.srtpProfile, 'SRTP_AEAD_AES_128_GCM');
  assert.equal(done.result.info.alpn, 'webrtc');
});

test('a ClientHello in fragments (a hybrid share of 1.2 KB) is held until whole, then answered once', () => {
  const server = createHandshake(serverOptions({ groups: ['X25519MLKEM768', 'x25519'] }));
  const client = new ScriptedClient13(crypto);
  const body = client.hello({ shares: ['X25519MLKEM768'] });
  client.nextSeq = 1;
  const recs = fragmentedRecords(HandshakeType.client_hello, 0, body, 3);
  const a = feed(server, recs);
  assert.equal(a.filter((x) => x.kind === 'flight').length, 1);
  const c = client.finish(a, certs().server);
  assert.equal(c.group, 'X25519MLKEM768');
  assert.deepEqual(kinds(feed(server, c.records)), ['read-keys 3', 'write-keys 3', 'complete']);
});

test('a copy of the ClientHello after our flight is a peer copy (the flight is resent), not a new handshake', () => {
  const server = createHandshake(serverOptions());
  const client = new ScriptedClient13(crypto);
  const rec = client.helloRecord();
  feed(server, [rec]);
  assert.deepEqual(kinds(feed(server, [rec])), ['peer-copy']);
});

test('legacy_session_id is never echoed in DTLS 1.3 (RFC 9147 5.3), in the HelloRetryRequest nor the ServerHello', () => {
  const server = createHandshake(serverOptions({ requireCookie: true }));
  const client = new ScriptedClient13(crypto);
  const sessionId = crypto.random(32);
  // readRetry and finish check the echo is empty (checkServerHello13 against an empty session ID).
  const hrr = client.readRetry(feed(server, [client.helloRecord({ sessionId })]));
  const c = client.finish(feed(server, [client.helloRecord({ sessionId, cookie: hrr.cookie })]), certs().server);
  assert.deepEqual(kinds(feed(server, c.records)), ['read-keys 3', 'write-keys 3', 'complete']);
});
