// ClientHello (RFC 6347 4.2.1, RFC 5246 7.4.1.2):
//   struct { ProtocolVersion client_version; Random random; SessionID session_id<0..32>;
//            opaque cookie<0..2^8-1>; CipherSuite cipher_suites<2..2^16-2>;
//            CompressionMethod compression_methods<1..2^8-1>;
//            select (extensions_present) { case true: Extension extensions<0..2^16-1>; }; } ClientHello;
import { Writer } from '../codec.ts';
import { decodeExtensions, writeExtensions } from '../extensions/index.ts';
import type { Extension } from '../types.ts';
import { decodeAll, lengthIn, readUintList, uint, writeUintList } from '../vectors.ts';

export interface ClientHello {
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cookie: Uint8Array;
  cipherSuites: number[];
  compressionMethods: number[];
  extensions: Extension[];
}

/** An empty `extensions` list is omitted from the wire entirely. */
export function encodeClientHello(m: ClientHello): Uint8Array {
  const w = new Writer(512);
  w.u16(uint(m.version, 0xffff, 'client_version'))
    .bytes(lengthIn(m.random, 32, 32, 'random'))
    .vec(1, lengthIn(m.sessionId, 0, 32, 'session_id'))
    .vec(1, lengthIn(m.cookie, 0, 255, 'cookie'));
  writeUintList(w, 2, 2, m.cipherSuites, 'cipher_suites', 1);
  writeUintList(w, 1, 1, m.compressionMethods, 'compression_methods', 1);
  if (m.extensions.length > 0) writeExtensions(w, m.extensions);
  return w.finish();
}

/** Byte fields are views into `body`; absent extensions decode as []. */
export function decodeClientHello(body: Uint8Array): ClientHello {
  return decodeAll(body, 'ClientHello', (r) => ({
    version: r.u16('client_version'),
    random: r.bytes(32, 'random'),
    sessionId: r.vec(1, 'session_id', 0, 32),
    cookie: r.vec(1, 'cookie'),
    cipherSuites: readUintList(r, 2, 2, 'cipher_suites', 2),
    compressionMethods: readUintList(r, 1, 1, 'compression_methods', 1),
    extensions: r.done ? [] : decodeExtensions(r),
  }));
}
