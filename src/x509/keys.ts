// Private keys from PEM: ECDSA on P-256 or P-384 as PKCS#8 "PRIVATE KEY"
// (RFC 5208 / RFC 5958) or SEC1 "EC PRIVATE KEY" (RFC 5915); RSA as PKCS#8 or
// PKCS#1 "RSA PRIVATE KEY" (RFC 8017 A.1.2); Ed25519 as PKCS#8 (RFC 8410 7,
// what `openssl genpkey -algorithm ed25519` writes). Unsupported keys are
// configuration errors, so they are TypeErrors. And ECDSA keys back to PKCS#8
// PEM, for servers outside this library that take PEM files (a QUIC relay's TLS).
import type { EcCurve } from '../crypto/provider.ts';
import { DerReader, Tag, contextTag, encodeBitString, encodeExplicit, encodeInteger, encodeNull, encodeOctetString, encodeOid, encodeSequence } from './der.ts';
import { CURVE_BY_OID, OID, parseCertificate } from './parse.ts';
import { decodePem, encodePem } from './pem.ts';
import type { CertificateKeyPair, DecodedPrivateKey, Ed25519CertificateKeyPair } from './types.ts';

/** Smallest RSA private key accepted (NIST SP 800-131A: 2048 bits). */
export const MIN_RSA_BITS = 2048;
/** Largest RSA key accepted, bounding the cost of its arithmetic. */
export const MAX_RSA_BITS = 16384;

const ORDER: Record<EcCurve, bigint> = {
  'P-256': 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  'P-384': 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};
const SIZE: Record<EcCurve, number> = { 'P-256': 32, 'P-384': 48 };

/** An ECDSA private key from PEM (RSA keys: decodeKeyPem). */
export function decodePrivateKeyPem(pem: string): { curve: EcCurve; privateKey: Uint8Array } {
  const key = decodeKeyPem(pem);
  if (key.type !== 'ecdsa')
    throw new TypeError(
      `${key.type === 'rsa' ? 'RSA' : 'Ed25519'} private keys are not supported here; use an ECDSA P-256 or P-384 key (decodeKeyPem reads the others)`,
    );
  return { curve: key.curve, privateKey: key.privateKey };
}

/** An ECDSA (P-256/P-384), RSA (2048 bits or more) or Ed25519 private key from PEM. */
export function decodeKeyPem(pem: string): DecodedPrivateKey {
  if (/Proc-Type:\s*4,ENCRYPTED/i.test(pem))
    throw new TypeError('encrypted private keys are not supported; decrypt the key first (e.g. openssl pkey -in key.pem -out plain.pem)');
  let blocks;
  try {
    blocks = decodePem(pem);
  } catch (e) {
    throw new TypeError(`private key is not valid PEM: ${(e as Error).message}`, { cause: e });
  }
  const block = blocks.find((b) => b.label.endsWith('PRIVATE KEY'));
  if (!block) throw new TypeError(`no private key found in PEM (saw ${blocks.map((b) => b.label).join(', ')})`);
  switch (block.label) {
    case 'ENCRYPTED PRIVATE KEY':
      throw new TypeError('encrypted private keys are not supported; decrypt the key first (e.g. openssl pkey -in key.pem -out plain.pem)');
    case 'RSA PRIVATE KEY':
      return wrapped(() => rsaPrivateKey(block.der));
    case 'PRIVATE KEY':
      return wrapped(() => pkcs8(block.der));
    case 'EC PRIVATE KEY':
      return wrapped(() => ({ type: 'ecdsa', ...sec1(new DerReader(block.der), undefined) }));
    default:
      throw new TypeError(`unsupported private key type "${block.label}"; use an ECDSA P-256/P-384, RSA or Ed25519 key`);
  }
}

function wrapped<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TypeError) throw e;
    throw new TypeError(`malformed private key: ${(e as Error).message}`, { cause: e });
  }
}

function curveOf(oid: string): EcCurve {
  const c = CURVE_BY_OID[oid];
  if (!c) throw new TypeError(`unsupported EC curve ${oid}; use P-256 or P-384`);
  return c;
}

/** PrivateKeyInfo / OneAsymmetricKey (RFC 5958 2) holding an ECPrivateKey, an RSAPrivateKey or an Ed25519 seed. */
function pkcs8(der: Uint8Array): DecodedPrivateKey {
  const top = new DerReader(der);
  const info = top.sequence('PrivateKeyInfo');
  top.end('PrivateKeyInfo');
  const version = info.smallUnsigned('version');
  if (version > 1) throw new TypeError(`unsupported PKCS#8 version ${version}`);
  const alg = info.sequence('privateKeyAlgorithm');
  const oid = alg.oid('algorithm');
  if (oid === OID.rsaEncryption) {
    if (!alg.done) alg.null('rsaEncryption parameters'); // RFC 3279 2.3.1
    alg.end('privateKeyAlgorithm');
    return rsaPrivateKey(info.octetString('privateKey'));
  }
  if (oid === OID.rsassaPss)
    throw new TypeError('RSASSA-PSS-restricted keys (id-RSASSA-PSS) are not supported; use an rsaEncryption RSA key (openssl genpkey -algorithm RSA)');
  if (oid === OID.ed25519) {
    if (!alg.done) throw new TypeError('Ed25519 key algorithm must have no parameters'); // RFC 8410 3
    alg.end('privateKeyAlgorithm');
    return ed25519Key(info, version);
  }
  if (oid !== OID.ecPublicKey) throw new TypeError(`unsupported private key algorithm ${oid}; use an ECDSA P-256/P-384, RSA or Ed25519 key`);
  if (alg.peekTag() !== Tag.OID) throw new TypeError('EC private key must name its curve');
  const curve = curveOf(alg.oid('namedCurve'));
  alg.end('privateKeyAlgorithm');
  const inner = info.octetString('privateKey');
  // attributes [0] and publicKey [1] may follow; we do not need them.
  return { type: 'ecdsa', ...sec1(new DerReader(inner), curve) };
}

/**
 * The rest of an Ed25519 OneAsymmetricKey (RFC 8410 7): privateKey holds
 * CurvePrivateKey, an OCTET STRING of the 32-byte seed; attributes [0] may
 * follow, and in version 2 (v2 = 1) the public key as [1] IMPLICIT BIT STRING.
 */
function ed25519Key(info: DerReader, version: number): DecodedPrivateKey {
  const seed = new DerReader(info.octetString('privateKey'));
  const privateKey = seed.octetString('CurvePrivateKey');
  seed.end('CurvePrivateKey');
  if (privateKey.length !== 32) throw new TypeError(`Ed25519 private key must be 32 bytes, got ${privateKey.length}`);
  info.optional(contextTag(0, true), 'attributes');
  let publicKey: Uint8Array | undefined;
  const pub = info.optional(contextTag(1, false), 'publicKey');
  if (pub) {
    if (version !== 1) throw new TypeError('a PKCS#8 version 1 key cannot carry a public key (OneAsymmetricKey version 2 can)');
    if (pub.value.length !== 33 || pub.value[0] !== 0) throw new TypeError('Ed25519 public key in the private key must be 32 whole bytes');
    publicKey = pub.value.slice(1);
  }
  info.end('PrivateKeyInfo');
  return { type: 'ed25519', privateKey: privateKey.slice(), publicKey };
}

const big = (b: Uint8Array): bigint => {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
};

/**
 * RSAPrivateKey (RFC 8017 A.1.2), two-prime only, checked for n = p * q and a
 * usable size, returned wrapped as PKCS#8 (the encoding CryptoProvider.sign takes).
 */
function rsaPrivateKey(der: Uint8Array): DecodedPrivateKey {
  const top = new DerReader(der);
  const k = top.sequence('RSAPrivateKey');
  top.end('RSAPrivateKey');
  const version = k.smallUnsigned('version');
  if (version !== 0) throw new TypeError(version === 1 ? 'multi-prime RSA keys are not supported' : `unsupported RSAPrivateKey version ${version}`);
  const [modulus, exponent, d, p, q, dp, dq, qinv] = [
    'modulus',
    'publicExponent',
    'privateExponent',
    'prime1',
    'prime2',
    'exponent1',
    'exponent2',
    'coefficient',
  ].map((w) => k.unsigned(w)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  k.end('RSAPrivateKey');
  const n = big(modulus);
  const bits = n.toString(2).length;
  if (bits < MIN_RSA_BITS) throw new TypeError(`RSA key is ${bits} bits; at least ${MIN_RSA_BITS} are required`);
  if (bits > MAX_RSA_BITS) throw new TypeError(`RSA key is ${bits} bits; at most ${MAX_RSA_BITS} are supported`);
  const e = big(exponent);
  if (e < 3n || !(e & 1n) || e >= n) throw new TypeError('RSA public exponent must be odd, at least 3 and below the modulus');
  // One multiplication at load time, on no attacker-chosen input: BigInt's
  // variable timing leaks nothing usable here (signing never runs in BigInt).
  if (big(p) * big(q) !== n || big(d) === 0n) throw new TypeError('RSA private key is inconsistent: modulus is not prime1 * prime2');
  const rsaKey = encodeSequence(...[0, modulus, exponent, d, p, q, dp, dq, qinv].map((v) => encodeInteger(v)));
  const privateKey = encodeSequence(encodeInteger(0), encodeSequence(encodeOid(OID.rsaEncryption), encodeNull()), encodeOctetString(rsaKey));
  return { type: 'rsa', bits, privateKey, modulus, exponent };
}

/** ECPrivateKey (RFC 5915 3). */
function sec1(top: DerReader, outerCurve: EcCurve | undefined): { curve: EcCurve; privateKey: Uint8Array } {
  const k = top.sequence('ECPrivateKey');
  top.end('ECPrivateKey');
  if (k.smallUnsigned('version') !== 1) throw new TypeError('ECPrivateKey version must be 1');
  const raw = k.octetString('privateKey');
  const params = k.explicit(0, 'parameters');
  let curve = outerCurve;
  if (params) {
    if (params.peekTag() !== Tag.OID) throw new TypeError('EC private key must name its curve');
    const c = curveOf(params.oid('namedCurve'));
    if (outerCurve && c !== outerCurve) throw new TypeError(`PKCS#8 curve ${outerCurve} differs from ECPrivateKey curve ${c}`);
    curve = c;
  }
  if (!curve) throw new TypeError('EC private key does not name its curve');
  const size = SIZE[curve];
  if (raw.length > size) throw new TypeError(`${curve} private key must be ${size} bytes, got ${raw.length}`);
  const privateKey = new Uint8Array(size);
  privateKey.set(raw, size - raw.length);
  let d = 0n;
  for (const b of privateKey) d = (d << 8n) | BigInt(b);
  if (d === 0n || d >= ORDER[curve]) throw new TypeError(`${curve} private key is out of range`);
  return { curve, privateKey };
}

const CURVE_OID: Record<EcCurve, string> = { 'P-256': OID.p256, 'P-384': OID.p384 };

/**
 * A pair's private key as PKCS#8 PEM ("PRIVATE KEY", RFC 5958) holding an
 * RFC 5915 ECPrivateKey with the leaf's public key, the form TLS stacks load;
 * an Ed25519 pair's as RFC 8410 7's version 1 form (OpenSSL's).
 */
export function encodePrivateKeyPem(pair: CertificateKeyPair | Ed25519CertificateKeyPair): string {
  if (pair.keyType?.type === 'ed25519') {
    const seed = encodeOctetString(encodeOctetString(pair.privateKey));
    return encodePem('PRIVATE KEY', encodeSequence(encodeInteger(0), encodeSequence(encodeOid(OID.ed25519)), seed));
  }
  if (!('curve' in pair)) throw new TypeError('encodePrivateKeyPem takes an ECDSA or Ed25519 pair');
  const leaf = parseCertificate(pair.chain[0]!);
  if (leaf.publicKey.type !== 'ec' || leaf.publicKey.curve !== pair.curve) throw new TypeError(`the leaf certificate does not hold a ${pair.curve} key`);
  const curve = encodeOid(CURVE_OID[pair.curve]);
  const ecKey = encodeSequence(encodeInteger(1), encodeOctetString(pair.privateKey), encodeExplicit(1, encodeBitString(leaf.publicKey.point)));
  const info = encodeSequence(encodeInteger(0), encodeSequence(encodeOid(OID.ecPublicKey), curve), encodeOctetString(ecKey));
  return encodePem('PRIVATE KEY', info);
}

/** A pair's certificate chain as PEM, leaf first. */
export function encodeCertificatePem(pair: { readonly chain: readonly Uint8Array[] }): string {
  return pair.chain.map((der) => encodePem('CERTIFICATE', der)).join('');
}
