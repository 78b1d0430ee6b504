// RSA keys and certificates made by the openssl CLI: parsing, private keys
// (PKCS#1 and PKCS#8), and chains signed with PKCS#1 v1.5 and RSASSA-PSS,
// verified through both providers (noble falls back to the pure-JS verifier).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import fc from 'fast-check';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { SignatureSchemes as S } from '../../src/crypto/provider.ts';
import { rsaVerify } from '../../src/crypto/rsa.ts';
import { DtlsError } from '../../src/errors.ts';
import { encodeInteger, encodeSequence } from '../../src/x509/der.ts';
import { decodeKeyPem, decodePem, encodePem, loadCertificate, loadCertificateKey, parseCertificate, verifyChain } from '../../src/x509/index.ts';
import { TempDir, flip, opensslIssue } from './helpers.ts';

const native = createNativeProvider(nc);
const PROVIDERS = [nobleProvider, native];
const RSA2048 = ['-newkey', 'rsa:2048'];
const CA_EXT = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign'];
const LEAF_EXT = ['keyUsage=critical,digitalSignature', 'subjectAltName=DNS:rsa.test'];
const PSS = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest', '-sigopt', 'rsa_mgf1_md:sha256'];

const code = (f: () => unknown, c: string, re: RegExp): void => assert.throws(f, (e: unknown) => e instanceof DtlsError && e.code === c && re.test(e.message));
const typeError = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: unknown) => e instanceof TypeError && re.test(e.message));

describe('RSA certificates and keys from openssl', () => {
  let dir: TempDir;
  before(() => {
    dir = new TempDir();
    const root = (name: string, key: string[], cn: string, extra: string[] = []) =>
      dir.openssl(
        'req',
        '-x509',
        ...key,
        '-nodes',
        '-subj',
        `/CN=${cn}`,
        '-days',
        '2',
        ...extra,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
      );
    root('rsaca', RSA2048, 'RSA Root');
    root('ecca', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'EC Root');
    root('pssca', RSA2048, 'PSS Root', PSS);
    root('smallca', ['-newkey', 'rsa:1024'], 'Small Root');
    opensslIssue(dir, 'rsaleaf', 'rsaca', 'rsa.test', LEAF_EXT, ['-newkey', 'rsa:3072']); // RSA by RSA, sha256WithRSAEncryption
    opensslIssue(dir, 'ecleaf', 'rsaca', 'rsa.test', LEAF_EXT, undefined, ['-sha384']); // ECDSA by RSA, sha384WithRSAEncryption
    opensslIssue(dir, 'rsabyec', 'ecca', 'rsa.test', LEAF_EXT, RSA2048); // RSA by ECDSA
    opensslIssue(dir, 'rsaint', 'ecca', 'RSA Int', CA_EXT, ['-newkey', 'rsa:4096']); // mixed: EC root, RSA intermediate
    opensslIssue(dir, 'mixedleaf', 'rsaint', 'rsa.test', LEAF_EXT, undefined, ['-sha512']);
    opensslIssue(dir, 'pssleaf', 'rsaca', 'rsa.test', LEAF_EXT, RSA2048, PSS);
    opensslIssue(dir, 'pss384', 'rsaca', 'rsa.test', LEAF_EXT, RSA2048, [
      '-sha384',
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:digest',
      '-sigopt',
      'rsa_mgf1_md:sha384',
    ]);
    opensslIssue(dir, 'pssbyint', 'pssca', 'rsa.test', LEAF_EXT, undefined, PSS);
    opensslIssue(dir, 'pssSalt20', 'rsaca', 'rsa.test', LEAF_EXT, undefined, [
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:20',
      '-sigopt',
      'rsa_mgf1_md:sha256',
    ]);
    opensslIssue(dir, 'pssMgf', 'rsaca', 'rsa.test', LEAF_EXT, undefined, [
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:digest',
      '-sigopt',
      'rsa_mgf1_md:sha512',
    ]);
    opensslIssue(dir, 'bysmall', 'smallca', 'rsa.test', LEAF_EXT);
    dir.openssl('pkey', '-in', 'rsaleaf.key', '-traditional', '-out', 'rsaleaf.pkcs1.key');
    dir.openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', 'small.key');
    dir.openssl('genpkey', '-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'pss.key');
  });
  after(() => dir.remove());

  test('parses an RSA certificate: key size, modulus, exponent and the SPKI DER openssl prints', () => {
    const c = parseCertificate(dir.der('rsaleaf.pem'));
    assert.ok(c.publicKey.type === 'rsa');
    assert.equal(c.publicKey.bits, 3072);
    assert.equal(c.publicKey.modulus.length, 384);
    assert.deepEqual(c.publicKey.exponent, Uint8Array.of(1, 0, 1));
    const spki = decodePem(dir.openssl('x509', '-in', 'rsaleaf.pem', '-noout', '-pubkey'))[0]!.der;
    assert.deepEqual(c.spki, spki);
    assert.equal(parseCertificate(dir.der('ecleaf.pem')).signatureAlgorithm.name, 'sha384WithRSAEncryption');
    const pss = parseCertificate(dir.der('pssleaf.pem'));
    assert.equal(pss.signatureAlgorithm.name, 'RSASSA-PSS');
    assert.ok(pss.signatureParams && pss.signatureParams[0] === 0x30);
    // The EC key's SPKI too: provider.verify takes it for ECDSA via the point, but the field is there for every key.
    assert.deepEqual(parseCertificate(dir.der('ecca.pem')).spki, decodePem(dir.openssl('x509', '-in', 'ecca.pem', '-noout', '-pubkey'))[0]!.der);
  });

  test('malformed RSA public keys in certificates are bad_certificate: even modulus, even exponent, non-NULL parameters', () => {
    const der = dir.der('rsaca.pem');
    const c = parseCertificate(der);
    const spkiAt = Buffer.from(der).indexOf(Buffer.from(c.spki));
    assert.ok(spkiAt > 0);
    const exponentAt = spkiAt + c.spki.length - 5; // ... 02 03 01 00 01
    assert.deepEqual([...der.subarray(exponentAt, exponentAt + 5)], [2, 3, 1, 0, 1]);
    const bad = (b: Uint8Array, re: RegExp) => code(() => parseCertificate(b), 'bad_certificate', re);
    bad(flip(der, exponentAt - 1), /modulus must be odd/);
    bad(flip(der, exponentAt + 4, 0x01), /exponent must be odd/);
    const nullAt = Buffer.from(der).indexOf(Buffer.from([0x01, 0x01, 0x01, 0x05, 0x00]), spkiAt) + 3;
    const params = der.slice();
    params[nullAt] = 0x04; // an empty OCTET STRING instead of NULL
    bad(params, /parameters must be NULL/);
  });

  test('decodeKeyPem reads PKCS#8 and PKCS#1 RSA keys into the same PKCS#8 DER, which signs', () => {
    const a = decodeKeyPem(dir.read('rsaleaf.key'));
    const b = decodeKeyPem(dir.read('rsaleaf.pkcs1.key'));
    assert.match(dir.read('rsaleaf.pkcs1.key'), /BEGIN RSA PRIVATE KEY/);
    assert.ok(a.type === 'rsa' && b.type === 'rsa');
    assert.equal(a.bits, 3072);
    assert.deepEqual(a.privateKey, b.privateKey);
    // node reads our PKCS#8 as the same key, and the native provider signs with it.
    const ko = nc.createPrivateKey({ key: Buffer.from(a.privateKey), format: 'der', type: 'pkcs8' });
    assert.equal(ko.asymmetricKeyDetails?.modulusLength, 3072);
    const cert = parseCertificate(dir.der('rsaleaf.pem'));
    const data = new TextEncoder().encode('signed with a loaded key');
    for (const scheme of [S.rsa_pss_rsae_sha256, S.rsa_pkcs1_sha384]) {
      const sig = native.sign(scheme, a.privateKey, data);
      assert.ok(native.verify(scheme, cert.spki, data, sig));
      assert.ok(!native.verify(scheme, cert.spki, flip(data, 0), sig));
    }
  });

  test('RSA keys refused: under 2048 bits, RSASSA-PSS-restricted, inconsistent, multi-prime', () => {
    typeError(() => decodeKeyPem(dir.read('small.key')), /1024 bits; at least 2048/);
    typeError(() => decodeKeyPem(dir.read('pss.key')), /RSASSA-PSS/);
    // The same key with prime1 + 2: n != p * q.
    const jwk = nc.createPrivateKey(dir.read('rsaleaf.key')).export({ format: 'jwk' });
    const field = (k: string) => new Uint8Array(Buffer.from(jwk[k as keyof typeof jwk] as string, 'base64url'));
    const rsaKey = (p: Uint8Array) =>
      encodeSequence(
        encodeInteger(0),
        ...[field('n'), field('e'), field('d'), p, field('q'), field('dp'), field('dq'), field('qi')].map((v) => encodeInteger(v)),
      );
    const pem = (label: string, b: Uint8Array) => encodePem(label, b);
    assert.equal(decodeKeyPem(pem('RSA PRIVATE KEY', rsaKey(field('p')))).type, 'rsa', 'the key rebuilt unchanged loads');
    const p2 = field('p');
    p2[p2.length - 1]! += 2;
    typeError(() => decodeKeyPem(pem('RSA PRIVATE KEY', rsaKey(p2))), /inconsistent/);
    const der = decodePem(dir.read('rsaleaf.pkcs1.key'))[0]!.der;
    const v1 = der.slice();
    const versionAt = der.indexOf(0x02, 0); // INTEGER version
    v1[versionAt + 2] = 1;
    typeError(() => decodeKeyPem(pem('RSA PRIVATE KEY', v1)), /multi-prime/);
  });

  test('RSASSA-PSS-restricted (id-RSASSA-PSS) keys in certificates: parsed as unknown, refused clearly as issuers and to load', () => {
    dir.write('psskey.key', dir.read('pss.key'));
    dir.openssl(
      'req',
      '-x509',
      '-key',
      'psskey.key',
      '-subj',
      '/CN=PSS Key Root',
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-out',
      'psskey.pem',
    );
    const c = parseCertificate(dir.der('psskey.pem'));
    assert.deepEqual(c.publicKey, { type: 'unknown', oid: '1.2.840.113549.1.1.10' });
    opensslIssue(dir, 'bypsskey', 'psskey', 'rsa.test', LEAF_EXT, undefined, ['-sigopt', 'rsa_pss_saltlen:digest']);
    const opts = { anchors: [dir.der('psskey.pem')], now: Date.now(), provider: native };
    code(() => verifyChain([dir.der('bypsskey.pem')], opts), 'unsupported_certificate', /RSASSA-PSS-restricted/);
    code(() => verifyChain([dir.der('bypsskey.pem'), dir.der('psskey.pem')], opts), 'unsupported_certificate', /RSASSA-PSS-restricted/);
    verifyChain([dir.der('psskey.pem')], opts); // the anchor itself: trusted as given, by its subject and key bytes
    // It cannot be loaded as our own certificate.
    typeError(() => loadCertificateKey(dir.read('psskey.pem'), dir.read('pss.key')), /RSASSA-PSS/);
  });

  test('loadCertificateKey loads RSA pairs with their size; loadCertificate keeps to ECDSA', () => {
    const pair = loadCertificateKey(dir.read('rsaleaf.pem') + dir.read('rsaca.pem'), dir.read('rsaleaf.pkcs1.key'));
    assert.deepEqual(pair.keyType, { type: 'rsa', bits: 3072 });
    assert.equal(pair.chain.length, 2);
    assert.deepEqual(pair.privateKey, decodeKeyPem(dir.read('rsaleaf.key')).privateKey);
    const ec = loadCertificateKey(dir.read('rsabyec.pem').replace(/[^]*/, dir.read('ecca.pem')), dir.read('ecca.key'));
    assert.deepEqual(ec.keyType, { type: 'ecdsa', curve: 'P-256' });
    assert.deepEqual(loadCertificate(dir.read('ecca.pem'), dir.read('ecca.key')).keyType, { type: 'ecdsa', curve: 'P-256' });
    typeError(() => loadCertificate(dir.read('rsaleaf.pem'), dir.read('rsaleaf.key')), /rsa public key \(3072 bits\)/);
    typeError(() => loadCertificateKey(dir.read('rsaleaf.pem'), dir.read('rsaca.key')), /does not match/);
    typeError(() => loadCertificateKey(dir.read('rsaleaf.pem'), dir.read('ecca.key')), /ecdsa but the leaf certificate has a rsa/);
    typeError(() => loadCertificateKey(dir.read('ecca.pem'), dir.read('rsaca.key')), /rsa but the leaf certificate has a ec/);
  });

  test("a credential shaped like the BoGo runner's RSA-2048 one loads and verifies", () => {
    // The runner (certs.go, runner.go initCertificates) makes a self-signed
    // sha256WithRSAEncryption root that issues a leaf for DNS "test" with the
    // same PKCS#8 RSA-2048 key; the shim gets leaf + root and the key.
    dir.openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'bogo.key');
    assert.match(dir.read('bogo.key'), /BEGIN PRIVATE KEY/);
    dir.openssl(
      'req',
      '-x509',
      '-key',
      'bogo.key',
      '-subj',
      '/CN=Test RSA-2048 Root',
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'subjectKeyIdentifier=hash',
      '-out',
      'bogo-root.pem',
    );
    dir.write('bogo-leaf.cnf', 'subjectAltName=DNS:test\n');
    dir.openssl('req', '-new', '-key', 'bogo.key', '-subj', '/O=Acme Co', '-out', 'bogo-leaf.csr');
    dir.openssl(
      'x509',
      '-req',
      '-in',
      'bogo-leaf.csr',
      '-CA',
      'bogo-root.pem',
      '-CAkey',
      'bogo.key',
      '-set_serial',
      '2',
      '-days',
      '2',
      '-extfile',
      'bogo-leaf.cnf',
      '-out',
      'bogo-leaf.pem',
    );
    const pair = loadCertificateKey(dir.read('bogo-leaf.pem') + dir.read('bogo-root.pem'), dir.read('bogo.key'), native);
    assert.deepEqual(pair.keyType, { type: 'rsa', bits: 2048 });
    for (const provider of PROVIDERS) verifyChain(pair.chain, { anchors: [pair.chain[1]!], now: Date.now(), provider, serverName: 'test' });
    // What the handshake will do with it next: sign with the loaded key, the peer verifies with the leaf's SPKI.
    const data = new TextEncoder().encode('ServerKeyExchange params');
    const leaf = parseCertificate(pair.chain[0]!);
    for (const scheme of [S.rsa_pss_rsae_sha256, S.rsa_pkcs1_sha256]) {
      const sig = native.sign(scheme, pair.privateKey, data);
      assert.ok(native.verify(scheme, leaf.spki, data, sig));
      assert.equal(rsaVerify(scheme, leaf.spki, data, sig), true); // the pure-JS verifier agrees
      assert.equal(rsaVerify(scheme, leaf.spki, flip(data, 3), sig), false);
    }
  });

  for (const provider of PROVIDERS) {
    test(`${provider.name}: chains signed with RSA PKCS#1 v1.5 and PSS verify; tampered ones do not`, () => {
      const opts = { anchors: [dir.der('rsaca.pem'), dir.der('ecca.pem'), dir.der('pssca.pem')], now: Date.now(), provider, serverName: 'rsa.test' };
      for (const name of ['rsaleaf', 'ecleaf', 'pssleaf', 'pss384', 'pssbyint', 'rsabyec']) verifyChain([dir.der(`${name}.pem`)], opts);
      verifyChain([dir.der('mixedleaf.pem'), dir.der('rsaint.pem')], opts);
      // The self-signed PSS root verifies its own signature when sent as the issuer.
      verifyChain([dir.der('pssbyint.pem'), dir.der('pssca.pem')], { ...opts, anchors: [dir.der('pssca.pem')] });

      for (const name of ['rsaleaf', 'ecleaf', 'pssleaf', 'pss384']) {
        const der = dir.der(`${name}.pem`);
        code(() => verifyChain([flip(der, der.length - 3)], opts), 'unknown_ca', /not signed by the trust anchor/); // a signature byte
      }
      // A changed byte in the signed part (the subject's CN) breaks the issuer's signature.
      const leaf = dir.der('mixedleaf.pem');
      const cn = Buffer.from(leaf).indexOf('rsa.test');
      code(() => verifyChain([flip(leaf, cn, 0x20), dir.der('rsaint.pem')], opts), 'bad_certificate', /invalid signature/);
      const int = dir.der('rsaint.pem');
      code(() => verifyChain([leaf, flip(int, int.length - 1)], opts), 'unknown_ca', /not signed by the trust anchor/);
      // The wrong RSA anchor with the right name: a fresh RSA root called "RSA Root".
      dir.openssl('req', '-x509', ...RSA2048, '-nodes', '-subj', '/CN=RSA Root', '-days', '2', '-keyout', 'other.key', '-out', 'other.pem');
      code(() => verifyChain([dir.der('rsaleaf.pem')], { ...opts, anchors: [dir.der('other.pem')] }), 'unknown_ca', /not signed by the trust anchor/);
    });

    test(`${provider.name}: mutated RSA chains throw only DtlsError`, () => {
      const anchors = [dir.der('rsaca.pem'), dir.der('ecca.pem')];
      const chains = [[dir.der('pssleaf.pem')], [dir.der('mixedleaf.pem'), dir.der('rsaint.pem')], [dir.der('ecleaf.pem')], [dir.der('rsaleaf.pem')]];
      const mutation = fc.record({ kind: fc.constantFrom('set', 'cut', 'insert', 'delete'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
      let accepted = 0;
      fc.assert(
        fc.property(fc.nat(), fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (ci, ce, ms) => {
          const chain = chains[ci % chains.length]!.slice();
          const at = ce % chain.length;
          let b = chain[at]!.slice();
          for (const m of ms) {
            const i = m.at % (b.length + 1);
            if (m.kind === 'set' && i < b.length) b[i] = m.value;
            else if (m.kind === 'cut') b = b.slice(0, i);
            else if (m.kind === 'insert') b = Uint8Array.from([...b.subarray(0, i), m.value, ...b.subarray(i)]);
            else if (m.kind === 'delete') b = Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + 1)]);
          }
          chain[at] = b;
          try {
            verifyChain(chain, { anchors, now: Date.now(), provider });
            accepted++;
          } catch (e) {
            assert.ok(e instanceof DtlsError, `threw ${String(e)}`);
            for (let c: unknown = e.cause; c !== undefined; c = (c as Error).cause) assert.ok(c instanceof DtlsError, `caused by ${String(c)}`);
          }
        }),
        { numRuns: 400 },
      );
      // Only mutations outside the signed bytes and the signature value (e.g. a no-op set) may pass.
      assert.ok(accepted < 40, `${accepted} mutated chains accepted`);
    });

    test(`${provider.name}: odd PSS parameters and small RSA issuers are unsupported_certificate`, () => {
      const opts = { anchors: [dir.der('rsaca.pem'), dir.der('smallca.pem')], now: Date.now(), provider };
      code(() => verifyChain([dir.der('pssSalt20.pem')], opts), 'unsupported_certificate', /salt length 20/);
      code(() => verifyChain([dir.der('pssMgf.pem')], opts), 'unsupported_certificate', /MGF1 hash/);
      code(() => verifyChain([dir.der('bysmall.pem')], opts), 'unsupported_certificate', /1024-bit RSA key is too small/);
    });
  }
});
