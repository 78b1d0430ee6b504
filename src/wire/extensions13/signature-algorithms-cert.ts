// signature_algorithms_cert (RFC 8446 4.2.3): the same SignatureSchemeList as
// signature_algorithms, for signatures in certificates:
//   struct { SignatureScheme supported_signature_algorithms<2..2^16-2>; } SignatureSchemeList;
import { Writer } from '../codec.ts';
import { decodeAll, readUintList, writeUintList } from '../vectors.ts';

export function encodeSignatureAlgorithmsCert(schemes: readonly number[]): Uint8Array {
  const w = new Writer(2 + schemes.length * 2);
  writeUintList(w, 2, 2, schemes, 'signature_algorithms_cert', 1);
  return w.finish();
}

export function decodeSignatureAlgorithmsCert(data: Uint8Array): number[] {
  return decodeAll(data, 'signature_algorithms_cert', (r) => readUintList(r, 2, 2, 'signature_algorithms_cert', 2));
}
