// The CryptoProvider on node:crypto (OpenSSL under Node; Deno and Bun offer
// the same module). The module is passed in, so nothing here imports a Node
// built-in and the root module still bundles for browsers (./default.ts looks
// it up at run time). Every operation is checked once, on first use, against
// noble on a fixed input; where a runtime lacks it or answers differently (an
// algorithm missing from Bun's or Deno's node:crypto), that operation falls
// back to noble and the rest stay native.
import type * as NodeCrypto from 'node:crypto';
import { DtlsError } from '../errors.ts';
import { hkdfExpandWith, hkdfExtractWith, hashLength } from './hkdf.ts';
import { nativeAead } from './native-aead.ts';
import { OneShotHashContext, oneShotHmac, type OneShotHash } from './native-hmac.ts';
import { pooledRandom } from './native-random.ts';
import { FIELD_LENGTH, KeyCache, NODE_CURVE, bytes, pad } from './native-keys.ts';
import { ecdsaKeyCurve, ecdsaSchemeHash, nobleProvider, unsupportedScheme } from './noble.ts';
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
  type SignatureSchemeCode,
} from './provider.ts';

type NC = typeof NodeCrypto;

/**
 * A Buffer that node:crypto made for this result alone (Node's digests and
 * cipher output are), handed on as a plain Uint8Array without a copy; anything
 * else (a runtime that slices results from a shared pool) is copied, so a small
 * result never holds a larger buffer alive.
 */
function oneShotHashWorks(nc: NC): boolean {
  try {
    const probe = Uint8Array.of(1, 2, 3);
    const a = nc.hash('sha256', probe, 'buffer') as unknown;
    const b = nc.createHash('sha256').update(probe).digest();
    return a instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  } catch {
    return false;
  }
}

const view = (b: Uint8Array) => (b.byteOffset === 0 && b.buffer.byteLength === b.byteLength ? new Uint8Array(b.buffer, 0, b.byteLength) : new Uint8Array(b));

const GROUP_CURVE: Partial<Record<GroupName, EcCurve>> = { secp256r1: 'P-256', secp384r1: 'P-384' };

/** RSA schemes: hash and padding (RFC 8446 4.2.3: PSS salt length = hash length). */
const RSA: Partial<Record<number, { hash: HashName; pss: boolean }>> = {
  [S.rsa_pss_rsae_sha256]: { hash: 'sha256', pss: true },
  [S.rsa_pss_rsae_sha384]: { hash: 'sha384', pss: true },
  [S.rsa_pss_rsae_sha512]: { hash: 'sha512', pss: true },
  [S.rsa_pkcs1_sha256]: { hash: 'sha256', pss: false },
  [S.rsa_pkcs1_sha384]: { hash: 'sha384', pss: false },
  [S.rsa_pkcs1_sha512]: { hash: 'sha512', pss: false },
};

function allZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

/** The operations that may fall back to noble one by one, where a runtime's node:crypto lacks them. */
export type NativeFeature =
  'hash' | 'hmac' | 'gcm' | 'chacha20-poly1305' | 'ccm' | 'x25519' | 'P-256' | 'P-384' | 'ecdsa' | 'ed25519' | 'rsa' | 'aes-ecb' | 'chacha20';

/** A CryptoProvider on node:crypto (Node, Deno, Bun), with noble for what the runtime lacks. */
export interface NativeProvider extends CryptoProvider {
  /** Which operations use noble on this runtime (checked on first use). */
  readonly fallbacks: () => NativeFeature[];
}

/**
 * A provider on the given node:crypto module. `fallback` (noble by default)
 * serves what the module lacks.
 */
export function createNativeProvider(nc: NC, fallback: CryptoProvider = nobleProvider): NativeProvider {
  const pooled = pooledRandom(nc);
  const keys = new KeyCache(nc, pooled);
  const verdicts = new Map<NativeFeature, boolean>();

  /** Whether `feature` works natively here: probe once (agreeing with noble on a fixed input). */
  function native(feature: NativeFeature): boolean {
    let ok = verdicts.get(feature);
    if (ok === undefined) {
      try {
        ok = probe(feature);
      } catch {
        ok = false;
      }
      verdicts.set(feature, ok);
    }
    return ok;
  }

  const K16 = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

  function probe(f: NativeFeature): boolean {
    const msg = Uint8Array.from({ length: 37 }, (_, i) => i * 7);
    const nonce = K16.subarray(0, 12);
    const aeadSame = (name: AeadName, tag: 8 | 16, alg: Parameters<typeof nativeAead>[1]) => {
      const key = K16.subarray(0, alg.startsWith('aes-128') ? 16 : 32);
      const a = nativeAead(nc, alg, key, tag);
      const b = fallback.aead(name, key);
      // Empty and non-empty messages: some runtimes trip on one of them.
      return [msg, msg.subarray(0, 0)].every((m) => {
        const sealed = a.seal(nonce, m, msg.subarray(0, 13));
        const opened = a.open(nonce, sealed, msg.subarray(0, 13));
        return same(sealed, b.seal(nonce, m, msg.subarray(0, 13))) && opened !== null && same(opened, m) && a.open(nonce, sealed, msg.subarray(1, 14)) === null;
      });
    };
    switch (f) {
      case 'hash':
        return (['sha1', 'sha256', 'sha384', 'sha512'] as const).every((h) => same(bytes(nc.createHash(h).update(msg).digest()), fallback.hash(h, msg)));
      case 'hmac': {
        // Keys shorter than, equal to and longer than the block (RFC 2104 2), and the HKDF-Expand tail byte.
        const keys = [K16, new Uint8Array(64).fill(7), new Uint8Array(129).fill(9)];
        return (['sha1', 'sha256', 'sha384', 'sha512'] as const).every((h) =>
          keys.every(
            (k) => same(nativeHmac(h, k, msg), fallback.hmac(h, k, msg)) && same(nativeHmac(h, k, msg.subarray(0, 36), msg[36]), fallback.hmac(h, k, msg)),
          ),
        );
      }
      case 'gcm':
        return aeadSame('aes-128-gcm', 16, 'aes-128-gcm') && aeadSame('aes-256-gcm', 16, 'aes-256-gcm');
      case 'chacha20-poly1305':
        return aeadSame('chacha20-poly1305', 16, 'chacha20-poly1305');
      case 'ccm':
        return aeadSame('aes-128-ccm', 16, 'aes-128-ccm') && aeadSame('aes-128-ccm8', 8, 'aes-128-ccm') && aeadSame('aes-256-ccm8', 8, 'aes-256-ccm');
      case 'x25519': {
        const a = nativeShare('x25519');
        const b = fallback.generateKeyShare('x25519');
        return same(nativeEcdh('x25519', a.privateKey, b.publicKey), fallback.ecdh('x25519', b.privateKey, a.publicKey));
      }
      case 'P-256':
      case 'P-384': {
        const group = f === 'P-256' ? 'secp256r1' : 'secp384r1';
        const a = nativeShare(group);
        const b = fallback.generateKeyShare(group);
        return same(nativeEcdh(group, a.privateKey, b.publicKey), fallback.ecdh(group, b.privateKey, a.publicKey));
      }
      case 'ecdsa': {
        const d = fallback.ecdsaGenerateKey('P-256');
        const pub = fallback.ecdsaPublicKey('P-256', d);
        const sig = nativeEcdsaSign('P-256', 'sha256', d, msg);
        return (
          fallback.ecdsaVerify('P-256', 'sha256', pub, msg, sig) &&
          nativeEcdsaVerify('P-256', 'sha256', pub, msg, fallback.ecdsaSign('P-256', 'sha256', d, msg))
        );
      }
      case 'ed25519': {
        const seed = K16;
        return same(edSign(seed, msg), fallback.sign(S.ed25519, seed, msg));
      }
      case 'rsa':
        return typeof nc.generateKeyPairSync === 'function' && typeof nc.constants?.RSA_PKCS1_PSS_PADDING === 'number';
      case 'aes-ecb':
        return same(ecbMask(K16.subarray(0, 16), msg.subarray(0, 16)), fallback.recordNumberMask('aes-128-gcm', K16.subarray(0, 16), msg.subarray(0, 16)));
      case 'chacha20':
        return same(chachaMask(K16, msg.subarray(0, 16)), fallback.recordNumberMask('chacha20-poly1305', K16, msg.subarray(0, 16)));
    }
  }

  // --- hashing ---
  // crypto.hash (Node 20.12+) digests in one call, without a Hash object: a third of createHash's cost.
  // Used only where it gives the bytes createHash gives (a runtime's node:crypto may differ).
  const oneShot = typeof nc.hash === 'function' && oneShotHashWorks(nc) ? nc.hash : undefined;
  const hash = (name: HashName, data: Uint8Array) =>
    native('hash') ? view(oneShot ? oneShot(name, data, 'buffer') : nc.createHash(name).update(data).digest()) : fallback.hash(name, data);
  function hashContext(name: HashName): HashContext {
    if (!native('hash')) return fallback.hashContext!(name);
    if (oneShot) return new OneShotHashContext(oneShot as OneShotHash, name);
    const h = nc.createHash(name);
    // Hash#copy (Node 13+) forks the state, so each digest leaves the running one intact.
    if (typeof h.copy !== 'function') return fallback.hashContext!(name);
    return {
      update: (data) => void h.update(data),
      digest: () => view(h.copy().digest()),
    };
  }
  // HMAC as two one-shot digests where crypto.hash() works (see native-hmac.ts); `tail` is one more byte of input.
  const fastHmac = oneShot ? oneShotHmac(oneShot as OneShotHash) : undefined;
  const nativeHmac = (name: HashName, key: Uint8Array, data: Uint8Array, tail?: number): Uint8Array => {
    if (fastHmac) return view(fastHmac(name, key, data, tail));
    const h = nc.createHmac(name, key).update(data);
    return view((tail === undefined ? h : h.update(Uint8Array.of(tail))).digest());
  };
  const hmac = (name: HashName, key: Uint8Array, data: Uint8Array) => (native('hmac') ? nativeHmac(name, key, data) : fallback.hmac(name, key, data));

  // HKDF-Expand of at most one hash block (every TLS 1.3 derivation: secrets,
  // keys, IVs, sn_keys, finished keys) is one HMAC over info || 0x01 (RFC 5869 2.3).
  function hkdfExpand(h: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    const len = hashLength[h];
    if (!native('hmac') || !(Number.isInteger(length) && length > 0 && length <= len)) return hkdfExpandWith(hmac, h, prk, info, length);
    const t = nativeHmac(h, prk, info, 1);
    // A shorter output is copied out, so the rest of the block is not kept behind it.
    return length === len ? t : t.slice(0, length);
  }

  // --- AEADs ---
  function aead(name: AeadName, key: Uint8Array): Aead {
    switch (name) {
      case 'aes-128-gcm':
      case 'aes-256-gcm':
        return nativeOr('gcm', name, key, () => nativeAead(nc, name, key, 16));
      case 'chacha20-poly1305':
        return nativeOr('chacha20-poly1305', name, key, () => nativeAead(nc, name, key, 16));
      case 'aes-128-ccm':
      case 'aes-256-ccm':
        return nativeOr('ccm', name, key, () => nativeAead(nc, name, key, 16));
      case 'aes-128-ccm8':
        return nativeOr('ccm', name, key, () => nativeAead(nc, 'aes-128-ccm', key, 8));
      case 'aes-256-ccm8':
        return nativeOr('ccm', name, key, () => nativeAead(nc, 'aes-256-ccm', key, 8));
    }
    return fallback.aead(name, key); // throws the RangeError for an unknown name
  }

  function nativeOr(f: NativeFeature, name: AeadName, key: Uint8Array, make: () => Aead): Aead {
    // The fallback checks key lengths and names; the native one would throw differently.
    if (!native(f)) return fallback.aead(name, key);
    fallbackCheckKey(name, key);
    return make();
  }

  function fallbackCheckKey(name: AeadName, key: Uint8Array): void {
    const want = name.includes('256') || name === 'chacha20-poly1305' ? 32 : 16;
    if (key.length !== want) throw new RangeError(`${name} key must be ${want} bytes, got ${key.length}`);
  }

  // --- key exchange ---
  function nativeShare(group: GroupName): KeyShare {
    if (group === 'x25519') return { group, ...keys.x25519Generate() };
    const curve = GROUP_CURVE[group];
    if (!curve) throw new RangeError(`unknown group ${String(group)}`);
    const ecdh = nc.createECDH(NODE_CURVE[curve]);
    ecdh.generateKeys();
    return { group, privateKey: pad(ecdh.getPrivateKey(), FIELD_LENGTH[curve]), publicKey: bytes(ecdh.getPublicKey()) };
  }

  function nativeEcdh(group: GroupName, privateKey: Uint8Array, peer: Uint8Array): Uint8Array {
    if (group === 'x25519') {
      if (peer.length !== 32) throw new DtlsError('illegal_parameter', `x25519 public key must be 32 bytes, got ${peer.length}`);
      let shared: Uint8Array;
      try {
        shared = bytes(nc.diffieHellman({ privateKey: keys.okpPrivate('x25519', privateKey), publicKey: keys.okpPublic('x25519', peer) }));
      } catch (cause) {
        // OpenSSL refuses a low-order point itself (the all-zero result).
        throw new DtlsError('illegal_parameter', 'invalid x25519 public key', { cause });
      }
      // RFC 7748 6.1 / RFC 8422 5.11: an all-zero result means a low-order peer key.
      if (allZero(shared)) throw new DtlsError('illegal_parameter', 'x25519 shared secret is all zero');
      return shared;
    }
    const curve = GROUP_CURVE[group];
    if (!curve) throw new RangeError(`unknown group ${String(group)}`);
    const n = FIELD_LENGTH[curve];
    // RFC 8422 5.4.1: only the uncompressed form is used.
    if (peer.length !== 1 + 2 * n || peer[0] !== 0x04) throw new DtlsError('illegal_parameter', `${group} public key must be an uncompressed point`);
    try {
      const ecdh = nc.createECDH(NODE_CURVE[curve]);
      ecdh.setPrivateKey(privateKey);
      // RFC 8422 5.10: the premaster secret is the x coordinate, field-length.
      return pad(ecdh.computeSecret(peer), n);
    } catch (cause) {
      throw new DtlsError('illegal_parameter', `invalid ${group} public key`, { cause });
    }
  }

  const groupFeature = (group: GroupName): NativeFeature => (group === 'x25519' ? 'x25519' : group === 'secp384r1' ? 'P-384' : 'P-256');

  // --- signatures ---
  function nativeEcdsaSign(curve: EcCurve, h: HashName, d: Uint8Array, data: Uint8Array): Uint8Array {
    return bytes(nc.sign(h, data, { key: keys.ecPrivate(curve, d), dsaEncoding: 'der' }));
  }

  function nativeEcdsaVerify(curve: EcCurve, h: HashName, point: Uint8Array, data: Uint8Array, sig: Uint8Array): boolean {
    try {
      return nc.verify(h, data, { key: keys.ecPublic(curve, point), dsaEncoding: 'der' }, sig);
    } catch {
      return false;
    }
  }

  const edSign = (seed: Uint8Array, data: Uint8Array) => bytes(nc.sign(null, data, keys.okpPrivate('ed25519', seed)));

  function ecdsaSign(curve: EcCurve, h: HashName, d: Uint8Array, data: Uint8Array): Uint8Array {
    return native('ecdsa') ? nativeEcdsaSign(curve, h, d, data) : fallback.ecdsaSign(curve, h, d, data);
  }

  function ecdsaVerify(curve: EcCurve, h: HashName, point: Uint8Array, data: Uint8Array, sig: Uint8Array): boolean {
    if (!native('ecdsa')) return fallback.ecdsaVerify(curve, h, point, data, sig);
    if (point.length !== 1 + 2 * FIELD_LENGTH[curve] || point[0] !== 0x04) return false;
    return nativeEcdsaVerify(curve, h, point, data, sig);
  }

  function sign(scheme: number, privateKey: Uint8Array, data: Uint8Array): Uint8Array {
    const h = ecdsaSchemeHash[scheme];
    if (h) {
      const curve = ecdsaKeyCurve(privateKey);
      if (!curve || privateKey.length > 48) throw new RangeError(`ECDSA private key must be a 32- or 48-byte scalar, got ${privateKey.length} bytes`);
      return ecdsaSign(curve, h, privateKey, data);
    }
    if (scheme === S.ed25519) {
      if (privateKey.length !== 32) throw new RangeError('Ed25519 private key must be 32 bytes');
      return native('ed25519') ? edSign(privateKey, data) : fallback.sign(scheme, privateKey, data);
    }
    const rsa = RSA[scheme];
    if (rsa && native('rsa')) {
      const key = keys.rsaPrivate(privateKey);
      return bytes(nc.sign(rsa.hash, data, rsa.pss ? { key, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: hashLength[rsa.hash] } : key));
    }
    throw unsupportedScheme('native', scheme);
  }

  function verify(scheme: number, publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
    const h = ecdsaSchemeHash[scheme];
    if (h) {
      const curve = ecdsaKeyCurve(publicKey);
      return curve !== undefined && publicKey.length > 48 && ecdsaVerify(curve, h, publicKey, data, signature);
    }
    if (scheme === S.ed25519) {
      if (!native('ed25519')) return fallback.verify(scheme, publicKey, data, signature);
      if (publicKey.length !== 32 || signature.length !== 64) return false;
      try {
        return nc.verify(null, data, keys.okpPublic('ed25519', publicKey), signature);
      } catch {
        return false;
      }
    }
    const rsa = RSA[scheme];
    if (rsa && native('rsa')) {
      try {
        const key = keys.rsaPublic(publicKey);
        if (key.asymmetricKeyType !== 'rsa') return false;
        return nc.verify(rsa.hash, data, rsa.pss ? { key, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: hashLength[rsa.hash] } : key, signature);
      } catch {
        return false;
      }
    }
    throw unsupportedScheme('native', scheme);
  }

  // --- DTLS 1.3 record number mask (RFC 9147 4.2.3) ---
  // One AES-ECB cipher object per sn_key, kept for the key's life: ECB has no
  // chaining, so each 16-byte update() is one block encrypted on its own, and a
  // record costs one call instead of a new cipher object (RFC 9147 4.2.3 asks
  // for one block per record). Keyed by the key buffer, as the record layer
  // holds one per epoch; final() is never called, the object just goes with it.
  // The cipher takes the raw key, not a KeyObject: it is keyed once either way,
  // and a handshake epoch's sn_key masks only a record or two, where a KeyObject
  // and its cache entry cost as much as the cipher itself.
  const ecbByKey = new WeakMap<Uint8Array, NodeCrypto.Cipher>();
  function ecbMask(key: Uint8Array, sample: Uint8Array): Uint8Array {
    let c = ecbByKey.get(key);
    if (!c) {
      c = nc.createCipheriv(key.length === 16 ? 'aes-128-ecb' : 'aes-256-ecb', key, null);
      c.setAutoPadding(false);
      ecbByKey.set(key, c);
    }
    return view(c.update(sample.length === 16 ? sample : sample.subarray(0, 16)));
  }

  function chachaMask(key: Uint8Array, sample: Uint8Array): Uint8Array {
    // OpenSSL's chacha20 IV is counter (32-bit little-endian) || nonce: the sample as it is.
    const c = nc.createCipheriv('chacha20', keys.secret(key), sample.subarray(0, 16));
    return bytes(c.update(new Uint8Array(16)));
  }

  function recordNumberMask(name: AeadName, key: Uint8Array, sample: Uint8Array): Uint8Array {
    if (sample.length < 16) throw new RangeError('record number mask needs a 16-byte sample');
    if (name === 'chacha20-poly1305') {
      if (key.length !== 32 || !native('chacha20')) return fallback.recordNumberMask(name, key, sample);
      return chachaMask(key, sample);
    }
    if ((key.length !== 16 && key.length !== 32) || !native('aes-ecb')) return fallback.recordNumberMask(name, key, sample);
    fallbackCheckKey(name, key);
    return ecbMask(key, sample);
  }

  const signatureSchemes = [S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384, S.ed25519];
  // Read on every signature choice and chain verification: built once, after the RSA probe.
  let allSchemes: readonly SignatureSchemeCode[] | undefined;
  return {
    name: 'node:crypto',
    fallbacks: () =>
      (
        ['hash', 'hmac', 'gcm', 'chacha20-poly1305', 'ccm', 'x25519', 'P-256', 'P-384', 'ecdsa', 'ed25519', 'rsa', 'aes-ecb', 'chacha20'] as NativeFeature[]
      ).filter((f) => !native(f)),
    random: (length) => {
      if (!Number.isInteger(length) || length < 0) throw new RangeError(`random length must be a non-negative integer, got ${length}`);
      return length ? pooled(length) : new Uint8Array(0);
    },
    hash,
    hashContext,
    hmac,
    aead,
    generateKeyShare: (group) => (native(groupFeature(group)) ? nativeShare(group) : fallback.generateKeyShare(group)),
    ecdh: (group, privateKey, peer) => (native(groupFeature(group)) ? nativeEcdh(group, privateKey, peer) : fallback.ecdh(group, privateKey, peer)),
    ecdsaSign,
    ecdsaVerify,
    ecdsaPublicKey: (curve, d) => {
      if (!native('ecdsa')) return fallback.ecdsaPublicKey(curve, d);
      const ecdh = nc.createECDH(NODE_CURVE[curve]);
      ecdh.setPrivateKey(d);
      return bytes(ecdh.getPublicKey());
    },
    ecdsaGenerateKey: (curve) => {
      if (!native('ecdsa')) return fallback.ecdsaGenerateKey(curve);
      const ecdh = nc.createECDH(NODE_CURVE[curve]);
      ecdh.generateKeys();
      return pad(ecdh.getPrivateKey(), FIELD_LENGTH[curve]);
    },
    get signatureSchemes() {
      return (allSchemes ??= Object.freeze(native('rsa') ? [...signatureSchemes, ...Object.keys(RSA).map(Number)] : signatureSchemes));
    },
    sign,
    verify,
    hkdfExtract: (h, salt, ikm) => hkdfExtractWith(hmac, h, salt, ikm),
    hkdfExpand,
    recordNumberMask,
  };
}
