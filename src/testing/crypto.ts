/**
 * A CryptoProvider for tests whose every random byte comes from a seed: with
 * it, one seed gives byte-identical handshakes (same randoms, keys, cookies
 * and signatures, so the same datagram sizes and fragment boundaries), and a
 * simulated run reproduces exactly in any process. NOT SECURE: never use it
 * outside tests.
 *
 * @module
 */
import { SignatureSchemes, type CryptoProvider, type EcCurve, type GroupName, type HashName, type KeyShare } from '../crypto/provider.ts';
import { nobleProvider } from '../crypto/noble.ts';
import { p256, p384 } from '@noble/curves/nist.js';
import { Rng } from './network.ts';

const curves = { 'P-256': p256, 'P-384': p384 } as const;
const scalarLength: Record<EcCurve, number> = { 'P-256': 32, 'P-384': 48 };
const groupCurve: Partial<Record<GroupName, EcCurve>> = { secp256r1: 'P-256', secp384r1: 'P-384' };
/** The hash of each ECDSA scheme (TLS 1.2 pairs it with any curve; the curve comes from the key). */
const ECDSA_SCHEME_HASH: Partial<Record<number, HashName>> = {
  [SignatureSchemes.ecdsa_secp256r1_sha256]: 'sha256',
  [SignatureSchemes.ecdsa_secp384r1_sha384]: 'sha384',
};
/** The x25519 base point u = 9 (RFC 7748 4.1), little-endian. */
const X25519_BASE = Uint8Array.of(9, ...new Array<number>(31).fill(0));

/**
 * `base`'s primitives (default: noble) with a seeded PRNG for random() and
 * key generation, and deterministic ECDSA signatures (RFC 6979 nonces, no
 * hedging). Two providers made from the same seed produce the same bytes;
 * give each endpoint its own seed. Key shares draw their private key from the
 * seed and derive the public key with base.ecdh (x25519) or
 * base.ecdsaPublicKey (NIST curves).
 */
export function seededCrypto(seed: number, base: CryptoProvider = nobleProvider): CryptoProvider {
  const rng = new Rng(seed);
  const random = (length: number): Uint8Array => {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`random length must be a non-negative integer, got ${length}`);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = rng.int(256);
    return out;
  };
  const ecdsaGenerateKey = (curve: EcCurve): Uint8Array => {
    // A draw outside [1, n) is astronomically rare; draw again rather than bias it.
    for (;;) {
      const k = random(scalarLength[curve]);
      if (curves[curve].utils.isValidSecretKey(k)) return k;
    }
  };
  const generateKeyShare = (group: GroupName): KeyShare => {
    if (group === 'x25519') {
      const privateKey = random(32);
      return { group, privateKey, publicKey: base.ecdh('x25519', privateKey, X25519_BASE) };
    }
    const curve = groupCurve[group];
    if (!curve) throw new RangeError(`unknown group ${String(group)}`);
    const privateKey = ecdsaGenerateKey(curve);
    return { group, privateKey, publicKey: base.ecdsaPublicKey(curve, privateKey) };
  };
  const ecdsaSign = (curve: EcCurve, hash: HashName, privateKey: Uint8Array, data: Uint8Array): Uint8Array => {
    // Pure RFC 6979: the signature depends on nothing but its inputs.
    const digest = base.hash(hash, data);
    return curves[curve].sign(digest, privateKey, { prehash: false, format: 'der', extraEntropy: false });
  };
  return {
    ...base,
    name: `seeded(${seed >>> 0}; tests only) ${base.name}`,
    random,
    generateKeyShare,
    ecdsaGenerateKey,
    ecdsaSign,
    sign(scheme, privateKey, data) {
      // The handshake signs by scheme: ECDSA schemes get the same pure RFC 6979 signatures.
      const hash = ECDSA_SCHEME_HASH[scheme];
      const curve = privateKey.length === 32 ? 'P-256' : privateKey.length === 48 ? 'P-384' : undefined;
      return hash && curve ? ecdsaSign(curve, hash, privateKey, data) : base.sign(scheme, privateKey, data);
    },
  };
}
