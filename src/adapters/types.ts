// Shapes shared by the datagram adapters and listen().

/** One UDP datagram with the remote address it came from or goes to. */
export interface Datagram {
  data: Uint8Array;
  address: string;
  port: number;
}

/** A socket as Web Streams: datagrams from any peer in, datagrams to any peer out. */
export interface DatagramSocket {
  readable: ReadableStream<Datagram>;
  writable: WritableStream<Datagram>;
}

/** A transport to one peer: payloads only (what connect() takes). */
export interface DatagramDuplex {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}
