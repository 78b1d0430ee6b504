// A certificate chain and its private key from PEM text, checked to belong
// together. Problems here are configuration errors, so they are TypeErrors.
import { ed25519 } from '@noble/curves/ed25519.js';
import { nobleProvider } from '../crypto/noble.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { equalBytes } from '../wire/codec.ts';
import { fingerprint } from './fingerprint.ts';
import { decodeKeyPem } from './keys.ts';
import { parseCertificate } from './parse.ts';
import { decodePem } from './pem.ts';
import type { AnyCertificateKeyPair, CertificateKeyPair } from './types.ts';

/**
 * Chain from every CERTIFICATE block in `certPem` (leaf first) with the ECDSA
 * key in `keyPem`, typed as an ECDSA pair. RSA certificates load with
 * loadCertificateKey (the DTLS 1.2 handshake signs with them where the
 * provider signs RSA, i.e. native crypto).
 */
export function loadCertificate(certPem: string, keyPem: string, provider: CryptoProvider = nobleProvider): CertificateKeyPair {
  const pair = loadCertificateKey(certPem, keyPem, provider);
  if (!('curve' in pair)) {
    const what = pair.keyType.type === 'rsa' ? `an rsa public key (${pair.keyType.bits} bits)` : 'an ed25519 public key';
    throw new TypeError(`the leaf certificate has ${what}; loadCertificate returns ECDSA pairs only; load RSA and Ed25519 ones with loadCertificateKey`);
  }
  return pair;
}

/** Like loadCertificate, for ECDSA (P-256/P-384), RSA (2048 bits or more) or Ed25519 keys; `keyType` says which. */
export function loadCertificateKey(certPem: string, keyPem: string, provider: CryptoProvider = nobleProvider): AnyCertificateKeyPair {
  let blocks;
  try {
    blocks = decodePem(certPem);
  } catch (e) {
    throw new TypeError(`certificate is not valid PEM: ${(e as Error).message}`, { cause: e });
  }
  const chain = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
  if (chain.length === 0) throw new TypeError('no CERTIFICATE block found in the certificate PEM');
  const parsed = chain.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (e) {
      throw new TypeError(`certificate ${i} in the PEM: ${(e as Error).message}`, { cause: e });
    }
  });
  const key = decodeKeyPem(keyPem);
  const pub = parsed[0]!.publicKey;
  if (pub.type === 'unknown') throw new TypeError(`the leaf certificate has a ${pub.oid} public key; only ECDSA P-256/P-384, RSA and Ed25519 are supported`);
  const fp = fingerprint(chain[0]!, 'sha-256', provider);
  const mismatch = () => new TypeError(`the private key is ${key.type} but the leaf certificate has a ${pub.type} public key`);
  if (key.type === 'rsa') {
    if (pub.type !== 'rsa') throw mismatch();
    if (!equalBytes(pub.modulus, key.modulus) || !equalBytes(pub.exponent, key.exponent))
      throw new TypeError('the private key does not match the leaf certificate');
    return { chain, privateKey: key.privateKey, keyType: { type: 'rsa', bits: key.bits }, fingerprint: fp };
  }
  if (key.type === 'ed25519') {
    if (pub.type !== 'ed25519') throw mismatch();
    // The public key follows from the seed (RFC 8032 5.1.5); one the file carries must agree too.
    const derived = ed25519.getPublicKey(key.privateKey);
    if (!equalBytes(derived, pub.key) || (key.publicKey && !equalBytes(key.publicKey, pub.key)))
      throw new TypeError('the private key does not match the leaf certificate');
    return { chain, privateKey: key.privateKey, keyType: { type: 'ed25519' }, fingerprint: fp };
  }
  if (pub.type !== 'ec') throw mismatch();
  const { curve, privateKey } = key;
  if (pub.curve !== curve) throw new TypeError(`the private key is on ${curve} but the leaf certificate's key is on ${pub.curve}`);
  if (!pointMatches(provider.ecdsaPublicKey(curve, privateKey), pub.point)) throw new TypeError('the private key does not match the leaf certificate');
  return { chain, privateKey, curve, fingerprint: fp, keyType: { type: 'ecdsa', curve } };
}

/** Compares an uncompressed point with an uncompressed or compressed one (SEC1 2.3.3). */
function pointMatches(uncompressed: Uint8Array, point: Uint8Array): boolean {
  if (point[0] === 4) return equalBytes(uncompressed, point);
  const n = (uncompressed.length - 1) / 2;
  const parity = uncompressed[uncompressed.length - 1]! & 1;
  return point[0] === 2 + parity && equalBytes(uncompressed.subarray(1, 1 + n), point.subarray(1));
}
