// server_name (RFC 6066 3):
//   struct { NameType name_type; select (name_type) { case host_name: HostName; } name; } ServerName;
//   opaque HostName<1..2^16-1>;  struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
import { DecodeError, Writer, fromUtf8, utf8 } from '../codec.ts';
import { decodeAll } from '../vectors.ts';

const HOST_NAME = 0;
// RFC 6066 3: ASCII, no trailing dot. We also refuse controls, space and DEL.
const isHostByte = (b: number): boolean => b > 0x20 && b < 0x7f;

/** A ServerNameList holding one host_name. Literal IP addresses are not permitted (caller's check). */
export function encodeServerName(host: string): Uint8Array {
  const name = utf8(host);
  if (name.length === 0 || name.length > 0xffff - 3 || !name.every(isHostByte) || host.endsWith('.')) {
    throw new RangeError(`invalid SNI host name: ${JSON.stringify(host)}`);
  }
  return new Writer(name.length + 5).prefixed(2, (w) => w.u8(HOST_NAME).vec(2, name)).finish();
}

/**
 * The host_name entry, or undefined for the empty extension_data a server
 * echoes (RFC 6066 3) or a list without host_name. Each name_type may appear
 * once; every entry is assumed to carry an opaque<1..2^16-1>.
 */
export function decodeServerName(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  return decodeAll(data, 'server_name', (r) => {
    const list = r.sub(2, 'server_name_list', 1);
    const seen = new Set<number>();
    let host: string | undefined;
    while (!list.done) {
      const type = list.u8('name_type');
      const name = list.vec(2, 'server name', 1);
      if (seen.has(type)) throw new DecodeError(`server_name: duplicate name_type ${type}`);
      seen.add(type);
      if (type !== HOST_NAME) continue;
      if (!name.every(isHostByte) || name[name.length - 1] === 0x2e) throw new DecodeError('server_name: invalid host_name');
      host = fromUtf8(name);
    }
    return host;
  });
}
