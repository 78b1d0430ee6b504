// 1.2-only real clients (openssl s_client -dtls1_2, gnutls-cli --udp, neither
// speaks DTLS 1.3) against our listen() server that speaks 1.3 and 1.2: the
// first ClientHello sends them to the 1.2 server, they complete and echo, and
// our ServerHello.random ends in the downgrade sentinel (RFC 8446 4.1.3).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { echo, serve } from '../interop/our-server.ts';
import { makeCertificates, makeTempDir, runClient as runOpenssl, within, type InteropCerts, type TempDir } from '../interop/openssl.ts';
import { runClient as runGnutls } from '../interop/gnutls.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { HandshakeType } from '../../src/wire/types.ts';
import { downgradeSentinel } from '../../src/wire/messages13/hello13.ts';

let dir: TempDir;
let certs: InteropCerts;

before(async () => {
  dir = await makeTempDir();
  certs = await makeCertificates(dir);
});
after(() => dir?.cleanup());

/** The random of the first ServerHello among the datagrams we sent. */
function serverHelloRandom(sent: readonly Uint8Array[]): Uint8Array | undefined {
  for (const d of sent) {
    for (const r of decodeRecords(d).records) {
      if (r.epoch !== 0 || r.contentType !== 22) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) {
        if (f.msgType === HandshakeType.server_hello && f.fragmentOffset === 0) return f.body.slice(2, 34);
      }
    }
  }
  return undefined;
}

describe('1.2-only clients reach a 1.3+1.2 server', { concurrency: 2 }, () => {
  test('openssl s_client -dtls1_2: DTLS 1.2 with the downgrade sentinel, echo, close', async (t) => {
    const sent: Uint8Array[] = [];
    const srv = await serve(t, { versions: ['1.3', '1.2'] }, certs.p256, sent);
    const line = 'hello from a 1.2 client';
    const run = runOpenssl(srv.port, ['-CAfile', certs.p256.certPath], [line, { waitFor: line }], { t });
    const dtls = await srv.next();
    const info = await dtls.handshake;
    const echoed = echo(dtls);
    echoed.catch(() => {});
    const r = await run;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^\s*Protocol\s*: DTLSv1\.2$/m);
    assert.equal(info.version, 'DTLS 1.2');
    const random = serverHelloRandom(sent);
    assert.ok(random, 'a ServerHello went out');
    assert.equal(downgradeSentinel(random), '1.2');
    assert.equal(await within(3000, 'echo end', echoed), 1);
  });

  test('gnutls-cli --udp (DTLS 1.2): completes with the downgrade sentinel', async (t) => {
    const sent: Uint8Array[] = [];
    const srv = await serve(t, { versions: ['1.3', '1.2'] }, certs.p256, sent);
    const line = 'hello from gnutls';
    const run = runGnutls(srv.port, ['--priority', 'NORMAL:-VERS-ALL:+VERS-DTLS1.2', '--x509cafile', certs.p256.certPath], [line, { waitFor: line }], { t });
    const dtls = await srv.next();
    const info = await dtls.handshake;
    const echoed = echo(dtls);
    echoed.catch(() => {});
    const r = await run;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /DTLS1\.2/);
    assert.equal(info.version, 'DTLS 1.2');
    assert.equal(downgradeSentinel(serverHelloRandom(sent)!), '1.2');
    assert.equal(await within(3000, 'echo end', echoed), 1);
  });
});
