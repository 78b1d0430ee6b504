import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHostPort, parseArgs, parseHostPort, UsageError, type Command } from '../../src/cli/args.ts';
import { describeError, hexUpper, summaryLines } from '../../src/cli/summary.ts';
import { DtlsError, peerAlertError } from '../../src/errors.ts';
import type { HandshakeInfo } from '../../src/connection-types.ts';

const FP = `sha-256 ${Array.from({ length: 32 }, () => 'AB').join(':')}`;

function client(...argv: string[]): Extract<Command, { command: 'client' }> {
  const c = parseArgs(['client', ...argv]);
  assert.equal(c.command, 'client');
  return c as Extract<Command, { command: 'client' }>;
}

function server(...argv: string[]): Extract<Command, { command: 'server' }> {
  const c = parseArgs(['server', ...argv]);
  assert.equal(c.command, 'server');
  return c as Extract<Command, { command: 'server' }>;
}

function usage(argv: string[], message: RegExp): void {
  assert.throws(
    () => parseArgs(argv),
    (e: unknown) => e instanceof UsageError && message.test(e.message),
  );
}

describe('parseArgs: commands', () => {
  test('help and version win wherever they appear', () => {
    assert.deepEqual(parseArgs(['--help']), { command: 'help' });
    assert.deepEqual(parseArgs(['client', '-h']), { command: 'help' });
    assert.deepEqual(parseArgs(['server', '--bogus', '--help']), { command: 'help' });
    assert.deepEqual(parseArgs(['--version']), { command: 'version' });
    assert.deepEqual(parseArgs(['help']), { command: 'help' });
  });

  test('a missing or unknown command is a usage error', () => {
    usage([], /missing command/);
    usage(['connect', 'x:1'], /unknown command "connect"/);
  });
});

describe('parseArgs: client', () => {
  test('target and defaults', () => {
    const c = client('127.0.0.1:4433', '--insecure');
    assert.deepEqual(c.target, { host: '127.0.0.1', port: 4433 });
    assert.equal(c.options.insecure, true);
    assert.equal(c.options.linger, 500);
    assert.equal(c.options.timeout, undefined);
    assert.equal(c.options.ciphers, undefined);
    assert.deepEqual(c.options.fingerprints, []);
  });

  test('IPv6 literals in brackets and host names', () => {
    assert.deepEqual(client('[::1]:4433', '--insecure').target, { host: '::1', port: 4433 });
    assert.deepEqual(client('[fe80::1%lo]:5', '--insecure').target, { host: 'fe80::1%lo', port: 5 });
    assert.deepEqual(client('localhost:1', '--insecure').target, { host: 'localhost', port: 1 });
  });

  test('options take a value as the next argument or after =', () => {
    const c = client('h:1', '--fingerprint', FP, `--fingerprint=${FP.toLowerCase()}`, '--mtu=600', '--timeout', '1500', '--linger', '0');
    assert.deepEqual(c.options.fingerprints, [FP, FP.toLowerCase()]);
    assert.equal(c.options.mtu, 600);
    assert.equal(c.options.timeout, 1500);
    assert.equal(c.options.linger, 0);
  });

  test('lists split on colons and commas; names are normalised', () => {
    const c = client(
      'h:1',
      '--insecure',
      '--cipher',
      'ECDHE-ECDSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,0xc02c',
      '--groups',
      'X25519:P-256,prime256v1',
      '--srtp',
      'SRTP_AES128_CM_SHA1_80:srtp_aead_aes_128_gcm',
      '--alpn',
      'h2,webrtc',
      '--servername',
      'example.com',
    );
    assert.deepEqual(c.options.ciphers, [
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    ]);
    assert.deepEqual(c.options.groups, ['x25519', 'secp256r1', 'secp256r1']);
    assert.deepEqual(c.options.srtp, ['SRTP_AES128_CM_SHA1_80', 'SRTP_AEAD_AES_128_GCM']);
    assert.deepEqual(c.options.alpn, ['h2', 'webrtc']);
    assert.equal(c.options.servername, 'example.com');
  });

  test('--export LABEL:LEN (the label may itself contain colons)', () => {
    assert.deepEqual(client('h:1', '--insecure', '--export', 'EXTRACTOR-dtls_srtp:60').options.export, { label: 'EXTRACTOR-dtls_srtp', length: 60 });
    assert.deepEqual(client('h:1', '--insecure', '--export', 'a:b:16').options.export, { label: 'a:b', length: 16 });
    usage(['client', 'h:1', '--insecure', '--export', 'label'], /--export: expected LABEL:LENGTH/);
    usage(['client', 'h:1', '--insecure', '--export', ':60'], /--export: expected LABEL:LENGTH/);
    usage(['client', 'h:1', '--insecure', '--export', 'x:0'], /--export: expected an integer/);
  });

  test('a client needs exactly one way to check the server', () => {
    usage(['client', 'h:1'], /needs --ca FILE, --fingerprint FP or --insecure/);
    usage(['client', 'h:1', '--insecure', '--ca', 'ca.pem'], /use only one of --insecure, --ca/);
    assert.equal(client('h:1', '--ca', 'ca.pem').options.ca, 'ca.pem');
  });

  test('unknown options, missing values and bad values', () => {
    usage(['client', 'h:1', '--insecure', '--bogus'], /unknown option --bogus/);
    usage(['client', 'h:1', '--insecure', '-x'], /unknown option -x/);
    usage(['client', 'h:1', '--insecure', '--mtu'], /--mtu needs a value/);
    usage(['client', 'h:1', '--mtu', '--insecure'], /--mtu needs a value/);
    usage(['client', 'h:1', '--insecure', '--mtu', '50'], /--mtu: expected an integer in 128\.\.65507/);
    usage(['client', 'h:1', '--insecure', '--mtu', '1e3'], /--mtu: expected an integer/);
    // A bad --cipher names every supported suite, OpenSSL and IANA names, the DTLS 1.3 ones last.
    usage(
      ['client', 'h:1', '--insecure', '--cipher', 'RC4-MD5'],
      /^--cipher: unsupported cipher suite "RC4-MD5"; supported: ECDHE-ECDSA-AES128-GCM-SHA256 \(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\), ECDHE-ECDSA-AES256-GCM-SHA384 \(TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\), ECDHE-ECDSA-CHACHA20-POLY1305 \(TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\), ECDHE-RSA-AES128-GCM-SHA256 \(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\), ECDHE-RSA-AES256-GCM-SHA384 \(TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\), ECDHE-RSA-CHACHA20-POLY1305 \(TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\), TLS_AES_128_GCM_SHA256 \(DTLS 1\.3\), TLS_AES_256_GCM_SHA384 \(DTLS 1\.3\), TLS_CHACHA20_POLY1305_SHA256 \(DTLS 1\.3\), TLS_AES_128_CCM_SHA256 \(DTLS 1\.3\), TLS_AES_128_CCM_8_SHA256 \(DTLS 1\.3\)$/,
    );
    usage(['client', 'h:1', '--insecure', '--cipher', ':,'], /--cipher: empty list/);
    usage(['client', 'h:1', '--insecure', '--groups', 'ffdhe2048'], /--groups: unknown group "ffdhe2048"/);
    usage(['client', 'h:1', '--insecure', '--srtp', 'SRTP_NULL'], /--srtp: unknown SRTP profile/);
    usage(['client', 'h:1', '--fingerprint', 'sha-256 AB:CD'], /--fingerprint: sha-256 fingerprint must have 32 bytes/);
    usage(['client', 'h:1', '--fingerprint', 'AB:CD'], /--fingerprint: not a fingerprint/);
    usage(['client', 'h:1', '--insecure=yes'], /--insecure takes no value/);
    usage(['client', 'h:1', '--insecure', '--cert', 'c.pem'], /--cert and --key go together/);
  });

  test('target errors', () => {
    usage(['client', '--insecure'], /client needs HOST:PORT/);
    usage(['client', 'h:1', 'h:2', '--insecure'], /unexpected argument "h:2"/);
    usage(['client', 'localhost', '--insecure'], /expected HOST:PORT/);
    usage(['client', '::1:4433', '--insecure'], /expected HOST:PORT or \[IPv6\]:PORT/);
    usage(['client', 'h:0', '--insecure'], /bad port "0"/);
    usage(['client', 'h:65536', '--insecure'], /bad port/);
  });

  test('server-only options are refused', () => {
    usage(['client', 'h:1', '--insecure', '--echo'], /--echo is not an option of the client command/);
    usage(['client', 'h:1', '--insecure', '--listen', 'h:2'], /--listen is not an option of the client command/);
  });
});

describe('parseArgs: server', () => {
  test('--listen, flags and defaults', () => {
    const s = server('--listen', '127.0.0.1:4433', '--echo', '--once');
    assert.deepEqual(s.listen, { host: '127.0.0.1', port: 4433 });
    assert.equal(s.options.echo, true);
    assert.equal(s.options.once, true);
    assert.equal(s.options.cookie, undefined);
    assert.equal(s.options.verifyClient, false);
    assert.deepEqual(server('--listen=[::]:0').listen, { host: '::', port: 0 });
  });

  test('a bare --listen PORT listens on every IPv4 address, like s_server -accept PORT', () => {
    assert.deepEqual(server('--listen', '4433').listen, { host: '0.0.0.0', port: 4433 });
    assert.deepEqual(server('--listen=0').listen, { host: '0.0.0.0', port: 0 });
  });

  test('--keylog, --trace, --json, --quiet, --dtls1_2', () => {
    const s = server('--listen', '1', '--keylog', 'k.log', '--trace', '--json', '--dtls1_2');
    assert.equal(s.options.keylog, 'k.log');
    assert.equal(s.options.trace, true);
    assert.equal(s.options.json, true);
    assert.equal(s.options.quiet, false);
    const c = client('h:1', '--insecure', '--quiet', '--dtls1_2');
    assert.equal(c.options.quiet, true);
    assert.equal(c.options.keylog, undefined);
    assert.equal(c.options.trace, false);
    usage(['client', 'h:1', '--insecure', '--json', '--quiet'], /use only one of --json, --quiet/);
    usage(['client', 'h:1', '--insecure', '--keylog'], /--keylog needs a value/);
    usage(['client', 'h:1', '--insecure', '--dtls1_2=x'], /--dtls1_2 takes no value/);
  });

  test('--cookie and --no-cookie', () => {
    assert.equal(server('--listen', 'h:1', '--no-cookie').options.cookie, false);
    assert.equal(server('--listen', 'h:1', '--no-cookie', '--cookie').options.cookie, true);
  });

  test('--verify-client needs a way to check the client, and vice versa', () => {
    const s = server('--listen', 'h:1', '--verify-client', '--fingerprint', FP);
    assert.equal(s.options.verifyClient, true);
    assert.deepEqual(s.options.fingerprints, [FP]);
    usage(['server', '--listen', 'h:1', '--verify-client'], /--verify-client needs --ca FILE/);
    usage(['server', '--listen', 'h:1', '--insecure'], /--insecure on a server only applies with --verify-client/);
  });

  test('errors', () => {
    usage(['server'], /server needs --listen \[HOST:\]PORT/);
    usage(['server', '--listen'], /--listen needs a value/);
    usage(['server', '--listen', 'x4433'], /--listen: expected \[HOST:\]PORT or \[IPv6\]:PORT/);
    usage(['server', '--listen', '65536'], /--listen: bad port/);
    usage(['server', '--listen', 'h:1', 'extra'], /unexpected argument "extra"/);
    usage(['server', '--listen', 'h:1', '--linger', '5'], /--linger is not an option of the server command/);
    usage(['server', '--listen', 'h:1', '--servername', 'x'], /--servername is not an option of the server command/);
  });
});

describe('host:port helpers', () => {
  test('parse and format round-trip, IPv6 in brackets', () => {
    assert.deepEqual(parseHostPort('[::1]:0', 'x', true), { host: '::1', port: 0 });
    assert.throws(() => parseHostPort('h:0', 'x'), UsageError);
    assert.equal(formatHostPort('::1', 4433), '[::1]:4433');
    assert.equal(formatHostPort('127.0.0.1', 4433), '127.0.0.1:4433');
  });
});

describe('summary', () => {
  const info: HandshakeInfo = {
    version: 'DTLS 1.2',
    cipherSuite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    cipherSuiteId: 0xc02b,
    group: 'x25519',
    peerCertificates: [],
    peerFingerprint: FP,
    srtpProfile: 'SRTP_AES128_CM_SHA1_80',
    srtpProfileId: 1,
    alpn: undefined,
    serverName: undefined,
    extendedMasterSecret: true,
    resumed: false,
  };

  test('one line per negotiated item', () => {
    assert.deepEqual(summaryLines(info), [
      'Protocol: DTLS 1.2',
      'Cipher: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      'Group: x25519',
      `Peer fingerprint: ${FP}`,
      'SRTP profile: SRTP_AES128_CM_SHA1_80',
      'Extended master secret: yes',
    ]);
    const lines = summaryLines({ ...info, alpn: 'h2', srtpProfile: undefined, peerFingerprint: undefined, extendedMasterSecret: false });
    assert.ok(lines.includes('ALPN: h2'));
    assert.ok(lines.includes('Peer fingerprint: none (no certificate)'));
    assert.ok(lines.includes('Extended master secret: no'));
    const l13 = summaryLines({ ...info, version: 'DTLS 1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', cipherSuiteId: 0x1301 });
    assert.equal(l13[0], 'Protocol: DTLS 1.3');
    assert.ok(!l13.some((l) => l.startsWith('Extended master secret')), 'RFC 7627 is for DTLS 1.2 only');
  });

  test('hexUpper', () => {
    assert.equal(hexUpper(Uint8Array.of(0, 0xab, 0x0f)), '00AB0F');
  });

  test('describeError: one line, with the alert we sent', () => {
    assert.equal(describeError(new DtlsError('verification_failed', 'no match')), 'no match (sent alert bad_certificate)');
    assert.equal(describeError(peerAlertError(48)), 'peer sent fatal alert unknown_ca (48)');
    assert.equal(describeError(new DtlsError('handshake_timeout', 'too slow')), 'too slow');
    assert.equal(describeError(new Error('a\n  b')), 'a b');
    assert.equal(describeError(Object.assign(new Error('bind failed'), { code: 'EADDRINUSE' })), 'EADDRINUSE: bind failed');
  });
});
