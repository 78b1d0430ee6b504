// AEAD record protection for DTLS 1.2 (RFC 5246 6.2.3.3, RFC 6347 4.1.2.1).
// GCM/CCM (RFC 5288, RFC 6655): nonce = fixed_iv(4) || explicit(8), the explicit
// part sent in front of the ciphertext; we use epoch||seq as the explicit part,
// which is unique per key. ChaCha20-Poly1305 (RFC 7905 2): nonce = iv(12) XOR
// (0^4 || epoch||seq), nothing explicit. AAD = epoch||seq || type || version || length.
// A tls12_cid record (RFC 9146 5) has the same nonce, its own AAD (below) and
// the real content type inside (DTLSInnerPlaintext).
import type { Aead, CryptoProvider } from '../crypto/provider.ts';
import type { CipherSuite } from '../crypto/suites.ts';
import { MAX_RECORD_FRAGMENT, RECORD_HEADER_LENGTH } from '../wire/record.ts';
import { CID12_OFFSET, cid12HeaderLength } from '../wire/cid12-record.ts';
import { ContentType } from '../wire/types.ts';

const MAX_SEQ = 2 ** 48 - 1;

// Scratch for the nonce and the AAD, shared by every RecordProtection: each is
// filled and used within one synchronous seal or open (the AEADs read them
// during the call and keep nothing), so one pair serves every connection
// instead of two small buffers held by each epoch of each connection.
const NONCE = new Uint8Array(12);
const AAD = new Uint8Array(13);
// RFC 9146 5.3: seq_num_placeholder (8 x 0xff) || tls12_cid || cid_length ||
// tls12_cid || version || epoch||seq || cid || length_of_DTLSInnerPlaintext.
const CID_AAD_FIXED = 23;
const CID_AAD = new Uint8Array(CID_AAD_FIXED + 255);
/** RFC 9146 4: the serialized DTLSInnerPlaintext MUST NOT exceed 2^14 bytes. */
export const MAX_CID_INNER_PLAINTEXT = 2 ** 14;

export class RecordProtection {
  readonly #aead: Aead;
  // The fixed IV as three 32-bit words (GCM/CCM use the first only): numbers
  // on the object rather than a buffer of their own, which would cost more.
  readonly #iv0: number;
  readonly #iv1: number;
  readonly #iv2: number;
  readonly #explicit: number;
  readonly overhead: number;

  constructor(crypto: CryptoProvider, suite: CipherSuite, key: Uint8Array, iv: Uint8Array) {
    this.#aead = crypto.aead(suite.aead, key);
    this.#explicit = suite.recordIvLength;
    if (iv.length !== (this.#explicit ? 4 : 12)) throw new RangeError(`${suite.aead} needs a ${this.#explicit ? 4 : 12}-byte fixed IV, got ${iv.length}`);
    const word = (at: number) => (at < iv.length ? (iv[at]! << 24) | (iv[at + 1]! << 16) | (iv[at + 2]! << 8) | iv[at + 3]! : 0);
    this.#iv0 = word(0);
    this.#iv1 = word(4);
    this.#iv2 = word(8);
    this.overhead = suite.recordIvLength + this.#aead.tagLength;
  }

  #setSeq(out: Uint8Array, at: number, epoch: number, seq: number): void {
    out[at] = epoch >>> 8;
    out[at + 1] = epoch & 0xff;
    const hi = Math.floor(seq / 0x1_0000_0000);
    out[at + 2] = hi >>> 8;
    out[at + 3] = hi & 0xff;
    out[at + 4] = seq >>> 24;
    out[at + 5] = (seq >>> 16) & 0xff;
    out[at + 6] = (seq >>> 8) & 0xff;
    out[at + 7] = seq & 0xff;
  }

  #prepare(epoch: number, seq: number, type: number, version: number, length: number): void {
    const n = NONCE;
    const a = AAD;
    this.#setSeq(a, 0, epoch, seq);
    const w0 = this.#iv0;
    n[0] = w0 >>> 24;
    n[1] = (w0 >>> 16) & 0xff;
    n[2] = (w0 >>> 8) & 0xff;
    n[3] = w0 & 0xff;
    if (this.#explicit) {
      for (let i = 0; i < 8; i++) n[4 + i] = a[i]!;
    } else {
      const w1 = this.#iv1;
      const w2 = this.#iv2;
      n[4] = (w1 >>> 24) ^ a[0]!;
      n[5] = ((w1 >>> 16) & 0xff) ^ a[1]!;
      n[6] = ((w1 >>> 8) & 0xff) ^ a[2]!;
      n[7] = (w1 & 0xff) ^ a[3]!;
      n[8] = (w2 >>> 24) ^ a[4]!;
      n[9] = ((w2 >>> 16) & 0xff) ^ a[5]!;
      n[10] = ((w2 >>> 8) & 0xff) ^ a[6]!;
      n[11] = (w2 & 0xff) ^ a[7]!;
    }
    a[8] = type;
    a[9] = version >>> 8;
    a[10] = version & 0xff;
    a[11] = length >>> 8;
    a[12] = length & 0xff;
  }

  /** The protected fragment: explicit nonce || ciphertext || tag, sealed in place when the AEAD can. */
  seal(epoch: number, seq: number, type: number, version: number, plaintext: Uint8Array): Uint8Array {
    return this.#sealAt(0, epoch, seq, type, version, plaintext);
  }

  /**
   * The whole record, header included (RFC 6347 4.1), in one buffer: the
   * fragment is sealed straight behind the header instead of being copied there.
   */
  sealRecord(epoch: number, seq: number, type: number, version: number, plaintext: Uint8Array): Uint8Array {
    // What encodeRecordHeader checks (RFC 6347 4.1 field sizes), checked before any work.
    if (plaintext.length + this.overhead > MAX_RECORD_FRAGMENT || !(epoch >= 0 && epoch <= 0xffff) || !(seq >= 0 && seq <= MAX_SEQ))
      throw new RangeError('record length, epoch or sequence number out of range');
    const out = this.#sealAt(RECORD_HEADER_LENGTH, epoch, seq, type, version, plaintext);
    // The header is the AAD's fields in another order: type, version, epoch||seq, length.
    const length = out.length - RECORD_HEADER_LENGTH;
    out[0] = type;
    out[1] = version >>> 8;
    out[2] = version & 0xff;
    out.set(AAD.subarray(0, 8), 3);
    out[11] = length >>> 8;
    out[12] = length & 0xff;
    return out;
  }

  // Seals into a new buffer with `at` bytes free in front.
  #sealAt(at: number, epoch: number, seq: number, type: number, version: number, plaintext: Uint8Array): Uint8Array {
    this.#prepare(epoch, seq, type, version, plaintext.length);
    return this.#sealPrepared(at, plaintext, AAD);
  }

  // Seals under the nonce #prepare left, with `aad`.
  #sealPrepared(at: number, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const aead = this.#aead;
    // Without sealInto, the AEAD's own output decides the length (a provider may wrap seal()).
    const sealed = aead.sealInto ? undefined : aead.seal(NONCE, plaintext, aad);
    const out = new Uint8Array(at + this.#explicit + (sealed ? sealed.length : plaintext.length + aead.tagLength));
    if (this.#explicit) out.set(NONCE.subarray(4), at);
    if (sealed) out.set(sealed, at + this.#explicit);
    else aead.sealInto!(NONCE, plaintext, aad, out, at + this.#explicit);
    return out;
  }

  // The nonce (as for any record) and the RFC 9146 5.3 AAD of a tls12_cid record; AAD[0..8] keeps epoch||seq.
  #prepareCid(epoch: number, seq: number, version: number, cid: Uint8Array, innerLength: number): Uint8Array {
    this.#prepare(epoch, seq, ContentType.tls12_cid, version, innerLength);
    const a = CID_AAD;
    a.fill(0xff, 0, 8);
    a[8] = ContentType.tls12_cid;
    a[9] = cid.length;
    a[10] = ContentType.tls12_cid;
    a[11] = version >>> 8;
    a[12] = version & 0xff;
    a.set(AAD.subarray(0, 8), 13);
    a.set(cid, 21);
    const end = 21 + cid.length;
    a[end] = innerLength >>> 8;
    a[end + 1] = innerLength & 0xff;
    return a.subarray(0, end + 2);
  }

  /**
   * A whole tls12_cid record (RFC 9146 4, 5): header with the peer's `cid`,
   * and DTLSInnerPlaintext (content, real type, `padding` zeros) sealed behind it.
   */
  sealCid(epoch: number, seq: number, type: number, version: number, content: Uint8Array, cid: Uint8Array, padding = 0): Uint8Array {
    const innerLength = content.length + 1 + padding;
    if (innerLength > MAX_CID_INNER_PLAINTEXT)
      throw new RangeError(
        `a record with a DTLS 1.2 connection ID carries at most ${MAX_CID_INNER_PLAINTEXT - 1 - padding} bytes, not ${content.length} (RFC 9146 4)`,
      );
    if (!(epoch >= 0 && epoch <= 0xffff) || !(seq >= 0 && seq <= MAX_SEQ) || cid.length < 1 || cid.length > 255 || !(type > 0 && type <= 0xff))
      throw new RangeError('record epoch, sequence number, content type or connection ID out of range');
    const inner = new Uint8Array(innerLength);
    inner.set(content);
    inner[content.length] = type;
    const aad = this.#prepareCid(epoch, seq, version, cid, innerLength);
    const h = cid12HeaderLength(cid.length);
    const out = this.#sealPrepared(h, inner, aad);
    const length = out.length - h;
    out[0] = ContentType.tls12_cid;
    out[1] = version >>> 8;
    out[2] = version & 0xff;
    out.set(AAD.subarray(0, 8), 3);
    out.set(cid, CID12_OFFSET);
    out[h - 2] = length >>> 8;
    out[h - 1] = length & 0xff;
    return out;
  }

  /** The DTLSInnerPlaintext of a tls12_cid record (padding and type still on), or null when it does not authenticate. */
  openCid(epoch: number, seq: number, version: number, cid: Uint8Array, fragment: Uint8Array): Uint8Array | null {
    const innerLength = fragment.length - this.overhead;
    if (innerLength < 1) return null;
    const aad = this.#prepareCid(epoch, seq, version, cid, innerLength);
    if (this.#explicit) NONCE.set(fragment.subarray(0, this.#explicit), 4);
    return this.#aead.open(NONCE, fragment.subarray(this.#explicit), aad);
  }

  /** The plaintext, or null when the record does not authenticate. */
  open(epoch: number, seq: number, type: number, version: number, fragment: Uint8Array): Uint8Array | null {
    const plainLength = fragment.length - this.overhead;
    if (plainLength < 0) return null;
    this.#prepare(epoch, seq, type, version, plainLength);
    // The explicit nonce is whatever the sender put there (RFC 5288 3).
    if (this.#explicit) NONCE.set(fragment.subarray(0, this.#explicit), 4);
    return this.#aead.open(NONCE, fragment.subarray(this.#explicit), AAD);
  }
}
