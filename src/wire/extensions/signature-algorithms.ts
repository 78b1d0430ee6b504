// signature_algorithms (RFC 5246 7.4.1.4.1):
//   SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
// Each entry is a u16 (hash, signature) pair, read as a SignatureScheme.
import { Writer } from '../codec.ts';
import { decodeAll, readUintList, writeUintList } from '../vectors.ts';

export function encodeSignatureAlgorithms(schemes: readonly number[]): Uint8Array {
  const w = new Writer(2 + schemes.length * 2);
  writeUintList(w, 2, 2, schemes, 'signature_algorithms', 1);
  return w.finish();
}

export function decodeSignatureAlgorithms(data: Uint8Array): number[] {
  return decodeAll(data, 'signature_algorithms', (r) => readUintList(r, 2, 2, 'signature_algorithms', 2));
}
