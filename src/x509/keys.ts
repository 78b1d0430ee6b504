// ECDSA private keys from PEM: PKCS#8 "PRIVATE KEY" (RFC 5208 / RFC 5958) and
// SEC1 "EC PRIVATE KEY" (RFC 5915), on P-256 or P-384. Unsupported keys are
// configuration errors, so they are TypeErrors. And back to PKCS#8 PEM, for
// servers outside this library that take PEM files (a QUIC relay's TLS).
import type { EcCurve } from '../crypto/provider.ts';
import { DerReader, Tag, encodeBitString, encodeExplicit, encodeInteger, encodeOctetString, encodeOid, encodeSequence } from './der.ts';
import { CURVE_BY_OID, OID, parseCertificate } from './parse.ts';
import { decodePem, encodePem } from './pem.ts';
import type { CertificateKeyPair } from './types.ts';

const ORDER: Record<EcCurve, bigint> = {
  'P-256': 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  'P-384': 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};
const SIZE: Record<EcCurve, number> = { 'P-256': 32, 'P-384': 48 };

export function decodePrivateKeyPem(pem: string): { curve: EcCurve; privateKey: Uint8Array } {
  if (/Proc-Type:\s*4,ENCRYPTED/i.test(pem)) throw new TypeError('encrypted private keys are not supported; decrypt the key first (e.g. openssl pkey -in key.pem -out plain.pem)');
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
      throw new TypeError('RSA private keys are not supported; use an ECDSA P-256 or P-384 key');
    case 'PRIVATE KEY':
      return wrapped(() => pkcs8(block.der));
    case 'EC PRIVATE KEY':
      return wrapped(() => sec1(new DerReader(block.der), undefined));
    default:
      throw new TypeError(`unsupported private key type "${block.label}"; use an ECDSA P-256 or P-384 key`);
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

/** PrivateKeyInfo / OneAsymmetricKey (RFC 5958 2) holding an ECPrivateKey. */
function pkcs8(der: Uint8Array): { curve: EcCurve; privateKey: Uint8Array } {
  const top = new DerReader(der);
  const info = top.sequence('PrivateKeyInfo');
  top.end('PrivateKeyInfo');
  const version = info.smallUnsigned('version');
  if (version > 1) throw new TypeError(`unsupported PKCS#8 version ${version}`);
  const alg = info.sequence('privateKeyAlgorithm');
  const oid = alg.oid('algorithm');
  if (oid === OID.rsaEncryption) throw new TypeError('RSA private keys are not supported; use an ECDSA P-256 or P-384 key');
  if (oid === OID.ed25519) throw new TypeError('Ed25519 private keys are not supported; use an ECDSA P-256 or P-384 key');
  if (oid !== OID.ecPublicKey) throw new TypeError(`unsupported private key algorithm ${oid}; use an ECDSA P-256 or P-384 key`);
  if (alg.peekTag() !== Tag.OID) throw new TypeError('EC private key must name its curve');
  const curve = curveOf(alg.oid('namedCurve'));
  alg.end('privateKeyAlgorithm');
  const inner = info.octetString('privateKey');
  // attributes [0] and publicKey [1] may follow; we do not need them.
  return sec1(new DerReader(inner), curve);
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
 * RFC 5915 ECPrivateKey with the leaf's public key, the form TLS stacks load.
 */
export function encodePrivateKeyPem(pair: CertificateKeyPair): string {
  const leaf = parseCertificate(pair.chain[0]!);
  if (leaf.publicKey.type !== 'ec' || leaf.publicKey.curve !== pair.curve) throw new TypeError(`the leaf certificate does not hold a ${pair.curve} key`);
  const curve = encodeOid(CURVE_OID[pair.curve]);
  const ecKey = encodeSequence(encodeInteger(1), encodeOctetString(pair.privateKey), encodeExplicit(1, encodeBitString(leaf.publicKey.point)));
  const info = encodeSequence(encodeInteger(0), encodeSequence(encodeOid(OID.ecPublicKey), curve), encodeOctetString(ecKey));
  return encodePem('PRIVATE KEY', info);
}

/** A pair's certificate chain as PEM, leaf first. */
export function encodeCertificatePem(pair: CertificateKeyPair): string {
  return pair.chain.map((der) => encodePem('CERTIFICATE', der)).join('');
}
