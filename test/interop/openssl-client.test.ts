// `openssl s_client -dtls1_2` against our server (listen() over node:dgram),
// which echoes every record it receives.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ListenOptions } from '../../src/stream/index.ts';
import { echo, serve as serveOn, type ServerCertificate, type Served } from './our-server.ts';
import { handshakeFragments } from './datagrams.ts';
import {
  GROUPS,
  SUITES,
  SUITE_IANA,
  hex,
  keyingMaterial,
  makeCertificates,
  makeTempDir,
  runClient,
  sleep,
  startClient,
  within,
  CLIENT_READY,
  type CertFiles,
  type ClientResult,
  type InteropCerts,
  type TempDir,
} from './openssl.ts';

let dir: TempDir;
let certs: InteropCerts;

before(async () => {
  dir = await makeTempDir();
  certs = await makeCertificates(dir);
});
after(() => dir?.cleanup());

/** Our listen() server for one test: the P-256 certificate unless given. */
const serve = (t: TestContext, options: ListenOptions = {}, cert: ServerCertificate = certs.p256, sent?: Uint8Array[]): Promise<Served> =>
  serveOn(t, options, cert, sent);

function clientOk(r: ClientResult): void {
  const where = `\n--- s_client stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
  assert.equal(r.error, undefined, `${r.error?.message}${where}`);
  assert.equal(r.timedOut, false, `s_client timed out${where}`);
  assert.equal(r.code, 0, `s_client exit code ${r.code}${where}`);
  assert.match(r.stdout, /^\s*Protocol\s*: DTLSv1\.2$/m, where);
}

/** Asserts s_client failed its handshake and printed the alert it received. */
function clientGotAlert(r: ClientResult, alert: number): void {
  const where = `\n--- s_client stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
  assert.equal(r.timedOut, false, `s_client timed out${where}`);
  assert.notEqual(r.code, 0, `s_client exited 0${where}`);
  assert.match(r.stderr, new RegExp(`SSL alert number ${alert}\\b`), where);
}

const CA = (c: CertFiles): string[] => ['-CAfile', c.certPath, '-verify_return_error'];

// ------------------------------------------------------------------ matrix

const TEMP_KEY: Record<string, RegExp> = {
  X25519: /^Server Temp Key: X25519, 253 bits$/m,
  'P-256': /^Server Temp Key: ECDH, prime256v1, 256 bits$/m,
  'P-384': /^Server Temp Key: ECDH, secp384r1, 384 bits$/m,
};

// OpenSSL's client refuses a server certificate whose curve it did not list in
// supported_groups ("tls12_check_peer_sigalg: wrong curve"), so s_client offers
// the tested group plus the certificate's curve, and our server (which picks by
// its own preference order) is configured to prefer the tested group.
const CERT_CURVE = { p256: 'P-256', p384: 'P-384' } as const;

describe('openssl s_client ↔ our server: suite × group × certificate', { concurrency: 4 }, () => {
  for (const certName of ['p256', 'p384'] as const) {
    for (const suite of SUITES) {
      for (const group of GROUPS) {
        test(`${suite} ${group.openssl} (${certName} certificate)`, async (t) => {
          const cert = certs[certName];
          const curve = CERT_CURVE[certName];
          const clientGroups = group.openssl === curve ? curve : `${group.openssl}:${curve}`;
          const serverGroups = [group.ours, ...GROUPS.map((g) => g.ours).filter((g) => g !== group.ours)];
          const srv = await serve(t, { groups: serverGroups }, cert);
          const line = `hello ${suite} ${group.openssl} ${certName}`;
          const run = runClient(
            srv.port,
            ['-cipher', suite, '-groups', clientGroups, ...CA(cert), '-verify_hostname', 'localhost'],
            [line, { waitFor: line }],
            { t },
          );
          const dtls = await srv.next();
          const info = await dtls.handshake;
          const echoed = echo(dtls);
          echoed.catch(() => {});
          const r = await run;
          clientOk(r);
          assert.match(r.stdout, /^\s*Verify return code: 0 \(ok\)$/m);
          assert.match(r.stdout, /^Verified peername: localhost$/m);
          assert.match(r.stdout, new RegExp(`^\\s*Cipher\\s*: ${suite}$`, 'm'));
          assert.match(r.stdout, TEMP_KEY[group.openssl]!);
          assert.match(r.stdout, /^\s*Extended master secret: yes$/m);

          // Our server has the default versions (1.3 and 1.2): s_client (1.2 only) gets 1.2, and the
          // downgrade sentinel in our ServerHello.random is nothing to a 1.2 client (RFC 8446 4.1.3).
          assert.equal(info.version, 'DTLS 1.2');
          assert.equal(info.cipherSuite, SUITE_IANA[suite]);
          assert.equal(info.group, group.ours);
          assert.equal(info.peerCertificates.length, 0);
          // s_client's close_notify (at EOF) ended our readable and closed the connection.
          assert.equal(await within(3000, 'inbound.readable to end', echoed), 1);
          await within(3000, 'dtls.closed', dtls.closed);
          assert.equal(dtls.state, 'closed');
        });
      }
    }
  }

  test('s_client offering only X25519 refuses our P-256 certificate; no connection is offered', async (t) => {
    const srv = await serve(t, {}, certs.p256);
    const r = await runClient(srv.port, ['-groups', 'X25519', ...CA(certs.p256)], [], { t, timeoutMs: 6000 });
    assert.equal(r.timedOut, false);
    assert.notEqual(r.code, 0, r.stdout);
    // Either s_client rejects the certificate's curve, or (RFC 8422 5.3) our server
    // declines the handshake because the client cannot use its certificate.
    assert.match(r.stderr, /wrong curve|SSL alert number 40/, r.stderr);
    // The failed handshake is never offered on server.connections.
    await assert.rejects(srv.next(300), /timed out/);
  });
});

// ------------------------------------------------------------------ features

describe('openssl s_client ↔ our server: features', { concurrency: 4 }, () => {
  test('several lines are echoed in order; close_notify at EOF closes our connection', async (t) => {
    const srv = await serve(t);
    const lines = ['first line', 'second line', 'third line'];
    const run = runClient(srv.port, CA(certs.p256), [...lines.flatMap((l) => [l, { waitFor: l }])], { t });
    const dtls = await srv.next();
    const got: string[] = [];
    const reader = dtls.inbound.readable.getReader();
    const writer = dtls.outbound.writable.getWriter();
    const closes: string[] = [];
    dtls.addEventListener('alert', (e) => closes.push(`${e.detail.fromPeer ? 'peer' : 'us'}:${e.detail.name}`));
    for (;;) {
      const { value, done } = await within(5000, 'inbound.readable', reader.read());
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
      `echo order in s_client output: ${at}`,
    );
    await within(3000, 'dtls.closed', dtls.closed);
    assert.ok(closes.includes('peer:close_notify'), `alerts: ${closes}`);
  });

  for (const profile of ['SRTP_AES128_CM_SHA1_80', 'SRTP_AEAD_AES_128_GCM']) {
    test(`use_srtp ${profile}: s_client's EXTRACTOR-dtls_srtp equals our exporter`, async (t) => {
      const srv = await serve(t, { srtpProfiles: [profile, 'SRTP_AES128_CM_SHA1_32'] });
      const run = runClient(
        srv.port,
        [...CA(certs.p256), '-use_srtp', `${profile}:SRTP_AES128_CM_SHA1_32`, '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', '60'],
        [],
        { t },
      );
      const dtls = await srv.next();
      const info = await dtls.handshake;
      const ours = hex(dtls.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 60));
      void echo(dtls).catch(() => {});
      const r = await run;
      clientOk(r);
      assert.equal(info.srtpProfile, profile);
      assert.match(r.stdout, new RegExp(`^SRTP Extension negotiated, profile=${profile}$`, 'm'));
      assert.equal(ours, keyingMaterial(r.stdout));
    });
  }

  test('MTU 500: our certificate chain is fragmented; s_client verifies it against the CA', async (t) => {
    const sent: Uint8Array[] = [];
    const srv = await serve(t, { mtu: 500 }, { ...certs.leaf, cert: certs.leaf.cert + certs.ca.cert }, sent);
    const line = `${'x'.repeat(300)} mtu`;
    const run = runClient(srv.port, ['-mtu', '500', ...CA(certs.ca), '-verify_hostname', 'localhost'], [line, { waitFor: line }], { t });
    const dtls = await srv.next();
    const echoed = echo(dtls);
    echoed.catch(() => {});
    const r = await run;
    clientOk(r);
    assert.match(r.stdout, /^\s*Verify return code: 0 \(ok\)$/m);
    assert.match(r.stdout, /^ 1 s:CN = Interop Test CA$/m); // s_client received the whole chain
    const frags = handshakeFragments(sent).filter(([type]) => type === 11);
    assert.ok(frags.length >= 2, `our Certificate went out in ${frags.length} fragment(s)`);
    const total = frags[0]![1];
    assert.ok(total > 500 && frags.every(([, length, , fragLength]) => length === total && fragLength < total), JSON.stringify(frags));
    for (const d of sent) assert.ok(d.length <= 500, `sent a ${d.length}-byte datagram`);
    assert.equal(await within(3000, 'echo end', echoed), 1);
  });

  test('client certificate: required and pinned by fingerprint', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { fingerprints: [certs.client.fingerprint] } });
    const run = runClient(
      srv.port,
      [...CA(certs.p256), '-cert', certs.client.certPath, '-key', certs.client.keyPath],
      ['mutual hello', { waitFor: 'mutual hello' }],
      { t },
    );
    const dtls = await srv.next();
    const info = await dtls.handshake;
    void echo(dtls).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.equal(info.peerFingerprint, certs.client.fingerprint);
    assert.equal(info.peerCertificates.length, 1);
    assert.match(r.stdout, /^Client Certificate Types: ECDSA sign/m);
  });

  test('client certificate: a CA-signed client chain verified against the CA', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { ca: [certs.ca.cert] } });
    const run = runClient(
      srv.port,
      [...CA(certs.p256), '-cert', certs.clientLeaf.certPath, '-key', certs.clientLeaf.keyPath, '-cert_chain', certs.ca.certPath],
      ['chain hello', { waitFor: 'chain hello' }],
      { t },
    );
    const dtls = await srv.next();
    const info = await dtls.handshake;
    void echo(dtls).catch(() => {});
    clientOk(await run);
    assert.equal(info.peerFingerprint, certs.clientLeaf.fingerprint);
    assert.equal(info.peerCertificates.length, 2);
  });

  test('client certificate: required but s_client sends none', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { fingerprints: [certs.client.fingerprint] } });
    const r = await runClient(srv.port, CA(certs.p256), [], { t, timeoutMs: 6000 });
    clientGotAlert(r, 40); // handshake_failure (RFC 5246 7.4.6)
    // The failed handshake is never offered on server.connections.
    await assert.rejects(srv.next(300), /timed out/);
    assert.equal(srv.server.size, 0);
  });

  test('client certificate: wrong fingerprint is rejected with bad_certificate', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { fingerprints: [certs.client.fingerprint] } });
    const r = await runClient(srv.port, [...CA(certs.p256), '-cert', certs.p384.certPath, '-key', certs.p384.keyPath], [], { t, timeoutMs: 6000 });
    clientGotAlert(r, 42);
    // The failed handshake is never offered on server.connections.
    await assert.rejects(srv.next(300), /timed out/);
  });

  test('cookie exchange: listen() sends a HelloVerifyRequest and s_client completes', async (t) => {
    const srv = await serve(t);
    const run = runClient(srv.port, [...CA(certs.p256), '-msg'], ['after cookie', { waitFor: 'after cookie' }], { t });
    const dtls = await srv.next();
    void echo(dtls).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.equal(srv.server.stats.cookieReplies, 1);
    // s_client -msg: a HelloVerifyRequest (type 3) arrived, then it sent a second ClientHello (type 1).
    assert.match(r.stdout, /<<< [^\n]*content_type=22\) \[length [0-9a-f]{4}\]\n\s+03 /);
    assert.equal([...r.stdout.matchAll(/>>> [^\n]*content_type=22\) \[length [0-9a-f]{4}\]\n\s+01 /g)].length, 2);
  });

  test('cookie exchange off (requireCookie: false): one ClientHello is enough', async (t) => {
    const srv = await serve(t, { requireCookie: false });
    const run = runClient(srv.port, [...CA(certs.p256), '-msg'], ['no cookie', { waitFor: 'no cookie' }], { t });
    const dtls = await srv.next();
    void echo(dtls).catch(() => {});
    const r = await run;
    clientOk(r);
    assert.equal(srv.server.stats.cookieReplies, 0);
    assert.doesNotMatch(r.stdout, /<<< [^\n]*content_type=22\) \[length [0-9a-f]{4}\]\n\s+03 /);
  });

  // Renegotiation is refused with a warning (connection.ts). s_client's "R" sends a
  // new ClientHello in epoch 1 with message_seq 0 (RFC 6347 4.2.2).
  test('s_client renegotiation ("R") is refused with a no_renegotiation warning', async (t) => {
    const srv = await serve(t);
    const proc = startClient(srv.port, [...CA(certs.p256), '-msg'], t);
    await proc.waitFor(CLIENT_READY);
    const dtls = await srv.next();
    const sent: string[] = [];
    dtls.addEventListener('alert', (e) => {
      if (!e.detail.fromPeer) sent.push(e.detail.name);
    });
    void echo(dtls).catch(() => {});
    proc.writeLine('R');
    await proc.waitFor(/RENEGOTIATING/, 3000, 'any');
    // s_client sent a third ClientHello (type 1): the first two were the cookie exchange.
    await proc.waitFor(/(?:>>> [^\n]*content_type=22\) \[length [0-9a-f]{4}\]\n\s+01 [\s\S]*?){3}/);
    for (let i = 0; i < 40 && sent.length === 0; i++) await sleep(50);
    assert.deepEqual(sent, ['no_renegotiation'], `alerts our server sent; stats ${JSON.stringify(dtls.stats)}`);
    // s_client received it: content type 21, level 1 (warning), description 100.
    await proc.waitFor(/<<< [^\n]*content_type=21\) \[length 0002\]\n\s+01 64\n/, 3000);
  });

  test('two s_clients at once on one server', async (t) => {
    const srv = await serve(t);
    const runs = ['alpha client', 'beta client'].map((l) => runClient(srv.port, CA(certs.p256), [l, { waitFor: l }], { t }));
    const a = await srv.next();
    const b = await srv.next();
    const echoes = [echo(a), echo(b)];
    for (const r of await Promise.all(runs)) clientOk(r);
    assert.deepEqual(await within(3000, 'echoes', Promise.all(echoes)), [1, 1]);
    await within(3000, 'closed', Promise.all([a.closed, b.closed]));
  });
});
