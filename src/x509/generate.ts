// Certificate generation: self-signed ECDSA by default (as WebRTC does), or
// signed by a given issuer so tests can build CA + leaf chains. RFC 5280 4.1.
import { nobleProvider } from '../crypto/noble.ts';
import type { CryptoProvider, EcCurve, HashName } from '../crypto/provider.ts';
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
import type { CertificateKeyPair } from './types.ts';
import { systemWallTime } from '../clock.ts';

/** Options of generateCertificate(). */
export interface GenerateCertificateOptions {
  commonName?: string;
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
  issuer?: CertificateKeyPair;
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

/** A fresh ECDSA certificate and its key: self-signed by default (as WebRTC uses), or issued by `issuer`. */
export function generateCertificate(opts: GenerateCertificateOptions = {}): CertificateKeyPair {
  const provider = opts.provider ?? nobleProvider;
  const curve = opts.curve ?? 'P-256';
  const days = opts.days ?? 30;
  if (!(days > 0)) throw new RangeError(`days must be positive, got ${days}`);
  // Time comes from the one clock module (src/clock.ts), never read here.
  const now = opts.now ?? systemWallTime();
  const notBefore = Math.floor((now - DAY) / 1000) * 1000;
  const notAfter = Math.floor((now + days * DAY) / 1000) * 1000;

  const privateKey = provider.ecdsaGenerateKey(curve);
  const point = provider.ecdsaPublicKey(curve, privateKey);
  const subject = encodeSequence(encodeSet(encodeSequence(encodeOid(OID.commonName), encodeUtf8String(opts.commonName ?? 'dtls-stream'))));

  let issuerName = subject,
    signKey = privateKey,
    signCurve = curve;
  if (opts.issuer) {
    const issuerCert = parseCertificate(opts.issuer.chain[0]!);
    issuerName = issuerCert.subjectDer;
    signKey = opts.issuer.privateKey;
    signCurve = opts.issuer.curve;
  }
  const sig = SIG[signCurve];
  const sigAlg = encodeSequence(encodeOid(sig.oid)); // no parameters (RFC 5758 3.2)

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
    encodeSequence(encodeSequence(encodeOid(OID.ecPublicKey), encodeOid(CURVE_OID[curve])), encodeBitString(point)),
    encodeExplicit(3, encodeSequence(...exts)),
  );
  const signature = provider.ecdsaSign(signCurve, sig.hash, signKey, tbs);
  const der = encodeSequence(tbs, sigAlg, encodeBitString(signature));
  return {
    chain: [der, ...(opts.issuer?.chain ?? [])],
    privateKey,
    curve,
    fingerprint: fingerprint(der, 'sha-256', provider),
    keyType: { type: 'ecdsa', curve },
  };
}
