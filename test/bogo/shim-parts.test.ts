// The BoGo shim's parts that need no runner: the runner's framing, the flag
// table, and the reading of a run (skip globs, versions, failure messages,
// the comparison with bogo/expectations.txt).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameError, FrameReader, encodePacket, encodeShimId } from '../../bogo/framing.ts';
import { Unimplemented, parseFlags } from '../../bogo/flags.ts';
import {
  classify,
  compareWithExpectations,
  disabledReason,
  failureMessages,
  globToRegExp,
  keptReason,
  parseExpectations,
  parseRunnerOutput,
  versionOf,
  readDtlsTests,
  type KeptTests,
  type ShimConfig,
} from '../../bogo/results.ts';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const bytes = (...b: number[]) => new Uint8Array(b);

describe('framing', () => {
  test('decodes every opcode, across arbitrary chunk boundaries', () => {
    const stream = new Uint8Array([
      ...encodePacket(bytes(1, 2, 3)),
      0x54,
      0,
      0,
      0,
      0,
      0x17,
      0xd7,
      0x84,
      0x00, // T 400 ms
      0x45,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff, // E: no timer
      0x45,
      0,
      0,
      0,
      0,
      0,
      0,
      0x03,
      0xe8, // E 1000 ns
      0x4d,
      0,
      0,
      0x01,
      0x00, // M 256
      0x55,
      0,
      0,
      0x00,
      0xfa, // U 250 ms
    ]);
    for (const step of [1, 2, 3, 7, stream.length]) {
      const r = new FrameReader();
      const frames = [];
      for (let i = 0; i < stream.length; i += step) {
        r.push(stream.slice(i, i + step));
        for (let f = r.next(); f; f = r.next()) frames.push(f);
      }
      assert.deepEqual(frames, [
        { op: 'P', datagram: bytes(1, 2, 3) },
        { op: 'T', ns: 400_000_000n },
        { op: 'E', ns: undefined },
        { op: 'E', ns: 1000n },
        { op: 'M', mtu: 256 },
        { op: 'U', ms: 250 },
      ]);
    }
  });

  test('an unknown opcode is an error, not a skipped byte', () => {
    const r = new FrameReader();
    r.push(bytes(0x51));
    assert.throws(() => r.next(), FrameError);
  });

  test('the shim id goes first, as a u64 little-endian', () => {
    assert.deepEqual(encodeShimId(0x0102n), bytes(2, 1, 0, 0, 0, 0, 0, 0));
  });
});

describe('flags', () => {
  const base = ['-port', '1234', '-shim-id', '7', '-dtls'];

  test('reads the flags it knows', () => {
    const f = parseFlags([...base, '-server', '-mtu', '512', '-async', '-advertise-alpn', '\x03foo\x03bar', '-curves', '29', '-curves', '23']);
    assert.equal(f.port, 1234);
    assert.equal(f.shimId, 7n);
    assert.equal(f.server, true);
    assert.equal(f.mtu, 512);
    assert.deepEqual(f.advertiseAlpn, ['foo', 'bar']);
    assert.deepEqual(f.curves, [29, 23]);
    // -resume-count: the first connection, then that many resumptions of its session.
    assert.equal(parseFlags([...base, '-resume-count', '1']).resumeCount, 1);
  });

  test('an unknown flag, or a feature we lack, is Unimplemented (exit 89)', () => {
    assert.throws(() => parseFlags([...base, '-enable-ocsp-stapling']), Unimplemented);
    assert.throws(() => parseFlags([...base, '-max-version', String(0xfeff)]), /only DTLS 1.2 and 1.3/);
    assert.throws(() => parseFlags([...base, '-no-tls12', '-no-tls13']), /only DTLS 1.2 and 1.3/);
    assert.throws(() => parseFlags(['-port', '1', '-shim-id', '1']), /no -dtls/);
    assert.throws(() => parseFlags([...base, '-expect-selected-credential', '0']), /credential lists/);
  });

  test('the version range gives the versions offered: 1.3 alone where 1.2 is out of it, 1.2 where 1.3 is', () => {
    assert.deepEqual(parseFlags([...base, '-min-version', String(0xfefc)]).versions, ['1.3']);
    assert.deepEqual(parseFlags([...base, '-no-tls12']).versions, ['1.3']);
    assert.deepEqual(parseFlags([...base, '-max-version', String(0xfefd)]).versions, ['1.2']);
    assert.deepEqual(parseFlags([...base, '-no-tls13']).versions, ['1.2']);
    // No version flag: both, 1.3 first, as BoringSSL (the runner's 1.3 hooks assume it).
    assert.deepEqual(parseFlags(base).versions, ['1.3', '1.2']);
  });

  test('expectations the library can answer are read; those it cannot are Unimplemented', () => {
    assert.equal(parseFlags([...base, '-expect-hrr']).expect.hrr, true);
    assert.equal(parseFlags([...base, '-expect-no-hrr']).expect.hrr, false);
    assert.equal(parseFlags([...base, '-expect-no-server-name']).expect.noServerName, true);
    assert.equal(parseFlags([...base, '-expect-no-session-id', '-expect-early-data-reason', 'disabled']).expect.sessionId, false);
    assert.equal(parseFlags([...base, '-expect-session-id']).expect.sessionId, true);
    assert.throws(() => parseFlags([...base, '-expect-early-data-reason', 'accept']), Unimplemented);
  });

  test('-on-initial- flags apply to the first connection (test/bogo/shim-resume.test.ts has the resumptions)', () => {
    const f = parseFlags([...base, '-on-initial-expect-alpn', 'foo', '-on-resume-expect-alpn', 'bar', '-expect-selected-credential', '-1']);
    assert.equal(f.expect.alpn, 'foo');
    assert.throws(() => parseFlags([...base, '-on-resume-no-such-flag']), Unimplemented);
  });

  test('a flag missing its value is an error', () => {
    assert.throws(() => parseFlags([...base, '-mtu']), TypeError);
    assert.throws(() => parseFlags([...base, '-mtu', 'x']), TypeError);
  });
});

describe('reading a run', () => {
  const config: ShimConfig = { DisabledTests: { '*-TLS1-*': 'no DTLS 1.0', 'Foo?': 'one char' }, ErrorMap: {} };

  test('globs match like Go filepath.Match on names', () => {
    assert.ok(globToRegExp('Alert-*').test('Alert-DTLS'));
    assert.ok(!globToRegExp('Alert-*').test('XAlert-DTLS'));
    assert.ok(globToRegExp('a.b[0-9]').test('a.b7'));
    assert.ok(!globToRegExp('a.b').test('axb'));
    assert.equal(disabledReason(config, 'X-TLS1-Y'), 'no DTLS 1.0');
    assert.equal(disabledReason(config, 'FooX'), 'one char');
    assert.equal(disabledReason(config, 'X-TLS12-Y'), undefined);
  });

  test('versions come from the name', () => {
    assert.equal(versionOf('DTLS-Retransmit-Client-1-TLS12'), 'DTLS 1.2');
    assert.equal(versionOf('DTLS-Retransmit-Client-1-TLS13-Short'), 'DTLS 1.3');
    assert.equal(versionOf('VersionNegotiation-Client2-TLS1-TLS13-DTLS'), 'DTLS 1.0');
    assert.equal(versionOf('DTLS-TLS1-ECDHE_ECDSA_WITH_AES_128_GCM_SHA256-server'), 'DTLS 1.0');
    assert.equal(versionOf('Alert-DTLS'), 'default');
  });

  test('results, reasons and failure messages become outcomes', () => {
    const results = parseRunnerOutput({ tests: { A: { actual: 'PASS' }, B: { actual: 'SKIP' }, C: { actual: 'FAIL' } } });
    const stdout = 'PASSED (A)\nUNIMPLEMENTED (B)\nFAILED (C)\nunexpected failure\n\tstderr: x\n\nPASSED (Z)\n';
    assert.deepEqual(failureMessages(stdout), new Map([['C', 'unexpected failure\n\tstderr: x']]));
    const out = classify(['A', 'B', 'C', 'D', 'X-TLS1-Y'], config, results, new Map([['B', 'Unimplemented: flag -psk']]), stdout);
    assert.deepEqual(
      out.map((o) => [o.name, o.status, o.reason]),
      [
        ['A', 'passed', ''],
        ['B', 'unimplemented', 'flag -psk'],
        ['C', 'failed', 'unexpected failure\n\tstderr: x'],
        ['D', 'failed', 'no result from the runner (missing)'],
        ['X-TLS1-Y', 'skipped', 'no DTLS 1.0'],
      ],
    );
    const expected = parseExpectations('# passing\nA\nC  # broken now\nX-TLS1-Y\n');
    const cmp = compareWithExpectations(out, expected, config);
    assert.equal(cmp.checked, 3);
    assert.deepEqual(cmp.newlyPassing, []);
    assert.equal(cmp.problems.length, 2);
    assert.deepEqual(
      cmp.problems.map((p) => p.name),
      ['C', 'X-TLS1-Y'],
    );
    assert.match(cmp.problems[0]!.detail, /^failed/);
    assert.match(cmp.problems[1]!.detail, /config.json skips it/);
    assert.deepEqual(cmp.failed, ['C'], 'a test the config skips is not run again');
  });

  test('a failure bogo/kept.json lists is kept, with its reason and the runner message; a pass stays a pass', () => {
    const kept: KeptTests = { 'C*': 'ours is allowed (RFC 0000)' };
    const results = parseRunnerOutput({ tests: { A: { actual: 'PASS' }, C1: { actual: 'FAIL' }, C2: { actual: 'PASS' }, E: { actual: 'FAIL' } } });
    const stdout = 'FAILED (C1)\nwant: x\nFAILED (E)\nboom\n';
    const out = classify(['A', 'C1', 'C2', 'E'], config, results, new Map(), stdout, kept);
    assert.deepEqual(
      out.map((o) => [o.name, o.status, o.reason, o.detail]),
      [
        ['A', 'passed', '', undefined],
        ['C1', 'kept', 'ours is allowed (RFC 0000)', 'want: x'],
        ['C2', 'passed', '', undefined],
        ['E', 'failed', 'boom', undefined],
      ],
    );
    // An expected test that fails is a regression even where kept.json has a pattern for it.
    assert.deepEqual(compareWithExpectations(out, new Set(['C1']), config).failed, ['C1']);
  });

  test('bogo/kept.json: every pattern names a DTLS test, none an expected one, and each has a reason', () => {
    const kept = JSON.parse(readFileSync(resolve(root, 'bogo/kept.json'), 'utf8')) as KeptTests;
    const expected = parseExpectations(readFileSync(resolve(root, 'bogo/expectations.txt'), 'utf8'));
    assert.ok(Object.keys(kept).length > 0);
    for (const name of expected) assert.equal(keptReason(kept, name), undefined, `${name} is expected to pass and listed as kept`);
    for (const [pattern, reason] of Object.entries(kept)) assert.ok(reason.length > 20, `${pattern} needs a reason`);
    const tsv = resolve(process.env.BOGO_DIR ?? resolve(root, '../shared/bogo'), 'dtls-tests.tsv');
    assert.ok(existsSync(tsv), `no BoGo test list at ${tsv} (set BOGO_DIR)`);
    const all = readDtlsTests(readFileSync(tsv, 'utf8'));
    for (const pattern of Object.keys(kept))
      assert.ok(
        all.some((n) => keptReason({ [pattern]: 'x' }, n) !== undefined),
        `${pattern} names no DTLS test`,
      );
  });
});

describe('session', () => {
  test('a reset from the runner is its close, other socket errors fail the test', async () => {
    const { runnerClosed } = await import('../../bogo/session.ts');
    assert.equal(runnerClosed('ECONNRESET'), true);
    assert.equal(runnerClosed('EPIPE'), true);
    assert.equal(runnerClosed('ECONNREFUSED'), false);
    assert.equal(runnerClosed(undefined), false);
  });
});

describe('credentials', () => {
  test("RSA under 2048 bits or Ed448 keys, ours or the runner's, are unimplemented; ECDSA P-256, Ed25519 and RSA 2048 are used", async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { checkCredentials } = await import('../../bogo/keys.ts');
    const { generateCertificate } = await import('../../src/index.ts');
    const dir = mkdtempSync(join(tmpdir(), 'bogo-keys-'));
    try {
      const file = (name: string, text: string) => {
        writeFileSync(join(dir, name), text);
        return join(dir, name);
      };
      const pem = (der: Uint8Array, label: string) =>
        `-----BEGIN ${label}-----\n${Buffer.from(der)
          .toString('base64')
          .replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`;
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      const ec = generateCertificate();
      const ecCert = file('ec.pem', pem(ec.chain[0]!, 'CERTIFICATE'));
      const ecKey = file('ec.key', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      const base = parseFlags(['-port', '1', '-shim-id', '1', '-dtls', '-server']);
      assert.throws(() => checkCredentials({ ...base, certFile: ecCert, keyFile: file('rsa.key', rsa) }), /our private key is RSA of 1024 bits/);
      const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      checkCredentials({ ...base, certFile: ecCert, keyFile: file('rsa2048.key', rsa2048) });
      checkCredentials({ ...base, certFile: ecCert, keyFile: file('ed.key', ed) });
      const ed448 = generateKeyPairSync('ed448').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      assert.throws(() => checkCredentials({ ...base, certFile: ecCert, keyFile: file('ed448.key', ed448) }), /our private key is ed448/);
      assert.throws(() => checkCredentials({ ...base }), /without a certificate/);
      // Key types only: whether the key matches the certificate is the library's check.
      checkCredentials({ ...base, certFile: ecCert, keyFile: ecKey });
      // A client: the runner authenticates with the key type of the root it passes.
      checkCredentials({ ...base, server: false, trustCert: ecCert });
      const { execFileSync } = await import('node:child_process');
      const rsaCert = join(dir, 'rsa.pem');
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-subj', '/CN=t', '-days', '1', '-keyout', join(dir, 'k.pem'), '-out', rsaCert],
        { stdio: 'ignore' },
      );
      assert.throws(() => checkCredentials({ ...base, server: false, trustCert: rsaCert }), /the runner's certificate is RSA of 1024 bits/);
      assert.throws(
        () => checkCredentials({ ...base, certFile: ecCert, keyFile: ecKey, verifyPeer: true, trustCert: rsaCert }),
        /the runner's certificate is RSA of 1024 bits/,
      );
      const rsa2048Cert = join(dir, 'rsa2048.pem');
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=t', '-days', '1', '-keyout', join(dir, 'k2.pem'), '-out', rsa2048Cert],
        { stdio: 'ignore' },
      );
      checkCredentials({ ...base, server: false, trustCert: rsa2048Cert });
      // A server that does not ask for a client certificate does not care.
      checkCredentials({ ...base, certFile: ecCert, keyFile: ecKey, trustCert: file('x.pem', 'not read') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
