// psk_key_exchange_modes (RFC 8446 4.2.9):
//   enum { psk_ke(0), psk_dhe_ke(1), (255) } PskKeyExchangeMode;
//   struct { PskKeyExchangeMode ke_modes<1..255>; } PskKeyExchangeModes;
import { Writer } from '../codec.ts';
import { decodeAll, readUintList, writeUintList } from '../vectors.ts';

export const PskKeyExchangeMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;

export function encodePskKeyExchangeModes(modes: readonly number[]): Uint8Array {
  if (modes.length > 255) throw new RangeError('psk_key_exchange_modes: at most 255 modes');
  const w = new Writer(1 + modes.length);
  writeUintList(w, 1, 1, modes, 'psk_key_exchange_modes', 1);
  return w.finish();
}

/** The modes in order; unknown values kept (the server ignores them). */
export function decodePskKeyExchangeModes(data: Uint8Array): number[] {
  return decodeAll(data, 'psk_key_exchange_modes', (r) => readUintList(r, 1, 1, 'psk_key_exchange_modes', 1));
}
