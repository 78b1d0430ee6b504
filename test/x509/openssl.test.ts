// Interop with the openssl CLI: we parse what it makes, and it accepts what we make.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { DtlsError } from '../../src/errors.ts';
import { equalBytes } from '../../src/wire/codec.ts';
import {
  decodePem,
  decodePrivateKeyPem,
  encodePem,
  fingerprint,
  fingerprintMatches,
  generateCertificate,
  loadCertificate,
  parseCertificate,
  verifyChain,
} from '../../src/x509/index.ts';
import { TempDir, opensslIssue, opensslSelfSigned } from './helpers.ts';

const p = nobleProvider;

describe('openssl interop', () => {
  let dir: TempDir;
  before(() => {
    dir = new TempDir();
    opensslSelfSigned(dir, 'p256', 'P-256');
    opensslSelfSigned(dir, 'p384', 'P-384');
    dir.openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=Test Root',
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    );
    opensslIssue(dir, 'int', 'ca', 'Test Intermediate', ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign']);
    opensslIssue(dir, 'leaf', 'int', 'leaf.test', [
      'subjectAltName=DNS:leaf.test,DNS:*.wild.test,IP:10.0.0.1,IP:2001:db8::1',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'basicConstraints=critical,CA:FALSE',
    ]);
    dir.write('bundle.pem', dir.read('leaf.pem') + dir.read('int.pem'));
  });
  after(() => dir.remove());

  test('parses a P-256 self-signed certificate from openssl req -x509', () => {
    const c = parseCertificate(dir.der('p256.pem'));
    assert.equal(c.subjectCommonName, 'localhost');
    assert.deepEqual(c.subjectDer, c.issuerDer);
    assert.deepEqual(c.subjectAltNames, { dns: ['localhost'], ip: ['127.0.0.1'] });
    assert.equal(c.publicKey.type, 'ec');
    assert.ok(c.publicKey.type === 'ec' && c.publicKey.curve === 'P-256' && c.publicKey.point.length === 65);
    assert.deepEqual(c.signatureAlgorithm, { oid: '1.2.840.10045.4.3.2', name: 'ecdsa-with-SHA256' });
    const days = (c.notAfter - c.notBefore) / 86_400_000;
    assert.ok(days > 1.99 && days < 2.01, `validity ${days} days`);
    assert.ok(Math.abs(c.notBefore - Date.now()) < 600_000);
    const serial = dir.openssl('x509', '-in', 'p256.pem', '-noout', '-serial').trim().split('=')[1]!;
    assert.equal(BigInt('0x' + serial), BigInt('0x' + Buffer.from(c.serialNumber).toString('hex')));
    assert.deepEqual(c.unknownCriticalExtensions, []);
    // The self-signature verifies with its own key.
    assert.ok(c.publicKey.type === 'ec' && p.ecdsaVerify('P-256', 'sha256', c.publicKey.point, c.tbs, c.signature));
  });

  test('parses a P-384 certificate and its PKCS#8 key', () => {
    const c = parseCertificate(dir.der('p384.pem'));
    assert.ok(c.publicKey.type === 'ec' && c.publicKey.curve === 'P-384' && c.publicKey.point.length === 97);
    assert.equal(c.signatureAlgorithm.name, 'ecdsa-with-SHA256');
    const key = decodePrivateKeyPem(dir.read('p384.key'));
    assert.equal(key.curve, 'P-384');
    assert.equal(key.privateKey.length, 48);
    assert.ok(c.publicKey.type === 'ec' && equalBytes(p.ecdsaPublicKey('P-384', key.privateKey), c.publicKey.point));
  });

  test('parses a CA, an intermediate with pathlen, and a leaf with extensions', () => {
    const ca = parseCertificate(dir.der('ca.pem'));
    assert.deepEqual(ca.basicConstraints, { ca: true, pathLen: undefined });
    assert.deepEqual([...ca.keyUsage!].sort(), ['cRLSign', 'keyCertSign']);
    const int = parseCertificate(dir.der('int.pem'));
    assert.deepEqual(int.basicConstraints, { ca: true, pathLen: 0 });
    assert.deepEqual(int.issuerDer, ca.subjectDer);
    const leaf = parseCertificate(dir.der('leaf.pem'));
    assert.deepEqual(leaf.basicConstraints, { ca: false, pathLen: undefined });
    assert.deepEqual([...leaf.keyUsage!], ['digitalSignature']);
    assert.deepEqual(leaf.subjectAltNames, { dns: ['leaf.test', '*.wild.test'], ip: ['10.0.0.1', '2001:db8::1'] });
    assert.deepEqual(leaf.extKeyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.deepEqual(leaf.issuerDer, int.subjectDer);
  });

  test('parses Ed25519 and RSA certificates', () => {
    dir.openssl('req', '-x509', '-newkey', 'ed25519', '-nodes', '-subj', '/CN=ed', '-days', '1', '-keyout', 'ed.key', '-out', 'ed.pem');
    const ed = parseCertificate(dir.der('ed.pem'));
    assert.ok(ed.publicKey.type === 'ed25519' && ed.publicKey.key.length === 32);
    assert.equal(ed.signatureAlgorithm.name, 'Ed25519');
    dir.openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=rsa', '-days', '1', '-keyout', 'rsa.key', '-out', 'rsa.pem');
    const rsa = parseCertificate(dir.der('rsa.pem'));
    assert.ok(rsa.publicKey.type === 'rsa' && rsa.publicKey.modulus.length === 256);
    assert.ok(rsa.publicKey.type === 'rsa' && equalBytes(rsa.publicKey.exponent, Uint8Array.of(1, 0, 1)));
    assert.equal(rsa.signatureAlgorithm.name, 'sha256WithRSAEncryption');
    assert.throws(
      () => decodePrivateKeyPem(dir.read('rsa.key')),
      (e: unknown) => e instanceof TypeError && /RSA/.test(e.message),
    );
    assert.throws(
      () => decodePrivateKeyPem(dir.read('ed.key')),
      (e: unknown) => e instanceof TypeError && /Ed25519/.test(e.message),
    );
  });

  test('our fingerprints equal openssl x509 -fingerprint', () => {
    for (const file of ['p256.pem', 'p384.pem', 'leaf.pem']) {
      for (const [ours, theirs] of [
        ['sha-1', '-sha1'],
        ['sha-256', '-sha256'],
        ['sha-384', '-sha384'],
        ['sha-512', '-sha512'],
      ] as const) {
        const out = dir.openssl('x509', '-in', file, '-noout', '-fingerprint', theirs).trim();
        const expected = out.slice(out.indexOf('=') + 1);
        const fp = fingerprint(dir.der(file), ours, p);
        assert.equal(fp, `${ours} ${expected}`);
        assert.ok(fingerprintMatches(dir.der(file), fp.toLowerCase(), p));
      }
    }
  });

  test('decodes SEC1 keys from openssl ecparam -genkey', () => {
    for (const [name, curve] of [
      ['prime256v1', 'P-256'],
      ['secp384r1', 'P-384'],
    ] as const) {
      dir.openssl('ecparam', '-genkey', '-name', name, '-out', `sec1-${name}.pem`);
      const text = dir.read(`sec1-${name}.pem`);
      assert.deepEqual(
        decodePem(text).map((b) => b.label),
        ['EC PARAMETERS', 'EC PRIVATE KEY'],
      );
      const key = decodePrivateKeyPem(text);
      assert.equal(key.curve, curve);
      const spki = decodePem(dir.openssl('ec', '-in', `sec1-${name}.pem`, '-pubout'))[0]!.der;
      const point = p.ecdsaPublicKey(curve, key.privateKey);
      assert.ok(equalBytes(spki.subarray(spki.length - point.length), point));
      // The same key as PKCS#8 decodes to the same scalar.
      const pkcs8 = dir.openssl('pkey', '-in', `sec1-${name}.pem`);
      assert.deepEqual(decodePrivateKeyPem(pkcs8), key);
    }
  });

  test('encrypted keys are refused with a TypeError', () => {
    const enc = dir.openssl('pkey', '-in', 'p256.key', '-aes128', '-passout', 'pass:secret');
    assert.throws(
      () => decodePrivateKeyPem(enc),
      (e: unknown) => e instanceof TypeError && /encrypted/.test(e.message),
    );
    const legacy = dir.openssl('ec', '-in', 'p256.key', '-aes128', '-passout', 'pass:secret');
    assert.match(legacy, /Proc-Type: 4,ENCRYPTED/);
    assert.throws(
      () => decodePrivateKeyPem(legacy),
      (e: unknown) => e instanceof TypeError && /encrypted/.test(e.message),
    );
  });

  test('loadCertificate reads a chain bundle and checks the key', () => {
    const pair = loadCertificate(dir.read('bundle.pem'), dir.read('leaf.key'), p);
    assert.equal(pair.chain.length, 2);
    assert.equal(pair.curve, 'P-256');
    assert.deepEqual(pair.chain[1], dir.der('int.pem'));
    assert.equal(pair.fingerprint, fingerprint(dir.der('leaf.pem')));
    assert.throws(
      () => loadCertificate(dir.read('bundle.pem'), dir.read('int.key'), p),
      (e: unknown) => e instanceof TypeError && /does not match/.test(e.message),
    );
    assert.throws(
      () => loadCertificate(dir.read('p256.pem'), dir.read('p384.key'), p),
      (e: unknown) => e instanceof TypeError && /P-384/.test(e.message),
    );
    assert.throws(
      () => loadCertificate(dir.read('rsa.pem'), dir.read('p256.key'), p),
      (e: unknown) => e instanceof TypeError && /rsa/.test(e.message),
    );
    assert.throws(
      () => loadCertificate(dir.read('leaf.key'), dir.read('leaf.key'), p),
      (e: unknown) => e instanceof TypeError && /no CERTIFICATE/.test(e.message),
    );
    assert.throws(() => loadCertificate('nonsense', dir.read('leaf.key'), p), TypeError);
  });

  test('verifyChain accepts openssl chains and enforces their constraints', () => {
    // A minute ahead: certificates issued further down start at the second they are made.
    const opts = { anchors: [dir.der('ca.pem')], now: Date.now() + 60_000, provider: p, purpose: 'server' as const };
    const chain = [dir.der('leaf.pem'), dir.der('int.pem')];
    verifyChain(chain, { ...opts, serverName: 'leaf.test' });
    verifyChain(chain, { ...opts, serverName: 'x.wild.test' });
    verifyChain(chain, { ...opts, serverName: '10.0.0.1' });
    verifyChain(chain, { ...opts, serverName: '2001:0db8:0:0::1' });
    verifyChain([...chain, dir.der('ca.pem')], opts);
    const code = (f: () => void, c: string, re: RegExp): void => assert.throws(f, (e: unknown) => e instanceof DtlsError && e.code === c && re.test(e.message));
    code(() => verifyChain(chain, { ...opts, serverName: 'a.b.wild.test' }), 'bad_certificate', /not valid for/);
    code(() => verifyChain(chain, { ...opts, serverName: '10.0.0.2' }), 'bad_certificate', /not valid for/);
    code(() => verifyChain(chain, { ...opts, purpose: 'client' }), 'unsupported_certificate', /client/);
    code(() => verifyChain([dir.der('leaf.pem')], opts), 'unknown_ca', /no trust anchor/);

    // pathlen:0 on the intermediate forbids another intermediate below it.
    opensslIssue(dir, 'int2', 'int', 'Second Intermediate', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign']);
    opensslIssue(dir, 'leaf2', 'int2', 'leaf2', ['keyUsage=critical,digitalSignature']);
    code(() => verifyChain([dir.der('leaf2.pem'), dir.der('int2.pem'), dir.der('int.pem')], opts), 'bad_certificate', /allows 0 intermediates/);

    // An intermediate whose keyUsage lacks keyCertSign.
    opensslIssue(dir, 'nosign', 'ca', 'No Sign', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature']);
    opensslIssue(dir, 'leaf3', 'nosign', 'leaf3', []);
    code(() => verifyChain([dir.der('leaf3.pem'), dir.der('nosign.pem')], opts), 'bad_certificate', /keyCertSign/);

    // An unknown critical extension on the leaf.
    opensslIssue(dir, 'crit', 'ca', 'crit', ['1.2.3.4=critical,DER:0500']);
    assert.deepEqual(parseCertificate(dir.der('crit.pem')).unknownCriticalExtensions, ['1.2.3.4']);
    code(() => verifyChain([dir.der('crit.pem')], opts), 'bad_certificate', /critical extensions 1\.2\.3\.4/);

    // RSA signatures verify (more in rsa.test.ts); SHA-1 ones are unsupported.
    dir.openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=RSA CA',
      '-days',
      '1',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      'rsaca.key',
      '-out',
      'rsaca.pem',
    );
    opensslIssue(dir, 'rsaleaf', 'rsaca', 'rsaleaf', []);
    verifyChain([dir.der('rsaleaf.pem')], { ...opts, serverName: undefined, anchors: [dir.der('rsaca.pem')] });
    opensslIssue(dir, 'rsaleaf1', 'rsaca', 'rsaleaf', [], undefined, ['-sha1']);
    code(
      () => verifyChain([dir.der('rsaleaf1.pem')], { ...opts, serverName: undefined, anchors: [dir.der('rsaca.pem')] }),
      'unsupported_certificate',
      /sha1WithRSAEncryption is not supported/,
    );
  });

  test('openssl accepts certificates made by generateCertificate', () => {
    const self = generateCertificate({ commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1', '::1'] });
    dir.write('gen-self.pem', encodePem('CERTIFICATE', self.chain[0]!));
    const text = dir.openssl('x509', '-in', 'gen-self.pem', '-noout', '-text');
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /NIST CURVE: P-256/);
    assert.match(text, /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    assert.match(text, /Key Usage: critical\s+Digital Signature/);
    assert.match(dir.openssl('verify', '-CAfile', 'gen-self.pem', '-verify_hostname', 'localhost', 'gen-self.pem'), /gen-self\.pem: OK/);
    const out = dir.openssl('x509', '-in', 'gen-self.pem', '-noout', '-fingerprint', '-sha256').trim();
    assert.equal(self.fingerprint, `sha-256 ${out.slice(out.indexOf('=') + 1)}`);

    const root = generateCertificate({ commonName: 'Gen Root', curve: 'P-384', ca: true });
    const int = generateCertificate({ commonName: 'Gen Int', ca: true, issuer: root });
    const leaf = generateCertificate({ commonName: 'gen.test', subjectAltNames: ['gen.test'], issuer: int });
    dir.write('gen-root.pem', encodePem('CERTIFICATE', root.chain[0]!));
    dir.write('gen-int.pem', encodePem('CERTIFICATE', int.chain[0]!));
    dir.write('gen-leaf.pem', encodePem('CERTIFICATE', leaf.chain[0]!));
    const rootText = dir.openssl('x509', '-in', 'gen-root.pem', '-noout', '-text');
    assert.match(rootText, /ecdsa-with-SHA384/);
    assert.match(rootText, /NIST CURVE: P-384/);
    assert.match(rootText, /Basic Constraints: critical\s+CA:TRUE/);
    assert.match(rootText, /Key Usage: critical\s+Certificate Sign/);
    assert.match(dir.openssl('verify', '-CAfile', 'gen-root.pem', 'gen-int.pem'), /OK/);
    assert.match(
      dir.openssl('verify', '-CAfile', 'gen-root.pem', '-untrusted', 'gen-int.pem', '-verify_hostname', 'gen.test', 'gen-leaf.pem'),
      /gen-leaf\.pem: OK/,
    );
    const direct = generateCertificate({ issuer: root, subjectAltNames: ['direct.test'] });
    dir.write('gen-direct.pem', encodePem('CERTIFICATE', direct.chain[0]!));
    assert.match(dir.openssl('verify', '-CAfile', 'gen-root.pem', 'gen-direct.pem'), /OK/);
    assert.throws(() => dir.openssl('verify', '-CAfile', 'gen-self.pem', 'gen-direct.pem'));
  });
});
