// The portable CryptoProvider, built on @noble/{hashes,ciphers,curves} v2.
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { hmac } from '@noble/hashes/hmac.js';
import { unsafe as aesUnsafe } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { DtlsError } from '../errors.ts';
import { aesCcm } from './ccm.ts';
import { aesGcm } from './gcm.ts';
import { rsaVerify } from './rsa.ts';
import { chacha20Block } from './chacha-block.ts';
import { hkdfExpandWith, hkdfExtractWith } from './hkdf.ts';
import {
  SignatureSchemes as S,
  type Aead,
  type AeadName,
  type CryptoProvider,
  type EcCurve,
  type GroupName,
  type HashContext,
  type HashName,
  type KeyShare,
} from './provider.ts';

const hashes = { sha256, sha384, sha512, sha1 } as const;

function hashFn(name: HashName) {
  const h = hashes[name];
  if (!h) throw new RangeError(`unknown hash ${String(name)}`);
  return h;
}

function nobleHashContext(name: HashName): HashContext {
  const h = hashFn(name).create();
  return {
    update: (data) => void h.update(data),
    digest: () => h.clone().digest(),
  };
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

type NobleAeadCons = (
  key: Uint8Array,
  nonce: Uint8Array,
  aad?: Uint8Array,
) => {
  encrypt(data: Uint8Array): Uint8Array;
  decrypt(data: Uint8Array): Uint8Array;
};

/** Wraps a noble nonce-bound AEAD constructor (GCM, ChaCha20-Poly1305). */
function nobleAead(cons: NobleAeadCons, key: Uint8Array, nonceLength: number): Aead {
  const k = new Uint8Array(key); // a copy even of a Buffer (whose slice() is a view)
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
      return aesGcm(key);
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

/** The hash of an ECDSA scheme; the curve comes from the key, as TLS 1.2 reads these code points (RFC 8422 5.1.3). */
export const ecdsaSchemeHash: Partial<Record<number, HashName>> = {
  [S.ecdsa_secp256r1_sha256]: 'sha256',
  [S.ecdsa_secp384r1_sha384]: 'sha384',
};

/** The curve of a raw ECDSA key by its length: scalar (32/48) or uncompressed point (65/97). */
export function ecdsaKeyCurve(key: Uint8Array): EcCurve | undefined {
  switch (key.length) {
    case 32:
    case 65:
      return 'P-256';
    case 48:
    case 97:
      return 'P-384';
  }
  return undefined;
}

export function unsupportedScheme(provider: string, scheme: number): DtlsError {
  return new DtlsError('handshake_failure', `signature scheme 0x${scheme.toString(16).padStart(4, '0')} is not implemented by the ${provider} crypto provider`);
}

function sign(scheme: number, privateKey: Uint8Array, data: Uint8Array): Uint8Array {
  const hash = ecdsaSchemeHash[scheme];
  if (hash) {
    const curve = ecdsaKeyCurve(privateKey);
    if (!curve || privateKey.length > 48) throw new RangeError(`ECDSA private key must be a 32- or 48-byte scalar, got ${privateKey.length} bytes`);
    return ecdsaSign(curve, hash, privateKey, data);
  }
  if (scheme === S.ed25519) return ed25519.sign(data, privateKey);
  throw unsupportedScheme('noble', scheme);
}

function verify(scheme: number, publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  const hash = ecdsaSchemeHash[scheme];
  if (hash) {
    const curve = ecdsaKeyCurve(publicKey);
    return curve !== undefined && publicKey.length > 48 && ecdsaVerify(curve, hash, publicKey, data, signature);
  }
  if (scheme === S.ed25519) {
    try {
      // zip215: false is RFC 8032's strict verification, as OpenSSL does.
      return ed25519.verify(signature, data, publicKey, { zip215: false });
    } catch {
      return false;
    }
  }
  // RSA verification in plain JS: public data only, so BigInt's timing is no concern (crypto/rsa.ts).
  const rsa = rsaVerify(scheme, publicKey, data, signature);
  if (rsa !== undefined) return rsa;
  throw unsupportedScheme('noble', scheme);
}

// Expanded AES keys for the record number mask, per sn_key object: the record
// layer passes the same key for every record of an epoch.
const maskKeys = new WeakMap<Uint8Array, Uint32Array>();

function recordNumberMask(aead: AeadName, key: Uint8Array, sample: Uint8Array): Uint8Array {
  if (sample.length < 16) throw new RangeError('record number mask needs a 16-byte sample');
  const out = new Uint8Array(16);
  if (aead === 'chacha20-poly1305') {
    const counter = (sample[0]! | (sample[1]! << 8) | (sample[2]! << 16) | (sample[3]! << 24)) >>> 0;
    return chacha20Block(key, counter, sample.subarray(4, 16), out);
  }
  if (aeadKeyLength[aead] !== key.length) throw new RangeError(`${aead} sn_key must be ${aeadKeyLength[aead]} bytes`);
  let xk = maskKeys.get(key);
  if (!xk) maskKeys.set(key, (xk = aesUnsafe.expandKeyLE(key.slice())));
  out.set(sample.subarray(0, 16));
  return aesUnsafe.encryptBlock(xk, out);
}

const nobleHmac = (name: HashName, key: Uint8Array, data: Uint8Array) => hmac(hashFn(name), key, data);

/** The portable CryptoProvider: @noble/hashes, @noble/ciphers and @noble/curves, on every runtime (the default where no native crypto is). */
export const nobleProvider: CryptoProvider = {
  name: 'noble',
  random,
  hash: (name, data) => hashFn(name)(data),
  hashContext: nobleHashContext,
  hmac: nobleHmac,
  aead,
  generateKeyShare,
  ecdh,
  ecdsaSign,
  ecdsaVerify,
  ecdsaPublicKey: (curve, privateKey) => ecCurve(curve).getPublicKey(privateKey, false),
  ecdsaGenerateKey: (curve) => ecCurve(curve).utils.randomSecretKey(),
  signatureSchemes: [S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384, S.ed25519],
  sign,
  verify,
  hkdfExtract: (hash, salt, ikm) => hkdfExtractWith(nobleHmac, hash, salt, ikm),
  hkdfExpand: (hash, prk, info, length) => hkdfExpandWith(nobleHmac, hash, prk, info, length),
  recordNumberMask,
};
