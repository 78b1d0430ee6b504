// Certificate generation: self-signed ECDSA by default (as WebRTC does), or
// Ed25519 (RFC 8410), or signed by a given issuer so tests can build CA + leaf
// chains. RFC 5280 4.1.
import { ed25519 } from '@noble/curves/ed25519.js';
import { nobleProvider } from '../crypto/noble.ts';
import { SignatureSchemes, type CryptoProvider, type EcCurve, type HashName } from '../crypto/provider.ts';
import {
  encodeBitString,
  encodeBoolean,
  encodeExplicit,
  encodeImplicit,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTime,
  encodeUtf8String,
} from './der.ts';
import { fingerprint } from './fingerprint.ts';
import { OID, parseCertificate, parseIp } from './parse.ts';
import type { CertificateKeyPair, Ed25519CertificateKeyPair } from './types.ts';
import { systemWallTime } from '../clock.ts';

/** Options of generateCertificate(). */
export interface GenerateCertificateOptions {
  commonName?: string;
  /** The key: 'ecdsa' (default, on `curve`) or 'ed25519' (RFC 8410; `curve` is then not allowed). */
  keyType?: 'ecdsa' | 'ed25519';
  /** The ECDSA key's curve (default P-256). */
  curve?: EcCurve;
  /** Validity after `now`, in days (default 30). */
  days?: number;
  /** ms since the epoch (default: the system clock's wall time). */
  now?: number;
  provider?: CryptoProvider;
  /** DNS names and IP literals. */
  subjectAltNames?: string[];
  /** Make a CA certificate (basicConstraints cA, keyUsage keyCertSign). */
  ca?: boolean;
  /** Sign with this chain's leaf key instead of self-signing. */
  issuer?: CertificateKeyPair | Ed25519CertificateKeyPair;
}

const DAY = 86_400_000;
const SIG: Record<EcCurve, { oid: string; hash: HashName }> = {
  'P-256': { oid: OID.ecdsaWithSha256, hash: 'sha256' },
  'P-384': { oid: OID.ecdsaWithSha384, hash: 'sha384' },
};
const CURVE_OID: Record<EcCurve, string> = { 'P-256': OID.p256, 'P-384': OID.p384 };

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return encodeSequence(encodeOid(oid), ...(critical ? [encodeBoolean(true)] : []), encodeOctetString(value));
}

/** keyUsage BIT STRING with trailing zero bits trimmed (X.690 11.2.2). */
function keyUsage(bit: number): Uint8Array {
  return encodeBitString(Uint8Array.of(0x80 >> bit), 7 - bit);
}

/** A fresh certificate and its key: ECDSA by default, or Ed25519 with `keyType: 'ed25519'`; self-signed, or issued by `issuer`. */
export function generateCertificate(opts: GenerateCertificateOptions & { keyType: 'ed25519' }): Ed25519CertificateKeyPair;
export function generateCertificate(opts?: GenerateCertificateOptions & { keyType?: 'ecdsa' }): CertificateKeyPair;
export function generateCertificate(opts?: GenerateCertificateOptions): CertificateKeyPair | Ed25519CertificateKeyPair;
export function generateCertificate(opts: GenerateCertificateOptions = {}): CertificateKeyPair | Ed25519CertificateKeyPair {
  const provider = opts.provider ?? nobleProvider;
  const keyType = opts.keyType ?? 'ecdsa';
  if (keyType !== 'ecdsa' && keyType !== 'ed25519') throw new TypeError(`keyType must be 'ecdsa' or 'ed25519', got ${String(keyType)}`);
  if (keyType === 'ed25519' && opts.curve !== undefined) throw new TypeError('curve applies to ECDSA keys only, not to keyType ed25519');
  const curve = opts.curve ?? 'P-256';
  const days = opts.days ?? 30;
  if (!(days > 0)) throw new RangeError(`days must be positive, got ${days}`);
  // Time comes from the one clock module (src/clock.ts), never read here.
  const now = opts.now ?? systemWallTime();
  const notBefore = Math.floor((now - DAY) / 1000) * 1000;
  const notAfter = Math.floor((now + days * DAY) / 1000) * 1000;

  // Ed25519: the private key is a random 32-byte seed (RFC 8032 5.1.5).
  const privateKey = keyType === 'ed25519' ? provider.random(32) : provider.ecdsaGenerateKey(curve);
  const spki =
    keyType === 'ed25519'
      ? encodeSequence(encodeSequence(encodeOid(OID.ed25519)), encodeBitString(ed25519.getPublicKey(privateKey))) // RFC 8410 4
      : encodeSequence(encodeSequence(encodeOid(OID.ecPublicKey), encodeOid(CURVE_OID[curve])), encodeBitString(provider.ecdsaPublicKey(curve, privateKey)));
  const subject = encodeSequence(encodeSet(encodeSequence(encodeOid(OID.commonName), encodeUtf8String(opts.commonName ?? 'dtls-stream'))));

  let issuerName = subject;
  let signer: { privateKey: Uint8Array; curve: EcCurve | undefined } = { privateKey, curve: keyType === 'ed25519' ? undefined : curve };
  if (opts.issuer) {
    const issuerCert = parseCertificate(opts.issuer.chain[0]!);
    issuerName = issuerCert.subjectDer;
    signer = { privateKey: opts.issuer.privateKey, curve: 'curve' in opts.issuer ? opts.issuer.curve : undefined };
  }
  const sig = signer.curve ? SIG[signer.curve] : undefined;
  // No parameters for either (RFC 5758 3.2, RFC 8410 3).
  const sigAlg = encodeSequence(encodeOid(sig ? sig.oid : OID.ed25519));

  const serial = provider.random(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive, and exactly 16 bytes (RFC 5280 4.1.2.2)

  const exts: Uint8Array[] = [];
  if (opts.ca) {
    exts.push(extension(OID.basicConstraints, true, encodeSequence(encodeBoolean(true))));
    exts.push(extension(OID.keyUsage, true, keyUsage(5))); // keyCertSign
  } else {
    exts.push(extension(OID.keyUsage, true, keyUsage(0))); // digitalSignature
  }
  if (opts.subjectAltNames?.length) {
    const names = opts.subjectAltNames.map((n) => {
      const ip = parseIp(n);
      if (ip) return encodeImplicit(7, ip);
      if (!/^[\x21-\x7e]+$/.test(n)) throw new RangeError(`subjectAltName ${JSON.stringify(n)} is not an ASCII DNS name`);
      return encodeImplicit(
        2,
        Uint8Array.from(n, (c) => c.charCodeAt(0)),
      ); // dNSName
    });
    exts.push(extension(OID.subjectAltName, false, encodeSequence(...names)));
  }

  const tbs = encodeSequence(
    encodeExplicit(0, encodeInteger(2)), // v3
    encodeInteger(serial),
    sigAlg,
    issuerName,
    encodeSequence(encodeTime(notBefore), encodeTime(notAfter)),
    subject,
    spki,
    encodeExplicit(3, encodeSequence(...exts)),
  );
  // EdDSA signs the TBSCertificate itself, no pre-hash (RFC 8410 6).
  const signature = sig ? provider.ecdsaSign(signer.curve!, sig.hash, signer.privateKey, tbs) : provider.sign(SignatureSchemes.ed25519, signer.privateKey, tbs);
  const der = encodeSequence(tbs, sigAlg, encodeBitString(signature));
  const chain = [der, ...(opts.issuer?.chain ?? [])];
  const fp = fingerprint(der, 'sha-256', provider);
  if (keyType === 'ed25519') return { chain, privateKey, fingerprint: fp, keyType: { type: 'ed25519' } };
  return { chain, privateKey, curve, fingerprint: fp, keyType: { type: 'ecdsa', curve } };
}
