// `gnutls-cli --udp` against our server (listen() over node:dgram), which
// echoes every record it receives.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { generateCertificate, type ListenOptions } from '../../src/index.ts';
import { echo, serve as serveOn, type ServerCertificate, type Served } from './our-server.ts';
import {
  CLIENT_READY,
  GROUPS,
  SUITES,
  certificateFragmented,
  description,
  hex,
  keyMaterial,
  makeCertificates,
  makeTempDir,
  priority,
  runClient,
  startClient,
  within,
  writePemCertificates,
  type ClientResult,
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

/** Our listen() server for one test: the P-256 certificate unless given. */
const serve = (t: TestContext, options: ListenOptions = {}, cert: ServerCertificate = certs.p256, sent?: Uint8Array[]): Promise<Served> =>
  serveOn(t, options, cert, sent);

function where(r: ClientResult): string {
  return `\n--- gnutls-cli stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
}

function clientOk(r: ClientResult): void {
  assert.equal(r.error, undefined, `${r.error?.message}${where(r)}`);
  assert.equal(r.timedOut, false, `gnutls-cli timed out${where(r)}`);
  assert.equal(r.code, 0, `gnutls-cli exit code ${r.code}${where(r)}`);
  assert.match(r.stdout, /^- Handshake was completed$/m, where(r));
  assert.match(description(r.stdout), /^\(DTLS1\.2-X\.509\)-/, where(r));
}

/** Asserts gnutls-cli failed its handshake without timing out. */
function clientFailed(r: ClientResult): void {
  assert.equal(r.timedOut, false, `gnutls-cli timed out${where(r)}`);
  assert.notEqual(r.code, 0, `gnutls-cli exited 0${where(r)}`);
  assert.doesNotMatch(r.stdout, /^- Handshake was completed$/m, where(r));
}

/** Trust `ca` and check the certificate is for "localhost" (sent as SNI too). */
const CA = (caPath: string): string[] => ['--x509cafile', caPath, '--verify-hostname', 'localhost', '--sni-hostname', 'localhost'];

const TRUSTED = /^- Status: The certificate is trusted\. $/m;

// ------------------------------------------------------------------ matrix

// Our server declines an ECDSA certificate whose curve the client did not list
// in supported_groups (RFC 8422 5.1, 5.3; see the last test of this block), so
// gnutls-cli offers the tested group plus the certificate's curve, and our
// server (which picks by its own preference order) prefers the tested group.
const CERT_CURVE = { p256: 'SECP256R1', p384: 'SECP384R1' } as const;

describe('gnutls-cli ↔ our server: suite × group × certificate', { concurrency: 6 }, () => {
  for (const certName of ['p256', 'p384'] as const) {
    for (const suite of SUITES) {
      for (const group of GROUPS) {
        test(`ECDHE-ECDSA ${suite.cipher} ${group.gnutls} (${certName} certificate)`, async (t) => {
          const cert = certs[certName];
          const curve = CERT_CURVE[certName];
          const clientGroups = group.gnutls === curve ? [curve] : [group.gnutls, curve];
          const serverGroups = [group.ours, ...GROUPS.map((g) => g.ours).filter((g) => g !== group.ours)];
          const srv = await serve(t, { groups: serverGroups }, cert);
          const line = `hello ${suite.cipher} ${group.gnutls} ${certName}`;
          const run = runClient(
            srv.port,
            ['--priority', priority({ cipher: suite.cipher, groups: clientGroups }), ...CA(cert.certPath)],
            [line, { waitFor: line }],
            { t },
          );
          const dtls = await srv.next();
          const info = await dtls.handshake;
          const echoed = echo(dtls);
          echoed.catch(() => {});
          const r = await run;
          clientOk(r);
          assert.match(r.stdout, TRUSTED, where(r));
          assert.equal(description(r.stdout), `(DTLS1.2-X.509)-(ECDHE-${group.gnutls})-(ECDSA-${certName === 'p256' ? 'SHA256' : 'SHA384'})-(${suite.cipher})`);
          assert.match(r.stdout, /^- Options: extended master secret, safe renegotiation,/m);
          // The echo came back after "- Simple Client Mode:".
          assert.ok(r.stdout.indexOf(line) > r.stdout.search(CLIENT_READY), where(r));

          assert.equal(info.version, 'DTLS 1.2');
          assert.equal(info.cipherSuite, suite.iana);
          assert.equal(info.group, group.ours);
          assert.equal(info.serverName, 'localhost');
          assert.equal(info.extendedMasterSecret, true);
          assert.equal(info.peerCertificates.length, 0);
          // gnutls-cli's close_notify (at EOF) ended our readable and closed the connection.
          assert.equal(await within(3000, 'inbound.readable to end', echoed), 1);
          await within(3000, 'dtls.closed', dtls.closed);
          assert.equal(dtls.state, 'closed');
        });
      }
    }
  }

  test('gnutls-cli offering only X25519 gets handshake_failure for our P-256 certificate; no connection is offered', async (t) => {
    const srv = await serve(t, {}, certs.p256);
    const r = await runClient(srv.port, ['--priority', priority({ groups: ['X25519'] }), ...CA(certs.p256.certPath)], [], { t, timeoutMs: 8000 });
    clientFailed(r);
    assert.match(`${r.stdout}\n${r.stderr}`, /Received alert \[40\]: Handshake failed/, where(r));
    await assert.rejects(srv.next(300), /timed out/);
    const err = await srv.handshakeError();
    assert.equal(err.alert, 40);
    assert.match(err.message, /curve P-256/);
    assert.equal(srv.server.stats.handshakes, 0);
  });
});

// ------------------------------------------------------------------ features

describe('gnutls-cli ↔ our server: features', { concurrency: 6 }, () => {
  test('signatures: gnutls-cli accepting only ECDSA-SHA384 gets a SHA-384 signature from our P-256 key', async (t) => {
    const srv = await serve(t);
    const run = runClient(
      srv.port,
      ['--priority', `${priority()}:-SIGN-ALL:+SIGN-ECDSA-SHA384`, ...CA(certs.p256.certPath)],
      ['sha384 line', { waitFor: 'sha384 line' }],
      { t },
    );
    const dtls = await srv.next();
    void echo(dtls).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.match(description(r.stdout), /-\(ECDSA-SHA384\)-/, where(r));
  });

  test('signatures: gnutls-cli accepting only ECDSA-SHA512 (which we do not sign with) gets handshake_failure', async (t) => {
    const srv = await serve(t);
    const r = await runClient(srv.port, ['--priority', `${priority()}:-SIGN-ALL:+SIGN-ECDSA-SHA512`, ...CA(certs.p256.certPath)], [], { t, timeoutMs: 8000 });
    clientFailed(r);
    assert.match(`${r.stdout}\n${r.stderr}`, /Received alert \[40\]: Handshake failed/, where(r));
    const err = await srv.handshakeError();
    assert.equal(err.alert, 40);
    assert.match(err.message, /signature/);
    await assert.rejects(srv.next(300), /timed out/);
  });

  test('several lines are echoed in order; close_notify at EOF closes our connection', async (t) => {
    const srv = await serve(t);
    const lines = ['first line', 'second line', 'third line'];
    const run = runClient(
      srv.port,
      CA(certs.p256.certPath),
      lines.flatMap((l) => [l, { waitFor: l }]),
      { t },
    );
    const dtls = await srv.next();
    const alerts: string[] = [];
    dtls.addEventListener('alert', (e) => alerts.push(`${e.detail.fromPeer ? 'peer' : 'us'}:${e.detail.name}`));
    const got: string[] = [];
    const reader = dtls.inbound.readable.getReader();
    const writer = dtls.outbound.writable.getWriter();
    for (;;) {
      const { value, done } = await within(8000, 'inbound.readable', reader.read());
      if (done) break;
      got.push(new TextDecoder().decode(value));
      await writer.write(value);
    }
    const r = await run;
    clientOk(r);
    assert.deepEqual(
      got,
      lines.map((l) => `${l}\n`),
    );
    const at = lines.map((l) => r.stdout.indexOf(l));
    assert.ok(
      at.every((i, k) => i > 0 && (k === 0 || i > at[k - 1]!)),
      `echo order in gnutls-cli output: ${at}`,
    );
    await within(3000, 'dtls.closed', dtls.closed);
    assert.ok(alerts.includes('peer:close_notify'), `alerts: ${alerts}`);
  });

  test('our close_notify ends gnutls-cli', async (t) => {
    const srv = await serve(t);
    const proc = startClient(srv.port, CA(certs.p256.certPath), { t });
    await proc.waitFor(CLIENT_READY, 8000);
    const dtls = await srv.next();
    const writer = dtls.outbound.writable.getWriter();
    await writer.write(new TextEncoder().encode('server speaks first\n'));
    await proc.waitFor('server speaks first');
    writer.releaseLock();
    await within(3000, 'dtls.close()', dtls.close());
    // stdin is still open: gnutls-cli leaves because of our close_notify alone.
    await proc.waitFor(/^- Peer has closed the GnuTLS connection$/m, 3000, 'any');
    const status = await proc.waitExit(3000);
    assert.deepEqual(status, { code: 0, signal: null }, proc.dump());
  });

  // GnuTLS 3.7.9 offers SRTP_AES128_CM_HMAC_SHA1_80/_32 (not the AEAD profiles).
  for (const [cliProfiles, ourProfiles, expected] of [
    ['SRTP_AES128_CM_HMAC_SHA1_80', ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_SHA1_80'], 'SRTP_AES128_CM_SHA1_80'],
    ['SRTP_AES128_CM_HMAC_SHA1_80:SRTP_AES128_CM_HMAC_SHA1_32', ['SRTP_AES128_CM_SHA1_32', 'SRTP_AES128_CM_SHA1_80'], 'SRTP_AES128_CM_SHA1_32'],
  ] as const) {
    test(`use_srtp ${cliProfiles} → ${expected}: gnutls-cli's EXTRACTOR-dtls_srtp equals our exporter`, async (t) => {
      const srv = await serve(t, { srtpProfiles: [...ourProfiles] });
      const run = runClient(
        srv.port,
        [...CA(certs.p256.certPath), '--srtp-profiles', cliProfiles, '--keymatexport', 'EXTRACTOR-dtls_srtp', '--keymatexportsize', '60'],
        ['srtp line', { waitFor: 'srtp line' }],
        { t },
      );
      const dtls = await srv.next();
      const info = await dtls.handshake;
      const ours = hex(dtls.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 60));
      void echo(dtls).catch(() => {});
      const r = await run;
      clientOk(r);
      assert.equal(info.srtpProfile, expected);
      assert.match(r.stdout, new RegExp(`^- SRTP profile: ${expected.replace('SHA1', 'HMAC_SHA1')}$`, 'm'), where(r));
      const theirs = keyMaterial(r.stdout);
      assert.equal(theirs.length, 120);
      assert.equal(ours, theirs);
    });
  }

  test('exporter with another label (RFC 5705, no context): gnutls-cli --keymatexport equals ours', async (t) => {
    const srv = await serve(t);
    const label = 'EXPORTER-dtls-stream-test';
    const run = runClient(
      srv.port,
      [...CA(certs.p256.certPath), '--keymatexport', label, '--keymatexportsize', '42'],
      ['exporter line', { waitFor: 'exporter line' }],
      { t },
    );
    const dtls = await srv.next();
    await dtls.handshake;
    const ours = hex(dtls.exportKeyingMaterial(label, undefined, 42));
    void echo(dtls).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.equal(ours, keyMaterial(r.stdout));
  });

  test('certificate from generateCertificate() with subjectAltNames: gnutls-cli verifies it for localhost', async (t) => {
    const generated = generateCertificate({ commonName: 'dtls-stream gnutls test', subjectAltNames: ['localhost', '127.0.0.1'], days: 2 });
    const caPath = dir.path(`generated-${Date.now()}.pem`);
    await writePemCertificates(caPath, generated.chain);
    const srv = await serve(t, {}, generated);
    const run = runClient(srv.port, CA(caPath), ['generated line', { waitFor: 'generated line' }], { t });
    const dtls = await srv.next();
    void echo(dtls).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.match(r.stdout, TRUSTED, where(r));
    assert.match(r.stdout, /subject `CN=dtls-stream gnutls test', issuer `CN=dtls-stream gnutls test'/, where(r));
  });

  test('chain from generateCertificate() (CA → leaf): we send both, gnutls-cli trusts the CA only', async (t) => {
    const ca = generateCertificate({ commonName: 'dtls-stream Test CA', ca: true, days: 2 });
    const leaf = generateCertificate({ commonName: 'localhost', subjectAltNames: ['localhost'], issuer: ca, days: 2 });
    assert.equal(leaf.chain.length, 2);
    const caPath = dir.path(`generated-ca-${Date.now()}.pem`);
    await writePemCertificates(caPath, ca.chain);
    const srv = await serve(t, {}, leaf);
    const run = runClient(srv.port, CA(caPath), ['chain line', { waitFor: 'chain line' }], { t });
    const dtls = await srv.next();
    void echo(dtls).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.match(r.stdout, /^- Got a certificate list of 2 certificates\.$/m, where(r));
    assert.match(r.stdout, TRUSTED, where(r));
  });

  test('MTU 500: our certificate chain goes out in fragments; gnutls-cli --mtu 500 reassembles and verifies it', async (t) => {
    const sent: Uint8Array[] = [];
    const srv = await serve(t, { mtu: 500 }, { ...certs.leaf, cert: certs.leaf.cert + certs.ca.cert }, sent);
    const line = `${'x'.repeat(300)} mtu`;
    const run = runClient(srv.port, ['--mtu', '500', ...CA(certs.ca.certPath)], [line, { waitFor: line }], { t });
    const dtls = await srv.next();
    const echoed = echo(dtls);
    echoed.catch(() => {});
    const r = await run;
    clientOk(r);
    assert.match(r.stdout, /^- Got a certificate list of 2 certificates\.$/m, where(r));
    assert.match(r.stdout, /^ - subject `CN=localhost', issuer `CN=Interop Test CA'/m, where(r));
    assert.match(r.stdout, TRUSTED, where(r));
    assert.equal(certificateFragmented(sent, 500), undefined);
    assert.equal(await within(3000, 'echo end', echoed), 1);
  });

  test('verification failure in gnutls-cli: our certificate is not from its CA', async (t) => {
    const srv = await serve(t);
    const r = await runClient(srv.port, CA(certs.otherCa.certPath), [], { t, timeoutMs: 8000 });
    clientFailed(r);
    assert.match(r.stdout, /^- Status: The certificate is NOT trusted\. The certificate issuer is unknown\. $/m, where(r));
    assert.match(r.stdout, /^\*\*\* PKI verification of server certificate failed\.\.\.$/m, where(r));
    assert.match(r.stderr, /^\*\*\* Fatal error: Error in the certificate\.$/m, where(r));
    await assert.rejects(srv.next(300), /timed out/);
    // gnutls-cli told us why: bad_certificate.
    const err = await srv.handshakeError();
    assert.equal(err.code, 'peer_alert', err.message);
    assert.equal(err.fromPeer, true);
    assert.equal(err.alert, 42);
  });

  test('verification failure in gnutls-cli: the hostname is not in our certificate', async (t) => {
    const srv = await serve(t);
    const r = await runClient(srv.port, ['--x509cafile', certs.p256.certPath, '--verify-hostname', 'not-localhost.example'], [], { t, timeoutMs: 8000 });
    clientFailed(r);
    assert.match(r.stdout, /^- Status: The certificate is NOT trusted\. The name in the certificate does not match the expected\. $/m, where(r));
    await assert.rejects(srv.next(300), /timed out/);
    const err = await srv.handshakeError();
    assert.equal(err.code, 'peer_alert', err.message);
    assert.equal(err.alert, 42);
  });

  test('client certificate: a CA-signed chain from gnutls-cli, verified against the CA', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { ca: [certs.ca.cert] } });
    const run = runClient(
      srv.port,
      [...CA(certs.p256.certPath), '--x509certfile', certs.clientLeafChainPath, '--x509keyfile', certs.clientLeaf.keyPath],
      ['mutual line', { waitFor: 'mutual line' }],
      { t },
    );
    const dtls = await srv.next();
    const info = await dtls.handshake;
    void echo(dtls).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.match(r.stdout, /^- Successfully sent 2 certificate\(s\) to server\.$/m, where(r));
    assert.equal(info.peerCertificates.length, 2);
    assert.equal(info.peerFingerprint, certs.clientLeaf.fingerprint);
  });

  test('client certificate: self-signed, pinned by fingerprint', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { fingerprints: [certs.client.fingerprint] } });
    const run = runClient(
      srv.port,
      [...CA(certs.p256.certPath), '--x509certfile', certs.client.certPath, '--x509keyfile', certs.client.keyPath],
      ['pinned line', { waitFor: 'pinned line' }],
      { t },
    );
    const dtls = await srv.next();
    const info = await dtls.handshake;
    void echo(dtls).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.match(r.stdout, /^- Successfully sent 1 certificate\(s\) to server\.$/m, where(r));
    assert.equal(info.peerFingerprint, certs.client.fingerprint);
  });

  test('client certificate: P-384 key, gnutls-cli signs its CertificateVerify with ECDSA-SHA256 only', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { fingerprints: [certs.p384.fingerprint] } });
    const run = runClient(
      srv.port,
      [
        '--priority',
        `${priority()}:-SIGN-ALL:+SIGN-ECDSA-SHA256`,
        ...CA(certs.p256.certPath),
        '--x509certfile',
        certs.p384.certPath,
        '--x509keyfile',
        certs.p384.keyPath,
      ],
      ['p384 client line', { waitFor: 'p384 client line' }],
      { t },
    );
    const dtls = await srv.next();
    const info = await dtls.handshake;
    void echo(dtls).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.match(r.stdout, /^- Successfully sent 1 certificate\(s\) to server\.$/m, where(r));
    assert.equal(info.peerFingerprint, certs.p384.fingerprint);
  });

  test('client certificate: required but gnutls-cli sends none → handshake_failure', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { fingerprints: [certs.client.fingerprint] } });
    const r = await runClient(srv.port, CA(certs.p256.certPath), [], { t, timeoutMs: 8000 });
    clientFailed(r);
    assert.match(r.stdout, /^- Successfully sent 0 certificate\(s\) to server\.$/m, where(r));
    assert.match(`${r.stdout}\n${r.stderr}`, /Received alert \[40\]: Handshake failed/, where(r));
    await assert.rejects(srv.next(300), /timed out/);
    const err = await srv.handshakeError();
    assert.equal(err.fromPeer, false);
    assert.equal(err.alert, 40, `${err.code}: ${err.message}`);
  });

  test('client certificate: wrong fingerprint → bad_certificate', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { fingerprints: [certs.client.fingerprint] } });
    const r = await runClient(srv.port, [...CA(certs.p256.certPath), '--x509certfile', certs.p384.certPath, '--x509keyfile', certs.p384.keyPath], [], {
      t,
      timeoutMs: 8000,
    });
    clientFailed(r);
    assert.match(`${r.stdout}\n${r.stderr}`, /Received alert \[42\]: Certificate is bad/, where(r));
    await assert.rejects(srv.next(300), /timed out/);
    const err = await srv.handshakeError();
    assert.equal(err.fromPeer, false);
    assert.equal(err.alert, 42, `${err.code}: ${err.message}`);
  });

  test('ALPN: gnutls-cli --alpn bar --alpn baz, we support foo and bar → bar', async (t) => {
    const srv = await serve(t, { alpn: ['foo', 'bar'] });
    const run = runClient(srv.port, [...CA(certs.p256.certPath), '--alpn', 'bar', '--alpn', 'baz'], ['alpn line', { waitFor: 'alpn line' }], { t });
    const dtls = await srv.next();
    const info = await dtls.handshake;
    void echo(dtls).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.equal(info.alpn, 'bar');
    assert.match(r.stdout, /^- Application protocol: bar$/m, where(r));
  });

  // Renegotiation is refused with a warning and the connection goes on
  // (connection.ts). gnutls-cli -e rehandshakes right after the handshake; each
  // warning makes it call gnutls_handshake() again, which adds another
  // ClientHello to its flight (1, 2, 4.. per datagram), and we answer each one.
  test('gnutls-cli -e (rehandshake) is refused with no_renegotiation warnings; the connection stays up', async (t) => {
    const srv = await serve(t);
    const proc = startClient(srv.port, [...CA(certs.p256.certPath), '-e'], { t });
    const dtls = await srv.next();
    const alerts: string[] = [];
    dtls.addEventListener('alert', (e) => alerts.push(`${e.detail.fromPeer ? 'peer' : 'us'}:${e.detail.level}:${e.detail.name}`));
    await proc.waitFor(/^\*\*\* Received alert \[100\]: No renegotiation is allowed$/m, 5000);
    assert.ok(alerts.length >= 1 && alerts.every((a) => a === 'us:warning:no_renegotiation'), `alerts: ${alerts}`);
    assert.equal(dtls.state, 'connected');
    // Our close_notify ends its attempts.
    await within(3000, 'dtls.close()', dtls.close());
    await proc.waitFor(/^\*\*\* ReHandshake has failed$/m, 3000, 'any');
    assert.match(proc.stderr, /^GnuTLS error: Peer has terminated the connection$/m, proc.dump());
    assert.deepEqual(await proc.waitExit(3000), { code: 1, signal: null }, proc.dump());
  });

  test("gnutls-cli -r (resume): the second connection resumes the first's session (our ticket, RFC 5077): an abbreviated handshake", async (t) => {
    const srv = await serve(t);
    const run = runClient(srv.port, [...CA(certs.p256.certPath), '-r'], ['resumed line', { waitFor: 'resumed line' }], { t });
    const first = await srv.next();
    const firstInfo = await first.handshake;
    await within(5000, 'first connection to close', first.closed);
    const second = await srv.next();
    const secondInfo = await second.handshake;
    void echo(second).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.match(r.stdout, /^- Connecting again- trying to resume previous session$/m, where(r));
    assert.match(r.stdout, /^- Resume Handshake was completed$/m, where(r));
    assert.match(r.stdout, /This is a resumed session/, where(r));
    // Our certificate was sent and verified once: the second handshake had none.
    assert.equal([...r.stdout.matchAll(/^- Status: The certificate is trusted\. $/gm)].length, 1, where(r));
    assert.equal(firstInfo.resumed, false);
    assert.equal(secondInfo.resumed, true);
    assert.equal(srv.server.stats.handshakes, 2);
  });

  test('two gnutls-clis at once on one server', async (t) => {
    const srv = await serve(t);
    const runs = ['alpha client', 'beta client'].map((l) => runClient(srv.port, CA(certs.p256.certPath), [l, { waitFor: l }], { t }));
    const a = await srv.next();
    const b = await srv.next();
    const echoes = [echo(a), echo(b)];
    for (const r of await Promise.all(runs)) clientOk(r);
    assert.deepEqual(await within(3000, 'echoes', Promise.all(echoes)), [1, 1]);
    await within(3000, 'closed', Promise.all([a.closed, b.closed]));
    assert.equal(srv.server.stats.handshakes, 2);
  });
});
