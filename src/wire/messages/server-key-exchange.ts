// ServerKeyExchange, ECDHE (RFC 4492 5.4 with RFC 5246 7.4.3 / 4.7 digitally-signed):
//   struct { ECCurveType curve_type (named_curve = 3); NamedCurve namedcurve; } ECParameters;
//   struct { ECParameters curve_params; ECPoint public; } ServerECDHParams;  opaque point<1..2^8-1>;
//   struct { ServerECDHParams params; digitally-signed struct { SignatureAndHashAlgorithm algorithm;
//            opaque signature<0..2^16-1>; } signed_params; } ServerKeyExchange;
import { DecodeError, Writer } from '../codec.ts';
import { decodeAll, lengthIn, uint } from '../vectors.ts';

export const NAMED_CURVE = 3;

export interface ServerKeyExchange {
  curveType: 3;
  namedGroup: number;
  publicKey: Uint8Array;
  signatureScheme: number;
  signature: Uint8Array;
}

function writeParams(w: Writer, namedGroup: number, publicKey: Uint8Array): void {
  w.u8(NAMED_CURVE)
    .u16(uint(namedGroup, 0xffff, 'namedcurve'))
    .vec(1, lengthIn(publicKey, 1, 255, 'ECPoint'));
}

/** Exactly the ServerECDHParams bytes, which are signed after client_random + server_random. */
export function encodeEcdheParams(namedGroup: number, publicKey: Uint8Array): Uint8Array {
  const w = new Writer(4 + publicKey.length);
  writeParams(w, namedGroup, publicKey);
  return w.finish();
}

export function encodeServerKeyExchange(m: ServerKeyExchange): Uint8Array {
  if (m.curveType !== NAMED_CURVE) throw new RangeError(`curve_type ${m.curveType}: only named_curve (3)`);
  const w = new Writer(8 + m.publicKey.length + m.signature.length);
  writeParams(w, m.namedGroup, m.publicKey);
  w.u16(uint(m.signatureScheme, 0xffff, 'signature algorithm')).vec(2, m.signature);
  return w.finish();
}

/** Only named_curve params are accepted; byte fields are views into `body`. */
export function decodeServerKeyExchange(body: Uint8Array): ServerKeyExchange {
  return decodeAll(body, 'ServerKeyExchange', (r) => {
    const curveType = r.u8('curve_type');
    if (curveType !== NAMED_CURVE) throw new DecodeError(`ServerKeyExchange: curve_type ${curveType} is not named_curve`);
    return {
      curveType: NAMED_CURVE,
      namedGroup: r.u16('namedcurve'),
      publicKey: r.vec(1, 'ECPoint', 1),
      signatureScheme: r.u16('signature algorithm'),
      signature: r.vec(2, 'signature'),
    };
  });
}
