// WebTransport datagrams need no adapter: `transport.datagrams` already is a
// { readable, writable } of Uint8Array, one datagram per chunk, which is what
// connect() takes. The one thing to mind is size: a datagram larger than
// `datagrams.maxDatagramSize` is silently dropped by the browser, so DTLS's
// `mtu` must not exceed it. webTransportDuplex() does both: it picks the
// writable (the newer `createWritable()` where the browser has it) and reports
// an mtu that fits.
//
//   const transport = new WebTransport('https://relay.example:4433/dtls');
//   await transport.ready;
//   // As it is:
//   const dtls = await connect(transport.datagrams, { mtu: transport.datagrams.maxDatagramSize, verify });
//   // Or with the helper:
//   const { duplex, mtu } = webTransportDuplex(transport);
//   const dtls = await connect(duplex, { mtu, verify });
//
// The server side of the WebTransport session is not in the library:
// examples/webtransport-relay is one (Deno's HTTP/3 endpoint, each datagram
// forwarded to a UDP DTLS server and back). No Node built-in is imported here.
import type { DatagramDuplex } from './types.ts';

/** The part of WebTransport's datagram duplex stream used here. */
export interface WebTransportDatagramsLike {
  readonly readable: ReadableStream<Uint8Array>;
  /** Deprecated in the latest draft in favour of createWritable(), still what most browsers have. */
  readonly writable?: WritableStream<Uint8Array>;
  /** A new writable for datagrams (the latest draft's form). */
  createWritable?(options?: unknown): WritableStream<Uint8Array>;
  readonly maxDatagramSize?: number;
}

/** The part of a WebTransport session the adapter uses: its datagrams. */
export interface WebTransportLike {
  readonly datagrams: WebTransportDatagramsLike;
}

/** DTLS's default mtu (see DtlsOptions.mtu). */
const DEFAULT_MTU = 1200;

/**
 * `transport.datagrams` as a DatagramDuplex for connect(), and the mtu to pass
 * with it: min(preferred, maxDatagramSize). Throws RangeError if the transport's
 * datagrams are too small to carry DTLS at all (under 256 bytes).
 */
export function webTransportDuplex(transport: WebTransportLike, preferredMtu = DEFAULT_MTU): { duplex: DatagramDuplex; mtu: number } {
  const d = transport.datagrams;
  const writable = typeof d.createWritable === 'function' ? d.createWritable() : d.writable;
  if (!writable) throw new TypeError('transport.datagrams has neither createWritable() nor writable');
  const max = d.maxDatagramSize ?? Infinity;
  const mtu = Math.min(preferredMtu, max);
  if (!(mtu >= 256)) throw new RangeError(`datagrams of ${max} bytes at most are too small for DTLS`);
  return { duplex: { readable: d.readable, writable }, mtu };
}
