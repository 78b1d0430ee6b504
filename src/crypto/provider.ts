// The one interface through which all cryptography flows. It is synchronous so
// the sans-IO core can call it inline; noble is the portable default
// (./noble.ts) and a runtime's native crypto can stand in behind the same shape.

/** Hash functions the protocol uses. */
export type HashName = 'sha256' | 'sha384' | 'sha512' | 'sha1';

/** AEADs used by TLS 1.2 and 1.3 record protection. */
export type AeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-ccm' | 'aes-128-ccm8' | 'aes-256-ccm' | 'aes-256-ccm8';

/** Key exchange groups by their TLS names (RFC 8422, RFC 8446 4.2.7). */
export type GroupName = 'x25519' | 'secp256r1' | 'secp384r1';

/** Curves of ECDSA keys. */
export type EcCurve = 'P-256' | 'P-384';

/**
 * TLS SignatureScheme code points (RFC 8446 4.2.3) the provider interface
 * signs and verifies by. Kept here rather than imported from wire/ because
 * crypto sits below wire in the layering.
 */
export const SignatureSchemes = {
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ed25519: 0x0807,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
} as const;

/**
 * Key encodings for sign/verify, by scheme family:
 * - ECDSA: private = the raw scalar (32 or 48 bytes), public = the uncompressed
 *   SEC1 point; signatures are DER (X9.62 Ecdsa-Sig-Value), as TLS sends them.
 * - Ed25519: private = the 32-byte seed, public = 32 bytes (RFC 8032).
 * - RSA: private = PKCS#8 DER, public = SubjectPublicKeyInfo DER.
 */
export type SignatureSchemeCode = number;

/** An AEAD keyed once: seal and open records. */
export interface Aead {
  readonly tagLength: number;
  /** ciphertext || tag */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /**
   * Optional: writes ciphertext || tag into `out` at `offset` (plaintext.length
   * + tagLength bytes), so a record can be sealed straight into its final buffer.
   */
  sealInto?(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void;
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

/**
 * A running hash: data fed in pieces, and a digest of everything so far that
 * leaves the state in place for more (the TLS 1.3 transcript hash, taken at
 * each step of the handshake, RFC 8446 4.4.1).
 */
export interface HashContext {
  /** Feeds more data into the running hash. */
  update(data: Uint8Array): void;
  /** The hash of all data so far; the context stays usable (it digests a copy of its state). */
  digest(): Uint8Array;
}

/** The cryptography dtls-stream needs, behind one interface so a runtime's native crypto can stand in for noble. */
export interface CryptoProvider {
  readonly name: string;
  /** Cryptographically secure random bytes. */
  random(length: number): Uint8Array;
  /** The digest of `data`. */
  hash(name: HashName, data: Uint8Array): Uint8Array;
  /** A running hash; optional: without it, a transcript hashes itself whole at each digest. */
  hashContext?(name: HashName): HashContext;
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

  /** The schemes sign() and verify() implement here; others throw DtlsError('handshake_failure'). */
  readonly signatureSchemes: readonly SignatureSchemeCode[];
  /** Signs `data` with the scheme's hash (key encodings: see SignatureSchemeCode). */
  sign(scheme: SignatureSchemeCode, privateKey: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * Verifies a signature over `data`. Returns false for a bad signature or a
   * malformed key; throws DtlsError('handshake_failure') only for a scheme
   * this provider does not implement.
   */
  verify(scheme: SignatureSchemeCode, publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
  /** HKDF-Extract (RFC 5869 2.2): HMAC-Hash(salt, ikm); an empty salt means HashLen zeros. */
  hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand (RFC 5869 2.3); `length` at most 255 * HashLen. */
  hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /**
   * The 16-byte record number mask of RFC 9147 4.2.3: AES-ECB of the
   * ciphertext sample under `key` (the sn_key) for AES suites; for ChaCha20
   * the first 16 bytes of the ChaCha20 block with counter = sample[0..4]
   * (little-endian) and nonce = sample[4..16]. Providers cache per-key state.
   */
  recordNumberMask(aead: AeadName, key: Uint8Array, sample: Uint8Array): Uint8Array;
}
