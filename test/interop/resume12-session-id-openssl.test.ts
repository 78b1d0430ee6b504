// `openssl s_client -dtls1_2 -no_ticket` (no session_ticket extension) resumes
// by session ID with our listen() server while that server issues tickets to
// clients that ask (sessionTickets at its default): RFC 5077 3.2 sends no
// ticket to such a client, so the server names the session by an ID and
// caches it (RFC 5246 7.4.1.3). Over loopback UDP; s_client prints "Reused, ".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { echo, serve } from './our-server.ts';
import { makeCertificates, makeTempDir, runClient, type InteropCerts, type TempDir } from './openssl.ts';

let dir: TempDir;
let certs: InteropCerts;

before(async () => {
  dir = await makeTempDir();
  certs = await makeCertificates(dir);
});
after(() => dir?.cleanup());

test('s_client -no_ticket -sess_out, then -sess_in: it resumes by session ID with our server, tickets on', { timeout: 40_000 }, async (t) => {
  const srv = await serve(t, { ticketKeys: [new Uint8Array(32).fill(5)] }, certs.p256);
  const sess = dir.path(`sess-noticket-${process.pid}.pem`);
  const args = ['-CAfile', certs.p256.certPath, '-verify_return_error', '-no_ticket'];
  const firstRun = runClient(srv.port, [...args, '-sess_out', sess], ['one', { waitFor: 'one' }], { t });
  const a = await srv.next();
  const infoA = await a.handshake;
  void echo(a).catch(() => {});
  const r1 = await firstRun;
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(r1.stdout, /^New, TLSv1\.2/m, r1.stdout);
  assert.equal(infoA.resumed, false);
  // The session has an ID (s_client prints it), so it can be named again.
  assert.match(r1.stdout, /Session-ID: [0-9A-F]{64}\s/, r1.stdout);

  const secondRun = runClient(srv.port, [...args, '-sess_in', sess], ['two', { waitFor: 'two' }], { t });
  const b = await srv.next();
  const infoB = await b.handshake;
  void echo(b).catch(() => {});
  const r2 = await secondRun;
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stdout, /^Reused, TLSv1\.2/m, r2.stdout);
  assert.equal(infoB.resumed, true);
  assert.equal(infoB.cipherSuite, infoA.cipherSuite);
});
