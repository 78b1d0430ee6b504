// The DTLS 1.3 transcript holds TLS 1.3-style handshake messages: msg_type,
// uint24 length, body, without message_seq and the fragment fields
// (RFC 9147 5.2). After a HelloRetryRequest the first ClientHello is replaced
// by a synthetic message_hash message (RFC 8446 4.4.1).
import { HandshakeType } from '../types.ts';
import { uint } from '../vectors.ts';

export const TRANSCRIPT_HEADER_LENGTH = 4;

/** msg_type || uint24 length || body: the bytes a transcript hash takes in. */
export function encodeTranscriptMessage(msgType: number, body: Uint8Array): Uint8Array {
  uint(msgType, 0xff, 'msg_type');
  uint(body.length, 0xffffff, 'handshake length');
  const out = new Uint8Array(TRANSCRIPT_HEADER_LENGTH + body.length);
  out[0] = msgType;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, TRANSCRIPT_HEADER_LENGTH);
  return out;
}

/** message_hash(254) carrying Hash(ClientHello1), which stands for ClientHello1 after an HRR. */
export function encodeMessageHash(clientHello1Hash: Uint8Array): Uint8Array {
  return encodeTranscriptMessage(HandshakeType.message_hash, clientHello1Hash);
}
