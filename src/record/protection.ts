// AEAD record protection for DTLS 1.2 (RFC 5246 6.2.3.3, RFC 6347 4.1.2.1).
// GCM/CCM (RFC 5288, RFC 6655): nonce = fixed_iv(4) || explicit(8), the explicit
// part sent in front of the ciphertext; we use epoch||seq as the explicit part,
// which is unique per key. ChaCha20-Poly1305 (RFC 7905 2): nonce = iv(12) XOR
// (0^4 || epoch||seq), nothing explicit. AAD = epoch||seq || type || version || length.
import type { Aead, CryptoProvider } from '../crypto/provider.ts';
import type { CipherSuite } from '../crypto/suites.ts';
import { MAX_RECORD_FRAGMENT, RECORD_HEADER_LENGTH } from '../wire/record.ts';

const MAX_SEQ = 2 ** 48 - 1;

export class RecordProtection {
  readonly #aead: Aead;
  readonly #iv: Uint8Array;
  readonly #explicit: number;
  readonly #nonce: Uint8Array;
  readonly #aad = new Uint8Array(13);
  readonly overhead: number;

  constructor(crypto: CryptoProvider, suite: CipherSuite, key: Uint8Array, iv: Uint8Array) {
    this.#aead = crypto.aead(suite.aead, key);
    this.#iv = iv.slice();
    this.#explicit = suite.recordIvLength;
    this.#nonce = new Uint8Array(12);
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
    const n = this.#nonce;
    const a = this.#aad;
    this.#setSeq(a, 0, epoch, seq);
    if (this.#explicit) {
      n.set(this.#iv.subarray(0, 4), 0);
      n.set(a.subarray(0, 8), 4);
    } else {
      n.set(this.#iv);
      for (let i = 0; i < 8; i++) n[4 + i]! ^= a[i]!;
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
    out.set(this.#aad.subarray(0, 8), 3);
    out[11] = length >>> 8;
    out[12] = length & 0xff;
    return out;
  }

  // Seals into a new buffer with `at` bytes free in front.
  #sealAt(at: number, epoch: number, seq: number, type: number, version: number, plaintext: Uint8Array): Uint8Array {
    this.#prepare(epoch, seq, type, version, plaintext.length);
    const aead = this.#aead;
    // Without sealInto, the AEAD's own output decides the length (a provider may wrap seal()).
    const sealed = aead.sealInto ? undefined : aead.seal(this.#nonce, plaintext, this.#aad);
    const out = new Uint8Array(at + this.#explicit + (sealed ? sealed.length : plaintext.length + aead.tagLength));
    if (this.#explicit) out.set(this.#nonce.subarray(4), at);
    if (sealed) out.set(sealed, at + this.#explicit);
    else aead.sealInto!(this.#nonce, plaintext, this.#aad, out, at + this.#explicit);
    return out;
  }

  /** The plaintext, or null when the record does not authenticate. */
  open(epoch: number, seq: number, type: number, version: number, fragment: Uint8Array): Uint8Array | null {
    const plainLength = fragment.length - this.overhead;
    if (plainLength < 0) return null;
    this.#prepare(epoch, seq, type, version, plainLength);
    // The explicit nonce is whatever the sender put there (RFC 5288 3).
    if (this.#explicit) this.#nonce.set(fragment.subarray(0, this.#explicit), 4);
    return this.#aead.open(this.#nonce, fragment.subarray(this.#explicit), this.#aad);
  }
}
