// Our client (connect() over node:dgram) against `openssl s_server -dtls1_2`.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { connect, type DtlsStream } from '../../src/stream/index.ts';
import { bindUdp, nodeUdpConnected } from '../../src/adapters/node.ts';
import type { DatagramDuplex } from '../../src/adapters/types.ts';
import { closeSocket, handshakeFragments, tap } from './datagrams.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { DtlsError } from '../../src/errors.ts';
import {
  GROUPS,
  SUITES,
  SUITE_IANA,
  hex,
  keyingMaterial,
  makeCertificates,
  makeTempDir,
  sleep,
  startServer,
  within,
  type CertFiles,
  type InteropCerts,
  type OpenSslServer,
  type TempDir,
} from './openssl.ts';

let dir: TempDir;
let certs: InteropCerts;

before(async () => {
  dir = await makeTempDir();
  certs = await makeCertificates(dir);
});
after(() => dir?.cleanup());

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Dialed {
  dtls: DtlsStream;
  socket: Socket;
  reader: ReadableStreamDefaultReader<Uint8Array>;
}

/** Binds a socket on 127.0.0.1 and connects to s_server; everything is closed after the test. */
async function dial(t: TestContext, srv: OpenSslServer, options: DtlsOptions, log?: { in: Uint8Array[]; out: Uint8Array[] }): Promise<Dialed> {
  const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
  t.after(() => closeSocket(socket));
  let duplex: DatagramDuplex = nodeUdpConnected(socket, '127.0.0.1', srv.port);
  if (log) duplex = tap(duplex, log);
  const dtls = await within(8000, () => `handshake with ${srv.describe()}\n${srv.dump()}`, connect(duplex, { serverName: 'localhost', ...options }));
  t.after(() => within(3000, 'dtls.close()', dtls.close()).catch(() => {}));
  return { dtls, socket, reader: dtls.inbound.readable.getReader() };
}

/** Reads plaintext until the accumulated text contains `expected`. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, expected: string, ms = 3000): Promise<string> {
  let text = '';
  return within(
    ms,
    `reading ${JSON.stringify(expected)}`,
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

function certArgs(c: CertFiles): string[] {
  return ['-cert', c.certPath, '-key', c.keyPath];
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

// ------------------------------------------------------------------ matrix

describe('our client ↔ openssl s_server: suite × group × certificate', { concurrency: 3 }, () => {
  for (const certName of ['p256', 'p384'] as const) {
    for (const suite of SUITES) {
      for (const group of GROUPS) {
        test(`${suite} ${group.openssl} (${certName} certificate)`, async (t) => {
          const cert = certs[certName];
          const srv = await startServer([...certArgs(cert), '-cipher', suite, '-groups', group.openssl], { t });
          const { dtls, reader } = await dial(t, srv, { verify: { ca: [cert.cert] } });

          const info = await dtls.handshake;
          assert.equal(info.version, 'DTLS 1.2');
          assert.equal(info.cipherSuite, SUITE_IANA[suite]);
          assert.equal(info.group, group.ours);
          assert.equal(info.peerFingerprint, cert.fingerprint);
          await srv.waitFor(`CIPHER is ${suite}`);

          // Our data appears on s_server's stdout.
          const ours = `hello from dtls-stream ${suite} ${group.openssl} ${certName}`;
          const writer = dtls.outbound.writable.getWriter();
          await writer.write(enc.encode(`${ours}\n`));
          await srv.waitFor(ours);

          // A line typed on s_server's stdin arrives on inbound.readable.
          const theirs = `hello from s_server ${group.openssl}`;
          srv.writeLine(theirs);
          assert.match(await readUntil(reader, theirs), new RegExp(`^${theirs}\\n$`));

          // Our close_notify: s_server prints DONE and shuts the connection down.
          writer.releaseLock();
          await within(3000, 'dtls.close()', dtls.close());
          assert.equal(dtls.state, 'closed');
          await srv.waitFor(/^DONE\nshutting down SSL\nCONNECTION CLOSED$/m);
          assert.deepEqual(await reader.read(), { value: undefined, done: true });
        });
      }
    }
  }
});

// ------------------------------------------------------------------ features

describe('our client ↔ openssl s_server: features', { concurrency: 3 }, () => {
  for (const profile of ['SRTP_AES128_CM_SHA1_80', 'SRTP_AEAD_AES_128_GCM']) {
    test(`use_srtp ${profile}: profile and EXTRACTOR-dtls_srtp keying material match`, async (t) => {
      const srv = await startServer([...certArgs(certs.p256), '-use_srtp', profile, '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', '60'], { t });
      const { dtls } = await dial(t, srv, {
        verify: { ca: [certs.p256.cert] },
        srtpProfiles: ['SRTP_AES128_CM_SHA1_32', profile, 'SRTP_AEAD_AES_256_GCM'],
      });
      const info = await dtls.handshake;
      assert.equal(info.srtpProfile, profile);
      await srv.waitFor(`SRTP Extension negotiated, profile=${profile}`);
      await srv.waitFor(/Keying material: [0-9A-F]+/);
      const theirs = keyingMaterial(srv.stdout);
      assert.equal(theirs.length, 120);
      assert.equal(hex(dtls.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 60)), theirs);
    });
  }

  test('a client offering DTLS 1.3 and 1.2 falls back to 1.2 with s_server (no DTLS 1.3 here): keys agree, data both ways', async (t) => {
    const srv = await startServer(
      [...certArgs(certs.p256), '-use_srtp', 'SRTP_AES128_CM_SHA1_80', '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', '60'],
      {
        t,
      },
    );
    const { dtls, reader } = await dial(t, srv, { verify: { ca: [certs.p256.cert] }, versions: ['1.3', '1.2'], srtpProfiles: ['SRTP_AES128_CM_SHA1_80'] });
    const info = await dtls.handshake;
    assert.equal(info.version, 'DTLS 1.2');
    await srv.waitFor(/Keying material: [0-9A-F]+/);
    assert.equal(hex(dtls.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 60)), keyingMaterial(srv.stdout));
    const writer = dtls.outbound.writable.getWriter();
    await writer.write(enc.encode('fell back to 1.2\n'));
    await srv.waitFor('fell back to 1.2');
    srv.writeLine('and back');
    assert.match(await readUntil(reader, 'and back'), /^and back\n$/);
    writer.releaseLock();
  });

  test('MTU 500: the certificate chain arrives fragmented, every datagram fits', async (t) => {
    const srv = await startServer(['-mtu', '500', ...certArgs(certs.leaf), '-cert_chain', certs.ca.certPath], { t });
    const log = { in: [] as Uint8Array[], out: [] as Uint8Array[] };
    const { dtls, reader } = await dial(t, srv, { verify: { ca: [certs.ca.cert] }, mtu: 500 }, log);
    const info = await dtls.handshake;
    assert.equal(info.peerCertificates.length, 2);

    const certFragments = handshakeFragments(log.in).filter(([type]) => type === 11);
    assert.ok(certFragments.length >= 2, `Certificate came in ${certFragments.length} fragment(s)`);
    const total = certFragments[0]![1];
    assert.ok(total > 500, `Certificate message is ${total} bytes`);
    assert.ok(certFragments.every(([, length, , fragLength]) => length === total && fragLength < total));
    for (const d of log.in) assert.ok(d.length <= 500, `received a ${d.length}-byte datagram`);
    for (const d of log.out) assert.ok(d.length <= 500, `sent a ${d.length}-byte datagram`);

    // A record bigger than one datagram cannot be sent; one that fits goes through.
    const line = `${'m'.repeat(300)} mtu`;
    await dtls.outbound.writable.getWriter().write(enc.encode(`${line}\n`));
    await srv.waitFor(line);
    srv.writeLine('mtu reply');
    await readUntil(reader, 'mtu reply');
  });

  test('mutual authentication: s_server -Verify 1 accepts our self-signed client certificate', async (t) => {
    const srv = await startServer([...certArgs(certs.p256), '-Verify', '1', '-CAfile', certs.client.certPath], { t });
    const { dtls } = await dial(t, srv, {
      verify: { ca: [certs.p256.cert] },
      certificate: { cert: certs.client.cert, key: certs.client.key },
    });
    await dtls.handshake;
    await srv.waitFor(/^Client certificate$/m);
    await srv.waitFor(/^subject=CN = client$/m);
    await dtls.outbound.writable.getWriter().write(enc.encode('authenticated hello\n'));
    await srv.waitFor('authenticated hello');
    assert.doesNotMatch(srv.stderr, /verify error/);
  });

  test('mutual authentication at MTU 500: our fragmented client chain is verified by s_server', async (t) => {
    const srv = await startServer(['-mtu', '500', ...certArgs(certs.p256), '-Verify', '2', '-CAfile', certs.ca.certPath], { t });
    const log = { in: [] as Uint8Array[], out: [] as Uint8Array[] };
    const chain = certs.clientLeaf.cert + certs.ca.cert;
    const { dtls } = await dial(t, srv, { verify: { ca: [certs.p256.cert] }, certificate: { cert: chain, key: certs.clientLeaf.key }, mtu: 500 }, log);
    await dtls.handshake;
    const ours = handshakeFragments(log.out).filter(([type]) => type === 11);
    assert.ok(ours.length >= 2, `our Certificate went out in ${ours.length} fragment(s)`);
    for (const d of log.out) assert.ok(d.length <= 500, `sent a ${d.length}-byte datagram`);
    await srv.waitFor(/^subject=CN = client\.example$/m);
    await dtls.outbound.writable.getWriter().write(enc.encode('chain hello\n'));
    await srv.waitFor('chain hello');
  });

  test('mutual authentication: without a client certificate s_server -Verify 1 aborts the handshake', async (t) => {
    const srv = await startServer([...certArgs(certs.p256), '-Verify', '1', '-CAfile', certs.client.certPath], { t });
    const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
    t.after(() => closeSocket(socket));
    const err = await rejectsDtls(connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), { verify: { ca: [certs.p256.cert] }, serverName: 'localhost' }));
    assert.equal(err.code, 'peer_alert');
    assert.equal(err.fromPeer, true);
    assert.equal(err.alert, 40, `alert ${err.alert} (${err.message})`); // handshake_failure
    await srv.waitFor(/peer did not return a certificate/, 3000, 'any');
  });

  test('chain: CA-signed leaf with -cert_chain, our client trusts only the CA', async (t) => {
    const srv = await startServer([...certArgs(certs.leaf), '-cert_chain', certs.ca.certPath], { t });
    const { dtls, reader } = await dial(t, srv, { verify: { ca: [certs.ca.cert] } });
    const info = await dtls.handshake;
    assert.equal(info.peerCertificates.length, 2);
    assert.equal(info.peerFingerprint, certs.leaf.fingerprint);
    srv.writeLine('chained hello');
    await readUntil(reader, 'chained hello');
  });

  test('chain: CA-signed leaf sent alone, our client trusts the CA', async (t) => {
    const srv = await startServer(certArgs(certs.leaf), { t });
    const { dtls } = await dial(t, srv, { verify: { ca: [certs.ca.cert] } });
    const info = await dtls.handshake;
    assert.equal(info.peerCertificates.length, 1);
    assert.equal(info.peerFingerprint, certs.leaf.fingerprint);
  });

  test('verification failure: wrong pinned fingerprint; s_server receives our alert', async (t) => {
    const srv = await startServer(certArgs(certs.p256), { t });
    const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
    t.after(() => closeSocket(socket));
    const err = await rejectsDtls(connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), { verify: { fingerprints: [certs.p384.fingerprint] } }));
    assert.ok(err.code === 'verification_failed' || err.code === 'bad_certificate', `code ${err.code}: ${err.message}`);
    assert.equal(err.fromPeer, false);
    assert.equal(err.alert, 42);
    await srv.waitFor(/SSL alert number 42/, 3000, 'any');
  });

  test('verification failure: certificate from an untrusted CA; s_server receives our alert', async (t) => {
    const srv = await startServer([...certArgs(certs.leaf), '-cert_chain', certs.ca.certPath], { t });
    const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
    t.after(() => closeSocket(socket));
    const err = await rejectsDtls(connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), { verify: { ca: [certs.otherCa.cert] }, serverName: 'localhost' }));
    assert.ok(['verification_failed', 'unknown_ca', 'bad_certificate', 'certificate_unknown'].includes(err.code), `code ${err.code}: ${err.message}`);
    assert.equal(err.fromPeer, false);
    assert.ok(err.alert !== undefined && [42, 46, 48].includes(err.alert), `alert ${err.alert}`);
    await srv.waitFor(new RegExp(`SSL alert number ${err.alert}`), 3000, 'any');
  });

  test('verification failure: server name not in the certificate', async (t) => {
    const srv = await startServer(certArgs(certs.leaf), { t });
    const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
    t.after(() => closeSocket(socket));
    const err = await rejectsDtls(
      connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), { verify: { ca: [certs.ca.cert] }, serverName: 'not-localhost.example' }),
    );
    assert.ok(['verification_failed', 'bad_certificate', 'certificate_unknown'].includes(err.code), `code ${err.code}: ${err.message}`);
    await srv.waitFor(/SSL alert number 4\d/, 3000, 'any');
  });

  test('s_server serves a second client after our close_notify', async (t) => {
    const srv = await startServer(certArgs(certs.p256), { t });
    const first = await dial(t, srv, { verify: { ca: [certs.p256.cert] } });
    await within(3000, 'close', first.dtls.close());
    await srv.waitFor(/CONNECTION CLOSED/);
    const second = await dial(t, srv, { verify: { ca: [certs.p256.cert] } });
    await second.dtls.outbound.writable.getWriter().write(enc.encode('second client\n'));
    await srv.waitFor('second client');
    srv.writeLine('welcome back');
    await readUntil(second.reader, 'welcome back');
  });

  // s_server cannot send close_notify over DTLS 1.2 (OpenSSL 3.0 closes the socket
  // before SSL_shutdown when "q" is typed), so the peer-initiated close is tested
  // in openssl-client.test.ts with s_client. Here: s_server's renegotiation request
  // ("R" sends a HelloRequest, message_seq 0 per RFC 6347 4.2.2) must be refused
  // with a no_renegotiation warning, as the library's design says.
  test('s_server HelloRequest ("R") is refused with a no_renegotiation warning', async (t) => {
    const srv = await startServer([...certArgs(certs.p256), '-msg'], { t });
    const { dtls } = await dial(t, srv, { verify: { ca: [certs.p256.cert] } });
    const sent: string[] = [];
    dtls.addEventListener('alert', (e) => {
      if (!e.detail.fromPeer) sent.push(e.detail.name);
    });
    srv.writeLine('R');
    await srv.waitFor(/SSL_do_handshake -> /);
    // s_server's -msg for DTLS prints raw records: the HelloRequest went out as a
    // 12-byte handshake message with type 0 and message_seq 0.
    await srv.waitFor(/content_type=22\) \[length 000c\]\n\s+00 00 00 00 00 00 00 00 00 00 00 00\n/);
    for (let i = 0; i < 40 && sent.length === 0; i++) await sleep(50);
    assert.deepEqual(sent, ['no_renegotiation'], `alerts we sent after s_server's HelloRequest; stats ${JSON.stringify(dtls.stats)}`);
    // s_server received it: content type 21, level 1 (warning), description 100.
    await srv.waitFor(/<<< .*content_type=21\) \[length 0002\]\n\s+01 64\n/, 3000);
  });
});
