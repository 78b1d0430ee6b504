// DTLSInnerPlaintext (RFC 9147 4, RFC 8446 5.2):
//   struct { opaque content[length]; ContentType type; uint8 zeros[length_of_padding]; } DTLSInnerPlaintext;
// The true content type follows the content; zero padding hides the length.
import { DtlsError } from '../errors.ts';
import { uint } from './vectors.ts';

export interface InnerPlaintext {
  contentType: number;
  /** A view into the decrypted record. */
  content: Uint8Array;
}

/** The most an inner plaintext may hold: 2^14 bytes of content and padding, plus the type (RFC 8446 5.4). */
export const MAX_INNER_PLAINTEXT = 2 ** 14 + 1;

/** content || type || `padding` zero bytes. */
export function encodeInnerPlaintext(contentType: number, content: Uint8Array, padding = 0): Uint8Array {
  uint(contentType, 0xff, 'content type');
  if (contentType === 0) throw new RangeError('content type 0 cannot end an inner plaintext');
  uint(padding, MAX_INNER_PLAINTEXT, 'padding');
  const length = content.length + 1 + padding;
  if (length > MAX_INNER_PLAINTEXT) throw new RangeError(`inner plaintext of ${length} bytes exceeds 2^14 + 1`);
  const out = new Uint8Array(length);
  out.set(content);
  out[content.length] = contentType;
  return out;
}

/**
 * Strips the padding: the last non-zero byte is the content type. All zeros is
 * an unexpected_message (RFC 8446 5.4).
 */
export function decodeInnerPlaintext(plaintext: Uint8Array): InnerPlaintext {
  const i = innerContentTypeIndex(plaintext);
  if (i < 0) throw new DtlsError('unexpected_message', 'DTLSInnerPlaintext: no non-zero content type (all padding)');
  return { contentType: plaintext[i]!, content: plaintext.subarray(0, i) };
}

/** Where the content type sits: the last non-zero byte, or -1 when every byte is padding. */
export function innerContentTypeIndex(plaintext: Uint8Array): number {
  let i = plaintext.length - 1;
  while (i >= 0 && plaintext[i] === 0) i--;
  return i;
}
