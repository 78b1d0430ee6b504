// Our client (connect() over node:dgram) against `gnutls-serv --udp --echo`.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, DtlsError, type DtlsOptions, type DtlsStream } from '../../src/index.ts';
import { bindUdp, nodeUdpConnected } from '../../src/adapters/node.ts';
import type { DatagramDuplex } from '../../src/adapters/types.ts';
import { closeSocket, tap } from './datagrams.ts';
import {
  GROUPS,
  SUITES,
  certificateFragmented,
  makeCertificates,
  makeTempDir,
  priority,
  startServer,
  within,
  type CertFiles,
  type GnuTlsServer,
  type InteropCerts,
  type TempDir,
} from './gnutls.ts';

let dir: TempDir;
let certs: InteropCerts;

before(async () => {
  dir = await makeTempDir('dtls-gnutls-');
  certs = await makeCertificates(dir);
});
after(() => dir?.cleanup());

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Dialed {
  dtls: DtlsStream;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  writer: WritableStreamDefaultWriter<Uint8Array>;
}

/** Binds a socket on 127.0.0.1 and connects to gnutls-serv; everything is closed after the test. */
async function dial(t: TestContext, srv: GnuTlsServer, options: DtlsOptions, log?: { in: Uint8Array[]; out: Uint8Array[] }): Promise<Dialed> {
  const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
  t.after(() => closeSocket(socket));
  let duplex: DatagramDuplex = nodeUdpConnected(socket, '127.0.0.1', srv.port);
  if (log) duplex = tap(duplex, log);
  const dtls = await within(8000, () => `handshake with ${srv.describe()}\n${srv.dump()}`, connect(duplex, { serverName: 'localhost', ...options }));
  t.after(() => within(3000, 'dtls.close()', dtls.close()).catch(() => {}));
  return { dtls, reader: dtls.inbound.readable.getReader(), writer: dtls.outbound.writable.getWriter() };
}

/** Reads plaintext until the accumulated text contains `expected`. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, expected: string, ms = 3000): Promise<string> {
  let text = '';
  return within(
    ms,
    () => `reading ${JSON.stringify(expected)}; got ${JSON.stringify(text)}`,
    (async () => {
      while (!text.includes(expected)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`inbound.readable ended before ${JSON.stringify(expected)}; got ${JSON.stringify(text)}`);
        text += dec.decode(value);
      }
      return text;
    })(),
  );
}

/** Expects `p` to reject with a DtlsError; returns it. */
async function rejectsDtls(p: Promise<unknown>, ms = 8000): Promise<DtlsError> {
  try {
    await within(ms, 'connect() to reject', p);
  } catch (e) {
    if (e instanceof DtlsError) return e;
    throw e;
  }
  assert.fail('connect() resolved, but it should have failed');
}

function certArgs(c: CertFiles, certPath = c.certPath): string[] {
  return ['--x509certfile', certPath, '--x509keyfile', c.keyPath];
}

const requireClientCert = (ca: CertFiles): string[] => ['--require-client-cert', '--verify-client-cert', '--x509cafile', ca.certPath];

/**
 * gnutls-serv --echo prints "received[SEQ]: TEXT" for each record it echoes
 * (a long record in several chunks, each under the same SEQ): matches the
 * line that ends with the last 20 characters of `text`.
 */
function received(text: string): RegExp {
  return new RegExp(`^received\\[[0-9a-f]{16}\\]: .*${text.slice(-20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm');
}

/** gnutls-serv -d 5: "REC[..]: Alert[2|42] - Certificate is bad - was received". */
function alertReceived(alert: number): RegExp {
  return new RegExp(`REC\\[[0-9a-fx]+\\]: Alert\\[2\\|${alert}\\] - [^\\n]* - was received`);
}

/** Sends `line`, expects it echoed back, and on gnutls-serv's stdout. */
async function echoRoundTrip(srv: GnuTlsServer, d: Dialed, line: string): Promise<void> {
  await d.writer.write(enc.encode(`${line}\n`));
  assert.equal(await readUntil(d.reader, line), `${line}\n`);
  await srv.waitFor(received(line));
}

/** Our close_notify: gnutls-serv prints EOF, and our readable ends. */
async function closeAndCheck(srv: GnuTlsServer, d: Dialed): Promise<void> {
  d.writer.releaseLock();
  await within(3000, 'dtls.close()', d.dtls.close());
  assert.equal(d.dtls.state, 'closed');
  await srv.waitFor(/^EOF$/m, 3000);
  assert.deepEqual(await d.reader.read(), { value: undefined, done: true });
}

// ------------------------------------------------------------------ matrix

describe('our client ↔ gnutls-serv: suite × group × certificate', { concurrency: 4 }, () => {
  for (const certName of ['p256', 'p384'] as const) {
    for (const suite of SUITES) {
      for (const group of GROUPS) {
        test(`ECDHE-ECDSA ${suite.cipher} ${group.gnutls} (${certName} certificate)`, async (t) => {
          const cert = certs[certName];
          const srv = await startServer(['-d', '4', '--echo', ...certArgs(cert), '--priority', priority({ cipher: suite.cipher, groups: [group.gnutls] })], {
            t,
          });
          const d = await dial(t, srv, { verify: { ca: [cert.cert] } });
          const info = await d.dtls.handshake;
          assert.equal(info.version, 'DTLS 1.2');
          assert.equal(info.cipherSuite, suite.iana);
          assert.equal(info.group, group.ours);
          assert.equal(info.peerFingerprint, cert.fingerprint);
          assert.equal(info.extendedMasterSecret, true);
          await srv.waitFor(new RegExp(`Selected cipher suite: ${suite.gnutls}$`, 'm'), 3000, 'stderr');
          await srv.waitFor(new RegExp(`Selected group ${group.gnutls} `, 'm'), 3000, 'stderr');
          await srv.waitFor(/^Accepted connection from IPv4 127\.0\.0\.1 port \d+$/m);

          await echoRoundTrip(srv, d, `hello gnutls ${suite.cipher} ${group.gnutls} ${certName}`);
          await closeAndCheck(srv, d);
        });
      }
    }
  }
});

// ------------------------------------------------------------------ features

describe('our client ↔ gnutls-serv: features', { concurrency: 4 }, () => {
  test('several records, including a 1000-byte one, are echoed in order', async (t) => {
    const srv = await startServer(['--echo', ...certArgs(certs.p256)], { t });
    const d = await dial(t, srv, { verify: { ca: [certs.p256.cert] } });
    const lines = ['first record', 'second record', `${'z'.repeat(1000)} big`, 'last record'];
    for (const l of lines) await d.writer.write(enc.encode(`${l}\n`));
    const text = await readUntil(d.reader, 'last record\n');
    assert.equal(text, lines.map((l) => `${l}\n`).join(''));
    await srv.waitFor(received('last record'));
    // gnutls-serv prints each record under its sequence number (epoch 1, after
    // our Finished and any retransmission of it), a long one in several chunks:
    // put them back together, and check the numbers are consecutive.
    const bySeq = new Map<string, string>();
    for (const [, seq, chunk] of srv.stdout.matchAll(/^received\[([0-9a-f]{16})\]: (.*)$/gm)) {
      bySeq.set(seq!, (bySeq.get(seq!) ?? '') + chunk!);
    }
    const first = parseInt([...bySeq.keys()][0]!.slice(4), 16);
    assert.ok(first >= 1);
    assert.deepEqual(
      [...bySeq],
      lines.map((l, i) => [`0001${(first + i).toString(16).padStart(12, '0')}`, l]),
    );
    await closeAndCheck(srv, d);
  });

  // GnuTLS 3.7.9 knows the AES-CM and NULL profiles only (no AEAD ones).
  for (const [serverProfiles, ourProfiles, expected] of [
    ['SRTP_AES128_CM_HMAC_SHA1_80', ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_SHA1_80'], 'SRTP_AES128_CM_SHA1_80'],
    ['SRTP_AES128_CM_HMAC_SHA1_32:SRTP_AES128_CM_HMAC_SHA1_80', ['SRTP_AES128_CM_SHA1_32'], 'SRTP_AES128_CM_SHA1_32'],
  ] as const) {
    test(`use_srtp: gnutls-serv --srtp-profiles ${serverProfiles}, we offer ${ourProfiles.join(',')} → ${expected}`, async (t) => {
      const srv = await startServer(['-d', '4', '--echo', ...certArgs(certs.p256), '--srtp-profiles', serverProfiles], { t });
      const d = await dial(t, srv, { verify: { ca: [certs.p256.cert] }, srtpProfiles: [...ourProfiles] });
      const info = await d.dtls.handshake;
      assert.equal(info.srtpProfile, expected);
      assert.equal(info.srtpProfileId, expected === 'SRTP_AES128_CM_SHA1_80' ? 1 : 2);
      // gnutls-serv answered with one profile: 2-byte list length, 2-byte profile, empty MKI.
      await srv.waitFor(/EXT\[[0-9a-fx]+\]: Sending extension SRTP\/14 \(5 bytes\)$/m, 3000, 'stderr');
      // The exporter itself is compared with GnuTLS's in gnutls-client.test.ts.
      assert.equal(d.dtls.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 60).length, 60);
      await echoRoundTrip(srv, d, 'srtp hello');
      await closeAndCheck(srv, d);
    });
  }

  test('use_srtp without a common profile: gnutls-serv omits the extension, the handshake completes without SRTP', async (t) => {
    const srv = await startServer(['-d', '4', '--echo', ...certArgs(certs.p256), '--srtp-profiles', 'SRTP_AES128_CM_HMAC_SHA1_80'], { t });
    const d = await dial(t, srv, { verify: { ca: [certs.p256.cert] }, srtpProfiles: ['SRTP_AEAD_AES_128_GCM'] });
    const info = await d.dtls.handshake;
    assert.equal(info.srtpProfile, undefined);
    assert.equal(info.srtpProfileId, undefined);
    await srv.waitFor(/Parsing extension 'SRTP\/14' \(5 bytes\)$/m, 3000, 'stderr');
    assert.doesNotMatch(srv.stderr, /Sending extension SRTP\/14/);
    await echoRoundTrip(srv, d, 'no srtp hello');
    await closeAndCheck(srv, d);
  });

  test('ALPN: gnutls-serv --alpn foo --alpn bar, we offer bar and baz → bar', async (t) => {
    const srv = await startServer(['-d', '4', '--echo', ...certArgs(certs.p256), '--alpn', 'foo', '--alpn', 'bar'], { t });
    const d = await dial(t, srv, { verify: { ca: [certs.p256.cert] }, alpn: ['bar', 'baz'] });
    const info = await d.dtls.handshake;
    assert.equal(info.alpn, 'bar');
    // One protocol name in the answer: 2-byte list length, 1-byte name length, "bar".
    await srv.waitFor(/EXT\[[0-9a-fx]+\]: Sending extension ALPN\/16 \(6 bytes\)$/m, 3000, 'stderr');
    await echoRoundTrip(srv, d, 'alpn hello');
    await closeAndCheck(srv, d);
  });

  // TLS 1.2 does not tie the signature hash to the curve (RFC 5246 7.4.1.4.1):
  // gnutls-serv restricted to one ECDSA hash signs its ServerKeyExchange with it,
  // and we must sign our CertificateVerify with a hash from its CertificateRequest.
  for (const [certName, hash] of [
    ['p384', 'SHA256'],
    ['p256', 'SHA384'],
  ] as const) {
    test(`signatures: ${certName} keys with ECDSA-${hash} only (gnutls-serv's ServerKeyExchange and our CertificateVerify)`, async (t) => {
      const cert = certs[certName];
      const srv = await startServer(
        [
          '-d',
          '4',
          '--echo',
          ...certArgs(cert),
          '--priority',
          `${priority()}:-SIGN-ALL:+SIGN-ECDSA-${hash}`,
          '--require-client-cert',
          '--verify-client-cert',
          '--x509cafile',
          cert.certPath,
        ],
        { t },
      );
      const d = await dial(t, srv, { verify: { ca: [cert.cert] }, certificate: { cert: cert.cert, key: cert.key } });
      const info = await d.dtls.handshake;
      assert.equal(info.peerFingerprint, cert.fingerprint);
      await srv.waitFor(new RegExp(`signing TLS 1\\.2 handshake data: using ECDSA-${hash}$`, 'm'), 3000, 'stderr');
      await srv.waitFor(/^- Status: The certificate is trusted\. $/m);
      await echoRoundTrip(srv, d, `signed with ${hash}`);
      await closeAndCheck(srv, d);
    });
  }

  test('chain: gnutls-serv sends leaf + CA, our client trusts only the CA (serverName localhost)', async (t) => {
    const srv = await startServer(['--echo', ...certArgs(certs.leaf, certs.leafChainPath)], { t });
    const d = await dial(t, srv, { verify: { ca: [certs.ca.cert] }, serverName: 'localhost' });
    const info = await d.dtls.handshake;
    assert.equal(info.peerCertificates.length, 2);
    assert.equal(info.peerFingerprint, certs.leaf.fingerprint);
    await echoRoundTrip(srv, d, 'chained hello');
    await closeAndCheck(srv, d);
  });

  test('MTU 500 both ways: gnutls-serv --mtu 500 fragments its chain, we fragment our client chain; every datagram fits', async (t) => {
    const srv = await startServer(['-d', '4', '--mtu', '500', '--echo', ...certArgs(certs.leaf, certs.leafChainPath), ...requireClientCert(certs.ca)], { t });
    const log = { in: [] as Uint8Array[], out: [] as Uint8Array[] };
    const d = await dial(
      t,
      srv,
      { verify: { ca: [certs.ca.cert] }, certificate: { cert: certs.clientLeaf.cert + certs.ca.cert, key: certs.clientLeaf.key }, mtu: 500 },
      log,
    );
    const info = await d.dtls.handshake;
    assert.equal(info.peerCertificates.length, 2);
    assert.equal(certificateFragmented(log.in, 500), undefined, 'from gnutls-serv');
    assert.equal(certificateFragmented(log.out, 500), undefined, 'from us');
    await srv.waitFor(/^- Status: The certificate is trusted\. $/m);
    const line = `${'m'.repeat(300)} mtu`;
    await echoRoundTrip(srv, d, line);
    await closeAndCheck(srv, d);
  });

  test('verification failure: server name not in the certificate; gnutls-serv receives our alert', async (t) => {
    const srv = await startServer(['-d', '5', '--echo', ...certArgs(certs.leaf, certs.leafChainPath)], { t });
    const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
    t.after(() => closeSocket(socket));
    const err = await rejectsDtls(
      connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), { verify: { ca: [certs.ca.cert] }, serverName: 'not-localhost.example' }),
    );
    assert.ok(['verification_failed', 'bad_certificate', 'certificate_unknown'].includes(err.code), `code ${err.code}: ${err.message}`);
    assert.equal(err.fromPeer, false);
    assert.ok(err.alert !== undefined && [42, 46].includes(err.alert), `alert ${err.alert}`);
    await srv.waitFor(alertReceived(err.alert), 3000, 'stderr');
  });

  test('verification failure: certificate from an untrusted CA; gnutls-serv receives our alert', async (t) => {
    const srv = await startServer(['-d', '5', '--echo', ...certArgs(certs.leaf, certs.leafChainPath)], { t });
    const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
    t.after(() => closeSocket(socket));
    const err = await rejectsDtls(connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), { verify: { ca: [certs.otherCa.cert] }, serverName: 'localhost' }));
    assert.equal(err.fromPeer, false);
    assert.ok(err.alert !== undefined && [42, 46, 48].includes(err.alert), `alert ${err.alert} (${err.code}: ${err.message})`);
    await srv.waitFor(alertReceived(err.alert), 3000, 'stderr');
  });

  test('mutual authentication: gnutls-serv --require-client-cert --verify-client-cert trusts our CA-signed client chain', async (t) => {
    const srv = await startServer(['-d', '4', '--echo', ...certArgs(certs.p256), ...requireClientCert(certs.ca)], { t });
    const d = await dial(t, srv, {
      verify: { ca: [certs.p256.cert] },
      certificate: { cert: certs.clientLeaf.cert + certs.ca.cert, key: certs.clientLeaf.key },
    });
    await d.dtls.handshake;
    await srv.waitFor(/^- Status: The certificate is trusted\. $/m);
    // Our Certificate message carried two certificates (a one-certificate message is far shorter).
    const [, length] = await srv.waitFor(/CERTIFICATE \(11\) was received\. Length (\d+)/, 3000, 'stderr');
    assert.ok(Number(length) > 2 * 300, `client Certificate message of ${length} bytes`);
    await echoRoundTrip(srv, d, 'authenticated hello');
    await closeAndCheck(srv, d);
  });

  test('mutual authentication: gnutls-serv --verify-client-cert refuses an untrusted client certificate with access_denied', async (t) => {
    const srv = await startServer(['-d', '5', '--echo', ...certArgs(certs.p256), ...requireClientCert(certs.ca)], { t });
    const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
    t.after(() => closeSocket(socket));
    const err = await rejectsDtls(
      connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), {
        verify: { ca: [certs.p256.cert] },
        serverName: 'localhost',
        certificate: { cert: certs.client.cert, key: certs.client.key },
      }),
    );
    assert.equal(err.code, 'peer_alert', err.message);
    assert.equal(err.fromPeer, true);
    assert.equal(err.alert, 49, err.message); // access_denied
    await srv.waitFor(/^- Status: The certificate is NOT trusted\. The certificate issuer is unknown\. $/m);
    await srv.waitFor(/REC: Sending Alert\[2\|49\]/, 3000, 'stderr');
  });

  // gnutls-serv (3.7.9, UDP mode) does not send an alert when the required client
  // certificate is missing: it prints the error and waits for the next client, so
  // our client can only give up by its handshake timeout.
  test('mutual authentication: without a client certificate gnutls-serv --require-client-cert drops the handshake', async (t) => {
    const srv = await startServer(['--echo', ...certArgs(certs.p256), ...requireClientCert(certs.ca)], { t });
    const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
    t.after(() => closeSocket(socket));
    const failed = rejectsDtls(
      connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), {
        verify: { ca: [certs.p256.cert] },
        serverName: 'localhost',
        handshakeTimeout: 2500,
      }),
    );
    await srv.waitFor(/^Error in handshake\(\): No certificate was found\.$/m, 3000, 'any');
    // It then spins on our retransmissions ("Waiting for connection..." in a loop): stop it.
    await srv.stop();
    const err = await failed;
    assert.equal(err.code, 'handshake_timeout', err.message);
    assert.equal(err.fromPeer, false);
  });

  test('gnutls-serv --nocookie: no HelloVerifyRequest, the first ClientHello is answered', async (t) => {
    const srv = await startServer(['-d', '4', '--nocookie', '--echo', ...certArgs(certs.p256)], { t });
    const d = await dial(t, srv, { verify: { ca: [certs.p256.cert] } });
    await d.dtls.handshake;
    await echoRoundTrip(srv, d, 'no cookie hello');
    assert.doesNotMatch(srv.stdout, /Sending hello verify request/);
    // Our ClientHello was message_seq 0 (after a HelloVerifyRequest it would be 1); a busy
    // machine may see our timer resend it, as the same message 0.
    const seqs = [...srv.stderr.matchAll(/CLIENT HELLO \(1\) was received\.[^\n]*sequence: (\d+)/g)].map((m) => m[1]);
    assert.ok(seqs.length >= 1 && seqs.every((s) => s === '0'), `ClientHello message_seq: ${seqs.join()}`);
    await closeAndCheck(srv, d);
  });

  test('gnutls-serv serves a second client after our close_notify', async (t) => {
    const srv = await startServer(['--echo', ...certArgs(certs.p256)], { t });
    const first = await dial(t, srv, { verify: { ca: [certs.p256.cert] } });
    await echoRoundTrip(srv, first, 'first client');
    await closeAndCheck(srv, first);
    const second = await dial(t, srv, { verify: { ca: [certs.p256.cert] } });
    await echoRoundTrip(srv, second, 'second client');
    await closeAndCheck(srv, second);
    assert.equal([...srv.stdout.matchAll(/^Accepted connection from IPv4 127\.0\.0\.1 port \d+$/gm)].length, 2);
  });
});
