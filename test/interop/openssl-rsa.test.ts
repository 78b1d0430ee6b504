// ECDHE-RSA against OpenSSL: our client with `openssl s_server -dtls1_2` and an
// RSA 2048 certificate, `openssl s_client -dtls1_2` against our server with
// one, each RSA suite, RSA-PSS and PKCS#1 v1.5 signatures, and an RSA client
// certificate both ways.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/stream/index.ts';
import { bindUdp, nodeUdpConnected } from '../../src/adapters/node.ts';
import { closeSocket } from './datagrams.ts';
import { echo, serve } from './our-server.ts';
import { makeTempDir, runClient, selfSigned, startServer, within, type CertFiles, type TempDir } from './openssl.ts';

const RSA_SUITES = {
  'ECDHE-RSA-AES128-GCM-SHA256': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305': 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
} as const;

let dir: TempDir;
let server: CertFiles;
let client: CertFiles;

before(async () => {
  dir = await makeTempDir('dtls-interop-rsa-');
  [server, client] = await Promise.all([
    selfSigned(dir, 'rsa-server', 'rsa:2048', 'localhost', ['subjectAltName=DNS:localhost,IP:127.0.0.1']),
    selfSigned(dir, 'rsa-client', 'rsa:2048', 'client', []),
  ]);
});
after(() => dir?.cleanup());

const enc = new TextEncoder();

describe('our client ↔ openssl s_server with an RSA certificate', { concurrency: 3 }, () => {
  for (const [suite, iana] of Object.entries(RSA_SUITES)) {
    test(`${suite}: the handshake verifies s_server's RSA signature and data flows`, async (t) => {
      const srv = await startServer(['-cert', server.certPath, '-key', server.keyPath, '-cipher', suite], { t });
      const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
      t.after(() => closeSocket(socket));
      const dtls = await within(
        8000,
        () => `handshake with ${srv.describe()}\n${srv.dump()}`,
        connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), { serverName: 'localhost', verify: { ca: [server.cert] } }),
      );
      t.after(() => within(3000, 'dtls.close()', dtls.close()).catch(() => {}));
      const info = await dtls.handshake;
      assert.equal(info.cipherSuite, iana);
      assert.equal(info.peerFingerprint, server.fingerprint);
      await srv.waitFor(`CIPHER is ${suite}`);
      const writer = dtls.outbound.writable.getWriter();
      await writer.write(enc.encode(`hello over ${suite}\n`));
      await srv.waitFor(`hello over ${suite}`);
    });
  }

  test('mutual authentication: s_server -Verify 1 checks our RSA client certificate (CertificateVerify)', async (t) => {
    const srv = await startServer(['-cert', server.certPath, '-key', server.keyPath, '-Verify', '1', '-CAfile', client.certPath, '-verify_return_error'], {
      t,
    });
    const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
    t.after(() => closeSocket(socket));
    const dtls = await within(
      8000,
      () => `handshake with ${srv.describe()}\n${srv.dump()}`,
      connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), {
        serverName: 'localhost',
        verify: { ca: [server.cert] },
        certificate: { cert: client.cert, key: client.key },
      }),
    );
    t.after(() => within(3000, 'dtls.close()', dtls.close()).catch(() => {}));
    await dtls.handshake;
    await srv.waitFor(/^Client certificate$/m);
    await srv.waitFor(/CN\s*=\s*client/);
  });
});

describe('openssl s_client ↔ our server with an RSA certificate', { concurrency: 3 }, () => {
  for (const [suite, iana] of Object.entries(RSA_SUITES)) {
    test(`${suite}: s_client verifies our RSA-PSS ServerKeyExchange`, async (t) => {
      const srv = await serve(t, {}, { cert: server.cert, key: server.key });
      const line = `hello ${suite}`;
      const run = runClient(
        srv.port,
        ['-cipher', suite, '-CAfile', server.certPath, '-verify_return_error', '-verify_hostname', 'localhost'],
        [line, { waitFor: line }],
        { t },
      );
      const dtls = await srv.next();
      const info = await dtls.handshake;
      const echoed = echo(dtls);
      echoed.catch(() => {});
      const r = await run;
      const where = `\n--- s_client stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
      assert.equal(r.error, undefined, `${r.error?.message}${where}`);
      assert.equal(r.code, 0, where);
      assert.match(r.stdout, /^\s*Verify return code: 0 \(ok\)$/m, where);
      assert.match(r.stdout, new RegExp(`^\\s*Cipher\\s*: ${suite}$`, 'm'), where);
      assert.match(r.stdout, /^Peer signature type: RSA-PSS$/m, where);
      assert.equal(info.cipherSuite, iana);
      assert.equal(await within(3000, 'inbound.readable to end', echoed), 1);
    });
  }

  test('s_client -sigalgs RSA+SHA384 (PKCS#1 only): our server signs with rsa_pkcs1_sha384', async (t) => {
    const srv = await serve(t, {}, { cert: server.cert, key: server.key });
    const run = runClient(srv.port, ['-sigalgs', 'RSA+SHA384', '-CAfile', server.certPath, '-verify_return_error'], ['pkcs1', { waitFor: 'pkcs1' }], { t });
    const dtls = await srv.next();
    const echoed = echo(dtls);
    echoed.catch(() => {});
    const r = await run;
    const where = `\n--- s_client stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
    assert.equal(r.code, 0, where);
    assert.match(r.stdout, /^Peer signing digest: SHA384$/m, where);
    assert.match(r.stdout, /^Peer signature type: RSA$/m, where);
  });

  test('mutual authentication: s_client sends an RSA client certificate, our server verifies its CertificateVerify', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { fingerprints: [client.fingerprint] } }, { cert: server.cert, key: server.key });
    const run = runClient(
      srv.port,
      ['-cert', client.certPath, '-key', client.keyPath, '-CAfile', server.certPath, '-verify_return_error'],
      ['mutual', { waitFor: 'mutual' }],
      { t },
    );
    const dtls = await srv.next();
    const info = await dtls.handshake;
    const echoed = echo(dtls);
    echoed.catch(() => {});
    const r = await run;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(info.peerFingerprint, client.fingerprint);
  });
});
