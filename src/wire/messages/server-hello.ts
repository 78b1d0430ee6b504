// ServerHello (RFC 5246 7.4.1.3):
//   struct { ProtocolVersion server_version; Random random; SessionID session_id<0..32>;
//            CipherSuite cipher_suite; CompressionMethod compression_method;
//            select (extensions_present) { case true: Extension extensions<0..2^16-1>; }; } ServerHello;
import { Writer } from '../codec.ts';
import { decodeExtensions, writeExtensions } from '../extensions/index.ts';
import type { Extension } from '../types.ts';
import { decodeAll, lengthIn, uint } from '../vectors.ts';

export interface ServerHello {
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions: Extension[];
}

/** An empty `extensions` list is omitted from the wire entirely. */
export function encodeServerHello(m: ServerHello): Uint8Array {
  const w = new Writer(256);
  w.u16(uint(m.version, 0xffff, 'server_version'))
    .bytes(lengthIn(m.random, 32, 32, 'random'))
    .vec(1, lengthIn(m.sessionId, 0, 32, 'session_id'))
    .u16(uint(m.cipherSuite, 0xffff, 'cipher_suite'))
    .u8(uint(m.compressionMethod, 0xff, 'compression_method'));
  if (m.extensions.length > 0) writeExtensions(w, m.extensions);
  return w.finish();
}

/** Byte fields are views into `body`; absent extensions decode as []. */
export function decodeServerHello(body: Uint8Array): ServerHello {
  return decodeAll(body, 'ServerHello', (r) => ({
    version: r.u16('server_version'),
    random: r.bytes(32, 'random'),
    sessionId: r.vec(1, 'session_id', 0, 32),
    cipherSuite: r.u16('cipher_suite'),
    compressionMethod: r.u8('compression_method'),
    extensions: r.done ? [] : decodeExtensions(r),
  }));
}
