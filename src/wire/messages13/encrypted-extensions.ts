// EncryptedExtensions (RFC 8446 4.3.1):
//   struct { Extension extensions<0..2^16-1>; } EncryptedExtensions;
import { decodeExtensions, encodeExtensions } from '../extensions/index.ts';
import type { Extension } from '../types.ts';
import { decodeAll } from '../vectors.ts';

export interface EncryptedExtensions {
  extensions: Extension[];
}

export function encodeEncryptedExtensions(m: EncryptedExtensions): Uint8Array {
  return encodeExtensions(m.extensions);
}

/** Unknown extensions kept; `data` are views into `body`. */
export function decodeEncryptedExtensions(body: Uint8Array): EncryptedExtensions {
  return decodeAll(body, 'EncryptedExtensions', (r) => ({ extensions: decodeExtensions(r) }));
}
