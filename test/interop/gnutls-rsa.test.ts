// `gnutls-cli --udp` against our server with an RSA 2048 certificate made by
// openssl: each ECDHE-RSA suite, the ServerKeyExchange signed with RSA-PSS,
// and with PKCS#1 v1.5 when the client allows only that.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { echo, serve } from './our-server.ts';
import { description, makeTempDir, priority, runClient, within, type TempDir } from './gnutls.ts';
import { openssl } from './openssl.ts';

let dir: TempDir;
let cert: { certPath: string; cert: string; key: string };

before(async () => {
  dir = await makeTempDir('dtls-interop-gnutls-rsa-');
  const certPath = dir.path('rsa.pem');
  const keyPath = dir.path('rsa-key.pem');
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-days',
    '2',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  cert = { certPath, cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
});
after(() => dir?.cleanup());

const SUITES = [
  { cipher: 'AES-128-GCM', iana: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' },
  { cipher: 'AES-256-GCM', iana: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' },
  { cipher: 'CHACHA20-POLY1305', iana: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256' },
];

describe('gnutls-cli ↔ our server with an RSA certificate', { concurrency: 3 }, () => {
  const cases = [
    ...SUITES.map((s) => ({ ...s, sign: '', signature: 'RSA-PSS-RSAE-SHA256' })),
    { ...SUITES[0]!, sign: ':-SIGN-ALL:+SIGN-RSA-SHA384', signature: 'RSA-SHA384' },
  ];
  for (const c of cases) {
    test(`ECDHE-RSA ${c.cipher}, signed ${c.signature}`, async (t) => {
      const srv = await serve(t, {}, { cert: cert.cert, key: cert.key });
      const line = `hello ${c.cipher} ${c.signature}`;
      const run = runClient(
        srv.port,
        [
          '--priority',
          `${priority({ cipher: c.cipher })}${c.sign}`,
          '--x509cafile',
          cert.certPath,
          '--verify-hostname',
          'localhost',
          '--sni-hostname',
          'localhost',
        ],
        [line, { waitFor: line }],
        { t },
      );
      const dtls = await srv.next();
      const info = await dtls.handshake;
      const echoed = echo(dtls);
      echoed.catch(() => {});
      const r = await run;
      const where = `\n--- gnutls-cli stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
      assert.equal(r.error, undefined, `${r.error?.message}${where}`);
      assert.equal(r.code, 0, where);
      assert.match(description(r.stdout), new RegExp(`^\\(DTLS1\\.2-X\\.509\\)-\\(ECDHE-[A-Z0-9]+\\)-\\(${c.signature}\\)-\\(${c.cipher}\\)$`), where);
      assert.equal(info.cipherSuite, c.iana);
      assert.equal(await within(3000, 'inbound.readable to end', echoed), 1);
    });
  }
});
