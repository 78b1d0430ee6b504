// DTLS 1.2 resumption with OpenSSL 3.0, both directions, over loopback UDP:
// our client resumes with `openssl s_server -dtls1_2` (RFC 5077 tickets, the
// abbreviated handshake of RFC 5246 7.3), and `openssl s_client -dtls1_2
// -sess_out/-sess_in` resumes with our listen() server (it prints "Reused, ").
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/stream/index.ts';
import { bindUdp, nodeUdpConnected } from '../../src/adapters/node.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { sessionVersion } from '../../src/handshake/ticket12.ts';
import { closeSocket } from './datagrams.ts';
import { echo, serve } from './our-server.ts';
import { makeCertificates, makeTempDir, runClient, startServer, within, type InteropCerts, type OpenSslServer, type TempDir } from './openssl.ts';

let dir: TempDir;
let certs: InteropCerts;

before(async () => {
  dir = await makeTempDir();
  certs = await makeCertificates(dir);
});
after(() => dir?.cleanup());

async function dial(t: TestContext, srv: OpenSslServer, options: DtlsOptions) {
  const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
  t.after(() => closeSocket(socket));
  const dtls = await within(
    8000,
    () => `handshake with ${srv.describe()}\n${srv.dump()}`,
    connect(nodeUdpConnected(socket, '127.0.0.1', srv.port), { serverName: 'localhost', verify: { ca: [certs.p256.cert] }, versions: ['1.2'], ...options }),
  );
  const info = await dtls.handshake;
  await dtls.outbound.writable.getWriter().write(new TextEncoder().encode(`resumed=${info.resumed}\n`));
  await within(3000, 'dtls.close()', dtls.close());
  return info;
}

/**
 * `openssl s_client -dtls1_2` twice against our server `srv`: `-sess_out`, then `-sess_in`
 * with the session it saved. Returns our side's two handshakes and s_client's first output.
 */
async function sClientTwice(t: TestContext, srv: Awaited<ReturnType<typeof serve>>, extra: string[], name: string) {
  const sess = dir.path(`${name}-${process.pid}.pem`);
  const args = ['-CAfile', certs.p256.certPath, '-verify_return_error', ...extra];
  const firstRun = runClient(srv.port, [...args, '-sess_out', sess], ['one', { waitFor: 'one' }], { t });
  const a = await srv.next();
  const first = await a.handshake;
  void echo(a).catch(() => {});
  const r1 = await firstRun;
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(r1.stdout, /^New, TLSv1\.2/m, r1.stdout);
  assert.equal(first.resumed, false);
  const secondRun = runClient(srv.port, [...args, '-sess_in', sess], ['two', { waitFor: 'two' }], { t });
  const b = await srv.next();
  const second = await b.handshake;
  void echo(b).catch(() => {});
  const r2 = await secondRun;
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stdout, /^Reused, TLSv1\.2/m, r2.stdout);
  assert.equal(second.resumed, true);
  return { first, second, firstOutput: r1.stdout };
}

test('our client resumes with openssl s_server -dtls1_2 (its ticket), and a session it cannot resume is a full handshake', { timeout: 40_000 }, async (t) => {
  const srv = await startServer(['-cert', certs.p256.certPath, '-key', certs.p256.keyPath], { t });
  const sessions: Uint8Array[] = [];
  const first = await dial(t, srv, { onSession: (s) => sessions.push(s) });
  assert.equal(first.resumed, false);
  assert.equal(first.extendedMasterSecret, true);
  assert.equal(sessions.length, 1, 'OpenSSL issued a ticket');
  assert.equal(sessionVersion(sessions[0]!), '1.2');
  await srv.waitFor(/resumed=false/, 3000);

  const again = await dial(t, srv, { session: sessions[0]!, onSession: (s) => sessions.push(s) });
  assert.equal(again.resumed, true, srv.dump());
  assert.equal(again.cipherSuite, first.cipherSuite);
  assert.deepEqual(again.peerCertificates, first.peerCertificates);
  assert.equal(again.group, undefined);
  await srv.waitFor(/resumed=true/, 3000);

  // A fresh s_server has another ticket key: it declines our session, and the handshake is a full one.
  const other = await startServer(['-cert', certs.p256.certPath, '-key', certs.p256.keyPath], { t });
  const declined = await dial(t, other, { session: sessions[0]! });
  assert.equal(declined.resumed, false);
  await other.waitFor(/resumed=false/, 3000);
});

test(
  'openssl s_client -dtls1_2 -sess_out, then -sess_in: it resumes with our server ("Reused, "), through the cookie exchange',
  { timeout: 40_000 },
  async (t) => {
    const srv = await serve(t, { requireCookie: true, ticketKeys: [new Uint8Array(32).fill(3)] }, certs.p256);
    const { first, second } = await sClientTwice(t, srv, [], 'sess');
    assert.equal(second.cipherSuite, first.cipherSuite);
    assert.equal(second.extendedMasterSecret, true);
  },
);

test(
  'without tickets, by session ID: our client with s_server -no_ticket, and s_client -no_ticket with our server (sessionTickets: 0)',
  { timeout: 40_000 },
  async (t) => {
    const srv = await startServer(['-cert', certs.p256.certPath, '-key', certs.p256.keyPath, '-no_ticket'], { t });
    const sessions: Uint8Array[] = [];
    const first = await dial(t, srv, { onSession: (s) => sessions.push(s) });
    assert.equal(first.resumed, false);
    assert.equal(sessions.length, 1, 'a session named by its ID');
    await srv.waitFor(/resumed=false/, 3000);
    const again = await dial(t, srv, { session: sessions[0]! });
    assert.equal(again.resumed, true, srv.dump());
    await srv.waitFor(/resumed=true/, 3000);

    const ours = await serve(t, { sessionTickets: 0 }, certs.p256);
    await sClientTwice(t, ours, ['-no_ticket'], 'sess-id');
  },
);

// RFC 5077 3.2 sends no ticket to a client without the session_ticket extension, so a server
// that issues tickets (sessionTickets at its default) names that session by an ID and caches it
// (RFC 5246 7.4.1.3): `s_client -no_ticket` resumes by it.
test('s_client -no_ticket -sess_out, then -sess_in: it resumes by session ID with our server, tickets on', { timeout: 40_000 }, async (t) => {
  const srv = await serve(t, { ticketKeys: [new Uint8Array(32).fill(5)] }, certs.p256);
  const { first, second, firstOutput } = await sClientTwice(t, srv, ['-no_ticket'], 'sess-noticket');
  // The session has an ID (s_client prints it), so it can be named again.
  assert.match(firstOutput, /Session-ID: [0-9A-F]{64}\s/, firstOutput);
  assert.equal(second.cipherSuite, first.cipherSuite);
});
