import type { EcCurve } from '../crypto/provider.ts';

/** A certificate chain with its private key, as the handshake uses it. */
export interface CertificateKeyPair {
  /** DER certificates, leaf first. */
  readonly chain: Uint8Array[];
  /** The leaf's ECDSA private key as raw scalar bytes. */
  readonly privateKey: Uint8Array;
  readonly curve: EcCurve;
  /** SDP form of the leaf's SHA-256 fingerprint: "sha-256 AB:CD:...". */
  readonly fingerprint: string;
  /** The key's type; set by loadCertificate and generateCertificate, optional for hand-built pairs. */
  readonly keyType?: { readonly type: 'ecdsa'; readonly curve: EcCurve };
}

/** The type and size of a certificate's key. */
export type CertificateKeyType =
  { readonly type: 'ecdsa'; readonly curve: EcCurve } | { readonly type: 'rsa'; readonly bits: number } | { readonly type: 'ed25519' };

/** An RSA certificate chain with its private key (loadCertificateKey). */
export interface RsaCertificateKeyPair {
  readonly chain: Uint8Array[];
  /** PKCS#8 DER (rsaEncryption), the encoding CryptoProvider.sign takes for rsa_* schemes. */
  readonly privateKey: Uint8Array;
  readonly keyType: { readonly type: 'rsa'; readonly bits: number };
  readonly fingerprint: string;
}

/**
 * An Ed25519 certificate chain with its private key (RFC 8410): signs DTLS 1.3
 * CertificateVerify and, in DTLS 1.2, ECDHE_ECDSA handshakes (RFC 8422 5.1.1).
 */
export interface Ed25519CertificateKeyPair {
  readonly chain: Uint8Array[];
  /** The 32-byte seed (RFC 8032 5.1.5), the encoding CryptoProvider.sign takes for ed25519. */
  readonly privateKey: Uint8Array;
  readonly keyType: { readonly type: 'ed25519' };
  readonly fingerprint: string;
}

/** What loadCertificateKey returns: an ECDSA pair (keyType set), an RSA one or an Ed25519 one. */
export type AnyCertificateKeyPair =
  (CertificateKeyPair & { readonly keyType: { readonly type: 'ecdsa'; readonly curve: EcCurve } }) | RsaCertificateKeyPair | Ed25519CertificateKeyPair;

/** A private key decoded from PEM (decodeKeyPem). */
export type DecodedPrivateKey =
  | { readonly type: 'ecdsa'; readonly curve: EcCurve; /** raw scalar */ readonly privateKey: Uint8Array }
  | {
      readonly type: 'rsa';
      readonly bits: number;
      /** PKCS#8 DER (rsaEncryption). */
      readonly privateKey: Uint8Array;
      readonly modulus: Uint8Array;
      readonly exponent: Uint8Array;
    }
  | {
      readonly type: 'ed25519';
      /** The 32-byte seed. */
      readonly privateKey: Uint8Array;
      /** The public key when the PKCS#8 v2 (OneAsymmetricKey) block carries it. */
      readonly publicKey: Uint8Array | undefined;
    };

/** The fields of an X.509 certificate the protocol needs. */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** DER of tbsCertificate, the bytes the issuer signed. */
  readonly tbs: Uint8Array;
  readonly serialNumber: Uint8Array;
  /** DER of the issuer and subject Names (compared bytewise for chaining). */
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  /** Common name of the subject, if any. */
  readonly subjectCommonName: string | undefined;
  readonly notBefore: number; // ms since epoch
  readonly notAfter: number;
  /** DER of subjectPublicKeyInfo: the public key encoding CryptoProvider.verify takes for rsa_* schemes. */
  readonly spki: Uint8Array;
  readonly publicKey:
    | { readonly type: 'ec'; readonly curve: EcCurve; readonly point: Uint8Array }
    | { readonly type: 'ed25519'; readonly key: Uint8Array }
    | { readonly type: 'rsa'; readonly bits: number; readonly modulus: Uint8Array; readonly exponent: Uint8Array }
    /** RSASSA-PSS-restricted keys (RFC 4055 1.2) land here too, by their OID 1.2.840.113549.1.1.10. */
    | { readonly type: 'unknown'; readonly oid: string };
  /** e.g. 'ecdsa-with-SHA256' by OID. */
  readonly signatureAlgorithm: { readonly oid: string; readonly name: string | undefined };
  readonly signature: Uint8Array;
  readonly basicConstraints: { readonly ca: boolean; readonly pathLen: number | undefined } | undefined;
  /** keyUsage bits by name (digitalSignature, keyCertSign, ...); undefined when absent. */
  readonly keyUsage: ReadonlySet<string> | undefined;
  readonly subjectAltNames: { readonly dns: string[]; readonly ip: string[] };
  /** OIDs of critical extensions this parser does not understand. */
  readonly unknownCriticalExtensions: string[];
}
