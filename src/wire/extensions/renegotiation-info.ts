// renegotiation_info (RFC 5746 3.2):
//   struct { opaque renegotiated_connection<0..255>; } RenegotiationInfo;
// Empty on an initial handshake; this library never renegotiates.
import { Writer } from '../codec.ts';
import { decodeAll, lengthIn } from '../vectors.ts';

export function encodeRenegotiationInfo(renegotiatedConnection: Uint8Array = new Uint8Array(0)): Uint8Array {
  return new Writer(1 + renegotiatedConnection.length).vec(1, lengthIn(renegotiatedConnection, 0, 255, 'renegotiated_connection')).finish();
}

/** The renegotiated_connection bytes (a view into `data`). */
export function decodeRenegotiationInfo(data: Uint8Array): Uint8Array {
  return decodeAll(data, 'renegotiation_info', (r) => r.vec(1, 'renegotiated_connection'));
}
