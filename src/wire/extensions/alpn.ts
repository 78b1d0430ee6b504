// application_layer_protocol_negotiation (RFC 7301 3.1):
//   opaque ProtocolName<1..2^8-1>;
//   struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList;
import { Writer, utf8 } from '../codec.ts';
import { decodeAll } from '../vectors.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Names are UTF-8 encoded; each must be 1..255 bytes. */
export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  if (protocols.length === 0) throw new RangeError('alpn: empty protocol list');
  const w = new Writer();
  w.prefixed(2, (w) => {
    for (const p of protocols) {
      const b = utf8(p);
      if (b.length < 1 || b.length > 255 || strictUtf8.decode(b) !== p) {
        throw new RangeError(`alpn: invalid protocol name ${JSON.stringify(p)}`);
      }
      w.vec(1, b);
    }
  });
  return w.finish();
}

/**
 * The protocol names in order; an empty name or list is a DecodeError.
 * Names that are not valid UTF-8 (e.g. some GREASE values, RFC 8701) are
 * legal but cannot match a string, so they are skipped (result may be []).
 */
export function decodeAlpn(data: Uint8Array): string[] {
  return decodeAll(data, 'alpn', (r) => {
    const list = r.sub(2, 'protocol_name_list', 2);
    const out: string[] = [];
    while (!list.done) {
      const name = list.vec(1, 'protocol name', 1);
      let s: string;
      try {
        s = strictUtf8.decode(name);
      } catch {
        continue;
      }
      out.push(s);
    }
    return out;
  });
}
