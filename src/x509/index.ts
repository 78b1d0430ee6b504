// Public X.509 API: certificates and keys for DTLS peers.
export type {
  AnyCertificateKeyPair,
  CertificateKeyPair,
  CertificateKeyType,
  DecodedPrivateKey,
  Ed25519CertificateKeyPair,
  ParsedCertificate,
  RsaCertificateKeyPair,
} from './types.ts';
export { decodePem, encodePem, PemError, type PemBlock } from './pem.ts';
export { DerError } from './der.ts';
export { parseCertificate, type ParsedCertificateExt } from './parse.ts';
export { decodeKeyPem, decodePrivateKeyPem, encodePrivateKeyPem, encodeCertificatePem, MIN_RSA_BITS } from './keys.ts';
export { fingerprint, parseFingerprint, fingerprintMatches } from './fingerprint.ts';
export { generateCertificate, type GenerateCertificateOptions } from './generate.ts';
export { loadCertificate, loadCertificateKey } from './load.ts';
export { verifyChain, type VerifyChainOptions } from './verify.ts';
