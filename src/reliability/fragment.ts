// Splitting an outgoing handshake message into fragments (RFC 6347 4.2.3).
import type { HandshakeFragment, HandshakeMessage } from '../wire/types.ts';

/**
 * Splits `m` into fragments whose bodies hold at most `maxFragmentBody` bytes,
 * in offset order. An empty body still gives one fragment (offset 0, length 0).
 * Bodies are views into `m.body`, not copies.
 */
export function fragmentMessage(m: HandshakeMessage, maxFragmentBody: number): HandshakeFragment[] {
  if (!Number.isInteger(maxFragmentBody) || maxFragmentBody < 1) {
    throw new RangeError(`maxFragmentBody must be a positive integer, got ${maxFragmentBody}`);
  }
  const length = m.body.length;
  const out: HandshakeFragment[] = [];
  let offset = 0;
  do {
    const n = Math.min(maxFragmentBody, length - offset);
    out.push({
      msgType: m.msgType,
      length,
      messageSeq: m.messageSeq,
      fragmentOffset: offset,
      body: m.body.subarray(offset, offset + n),
    });
    offset += n;
  } while (offset < length);
  return out;
}
