// The portable CryptoProvider, built on @noble/{hashes,ciphers,curves} v2.
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { hmac } from '@noble/hashes/hmac.js';
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { DtlsError } from '../errors.ts';
import { aesCcm } from './ccm.ts';
import type { Aead, AeadName, CryptoProvider, EcCurve, GroupName, HashName, KeyShare } from './provider.ts';

const hashes = { sha256, sha384, sha512, sha1 } as const;

function hashFn(name: HashName) {
  const h = hashes[name];
  if (!h) throw new RangeError(`unknown hash ${String(name)}`);
  return h;
}

const curves = { 'P-256': p256, 'P-384': p384 } as const;
const groupCurves = { secp256r1: p256, secp384r1: p384 } as const;
const fieldLength = { secp256r1: 32, secp384r1: 48 } as const;

function ecCurve(curve: EcCurve) {
  const c = curves[curve];
  if (!c) throw new RangeError(`unknown curve ${String(curve)}`);
  return c;
}

function random(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let i = 0; i < length; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
  return out;
}

type NobleAeadCons = (key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array) => {
  encrypt(data: Uint8Array): Uint8Array;
  decrypt(data: Uint8Array): Uint8Array;
};

/** Wraps a noble nonce-bound AEAD constructor (GCM, ChaCha20-Poly1305). */
function nobleAead(cons: NobleAeadCons, key: Uint8Array, nonceLength: number): Aead {
  const k = key.slice();
  return {
    tagLength: 16,
    seal(nonce, plaintext, aad) {
      if (nonce.length !== nonceLength) throw new RangeError(`nonce must be ${nonceLength} bytes`);
      return cons(k, nonce, aad).encrypt(plaintext);
    },
    open(nonce, data, aad) {
      if (nonce.length !== nonceLength || data.length < 16) return null;
      try {
        return cons(k, nonce, aad).decrypt(data);
      } catch {
        return null;
      }
    },
  };
}

const aeadKeyLength: Record<AeadName, number> = {
  'aes-128-gcm': 16,
  'aes-256-gcm': 32,
  'chacha20-poly1305': 32,
  'aes-128-ccm': 16,
  'aes-128-ccm8': 16,
  'aes-256-ccm': 32,
  'aes-256-ccm8': 32,
};

function aead(name: AeadName, key: Uint8Array): Aead {
  const want = aeadKeyLength[name];
  if (want === undefined) throw new RangeError(`unknown AEAD ${String(name)}`);
  if (key.length !== want) throw new RangeError(`${name} key must be ${want} bytes, got ${key.length}`);
  switch (name) {
    case 'aes-128-gcm':
    case 'aes-256-gcm':
      return nobleAead(gcm, key, 12);
    case 'chacha20-poly1305':
      return nobleAead(chacha20poly1305, key, 12);
    case 'aes-128-ccm':
    case 'aes-256-ccm':
      return aesCcm(key, 16);
    case 'aes-128-ccm8':
    case 'aes-256-ccm8':
      return aesCcm(key, 8);
  }
}

function generateKeyShare(group: GroupName): KeyShare {
  if (group === 'x25519') {
    const { secretKey, publicKey } = x25519.keygen();
    return { group, privateKey: secretKey, publicKey };
  }
  const c = groupCurves[group];
  if (!c) throw new RangeError(`unknown group ${String(group)}`);
  const secretKey = c.utils.randomSecretKey();
  return { group, privateKey: secretKey, publicKey: c.getPublicKey(secretKey, false) };
}

function ecdh(group: GroupName, privateKey: Uint8Array, peer: Uint8Array): Uint8Array {
  if (group === 'x25519') {
    if (peer.length !== 32) throw new DtlsError('illegal_parameter', `x25519 public key must be 32 bytes, got ${peer.length}`);
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(privateKey, peer);
    } catch (cause) {
      throw new DtlsError('illegal_parameter', 'invalid x25519 public key', { cause });
    }
    // RFC 7748 6.1 / RFC 8422 5.11: an all-zero result means a low-order peer key.
    let acc = 0;
    for (const b of shared) acc |= b;
    if (acc === 0) throw new DtlsError('illegal_parameter', 'x25519 shared secret is all zero');
    return shared;
  }
  const c = groupCurves[group];
  if (!c) throw new RangeError(`unknown group ${String(group)}`);
  const fieldLen = fieldLength[group];
  // RFC 8422 5.4.1: only the uncompressed form is used.
  if (peer.length !== 1 + 2 * fieldLen || peer[0] !== 0x04) {
    throw new DtlsError('illegal_parameter', `${group} public key must be an uncompressed point`);
  }
  try {
    // Compressed output is 0x02/0x03 || X; RFC 8422 5.10: the premaster secret is X.
    return c.getSharedSecret(privateKey, peer, true).slice(1);
  } catch (cause) {
    throw new DtlsError('illegal_parameter', `invalid ${group} public key`, { cause });
  }
}

function ecdsaSign(curve: EcCurve, hash: HashName, privateKey: Uint8Array, data: Uint8Array): Uint8Array {
  const digest = hashFn(hash)(data);
  // We hash with the negotiated hash ourselves; noble would otherwise use the curve's default.
  return ecCurve(curve).sign(digest, privateKey, { prehash: false, format: 'der', extraEntropy: true });
}

function ecdsaVerify(curve: EcCurve, hash: HashName, publicKey: Uint8Array, data: Uint8Array, sig: Uint8Array): boolean {
  try {
    const digest = hashFn(hash)(data);
    // lowS: false accepts high-S signatures (OpenSSL emits them).
    return ecCurve(curve).verify(sig, digest, publicKey, { prehash: false, format: 'der', lowS: false });
  } catch {
    return false;
  }
}

/** The default CryptoProvider: @noble/hashes, @noble/ciphers and @noble/curves, on every runtime. */
export const nobleProvider: CryptoProvider = {
  name: 'noble',
  random,
  hash: (name, data) => hashFn(name)(data),
  hmac: (name, key, data) => hmac(hashFn(name), key, data),
  aead,
  generateKeyShare,
  ecdh,
  ecdsaSign,
  ecdsaVerify,
  ecdsaPublicKey: (curve, privateKey) => ecCurve(curve).getPublicKey(privateKey, false),
  ecdsaGenerateKey: (curve) => ecCurve(curve).utils.randomSecretKey(),
};
