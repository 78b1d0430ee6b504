// TLS 1.3 key shares as KEMs (RFC 8446 4.2.8; draft-ietf-tls-ecdhe-mlkem): the
// client sends a share, the server answers with its own from the client's
// ("encapsulates"), the client recovers the same secret ("decapsulates").
// (EC)DHE fits the shape: the server's share is its public key, the secret is
// the DH output (RFC 8446 7.4). X25519MLKEM768 (0x11EC) puts ML-KEM first
// everywhere (unlike SecP256r1MLKEM768):
//
//   client share  = ML-KEM-768 encapsulation key (1184) || X25519 public (32)
//   server share  = ML-KEM-768 ciphertext (1088)        || X25519 public (32)
//   shared secret = ML-KEM shared secret (32)           || X25519 secret (32)
//
// Every share from the peer is length-checked and a wrong one is an
// illegal_parameter, as is an encapsulation key failing FIPS 203's modulus
// check (7.2) or a low-order X25519 key. ML-KEM randomness comes from the
// provider, so a seeded provider gives the same shares every run.
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { DtlsError } from '../errors.ts';
import type { CryptoProvider, GroupName, KeyShare } from './provider.ts';

/** NamedGroup code points (RFC 8446 4.2.7; draft-ietf-tls-ecdhe-mlkem). */
export const KEM_GROUP_IDS = {
  x25519: 0x001d,
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  X25519MLKEM768: 0x11ec,
} as const;
export type KemGroup = keyof typeof KEM_GROUP_IDS;

/** Lengths on the wire and of the shared secret. */
export const KEM_LENGTHS: Readonly<Record<KemGroup, { client: number; server: number; secret: number }>> = {
  x25519: { client: 32, server: 32, secret: 32 },
  // Uncompressed points only (RFC 8446 4.2.8.2): 0x04 || x || y.
  secp256r1: { client: 65, server: 65, secret: 32 },
  secp384r1: { client: 97, server: 97, secret: 48 },
  X25519MLKEM768: { client: 1184 + 32, server: 1088 + 32, secret: 64 },
};

const MLKEM_EK = 1184;
const MLKEM_CT = 1088;

export function kemGroupById(id: number): KemGroup | undefined {
  for (const [name, v] of Object.entries(KEM_GROUP_IDS)) if (v === id) return name as KemGroup;
  return undefined;
}

function illegal(message: string, cause?: unknown): DtlsError {
  return new DtlsError('illegal_parameter', message, cause === undefined ? {} : { cause });
}

function checkLength(group: KemGroup, what: 'client' | 'server', share: Uint8Array): void {
  const want = KEM_LENGTHS[group][what];
  if (share.length !== want) throw illegal(`${group} ${what} key share of ${share.length} bytes, not ${want}`);
  if (group !== 'x25519' && group !== 'X25519MLKEM768' && share[0] !== 0x04) throw illegal(`${group} key share is not an uncompressed point`);
}

function knownGroup(group: KemGroup): void {
  if (!Object.hasOwn(KEM_GROUP_IDS, group)) throw new RangeError(`unknown key share group ${String(group)}`);
}

/** The client's half: its share for the ClientHello and what it needs to decapsulate. */
export class KemClientKey {
  readonly group: KemGroup;
  /** The key_exchange bytes of the KeyShareEntry. */
  readonly share: Uint8Array;
  readonly #dh: KeyShare;
  readonly #mlkemSecret: Uint8Array | undefined;

  /** Use kemClientShare(). */
  constructor(group: KemGroup, share: Uint8Array, dh: KeyShare, mlkemSecret: Uint8Array | undefined) {
    this.group = group;
    this.share = share;
    this.#dh = dh;
    this.#mlkemSecret = mlkemSecret;
  }

  /** The shared secret from the server's share (RFC 8446 7.4; the hybrid draft's concatenation). */
  decapsulate(p: CryptoProvider, serverShare: Uint8Array): Uint8Array {
    checkLength(this.group, 'server', serverShare);
    if (this.group !== 'X25519MLKEM768') return p.ecdh(this.group, this.#dh.privateKey, serverShare);
    const pq = ml_kem768.decapsulate(serverShare.subarray(0, MLKEM_CT), this.#mlkemSecret!);
    const classical = p.ecdh('x25519', this.#dh.privateKey, serverShare.subarray(MLKEM_CT));
    return concat(pq, classical);
  }

  /** Zeroes the private parts (after decapsulating, or when the server picked another group). */
  dispose(): void {
    this.#dh.privateKey.fill(0);
    this.#mlkemSecret?.fill(0);
  }
}

/** A fresh client share for `group`. */
export function kemClientShare(p: CryptoProvider, group: KemGroup): KemClientKey {
  knownGroup(group);
  if (group !== 'X25519MLKEM768') {
    const dh = p.generateKeyShare(group as GroupName);
    return new KemClientKey(group, dh.publicKey, dh, undefined);
  }
  const seed = p.random(64); // FIPS 203 ML-KEM.KeyGen: d || z
  const { publicKey, secretKey } = ml_kem768.keygen(seed);
  seed.fill(0);
  const dh = p.generateKeyShare('x25519');
  return new KemClientKey(group, concat(publicKey, dh.publicKey), dh, secretKey);
}

/**
 * The server's half: its share for the ServerHello and the shared secret, from
 * the client's share. Throws DtlsError('illegal_parameter') for a share of the
 * wrong length or that is not a valid key.
 */
export function kemEncapsulate(p: CryptoProvider, group: KemGroup, clientShare: Uint8Array): { share: Uint8Array; sharedSecret: Uint8Array } {
  knownGroup(group);
  checkLength(group, 'client', clientShare);
  if (group !== 'X25519MLKEM768') {
    const dh = p.generateKeyShare(group as GroupName);
    const sharedSecret = p.ecdh(group as GroupName, dh.privateKey, clientShare);
    dh.privateKey.fill(0);
    return { share: dh.publicKey, sharedSecret };
  }
  const ek = clientShare.subarray(0, MLKEM_EK);
  const msg = p.random(32); // FIPS 203 ML-KEM.Encaps: m
  let pq: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    pq = ml_kem768.encapsulate(ek, msg);
  } catch (cause) {
    // FIPS 203 7.2: the encapsulation key check (modulus) failed.
    throw illegal('X25519MLKEM768 client share: ML-KEM-768 encapsulation key fails the FIPS 203 check', cause);
  } finally {
    msg.fill(0);
  }
  const dh = p.generateKeyShare('x25519');
  let classical: Uint8Array;
  try {
    classical = p.ecdh('x25519', dh.privateKey, clientShare.subarray(MLKEM_EK));
  } finally {
    dh.privateKey.fill(0);
  }
  const sharedSecret = concat(pq.sharedSecret, classical);
  pq.sharedSecret.fill(0);
  classical.fill(0);
  return { share: concat(pq.cipherText, dh.publicKey), sharedSecret };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
