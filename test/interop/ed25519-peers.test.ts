// Ed25519 certificates against OpenSSL and GnuTLS in DTLS 1.2 (RFC 8422
// 5.1.1: they authenticate ECDHE_ECDSA suites, signed ed25519 without a
// pre-hash), made by `openssl genpkey -algorithm ed25519` + `openssl req -x509`:
// `openssl s_client -dtls1_2` and `gnutls-cli` against our Ed25519 server, our
// client against `gnutls-serv` with one, and Ed25519 client certificates both
// ways. OpenSSL 3.0's s_server cannot serve an Ed25519 certificate over DTLS
// ("no shared cipher", openssl/openssl#20122), so our client meets it only
// with an Ed25519 client certificate.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type DtlsStream } from '../../src/stream/index.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { bindUdp, nodeUdpConnected } from '../../src/adapters/node.ts';
import { closeSocket } from './datagrams.ts';
import { acceptEcho, serve } from './our-server.ts';
import { makeTempDir, runClient, selfSigned, startServer, within, type CertFiles, type TempDir } from './openssl.ts';
import * as gnutls from './gnutls.ts';

const SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';
const IANA = 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';

let dir: TempDir;
let server: CertFiles;
let client: CertFiles;
/** A P-256 server certificate, for s_server (which cannot serve an Ed25519 one over DTLS). */
let p256: CertFiles;

before(async () => {
  dir = await makeTempDir('dtls-interop-ed25519-');
  [server, client, p256] = await Promise.all([
    selfSigned(dir, 'ed-server', 'ed25519', 'localhost', ['subjectAltName=DNS:localhost,IP:127.0.0.1']),
    selfSigned(dir, 'ed-client', 'ed25519', 'client', []),
    selfSigned(dir, 'p256', 'P-256', 'localhost', ['subjectAltName=DNS:localhost']),
  ]);
});
after(() => dir?.cleanup());

const enc = new TextEncoder();

/** Our client over UDP to a peer process on loopback, closed when the test ends. */
async function dial(t: TestContext, peer: { port: number; describe(): string; dump(): string }, options: DtlsOptions): Promise<DtlsStream> {
  const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
  t.after(() => closeSocket(socket));
  const dtls = await within(
    8000,
    () => `handshake with ${peer.describe()}\n${peer.dump()}`,
    connect(nodeUdpConnected(socket, '127.0.0.1', peer.port), { serverName: 'localhost', ...options }),
  );
  t.after(() => within(3000, 'dtls.close()', dtls.close()).catch(() => {}));
  return dtls;
}

describe('our client with an Ed25519 client certificate ↔ openssl s_server', () => {
  test('s_server -Verify 1 checks our ed25519 CertificateVerify', async (t) => {
    const srv = await startServer(['-cert', p256.certPath, '-key', p256.keyPath, '-Verify', '1', '-CAfile', client.certPath, '-verify_return_error'], {
      t,
    });
    const dtls = await dial(t, srv, { verify: { ca: [p256.cert] }, certificate: { cert: client.cert, key: client.key } });
    const info = await dtls.handshake;
    assert.equal(info.version, 'DTLS 1.2');
    await srv.waitFor(/^Client certificate$/m);
    await srv.waitFor(/CN\s*=\s*client/);
    const writer = dtls.outbound.writable.getWriter();
    await writer.write(enc.encode('mutual ed25519\n'));
    await srv.waitFor('mutual ed25519');
  });
});

describe('our client ↔ gnutls-serv with an Ed25519 certificate', { concurrency: 2 }, () => {
  const echoes = async (dtls: DtlsStream, line: string) => {
    const writer = dtls.outbound.writable.getWriter();
    const reader = dtls.inbound.readable.getReader();
    await writer.write(enc.encode(`${line}\n`));
    const { value } = await within(3000, `the echo of ${line}`, reader.read());
    assert.equal(new TextDecoder().decode(value), `${line}\n`);
  };

  test("the handshake verifies gnutls-serv's ed25519 ServerKeyExchange, and data echoes", async (t) => {
    const srv = await gnutls.startServer(
      ['-d', '4', '--echo', '--x509certfile', server.certPath, '--x509keyfile', server.keyPath, '--priority', gnutls.priority()],
      {
        t,
      },
    );
    const dtls = await dial(t, srv, { verify: { ca: [server.cert] } });
    const info = await dtls.handshake;
    assert.equal(info.version, 'DTLS 1.2');
    assert.match(info.cipherSuite, /^TLS_ECDHE_ECDSA_WITH_/);
    assert.equal(info.peerFingerprint, server.fingerprint);
    await srv.waitFor(/signing TLS 1\.2 handshake data: using EdDSA-Ed25519$/m, 3000, 'stderr');
    await echoes(dtls, 'hello gnutls ed25519');
  });

  test('mutual authentication: gnutls-serv --require-client-cert verifies our ed25519 CertificateVerify', async (t) => {
    const srv = await gnutls.startServer(
      [
        '-d',
        '4',
        '--echo',
        '--x509certfile',
        server.certPath,
        '--x509keyfile',
        server.keyPath,
        '--priority',
        gnutls.priority(),
        '--require-client-cert',
        '--verify-client-cert',
        '--x509cafile',
        client.certPath,
      ],
      { t },
    );
    const dtls = await dial(t, srv, { verify: { ca: [server.cert] }, certificate: { cert: client.cert, key: client.key } });
    await dtls.handshake;
    await srv.waitFor(/^- Status: The certificate is trusted\. $/m);
    await echoes(dtls, 'mutual gnutls ed25519');
  });
});

describe('openssl s_client ↔ our server with an Ed25519 certificate', { concurrency: 2 }, () => {
  test(`${SUITE}: s_client verifies our ed25519 ServerKeyExchange`, async (t) => {
    const srv = await serve(t, {}, { cert: server.cert, key: server.key });
    const line = 'hello ed25519';
    const run = runClient(
      srv.port,
      ['-cipher', SUITE, '-CAfile', server.certPath, '-verify_return_error', '-verify_hostname', 'localhost'],
      [line, { waitFor: line }],
      { t },
    );
    const { info, echoed } = await acceptEcho(srv);
    const r = await run;
    const where = `\n--- s_client stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
    assert.equal(r.error, undefined, `${r.error?.message}${where}`);
    assert.equal(r.code, 0, where);
    assert.match(r.stdout, /^\s*Verify return code: 0 \(ok\)$/m, where);
    assert.match(r.stdout, new RegExp(`^\\s*Cipher\\s*: ${SUITE}$`, 'm'), where);
    assert.match(r.stdout, /^Peer signature type: ed25519$/im, where);
    assert.equal(info.cipherSuite, IANA);
    assert.equal(await within(3000, 'inbound.readable to end', echoed), 1);
  });

  test('mutual authentication: s_client sends an Ed25519 client certificate, our server verifies its CertificateVerify', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { fingerprints: [client.fingerprint] } }, { cert: server.cert, key: server.key });
    const run = runClient(
      srv.port,
      ['-cert', client.certPath, '-key', client.keyPath, '-CAfile', server.certPath, '-verify_return_error'],
      ['mutual', { waitFor: 'mutual' }],
      { t },
    );
    const { info, echoed } = await acceptEcho(srv);
    const r = await run;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(info.peerFingerprint, client.fingerprint);
    assert.equal(await within(3000, 'inbound.readable to end', echoed), 1);
  });

  test('s_client -sigalgs ECDSA+SHA256 (no ed25519) gets handshake_failure from our Ed25519 server', async (t) => {
    const srv = await serve(t, {}, { cert: server.cert, key: server.key });
    const r = await runClient(srv.port, ['-sigalgs', 'ECDSA+SHA256', '-CAfile', server.certPath], [], { t });
    const where = `\n--- s_client stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
    assert.notEqual(r.code, 0, where);
    assert.match(r.stderr, /alert handshake failure/, where);
  });
});

describe('gnutls-cli ↔ our server with an Ed25519 certificate', () => {
  test('gnutls-cli verifies our ed25519 ServerKeyExchange; with its own Ed25519 certificate, we verify its CertificateVerify', async (t) => {
    const srv = await serve(t, { requestClientCertificate: 'require', verify: { fingerprints: [client.fingerprint] } }, { cert: server.cert, key: server.key });
    const line = 'hello from gnutls-cli';
    const run = gnutls.runClient(
      srv.port,
      [
        '--priority',
        gnutls.priority(),
        '--x509cafile',
        server.certPath,
        '--verify-hostname',
        'localhost',
        '--x509certfile',
        client.certPath,
        '--x509keyfile',
        client.keyPath,
      ],
      [line, { waitFor: line }],
      { t },
    );
    const { info, echoed } = await acceptEcho(srv);
    const r = await run;
    const where = `\n--- gnutls-cli stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
    assert.equal(r.code, 0, where);
    assert.match(gnutls.description(r.stdout), /^\(DTLS1\.2-X\.509\)-\(ECDHE-[A-Z0-9]+\)-\(EdDSA-Ed25519\)-\([A-Z0-9-]+\)$/, where);
    assert.equal(info.peerFingerprint, client.fingerprint);
    assert.equal(await within(3000, 'inbound.readable to end', echoed), 1);
  });
});
