// The TLS 1.3 key schedule (RFC 8446 7.1; ../shared/specs/rfc9846-tls13.md 7.1)
// as DTLS 1.3 uses it: the same HKDF chain, with labels prefixed "dtls13"
// instead of "tls13 " (RFC 9147 5.9). HKDF (RFC 5869) comes from the provider
// (crypto/hkdf.ts builds it on any HMAC; the native provider uses node:crypto's).
//
//   0 ─► HKDF-Extract(salt 0, PSK or 0) = early secret ─► Derive-Secret(., "derived", "")
//        HKDF-Extract(that, (EC)DHE) = handshake secret ─► c/s hs traffic (CH..SH)
//        ─► Derive-Secret(., "derived", "") ─► HKDF-Extract(that, 0) = master secret
//        ─► c/s ap traffic, exporter master, resumption master (CH..server Finished / client Finished)
import type { CryptoProvider, HashName } from './provider.ts';
import { hashLength } from './hkdf.ts';

/** The label prefix of HKDF-Expand-Label: "tls13 " in TLS 1.3, "dtls13" in DTLS 1.3 (RFC 9147 5.9). */
export type LabelPrefix = 'tls13 ' | 'dtls13';
export const DTLS13_LABEL_PREFIX: LabelPrefix = 'dtls13';

const utf8 = new TextEncoder();

/** RFC 5869 2.2 through the provider (native where the runtime has it); no salt means HashLen zeros. */
export function hkdfExtract(p: CryptoProvider, hash: HashName, salt: Uint8Array | undefined, ikm: Uint8Array): Uint8Array {
  return p.hkdfExtract(hash, salt ?? new Uint8Array(0), ikm);
}

/** RFC 5869 2.3 through the provider. */
export function hkdfExpand(p: CryptoProvider, hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return p.hkdfExpand(hash, prk, info, length);
}

/**
 * The HkdfLabel structure (RFC 8446 7.1): uint16 length, opaque label<7..255>
 * = prefix + label, opaque context<0..255>.
 */
export function hkdfLabel(length: number, label: string, context: Uint8Array, prefix: LabelPrefix): Uint8Array {
  const full = encodedLabel(prefix, label);
  if (context.length > 255) throw new RangeError('HKDF label or context longer than 255 bytes');
  const out = new Uint8Array(2 + full.length + 1 + context.length);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  out.set(full, 2);
  out[2 + full.length] = context.length;
  out.set(context, 3 + full.length);
  return out;
}

// The protocol uses a dozen labels: each is encoded once (length byte and
// prefix + label), not on every derivation. Bounded, since a caller (the
// exporter) may pass labels of its own. Keyed by prefix, then label: the
// labels are literals, so the lookup hashes no new string.
const LABELS = new Map<LabelPrefix, Map<string, Uint8Array>>();
const MAX_CACHED_LABELS = 64;

/** opaque label<7..255> = prefix + label, with its length byte. */
function encodedLabel(prefix: LabelPrefix, label: string): Uint8Array {
  let byLabel = LABELS.get(prefix);
  if (!byLabel) LABELS.set(prefix, (byLabel = new Map()));
  let b = byLabel.get(label);
  if (!b) {
    const full = utf8.encode(prefix + label);
    if (full.length > 255) throw new RangeError('HKDF label or context longer than 255 bytes');
    b = new Uint8Array(1 + full.length);
    b[0] = full.length;
    b.set(full, 1);
    if (byLabel.size < MAX_CACHED_LABELS) byLabel.set(label, b);
  }
  return b;
}

/** HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 7.1), with the prefix of the protocol. */
export function hkdfExpandLabel(
  p: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
  prefix: LabelPrefix = DTLS13_LABEL_PREFIX,
): Uint8Array {
  return hkdfExpand(p, hash, secret, hkdfLabel(length, label, context, prefix), length);
}

/** Derive-Secret(Secret, Label, Messages), given Transcript-Hash(Messages) (RFC 8446 7.1). */
export function deriveSecret(
  p: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
  prefix: LabelPrefix = DTLS13_LABEL_PREFIX,
): Uint8Array {
  return hkdfExpandLabel(p, hash, secret, label, transcriptHash, hashLength[hash], prefix);
}

/** The traffic keys of one direction of one epoch (RFC 8446 7.3), and the record number key (RFC 9147 4.2.3). */
export interface TrafficSecretKeys {
  key: Uint8Array;
  iv: Uint8Array;
  /** sn_key, for record number encryption in DTLS 1.3. */
  sn: Uint8Array;
}

/**
 * One connection's key schedule, step by step. Each step takes what only that
 * step needs (the (EC)DHE secret, a transcript hash) and the schedule keeps
 * the current stage's secret; secrets it moves past are zeroed.
 */
export class KeySchedule13 {
  readonly #p: CryptoProvider;
  readonly hash: HashName;
  readonly prefix: LabelPrefix;
  #secret: Uint8Array;
  #stage: 'early' | 'handshake' | 'master';
  /** The early secret is the constant one (no PSK). */
  #withoutPsk = false;

  /** The early secret from a PSK, or from zeros without one. */
  constructor(p: CryptoProvider, hash: HashName, psk?: Uint8Array, prefix: LabelPrefix = DTLS13_LABEL_PREFIX) {
    this.#p = p;
    this.hash = hash;
    this.prefix = prefix;
    this.#secret = psk ? hkdfExtract(p, hash, undefined, psk) : noPsk(p, hash, prefix).early.slice();
    this.#withoutPsk = !psk;
    this.#stage = 'early';
  }

  get stage(): 'early' | 'handshake' | 'master' {
    return this.#stage;
  }

  /** The current stage's secret (a copy), for tests and key logs. */
  get secret(): Uint8Array {
    return this.#secret.slice();
  }

  /** Derive-Secret from the current stage's secret. */
  derive(label: string, transcriptHash: Uint8Array): Uint8Array {
    return deriveSecret(this.#p, this.hash, this.#secret, label, transcriptHash, this.prefix);
  }

  /** Early secret to handshake secret, with the (EC)DHE shared secret. */
  handshake(sharedSecret: Uint8Array): void {
    if (this.#stage !== 'early') throw new TypeError(`key schedule at ${this.#stage}, not early`);
    this.#advance(sharedSecret);
    this.#stage = 'handshake';
  }

  /** Handshake secret to master secret. */
  master(): void {
    if (this.#stage !== 'handshake') throw new TypeError(`key schedule at ${this.#stage}, not handshake`);
    this.#advance(new Uint8Array(hashLength[this.hash]));
    this.#stage = 'master';
  }

  /** Client and server handshake traffic secrets, over ClientHello..ServerHello. */
  handshakeTrafficSecrets(helloHash: Uint8Array): { client: Uint8Array; server: Uint8Array } {
    if (this.#stage !== 'handshake') throw new TypeError('handshake traffic secrets come from the handshake secret');
    return { client: this.derive('c hs traffic', helloHash), server: this.derive('s hs traffic', helloHash) };
  }

  /** Client and server application traffic secrets, over ClientHello..server Finished. */
  applicationTrafficSecrets(serverFinishedHash: Uint8Array): { client: Uint8Array; server: Uint8Array } {
    if (this.#stage !== 'master') throw new TypeError('application traffic secrets come from the master secret');
    return { client: this.derive('c ap traffic', serverFinishedHash), server: this.derive('s ap traffic', serverFinishedHash) };
  }

  /**
   * The PSK binder's finished key (RFC 8446 4.2.11.2, 7.1): binder_key =
   * Derive-Secret(early secret, "res binder", "") for a resumption PSK, then
   * its finished_key. Only from the early secret of a schedule made with the PSK.
   */
  binderFinishedKey(): Uint8Array {
    if (this.#stage !== 'early') throw new TypeError('the binder key comes from the early secret');
    const binderKey = this.derive('res binder', this.#p.hash(this.hash, new Uint8Array(0)));
    const key = this.finishedKey(binderKey);
    binderKey.fill(0);
    return key;
  }

  /** resumption_master_secret over ClientHello..client Finished (RFC 8446 7.1). */
  resumptionMaster(clientFinishedHash: Uint8Array): Uint8Array {
    if (this.#stage !== 'master') throw new TypeError('the resumption master secret comes from the master secret');
    return this.derive('res master', clientFinishedHash);
  }

  /** RFC 8446 4.6.1: the PSK of one ticket, HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
  ticketPsk(resumptionMaster: Uint8Array, nonce: Uint8Array): Uint8Array {
    return hkdfExpandLabel(this.#p, this.hash, resumptionMaster, 'resumption', nonce, hashLength[this.hash], this.prefix);
  }

  /** RFC 8446 7.2: the next generation of an application traffic secret (KeyUpdate). */
  nextTrafficSecret(secret: Uint8Array): Uint8Array {
    return hkdfExpandLabel(this.#p, this.hash, secret, 'traffic upd', new Uint8Array(0), hashLength[this.hash], this.prefix);
  }

  /** RFC 8446 7.3 and RFC 9147 4.2.3: key, iv and sn_key from a traffic secret. */
  trafficKeys(secret: Uint8Array, keyLength: number, ivLength: number): TrafficSecretKeys {
    const empty = new Uint8Array(0);
    return {
      key: hkdfExpandLabel(this.#p, this.hash, secret, 'key', empty, keyLength, this.prefix),
      iv: hkdfExpandLabel(this.#p, this.hash, secret, 'iv', empty, ivLength, this.prefix),
      sn: hkdfExpandLabel(this.#p, this.hash, secret, 'sn', empty, keyLength, this.prefix),
    };
  }

  /** RFC 8446 4.4.4: finished_key from a (handshake) traffic secret. */
  finishedKey(secret: Uint8Array): Uint8Array {
    return hkdfExpandLabel(this.#p, this.hash, secret, 'finished', new Uint8Array(0), hashLength[this.hash], this.prefix);
  }

  /** Extract with the derived secret of the current stage as salt (RFC 8446 7.1). */
  #advance(ikm: Uint8Array): void {
    const c = noPsk(this.#p, this.hash, this.prefix);
    // Without a PSK the early secret, and so its "derived" salt, is a constant.
    const salt = this.#stage === 'early' && this.#withoutPsk ? c.derived.slice() : this.derive('derived', c.emptyHash);
    const next = hkdfExtract(this.#p, this.hash, salt, ikm);
    this.#secret.fill(0);
    salt.fill(0);
    this.#secret = next;
  }
}

/**
 * What every schedule without a PSK starts from, the same for all connections
 * (RFC 8446 7.1: the early secret is HKDF-Extract(0, 0), public values only):
 * computed once per provider, hash and label prefix, and copied out, since a
 * schedule zeroes the secrets it moves past.
 */
interface NoPsk {
  early: Uint8Array;
  derived: Uint8Array;
  emptyHash: Uint8Array;
}
const NO_PSK = new WeakMap<CryptoProvider, Map<string, NoPsk>>();

function noPsk(p: CryptoProvider, hash: HashName, prefix: LabelPrefix): NoPsk {
  let byHash = NO_PSK.get(p);
  if (!byHash) NO_PSK.set(p, (byHash = new Map()));
  const k = hash + prefix;
  let c = byHash.get(k);
  if (!c) {
    const emptyHash = p.hash(hash, new Uint8Array(0));
    const early = hkdfExtract(p, hash, undefined, new Uint8Array(hashLength[hash]));
    c = { early, derived: deriveSecret(p, hash, early, 'derived', emptyHash, prefix), emptyHash };
    byHash.set(k, c);
  }
  return c;
}
