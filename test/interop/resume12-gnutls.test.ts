// DTLS 1.2 resumption with GnuTLS 3.7, both directions, over loopback UDP:
// our client resumes with `gnutls-serv --udp` (its session tickets), and
// `gnutls-cli --udp --resume` resumes with our listen() server ("This is a
// resumed session").
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/stream/index.ts';
import { bindUdp, nodeUdpConnected } from '../../src/adapters/node.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { closeSocket } from './datagrams.ts';
import { echo, serve } from './our-server.ts';
import { makeCertificates, makeTempDir, runClient, startServer, within, type GnuTlsServer, type InteropCerts, type TempDir } from './gnutls.ts';

let dir: TempDir;
let certs: InteropCerts;

before(async () => {
  dir = await makeTempDir();
  certs = await makeCertificates(dir);
});
after(() => dir?.cleanup());

async function dial(t: TestContext, srv: GnuTlsServer, options: DtlsOptions) {
  const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
  t.after(() => closeSocket(socket));
  const dtls = await within(
    8000,
    () => `handshake with ${srv.describe()}\n${srv.dump()}`,
    connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), { serverName: 'localhost', verify: { ca: [certs.p256.cert] }, versions: ['1.2'], ...options }),
  );
  const info = await dtls.handshake;
  await within(3000, 'dtls.close()', dtls.close());
  return info;
}

test('our client resumes with gnutls-serv --udp (its ticket)', { timeout: 40_000 }, async (t) => {
  const srv = await startServer(['--echo', '--x509certfile', certs.p256.certPath, '--x509keyfile', certs.p256.keyPath], { t });
  const sessions: Uint8Array[] = [];
  const first = await dial(t, srv, { onSession: (s) => sessions.push(s) });
  assert.equal(first.resumed, false);
  assert.equal(sessions.length, 1, `GnuTLS issued a ticket\n${srv.dump()}`);
  const again = await dial(t, srv, { session: sessions[0]! });
  assert.equal(again.resumed, true, srv.dump());
  assert.equal(again.cipherSuite, first.cipherSuite);
  assert.deepEqual(again.peerCertificates, first.peerCertificates);
});

test('gnutls-cli --udp --resume resumes with our listen() server, after a cookie exchange', { timeout: 40_000 }, async (t) => {
  const srv = await serve(t, { requireCookie: true }, certs.p256);
  const infos: boolean[] = [];
  const accept = (async () => {
    for (let i = 0; i < 2; i++) {
      const d = await srv.next(15_000);
      infos.push((await d.handshake).resumed);
      void echo(d).catch(() => {});
    }
  })();
  const r = await runClient(srv.port, ['--x509cafile', certs.p256.certPath, '--resume'], ['ping', { waitFor: 'ping' }], { t, timeoutMs: 20_000 });
  await within(5000, 'two connections', accept);
  assert.equal(r.timedOut, false, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /This is a resumed session/, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(infos, [false, true]);
});
