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
}

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
  readonly publicKey:
    | { readonly type: 'ec'; readonly curve: EcCurve; readonly point: Uint8Array }
    | { readonly type: 'ed25519'; readonly key: Uint8Array }
    | { readonly type: 'rsa'; readonly modulus: Uint8Array; readonly exponent: Uint8Array }
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
