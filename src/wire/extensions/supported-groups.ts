// supported_groups (RFC 4492 5.1.1, RFC 8422 5.1.1):
//   struct { NamedCurve named_curve_list<2..2^16-1> } NamedCurveList;
import { Writer } from '../codec.ts';
import { decodeAll, readUintList, writeUintList } from '../vectors.ts';

export function encodeSupportedGroups(groups: readonly number[]): Uint8Array {
  const w = new Writer(2 + groups.length * 2);
  writeUintList(w, 2, 2, groups, 'supported_groups', 1);
  return w.finish();
}

export function decodeSupportedGroups(data: Uint8Array): number[] {
  return decodeAll(data, 'supported_groups', (r) => readUintList(r, 2, 2, 'supported_groups', 2));
}
