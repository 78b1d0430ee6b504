// `dtls.inbound` and `dtls.outbound`: each a pair of streams that the DtlsStream
// makes only when first asked for (a Web Stream costs 2-4.5 KiB in Node).

/** @internal The owner's method that makes (or returns) one of its four streams. */
export const kStream = Symbol('DtlsStream.stream');

/** What a Side asks its owner for. */
export interface SideOwner {
  [kStream](inbound: boolean, readable: boolean): ReadableStream<Uint8Array> | WritableStream<Uint8Array>;
}

/** `inbound` or `outbound`: its two streams, made by the owner when first asked for. */
export class Side {
  readonly #owner: SideOwner;
  readonly #inbound: boolean;
  constructor(owner: SideOwner, inbound: boolean) {
    this.#owner = owner;
    this.#inbound = inbound;
  }
  get writable(): WritableStream<Uint8Array> {
    return this.#owner[kStream](this.#inbound, false) as WritableStream<Uint8Array>;
  }
  get readable(): ReadableStream<Uint8Array> {
    return this.#owner[kStream](this.#inbound, true) as ReadableStream<Uint8Array>;
  }
}
