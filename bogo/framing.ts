// The runner's framing over the shim's TCP connection (BoringSSL
// ssl/test/runner/packet_adapter.go): one opcode byte per frame, big-endian
// fields. The shim first sends its id as a u64 little-endian.

export type Frame =
  /** A datagram, either direction. */
  | { op: 'P'; datagram: Uint8Array }
  /** Advance the clock by `ns` and fire due timers; answered with `t` first. */
  | { op: 'T'; ns: bigint }
  /** Set the MTU. */
  | { op: 'M'; mtu: number }
  /** The next timer must be `ns` from now (to the microsecond); undefined: none armed. */
  | { op: 'E'; ns: bigint | undefined }
  /** Set the initial retransmission timeout (ms) without firing it. */
  | { op: 'U'; ms: number };

const NO_TIMEOUT = 0xffff_ffff_ffff_ffffn;
/** The largest datagram a frame may carry: anything bigger is a broken stream, not a packet. */
const MAX_PACKET = 1 << 20;

export class FrameError extends Error {
  override name = 'FrameError';
}

/** Incremental decoder: push() the bytes as they arrive, then take frames with next(). */
export class FrameReader {
  #buf: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    if (this.#buf.length === 0) {
      this.#buf = chunk;
      return;
    }
    const b = new Uint8Array(this.#buf.length + chunk.length);
    b.set(this.#buf);
    b.set(chunk, this.#buf.length);
    this.#buf = b;
  }

  /** The next whole frame, or undefined when more bytes are needed. Throws FrameError on an unknown opcode. */
  next(): Frame | undefined {
    const b = this.#buf;
    if (b.length < 1) return undefined;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const op = String.fromCharCode(b[0]!);
    const need = (n: number): boolean => b.length >= 1 + n;
    switch (op) {
      case 'P': {
        if (!need(4)) return undefined;
        const len = view.getUint32(1);
        if (len > MAX_PACKET) throw new FrameError(`packet frame of ${len} bytes`);
        if (!need(4 + len)) return undefined;
        const datagram = b.slice(5, 5 + len);
        this.#consume(5 + len);
        return { op, datagram };
      }
      case 'T':
      case 'E': {
        if (!need(8)) return undefined;
        const ns = view.getBigUint64(1);
        this.#consume(9);
        if (op === 'T') return { op, ns };
        return { op, ns: ns === NO_TIMEOUT ? undefined : ns };
      }
      case 'M':
      case 'U': {
        if (!need(4)) return undefined;
        const v = view.getUint32(1);
        this.#consume(5);
        return op === 'M' ? { op, mtu: v } : { op, ms: v };
      }
      default:
        throw new FrameError(`unknown opcode 0x${b[0]!.toString(16)}`);
    }
  }

  #consume(n: number): void {
    this.#buf = this.#buf.subarray(n);
  }
}

export function encodePacket(datagram: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + datagram.length);
  out[0] = 0x50; // 'P'
  new DataView(out.buffer).setUint32(1, datagram.length);
  out.set(datagram, 5);
  return out;
}

/** The acknowledgement of a T frame, sent before anything the timeout makes us send. */
export const TIMEOUT_ACK = new Uint8Array([0x74]); // 't'

export function encodeShimId(id: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, id, true);
  return out;
}
