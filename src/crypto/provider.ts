// The one interface through which all cryptography flows. It is synchronous so
// the sans-IO core can call it inline; noble is the portable default
// (./noble.ts) and a runtime's native crypto can stand in behind the same shape.

/** Hash functions the protocol uses. */
export type HashName = 'sha256' | 'sha384' | 'sha512' | 'sha1';

/** AEADs used by TLS 1.2 and 1.3 record protection. */
export type AeadName =
  | 'aes-128-gcm'
  | 'aes-256-gcm'
  | 'chacha20-poly1305'
  | 'aes-128-ccm'
  | 'aes-128-ccm8'
  | 'aes-256-ccm'
  | 'aes-256-ccm8';

/** Key exchange groups by their TLS names (RFC 8422, RFC 8446 4.2.7). */
export type GroupName = 'x25519' | 'secp256r1' | 'secp384r1';

/** Curves of ECDSA keys. */
export type EcCurve = 'P-256' | 'P-384';

/** An AEAD keyed once: seal and open records. */
export interface Aead {
  readonly tagLength: number;
  /** ciphertext || tag */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** The plaintext, or null when authentication fails (never throws for a bad tag). */
  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

/** An ephemeral (EC)DHE key pair for one handshake. */
export interface KeyShare {
  readonly group: GroupName;
  readonly privateKey: Uint8Array;
  /** The encoding sent on the wire: 32 bytes for x25519, uncompressed SEC1 point for NIST curves. */
  readonly publicKey: Uint8Array;
}

/** The cryptography dtls-stream needs, behind one interface so a runtime's native crypto can stand in for noble. */
export interface CryptoProvider {
  readonly name: string;
  /** Cryptographically secure random bytes. */
  random(length: number): Uint8Array;
  /** The digest of `data`. */
  hash(name: HashName, data: Uint8Array): Uint8Array;
  /** HMAC of `data` under `key`. */
  hmac(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** An AEAD instance for `key`. */
  aead(name: AeadName, key: Uint8Array): Aead;
  /** A fresh ephemeral key pair on `group`. */
  generateKeyShare(group: GroupName): KeyShare;
  /**
   * The shared secret (x25519: 32 bytes; NIST: the x coordinate). Throws
   * DtlsError('illegal_parameter') for an invalid or low-order peer key.
   */
  ecdh(group: GroupName, privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array;
  /** ECDSA over hash(data); returns the DER (X9.62 Ecdsa-Sig-Value) signature TLS sends. */
  ecdsaSign(curve: EcCurve, hash: HashName, privateKey: Uint8Array, data: Uint8Array): Uint8Array;
  /** Verifies a DER ECDSA signature over hash(data). Never throws for bad input: returns false. */
  ecdsaVerify(curve: EcCurve, hash: HashName, publicKey: Uint8Array, data: Uint8Array, derSignature: Uint8Array): boolean;
  /** The uncompressed SEC1 public point for an ECDSA private key. */
  ecdsaPublicKey(curve: EcCurve, privateKey: Uint8Array): Uint8Array;
  /** A fresh ECDSA private key (raw scalar bytes). */
  ecdsaGenerateKey(curve: EcCurve): Uint8Array;
}
