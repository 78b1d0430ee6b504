// One packet stream in, one readable per class out (RFC 7983 / RFC 9443 first
// byte rules, see ./classify.ts), and the way back: several writables merged
// into one. Together they split one UDP socket among STUN, DTLS and SRTP:
//
//                          ┌──► stun.readable ──► ICE
//   socket.readable ──► Demux ──► dtls.readable ──► DtlsStream
//                          └──► rtp.readable  ──► SRTP
//
//   ICE ──► stun.writable ──┐
//   DtlsStream ──► dtls.writable ──► Merge ──► socket.writable
//
// UDP cannot push back, so by default a class whose reader falls behind loses
// packets (counted), as the socket itself would; the others keep flowing.
import { classifyFirstByte, PACKET_CLASSES, type PacketClass } from './classify.ts';

/** Options of Demux and demuxSocket(). */
export interface DemuxOptions<T> {
  /** The bytes of an item. Default: the item itself if it is a Uint8Array, else `item.data` (a Datagram). */
  bytes?: (item: T) => Uint8Array;
  /**
   * First bytes 64..79: TURN ChannelData (true) or QUIC (false), for the whole
   * path or per packet (e.g. "came from our TURN server"). Default true.
   */
  turnChannels?: boolean | ((item: T) => boolean);
  /** Items queued per class for a reader that is behind. Default 64. */
  highWaterMark?: number;
  /**
   * 'drop' (default): when a class's queue is full the packet is dropped and
   * counted, like a socket buffer. 'wait': the writable waits for that reader
   * (backpressure), which stalls every class behind the slow one.
   */
  overflow?: 'drop' | 'wait';
}

/** Counters of a Demux: datagrams per class and those dropped. */
export interface DemuxStats {
  /** Packets delivered to each class's queue. */
  delivered: Record<PacketClass, number>;
  dropped: {
    /** Empty packets and first bytes 4..15. */
    unclassified: number;
    /** The class's queue was full ('drop' mode). */
    overflow: number;
    /** The class's readable was cancelled. */
    cancelled: number;
  };
}

function defaultBytes(item: unknown): Uint8Array {
  if (item instanceof Uint8Array) return item;
  const data = (item as { data?: unknown } | null)?.data;
  if (data instanceof Uint8Array) return data;
  throw new TypeError('demux: items must be Uint8Array or { data: Uint8Array } (or pass options.bytes)');
}

interface Lane<T> {
  readable: ReadableStream<T>;
  controller: ReadableStreamDefaultController<T>;
  open: boolean;
  /** Resolves a writer waiting for room ('wait' mode). */
  wake: (() => void) | undefined;
}

function emptyCounts(): Record<PacketClass, number> {
  return { stun: 0, zrtp: 0, dtls: 0, turn: 0, quic: 0, rtp: 0 };
}

/** The demultiplexer: `writable` takes packets, `readable(cls)` gives each class. */
export class Demux<T = Uint8Array> {
  readonly #lanes = new Map<PacketClass, Lane<T>>();
  readonly #writable: WritableStream<T>;
  readonly #bytes: (item: T) => Uint8Array;
  readonly #turn: boolean | ((item: T) => boolean);
  readonly #wait: boolean;
  readonly #delivered = emptyCounts();
  readonly #dropped = { unclassified: 0, overflow: 0, cancelled: 0 };
  #ended = false;

  constructor(options: DemuxOptions<T> = {}) {
    const hwm = options.highWaterMark ?? 64;
    if (!Number.isInteger(hwm) || hwm < 1) throw new RangeError('highWaterMark must be an integer >= 1');
    const overflow = options.overflow ?? 'drop';
    if (overflow !== 'drop' && overflow !== 'wait') throw new TypeError(`overflow must be 'drop' or 'wait', not ${String(overflow)}`);
    this.#wait = overflow === 'wait';
    this.#bytes = options.bytes ?? (defaultBytes as (item: T) => Uint8Array);
    this.#turn = options.turnChannels ?? true;

    for (const cls of PACKET_CLASSES) {
      const lane = { open: true, wake: undefined } as Lane<T>;
      lane.readable = new ReadableStream<T>(
        {
          start: (c) => void (lane.controller = c),
          pull: () => this.#wakeLane(lane),
          cancel: () => {
            lane.open = false;
            this.#wakeLane(lane);
          },
        },
        { highWaterMark: hwm },
      );
      this.#lanes.set(cls, lane);
    }
    this.#writable = new WritableStream<T>({
      write: (item) => this.#route(item),
      close: () => this.#end(undefined),
      abort: (reason: unknown) => this.#end(reason ?? new Error('demux input aborted')),
    });
  }

  /** Packets in. Closing it closes every class's readable; aborting it errors them. */
  get writable(): WritableStream<T> {
    return this.#writable;
  }

  /** The packets of one class, in arrival order. */
  readable(cls: PacketClass): ReadableStream<T> {
    const lane = this.#lanes.get(cls);
    if (!lane) throw new TypeError(`unknown packet class ${String(cls)}`);
    return lane.readable;
  }

  get stats(): DemuxStats {
    return { delivered: { ...this.#delivered }, dropped: { ...this.#dropped } };
  }

  /** Closes every readable now; later writes fail. */
  close(): void {
    this.#end(undefined);
  }

  #classify(item: T, bytes: Uint8Array): PacketClass | undefined {
    if (!bytes.length) return undefined;
    const first = bytes[0]!;
    const turnChannels = first >= 64 && first <= 79 ? (typeof this.#turn === 'function' ? this.#turn(item) : this.#turn) : true;
    return classifyFirstByte(first, { turnChannels });
  }

  async #route(item: T): Promise<void> {
    if (this.#ended) throw new TypeError('demux is closed');
    const cls = this.#classify(item, this.#bytes(item));
    if (cls === undefined) {
      this.#dropped.unclassified++;
      return;
    }
    const lane = this.#lanes.get(cls)!;
    while (this.#wait && lane.open && !this.#ended && (lane.controller.desiredSize ?? 0) <= 0) {
      await new Promise<void>((resolve) => (lane.wake = resolve));
    }
    if (this.#ended) throw new TypeError('demux is closed');
    if (!lane.open) {
      this.#dropped.cancelled++;
      return;
    }
    if ((lane.controller.desiredSize ?? 0) <= 0) {
      this.#dropped.overflow++;
      return;
    }
    this.#delivered[cls]++;
    lane.controller.enqueue(item);
  }

  #wakeLane(lane: Lane<T>): void {
    const wake = lane.wake;
    lane.wake = undefined;
    wake?.();
  }

  #end(reason: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const lane of this.#lanes.values()) {
      if (lane.open) {
        lane.open = false;
        if (reason === undefined) lane.controller.close();
        else lane.controller.error(reason);
      }
      this.#wakeLane(lane);
    }
  }
}

/**
 * Several writables into one: each call to `writable()` is a new input whose
 * items go to `target` in the order they are written. Ending an input ends
 * only that input; `close()` closes the target after what was written.
 */
export class Merge<T> {
  readonly #writer: WritableStreamDefaultWriter<T>;
  #closed = false;

  constructor(target: WritableStream<T>) {
    this.#writer = target.getWriter();
    // An error of the target is reported to each input's write; do not let it go unhandled here.
    this.#writer.closed.catch(() => {});
  }

  /** A new input. Its writes wait for the target's backpressure and fail when the target fails. */
  writable(): WritableStream<T> {
    return new WritableStream<T>({
      write: async (item) => {
        if (this.#closed) throw new TypeError('merge is closed');
        await this.#writer.ready;
        await this.#writer.write(item);
      },
    });
  }

  /** Closes the target once pending writes are done; later input writes fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writer.close();
  }
}

/** One class's share of a socket: its packets in, and a way out to the socket. */
export interface DemuxedPath<T> {
  readonly readable: ReadableStream<T>;
  readonly writable: WritableStream<T>;
}

/** One socket split by packet class: a { readable, writable } path per class. */
export interface DemuxedSocket<T> extends Readonly<Record<PacketClass, DemuxedPath<T>>> {
  readonly stats: DemuxStats;
  /** Stops reading the socket (its readable is cancelled) and closes every class's readable. */
  close(): void;
}

/**
 * Splits a `{ readable, writable }` packet socket (e.g. nodeUdpSocket(socket))
 * into one `{ readable, writable }` per class: `demuxSocket(udp).dtls` is the
 * DTLS share, `.stun` the STUN share, `.rtp` SRTP and SRTCP, and so on.
 */
export function demuxSocket<T>(socket: { readable: ReadableStream<T>; writable: WritableStream<T> }, options: DemuxOptions<T> = {}): DemuxedSocket<T> {
  const demux = new Demux<T>(options);
  const merge = new Merge<T>(socket.writable);
  const stop = new AbortController();
  // preventAbort: close() ends the readables cleanly rather than with the abort reason.
  socket.readable.pipeTo(demux.writable, { signal: stop.signal, preventAbort: true }).catch(() => demux.close());
  const paths = {} as Record<PacketClass, DemuxedPath<T>>;
  for (const cls of PACKET_CLASSES) paths[cls] = { readable: demux.readable(cls), writable: merge.writable() };
  return {
    ...paths,
    get stats() {
      return demux.stats;
    },
    close() {
      stop.abort();
      demux.close();
    },
  };
}
