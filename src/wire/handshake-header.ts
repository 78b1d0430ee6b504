// DTLS handshake message header (RFC 6347 4.2.2):
//   struct { HandshakeType msg_type; uint24 length; uint16 message_seq;
//            uint24 fragment_offset; uint24 fragment_length; body } Handshake;
import { DecodeError, Reader, Writer } from './codec.ts';
import type { HandshakeFragment, HandshakeMessage } from './types.ts';
import { uint } from './vectors.ts';

export const HANDSHAKE_HEADER_LENGTH = 12;
const U24 = 0xffffff;

export function encodeHandshakeFragment(f: HandshakeFragment): Uint8Array {
  uint(f.length, U24, 'handshake length');
  uint(f.fragmentOffset, U24, 'fragment offset');
  if (f.fragmentOffset + f.body.length > f.length) throw new RangeError('handshake fragment runs past the message length');
  const w = new Writer(HANDSHAKE_HEADER_LENGTH + f.body.length);
  w.u8(uint(f.msgType, 0xff, 'msg_type'))
    .u24(f.length)
    .u16(uint(f.messageSeq, 0xffff, 'message_seq'))
    .u24(f.fragmentOffset)
    .vec(3, f.body);
  return w.finish();
}

/** The unfragmented form; also what goes into the transcript hash (RFC 6347 4.2.6). */
export function encodeHandshakeMessage(m: HandshakeMessage): Uint8Array {
  return encodeHandshakeFragment({ msgType: m.msgType, length: m.body.length, messageSeq: m.messageSeq, fragmentOffset: 0, body: m.body });
}

/** All fragments in one handshake record, back to back; bodies are views. An empty record is malformed. */
export function decodeHandshakeFragments(recordFragment: Uint8Array): HandshakeFragment[] {
  if (recordFragment.length === 0) throw new DecodeError('empty handshake record');
  const r = new Reader(recordFragment);
  const out: HandshakeFragment[] = [];
  while (!r.done) {
    const msgType = r.u8('msg_type');
    const length = r.u24('handshake length');
    const messageSeq = r.u16('message_seq');
    const fragmentOffset = r.u24('fragment_offset');
    const body = r.vec(3, 'handshake fragment');
    if (fragmentOffset + body.length > length) {
      throw new DecodeError(`handshake fragment ${fragmentOffset}+${body.length} exceeds length ${length}`);
    }
    out.push({ msgType, length, messageSeq, fragmentOffset, body });
  }
  return out;
}
