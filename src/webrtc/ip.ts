// IP address text <-> bytes, for STUN address attributes (the parsing itself is
// x509's, which needs it for iPAddress names). No Node built-ins, so the WebRTC
// helpers run wherever the DTLS core does.
import { formatIp as formatIpBytes, parseIp as parseIpLiteral } from '../x509/parse.ts';

/** 4 bytes for an IPv4 address, 16 for IPv6; throws TypeError for anything else. */
export function parseIp(text: string): Uint8Array {
  const b = text.startsWith('[') ? undefined : parseIpLiteral(text);
  if (!b) throw new TypeError(`not an IP address: ${JSON.stringify(text)}`);
  return b;
}

/** Dotted quad for 4 bytes; RFC 5952 canonical text for 16. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length !== 4 && bytes.length !== 16) throw new TypeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  return formatIpBytes(bytes);
}

/** "::ffff:1.2.3.4" (an IPv4 peer seen on an IPv6 socket) as "1.2.3.4"; other text unchanged. */
export function plainIp(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m ? m[1]! : address;
}
