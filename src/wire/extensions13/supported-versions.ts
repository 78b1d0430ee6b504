// supported_versions (RFC 8446 4.2.1):
//   struct { select (Handshake.msg_type) {
//     case client_hello: ProtocolVersion versions<2..254>;
//     case server_hello: /* and HelloRetryRequest */ ProtocolVersion selected_version; }; } SupportedVersions;
// DTLS uses 0xfefc for 1.3, 0xfefd for 1.2 (RFC 9147 5.3).
import { DecodeError, Writer } from '../codec.ts';
import { decodeAll, readUintList, uint, writeUintList } from '../vectors.ts';

/** The client's versions, most preferred first; unknown (e.g. GREASE) values kept. */
export function encodeSupportedVersionsClient(versions: readonly number[]): Uint8Array {
  if (versions.length > 127) throw new RangeError(`supported_versions: ${versions.length} versions, at most 127`);
  const w = new Writer(1 + versions.length * 2);
  writeUintList(w, 1, 2, versions, 'supported_versions', 1);
  return w.finish();
}

export function decodeSupportedVersionsClient(data: Uint8Array): number[] {
  return decodeAll(data, 'supported_versions', (r) => readUintList(r, 1, 2, 'supported_versions', 2, 254));
}

export function encodeSupportedVersionsServer(selected: number): Uint8Array {
  return new Writer(2).u16(uint(selected, 0xffff, 'selected_version')).finish();
}

export function decodeSupportedVersionsServer(data: Uint8Array): number {
  if (data.length !== 2) throw new DecodeError(`supported_versions (server): ${data.length} bytes, expected 2`);
  return (data[0]! << 8) | data[1]!;
}
