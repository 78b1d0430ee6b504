// use_srtp (RFC 5764 4.1.1):
//   uint8 SRTPProtectionProfile[2]; SRTPProtectionProfile SRTPProtectionProfiles<2..2^16-1>;
//   struct { SRTPProtectionProfiles SRTPProtectionProfiles; opaque srtp_mki<0..255>; } UseSRTPData;
import { Writer } from '../codec.ts';
import { decodeAll, lengthIn, readUintList, writeUintList } from '../vectors.ts';

export interface UseSrtp {
  profiles: number[];
  mki: Uint8Array;
}

export function encodeUseSrtp(v: { profiles: readonly number[]; mki: Uint8Array }): Uint8Array {
  const w = new Writer(3 + v.profiles.length * 2 + v.mki.length);
  writeUintList(w, 2, 2, v.profiles, 'use_srtp profiles', 1);
  w.vec(1, lengthIn(v.mki, 0, 255, 'srtp_mki'));
  return w.finish();
}

/** `mki` is a view into `data`. */
export function decodeUseSrtp(data: Uint8Array): UseSrtp {
  return decodeAll(data, 'use_srtp', (r) => ({
    profiles: readUintList(r, 2, 2, 'use_srtp profiles', 2),
    mki: r.vec(1, 'srtp_mki'),
  }));
}
