// Misuse of the API throws at construction (TypeError for a wrong kind of value,
// RangeError for a number out of range), never later in the handshake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { connect } from '../../src/stream/connect.ts';
import { listen } from '../../src/stream/server.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { generateCertificate } from '../../src/x509/generate.ts';
import { encodePem } from '../../src/x509/pem.ts';
import type { CertificateKeyPair } from '../../src/x509/types.ts';

const caPem = encodePem('CERTIFICATE', generateCertificate({ ca: true, commonName: 'Test CA' }).chain[0]!);
const client = (o: Partial<DtlsOptions>): DtlsOptions => ({ role: 'client', verify: 'insecure', ...o }) as DtlsOptions;

const typeErrors: [string, DtlsOptions][] = [
  ['a ca entry that is not PEM', client({ verify: { ca: ['not a pem'] } })],
  ['a ca PEM that is not a certificate', client({ verify: { ca: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'] } })],
  ['a ca PEM with only a key', client({ verify: { ca: ['-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'] } })],
  ['DER bytes that are not a certificate', client({ verify: { ca: [new Uint8Array([48, 3, 1, 1, 0])] } })],
  ['an empty ca list', client({ verify: { ca: [] } })],
  ['a ca entry of the wrong type', client({ verify: { ca: [42 as unknown as string] } })],
  ['an empty verify.serverName', client({ verify: { ca: [caPem], serverName: '' } })],
  ['verify: a string other than insecure', client({ verify: 'secure' as unknown as 'insecure' })],
  ['verify: an object of no known form', client({ verify: { fingerprint: 'x' } as unknown as 'insecure' })],
  ['verify: a fingerprint that is not one', client({ verify: { fingerprints: ['AB:CD'] } })],
  ['verify: fingerprints not strings', client({ verify: { fingerprints: [1 as unknown as string] } })],
  ['a client without verify', { role: 'client' }],
  ['an unknown role', { role: 'peer' as 'client', verify: 'insecure' }],
  ['certificate PEM that is not PEM', { role: 'server', certificate: { cert: 'nope', key: 'nope' } }],
  ['certificate of the wrong shape', { role: 'server', certificate: { chain: 'x' } as unknown as CertificateKeyPair }],
  ['an unknown cipher suite', client({ cipherSuites: ['TLS_RSA_WITH_RC4_128_MD5'] })],
  ['cipherSuites not an array', client({ cipherSuites: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' as unknown as string[] })],
  ['an unknown group', client({ groups: ['x448' as 'x25519'] })],
  ['an unknown SRTP profile', client({ srtpProfiles: ['SRTP_NULL'] })],
  ['an empty ALPN name', client({ alpn: [''] })],
  ['extendedMasterSecret of the wrong kind', client({ extendedMasterSecret: 'yes' as unknown as boolean })],
  ['requestClientCertificate of the wrong kind', { role: 'server', requestClientCertificate: 'always' as unknown as boolean, verify: 'insecure' }],
  ['a clock without timers', client({ clock: { now: () => 0 } as unknown as DtlsOptions['clock'] })],
  ['an unknown limit', client({ limits: { maxEverything: 1 } as unknown as DtlsOptions['limits'] })],
];

const rangeErrors: [string, DtlsOptions][] = [
  ['an mtu below 128', client({ mtu: 100 })],
  ['an mtu above a UDP payload', client({ mtu: 70000 })],
  ['a retransmit timer with min above initial', client({ retransmit: { initial: 100, min: 200 } })],
  ['a negative handshakeTimeout', client({ handshakeTimeout: -1 })],
  ['a zero idleTimeout', client({ idleTimeout: 0 })],
  ['a fractional limit', client({ limits: { maxPendingSends: 1.5 } })],
  ['an empty cipherSuites list', client({ cipherSuites: [] })],
];

for (const [what, options] of typeErrors) {
  test(`new DtlsStream throws TypeError at once for ${what}`, () => {
    assert.throws(() => new DtlsStream(options), TypeError);
  });
}
for (const [what, options] of rangeErrors) {
  test(`new DtlsStream throws RangeError at once for ${what}`, () => {
    assert.throws(() => new DtlsStream(options), RangeError);
  });
}

test('a good ca (PEM text or DER bytes) and verify.serverName are accepted', () => {
  const der = generateCertificate({ ca: true }).chain[0]!;
  new DtlsStream(client({ verify: { ca: [caPem, der], serverName: 'example.com' } }));
});

test('listen() throws at once for bad options; connect() rejects before sending anything', async () => {
  let sent = 0;
  const socket = { readable: new ReadableStream(), writable: new WritableStream({ write: () => void sent++ }) };
  assert.throws(() => listen(socket, { verify: { ca: ['not a pem'] } }), TypeError);
  assert.throws(() => listen(socket, { maxConnections: 0 }), RangeError);
  const duplex = { readable: new ReadableStream<Uint8Array>(), writable: new WritableStream<Uint8Array>({ write: () => void sent++ }) };
  await assert.rejects(connect(duplex, { verify: { ca: ['not a pem'] } }), TypeError);
  assert.equal(sent, 0);
});
