// DTLS 1.3 record protection (RFC 9147 4 and 4.2.3; RFC 8446 5.2-5.4), one
// epoch and one direction per object:
//
//   DTLSInnerPlaintext = content || type || zeros       (RFC 9147 4, RFC 8446 5.2)
//   nonce  = write_iv XOR (64-bit sequence number, left-padded to 12 bytes): the
//            epoch does not go in (RFC 9147 4: "unlike DTLS 1.2")  (RFC 8446 5.3)
//   AAD    = the unified header as sent, sequence number in the clear, that is
//            before record number encryption (RFC 9147 4)
//   sn bytes of the header ^= mask(first 16 bytes of encrypted_record)  (RFC 9147 4.2.3)
//
// The header bytes come from the caller (wire/ writes them); this file reads
// only what it needs from them: the S and L bits of the first byte say where
// the sequence number and length sit, counted from the header's end, so the CID
// length never has to be known here. Record failures are drop reasons, never
// exceptions (RFC 9147 4.5.2); misuse by the caller is a RangeError.
import { MAX_INNER_PLAINTEXT, innerContentTypeIndex } from '../wire/inner-plaintext.ts';
import { uint } from '../wire/vectors.ts';
import type { Aead, AeadName, CryptoProvider } from '../crypto/provider.ts';

/** RFC 9147 4.2.3: the mask is computed over the first 16 bytes of encrypted_record. */
export const SN_SAMPLE_LENGTH = 16;
/** RFC 8446 5.4: content || type || padding at most 2^14 + 1 bytes. */
/** RFC 8446 5.2: encrypted_record at most 2^14 + 256 bytes. */
export const MAX_ENCRYPTED_RECORD = 2 ** 14 + 256;

const FIXED_MASK = 0xe0;
const FIXED_BITS = 0x20; // 001xxxxx
const C_BIT = 0x10;
const S_BIT = 0x08;
const L_BIT = 0x04;

/**
 * The 16-byte record number mask for one sn_key (RFC 9147 4.2.3): AES-ECB of
 * the sample for AES suites; for ChaCha20, the ChaCha20 block with counter =
 * sample[0..4] little-endian and nonce = sample[4..16]. The caller binds the key
 * (e.g. `(s) => provider.recordNumberMask(aead, snKey, s)`).
 */
export type RecordNumberMask = (sample: Uint8Array) => Uint8Array;

/** HKDF-Expand-Label with the protocol's prefix already chosen ("dtls13", RFC 9147 5.9). */
export type ExpandLabel = (secret: Uint8Array, label: string, context: Uint8Array, length: number) => Uint8Array;

/** key, iv and sn_key of one direction of one epoch. */
export interface TrafficKeys13 {
  key: Uint8Array;
  iv: Uint8Array;
  /** sn_key, the record number encryption key. */
  sn: Uint8Array;
}

/**
 * RFC 8446 7.3 and RFC 9147 4.2.3: key = Expand-Label(secret, "key", "", key_length),
 * iv = Expand-Label(secret, "iv", "", 12), sn_key = Expand-Label(secret, "sn", "", key_length).
 */
export function trafficKeys13(expandLabel: ExpandLabel, secret: Uint8Array, keyLength: number): TrafficKeys13 {
  const empty = new Uint8Array(0);
  return {
    key: expandLabel(secret, 'key', empty, keyLength),
    iv: expandLabel(secret, 'iv', empty, NONCE_LENGTH),
    sn: expandLabel(secret, 'sn', empty, keyLength),
  };
}

const NONCE_LENGTH = 12;

/** Which record number encryption an AEAD uses (RFC 9147 4.2.3). */
export function maskKind(aead: AeadName): 'aes' | 'chacha20' {
  return aead === 'chacha20-poly1305' ? 'chacha20' : 'aes';
}

/**
 * Usage limits per key (RFC 9147 4.5.3; RFC 8446 5.5): `seal` records may be
 * protected, and `failedOpens` records may fail authentication, before the key
 * must be replaced.
 */
export interface AeadLimits13 {
  readonly seal: number;
  readonly failedOpens: number;
}

/**
 * AES-GCM: 2^24.5 records (RFC 8446 5.5), 2^36 forgeries (RFC 9147 4.5.3).
 * ChaCha20-Poly1305: the sequence number space comes first (RFC 8446 5.5); our
 * sequence numbers stop at 2^53 - 1. AES-CCM: 2^23 and 2^23.5 (RFC 9147 A.1-A.2).
 * AES-CCM_8: 2^23 and 2^7 (RFC 9147 A.3), which RFC 9147 4.5.3 says is unsafe
 * for general use: a forger can exhaust it cheaply, so it suits only deployments
 * with other forgery protection, which may set their own limits.
 */
export const AEAD_LIMITS_13: Readonly<Record<AeadName, AeadLimits13>> = deepFreeze({
  'aes-128-gcm': { seal: Math.floor(2 ** 24.5), failedOpens: 2 ** 36 },
  'aes-256-gcm': { seal: Math.floor(2 ** 24.5), failedOpens: 2 ** 36 },
  'chacha20-poly1305': { seal: Number.MAX_SAFE_INTEGER, failedOpens: 2 ** 36 },
  'aes-128-ccm': { seal: 2 ** 23, failedOpens: Math.floor(2 ** 23.5) },
  'aes-256-ccm': { seal: 2 ** 23, failedOpens: Math.floor(2 ** 23.5) },
  'aes-128-ccm8': { seal: 2 ** 23, failedOpens: 2 ** 7 },
  'aes-256-ccm8': { seal: 2 ** 23, failedOpens: 2 ** 7 },
});

function deepFreeze<T extends Record<string, object>>(table: T): Readonly<T> {
  for (const v of Object.values(table)) Object.freeze(v);
  return Object.freeze(table);
}

/**
 * The share of a limit at which a KeyUpdate starts: early enough that the
 * KeyUpdate's ACK (RFC 9147 8) comes back long before the limit itself.
 */
export const KEY_UPDATE_AT = 0.75;

/** An AEAD's limits, with any of them overridden (tests shrink them; CCM_8 deployments set their own). */
export function aeadLimits13(aead: AeadName, override?: Partial<AeadLimits13>): AeadLimits13 {
  // Without an override every protection shares the table's entry (frozen): no object per epoch.
  return override ? { ...AEAD_LIMITS_13[aead], ...override } : AEAD_LIMITS_13[aead];
}

/** Time for a KeyUpdate of ours: `sealed` records under our write key reached KEY_UPDATE_AT of its limit. */
export function sealUpdateDue(limits: AeadLimits13, sealed: number): boolean {
  return sealed >= limits.seal * KEY_UPDATE_AT;
}

/** Time to ask for the peer's KeyUpdate (update_requested): `failed` opens under its key reached KEY_UPDATE_AT of the integrity limit. */
export function openUpdateDue(limits: AeadLimits13, failed: number): boolean {
  return failed >= limits.failedOpens * KEY_UPDATE_AT;
}

/** The suite fields record protection reads (TLS 1.3 suites, RFC 8446 B.4). */
export interface RecordSuite13 {
  readonly aead: AeadName;
  readonly keyLength: number;
}

/** The per-record nonce (RFC 8446 5.3): iv XOR the 64-bit sequence number, big-endian, right-aligned. */
export function recordNonce13(iv: Uint8Array, sequenceNumber: number, out = new Uint8Array(NONCE_LENGTH)): Uint8Array {
  if (iv.length !== NONCE_LENGTH) throw new RangeError(`iv must be ${NONCE_LENGTH} bytes`);
  checkSequence(sequenceNumber);
  out.set(iv);
  const hi = Math.floor(sequenceNumber / 0x1_0000_0000);
  const lo = sequenceNumber >>> 0;
  out[4]! ^= hi >>> 24;
  out[5]! ^= (hi >>> 16) & 0xff;
  out[6]! ^= (hi >>> 8) & 0xff;
  out[7]! ^= hi & 0xff;
  out[8]! ^= lo >>> 24;
  out[9]! ^= (lo >>> 16) & 0xff;
  out[10]! ^= (lo >>> 8) & 0xff;
  out[11]! ^= lo & 0xff;
  return out;
}

function checkSequence(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`sequence number ${n} is not an integer in 0..2^53-1`);
}

/** Why a received record was dropped (counted by the caller; RFC 9147 4.5.2). */
export type DropReason13 =
  | 'short_record' // under 16 bytes: no sample for the mask (RFC 9147 4.2.3), or shorter than the tag
  | 'record_overflow' // encrypted_record over 2^14 + 256, or inner plaintext over 2^14 + 1 (RFC 8446 5.2, 5.4)
  | 'bad_header' // not a unified header, or too short for its own S and L bits
  | 'bad_record_mac' // the AEAD did not authenticate it
  | 'no_content_type' // authenticated, but all zeros: RFC 8446 5.4's unexpected_message; RFC 9147 4.5.2 lets DTLS drop it
  | 'key_exhausted'; // the integrity limit of this key was reached: nothing more is tried with it (RFC 9147 4.5.3)

export type Open13 = { ok: true; contentType: number; content: Uint8Array } | { ok: false; reason: DropReason13 };

/** Where the sequence number sits in a unified header, from its S and L bits (RFC 9147 4). */
function sequenceField(header: Uint8Array): { offset: number; bytes: 1 | 2 } | undefined {
  if (header.length < 2) return undefined;
  const first = header[0]!;
  if ((first & FIXED_MASK) !== FIXED_BITS) return undefined;
  const bytes = first & S_BIT ? 2 : 1;
  const offset = header.length - bytes - (first & L_BIT ? 2 : 0);
  if (offset < 1) return undefined;
  return { offset, bytes };
}

// AAD scratch by header length, shared by every RecordProtection13: filled and
// read within one synchronous open (the AEADs keep nothing), so opening a
// record allocates no copy of its header. Headers are 2 to 260 bytes (RFC 9147 4).
const AAD_BY_LENGTH: Uint8Array[] = [];

// Nonce scratch shared the same way (1.2's protection.ts does the same).
const NONCE = new Uint8Array(NONCE_LENGTH);

const word = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
function writeWord(b: Uint8Array, at: number, w: number): void {
  b[at] = w >>> 24;
  b[at + 1] = (w >>> 16) & 0xff;
  b[at + 2] = (w >>> 8) & 0xff;
  b[at + 3] = w & 0xff;
}

function aadScratch(header: Uint8Array): Uint8Array {
  const n = header.length;
  let a = AAD_BY_LENGTH[n];
  if (!a) AAD_BY_LENGTH[n] = a = new Uint8Array(n);
  a.set(header);
  return a;
}

export interface Protection13Options {
  /** Override the per-key limits (tests; CCM_8 deployments with their own forgery protection). */
  limits?: Partial<AeadLimits13>;
}

/**
 * Protects and unprotects DTLSCiphertext records of one epoch in one direction.
 * Counts what the AEAD limits count; a connection reads `keyUpdateDue` to start
 * a KeyUpdate before the limits are reached.
 */
export class RecordProtection13 {
  readonly aead: AeadName;
  readonly tagLength: number;
  readonly limits: AeadLimits13;
  readonly #aead: Aead;
  // The IV as three 32-bit words: numbers on the object cost less than a
  // buffer of its own (a server holds four of these per connection).
  #iv0: number;
  #iv1: number;
  #iv2: number;
  /** The mask function, or sn_key itself for the provider's recordNumberMask (no closure per epoch). */
  readonly #mask: RecordNumberMask | Uint8Array;
  readonly #crypto: CryptoProvider;
  #sealed = 0;
  #failedOpens = 0;

  /**
   * `mask`: the record number mask bound to sn_key, or sn_key itself, which
   * `crypto.recordNumberMask` is then called with (kept, not copied: a provider
   * may cache per-key state by the buffer).
   */
  constructor(
    crypto: CryptoProvider,
    suite: RecordSuite13,
    key: Uint8Array,
    iv: Uint8Array,
    mask: RecordNumberMask | Uint8Array,
    opts: Protection13Options = {},
  ) {
    if (key.length !== suite.keyLength) throw new RangeError(`${suite.aead} key must be ${suite.keyLength} bytes, got ${key.length}`);
    if (iv.length !== NONCE_LENGTH) throw new RangeError(`iv must be ${NONCE_LENGTH} bytes, got ${iv.length}`);
    this.aead = suite.aead;
    this.#aead = crypto.aead(suite.aead, key);
    this.tagLength = this.#aead.tagLength;
    this.#iv0 = word(iv, 0);
    this.#iv1 = word(iv, 4);
    this.#iv2 = word(iv, 8);
    this.#mask = mask;
    this.#crypto = crypto;
    this.limits = aeadLimits13(suite.aead, opts.limits);
  }

  /** Records sealed with this key so far. */
  get sealed(): number {
    return this.#sealed;
  }

  /** Records that failed authentication under this key so far (RFC 9147 4.5.3). */
  get failedOpens(): number {
    return this.#failedOpens;
  }

  /**
   * True from three quarters of either limit on: time to send KeyUpdate (with
   * update_requested when it is the failed opens, since those are the peer's key).
   */
  get keyUpdateDue(): boolean {
    return sealUpdateDue(this.limits, this.#sealed) || openUpdateDue(this.limits, this.#failedOpens);
  }

  /** The integrity limit was reached: RFC 9147 4.5.3 says close, or drop this key if a KeyUpdate is under way. */
  get integrityExhausted(): boolean {
    return this.#failedOpens >= this.limits.failedOpens;
  }

  /** Zero padding the sender adds so encrypted_record reaches the 16-byte sample (RFC 9147 4.2.3; CCM_8 only). */
  minimumPadding(contentLength: number): number {
    return Math.max(0, SN_SAMPLE_LENGTH - this.tagLength - 1 - contentLength);
  }

  /** encrypted_record length for a content and requested padding: the value of the header's length field. */
  sealedLength(contentLength: number, padding = 0): number {
    return contentLength + 1 + Math.max(padding, this.minimumPadding(contentLength)) + this.tagLength;
  }

  /**
   * header || encrypted_record, with the header's sequence number bytes masked.
   * `header` is the unified header with the sequence number in the clear (the
   * AAD); its low sequence bits must be those of `sequenceNumber` and, with the
   * L bit, its length must be sealedLength(content.length, padding).
   */
  seal(header: Uint8Array, sequenceNumber: number, contentType: number, content: Uint8Array, padding = 0): Uint8Array {
    this.#checkSeal(sequenceNumber);
    const sn = sequenceField(header);
    if (!sn) throw new RangeError('not a unified header (001CSLEE) with room for its sequence number');
    const low = sn.bytes === 2 ? (header[sn.offset]! << 8) | header[sn.offset + 1]! : header[sn.offset]!;
    if (low !== sequenceNumber % (sn.bytes === 2 ? 0x10000 : 0x100)) throw new RangeError(`header sequence bits ${low} are not those of ${sequenceNumber}`);
    const innerLength = this.#innerLength(contentType, content.length, padding);
    const length = innerLength + this.tagLength;
    if (header[0]! & L_BIT) {
      const stated = (header[header.length - 2]! << 8) | header[header.length - 1]!;
      if (stated !== length) throw new RangeError(`header length ${stated}, encrypted_record is ${length}`);
    }
    const out = new Uint8Array(header.length + length);
    out.set(header, 0);
    return this.#protect(out, header.length, sn.offset, sn.bytes, sequenceNumber, contentType, content, innerLength);
  }

  /**
   * The record as sent, its unified header (RFC 9147 4) written straight into
   * the record's buffer: the same bytes as seal(encodeUnifiedHeader(...)) without
   * allocating the header. `cid`: the peer's connection ID (the C bit, RFC 9147 9);
   * 16-bit sequence number and a length unless told otherwise.
   */
  sealRecord(
    epoch: number,
    sequenceNumber: number,
    contentType: number,
    content: Uint8Array,
    cid?: Uint8Array,
    sequenceBits: 8 | 16 = 16,
    omitLength = false,
    padding = 0,
  ): Uint8Array {
    this.#checkSeal(sequenceNumber);
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`epoch ${epoch} is not a non-negative integer`);
    if (sequenceBits !== 8 && sequenceBits !== 16) throw new RangeError(`sequenceBits ${String(sequenceBits)}: 8 or 16`);
    const cidLength = cid === undefined ? 0 : cid.length;
    if (cidLength > 255) throw new RangeError(`CID of ${cidLength} bytes: at most 255`);
    const innerLength = this.#innerLength(contentType, content.length, padding);
    const length = innerLength + this.tagLength;
    const seqBytes = sequenceBits === 16 ? 2 : 1;
    const snOffset = 1 + cidLength;
    const h = snOffset + seqBytes + (omitLength ? 0 : 2);
    const out = new Uint8Array(h + length);
    // 001CSLEE (RFC 9147 4), then the CID, the low sequence bits (clear for the AAD, masked below) and the length.
    out[0] = FIXED_BITS | (cidLength ? C_BIT : 0) | (seqBytes === 2 ? S_BIT : 0) | (omitLength ? 0 : L_BIT) | (epoch % 4);
    if (cidLength) out.set(cid!, 1);
    if (seqBytes === 2) {
      out[snOffset] = (sequenceNumber >>> 8) & 0xff;
      out[snOffset + 1] = sequenceNumber & 0xff;
    } else out[snOffset] = sequenceNumber & 0xff;
    if (!omitLength) {
      out[h - 2] = length >>> 8;
      out[h - 1] = length & 0xff;
    }
    return this.#protect(out, h, snOffset, seqBytes, sequenceNumber, contentType, content, innerLength);
  }

  #checkSeal(sequenceNumber: number): void {
    checkSequence(sequenceNumber);
    if (this.#sealed >= this.limits.seal)
      throw new RangeError(`${this.aead}: ${this.#sealed} records sealed, the limit of this key: update keys first (RFC 9147 4.5.3)`);
  }

  /** DTLSInnerPlaintext length: content, type and zero padding (at least the sample's minimum). */
  #innerLength(contentType: number, contentLength: number, padding: number): number {
    const pad = Math.max(padding, this.minimumPadding(contentLength));
    uint(contentType, 0xff, 'content type');
    if (contentType === 0) throw new RangeError('content type 0 cannot end an inner plaintext');
    uint(pad, MAX_INNER_PLAINTEXT, 'padding');
    const innerLength = contentLength + 1 + pad;
    if (innerLength > MAX_INNER_PLAINTEXT) throw new RangeError(`inner plaintext of ${innerLength} bytes exceeds 2^14 + 1`);
    return innerLength;
  }

  /**
   * Seals in place: `out` holds the header (sequence bits in the clear) in its
   * first `h` bytes and is zero after it, so the padding is the fresh buffer's;
   * the inner plaintext goes behind the header, is encrypted with the header as
   * AAD, and the sequence bits are masked last (RFC 9147 4.2.3).
   */
  #protect(
    out: Uint8Array,
    h: number,
    snOffset: number,
    snBytes: 1 | 2,
    sequenceNumber: number,
    contentType: number,
    content: Uint8Array,
    innerLength: number,
  ): Uint8Array {
    const nonce = this.#nonce(sequenceNumber);
    out.set(content, h);
    out[h + content.length] = contentType;
    const aead = this.#aead;
    const header = out.subarray(0, h);
    if (aead.sealInto) aead.sealInto(nonce, out.subarray(h, h + innerLength), header, out, h);
    else out.set(aead.seal(nonce, out.subarray(h, h + innerLength), header), h);
    this.#sealed++;
    const mask = this.#maskOf(out.subarray(h, h + SN_SAMPLE_LENGTH));
    out[snOffset]! ^= mask[0]!;
    if (snBytes === 2) out[snOffset + 1]! ^= mask[1]!;
    return out;
  }

  /**
   * The low 8 or 16 sequence bits of a received record, unmasked, for the
   * caller to reconstruct the full number (RFC 9147 4.2.2); undefined when the
   * record cannot carry a sample (drop it as 'short_record') or the header is
   * malformed.
   */
  unmaskSequence(header: Uint8Array, encryptedRecord: Uint8Array): number | undefined {
    const sn = sequenceField(header);
    if (!sn || encryptedRecord.length < SN_SAMPLE_LENGTH) return undefined;
    const mask = this.#maskOf(encryptedRecord.subarray(0, SN_SAMPLE_LENGTH));
    return sn.bytes === 2 ? ((header[sn.offset]! ^ mask[0]!) << 8) | (header[sn.offset + 1]! ^ mask[1]!) : header[sn.offset]! ^ mask[0]!;
  }

  /**
   * Opens a record given its header as received (sequence number still masked)
   * and the full sequence number the caller reconstructed from unmaskSequence().
   * The AAD is the header with the low bits of `sequenceNumber` put back.
   */
  open(header: Uint8Array, sequenceNumber: number, encryptedRecord: Uint8Array): Open13 {
    checkSequence(sequenceNumber);
    const sn = sequenceField(header);
    if (!sn) return { ok: false, reason: 'bad_header' };
    if (encryptedRecord.length < SN_SAMPLE_LENGTH || encryptedRecord.length < this.tagLength + 1) return { ok: false, reason: 'short_record' };
    if (encryptedRecord.length > MAX_ENCRYPTED_RECORD) return { ok: false, reason: 'record_overflow' };
    if (this.integrityExhausted) return { ok: false, reason: 'key_exhausted' };
    const aad = aadScratch(header);
    if (sn.bytes === 2) {
      aad[sn.offset] = (sequenceNumber >>> 8) & 0xff;
      aad[sn.offset + 1] = sequenceNumber & 0xff;
    } else aad[sn.offset] = sequenceNumber & 0xff;
    const inner = this.#aead.open(this.#nonce(sequenceNumber), encryptedRecord, aad);
    if (inner === null) {
      this.#failedOpens++;
      return { ok: false, reason: 'bad_record_mac' };
    }
    if (inner.length > MAX_INNER_PLAINTEXT) return { ok: false, reason: 'record_overflow' };
    const i = innerContentTypeIndex(inner);
    if (i < 0) return { ok: false, reason: 'no_content_type' };
    return { ok: true, contentType: inner[i]!, content: inner.subarray(0, i) };
  }

  #maskOf(sample: Uint8Array): Uint8Array {
    const m = this.#mask;
    return typeof m === 'function' ? m(sample) : this.#crypto.recordNumberMask(this.aead, m, sample);
  }

  /** The per-record nonce (RFC 8446 5.3) in the shared scratch, valid until the next seal or open. */
  #nonce(sequenceNumber: number): Uint8Array {
    const n = NONCE;
    const hi = Math.floor(sequenceNumber / 0x1_0000_0000);
    writeWord(n, 0, this.#iv0);
    writeWord(n, 4, this.#iv1 ^ hi);
    writeWord(n, 8, this.#iv2 ^ sequenceNumber);
    return n;
  }

  /** Zeroes the IV held here (the AEAD's key lives in the provider's object). */
  dispose(): void {
    this.#iv0 = this.#iv1 = this.#iv2 = 0;
  }
}

/**
 * One direction of one epoch from its traffic secret: derives key, iv and
 * sn_key, and binds the mask to sn_key with `makeMask` (the provider's
 * recordNumberMask, or another implementation).
 */
export function protectionFromSecret(
  crypto: CryptoProvider,
  suite: RecordSuite13,
  secret: Uint8Array,
  expandLabel: ExpandLabel,
  makeMask: (aead: AeadName, snKey: Uint8Array) => RecordNumberMask,
  opts?: Protection13Options,
): RecordProtection13 {
  // The keys are not zeroed here: a provider may cache per-key state by buffer.
  const keys = trafficKeys13(expandLabel, secret, suite.keyLength);
  return new RecordProtection13(crypto, suite, keys.key, keys.iv, makeMask(suite.aead, keys.sn), opts);
}
