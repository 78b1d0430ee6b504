// ec_point_formats (RFC 4492 5.1.2):
//   struct { ECPointFormat ec_point_format_list<1..2^8-1> } ECPointFormatList;
import { Writer } from '../codec.ts';
import { decodeAll, readUintList, writeUintList } from '../vectors.ts';

export const ECPointFormat = { uncompressed: 0 } as const;

export function encodeEcPointFormats(formats: readonly number[]): Uint8Array {
  const w = new Writer(1 + formats.length);
  writeUintList(w, 1, 1, formats, 'ec_point_formats', 1);
  return w.finish();
}

export function decodeEcPointFormats(data: Uint8Array): number[] {
  return decodeAll(data, 'ec_point_formats', (r) => readUintList(r, 1, 1, 'ec_point_formats', 1));
}
