// A MessagePort as a datagram duplex: one message per datagram. For DTLS
// between a page and a worker, between workers, or between Node worker
// threads (worker_threads and the global MessageChannel give the same ports),
// e.g. a worker that owns the socket while the page keeps the keys, or a test.
//
// - readable: each message whose data is an ArrayBuffer or a typed array, as a
//   Uint8Array; anything else is not a datagram and is dropped (counted). A
//   reader that falls behind loses datagrams beyond `highWaterMark` (counted),
//   as UDP would: DTLS retransmits. It closes when the port closes (Node's
//   ports, and browsers that dispatch 'close' on MessagePort).
// - writable: each chunk is posted as one ArrayBuffer of exactly its bytes,
//   transferred (a view's whole underlying buffer is never cloned across).
// - The caller owns the port: cancelling the readable or closing the writable
//   detaches only, unless `closePort: true`. An open port with a listener
//   keeps Node's event loop alive; `port.close()` ends that on both sides.
//
// No Node built-in is imported: this module bundles for the browser as it is.
import type { DatagramDuplex } from './types.ts';

/** The part of the MessagePort interface this adapter uses (browser, worker, Node, Deno, Bun). */
export interface MessagePortLike {
  /** Posts one message, transferring the listed buffers. */
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  /** Listens for message and close. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any MessagePort-like's listener (MessageEvent, a Node worker's event) must fit
  addEventListener(type: string, listener: (event: any) => void): void;
  /** Removes a listener. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  removeEventListener(type: string, listener: (event: any) => void): void;
  /** Starts delivering messages (needed with addEventListener). */
  start(): void;
  /** Closes the port (and, in Node, its peer). */
  close(): void;
}

/** Options of messagePortDuplex(). */
export interface MessagePortDuplexOptions {
  /** Datagrams queued for a reader that is behind, before dropping. Default 256. */
  highWaterMark?: number;
  /** Close the port when the writable is closed or aborted, or the readable cancelled. Default false. */
  closePort?: boolean;
}

export interface MessagePortDuplexStreams extends DatagramDuplex {
  /** Messages dropped: the readable's queue was full, or the message was not bytes. */
  readonly dropped: number;
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/** A MessagePort as { readable, writable } of datagrams, one message each. */
export function messagePortDuplex(port: MessagePortLike, opts: MessagePortDuplexOptions = {}): MessagePortDuplexStreams {
  if (!port || typeof port.postMessage !== 'function' || typeof port.addEventListener !== 'function') {
    throw new TypeError('messagePortDuplex takes a MessagePort');
  }
  const hwm = opts.highWaterMark ?? 256;
  if (!Number.isInteger(hwm) || hwm < 1) throw new RangeError('highWaterMark must be an integer >= 1');
  const closePort = opts.closePort ?? false;
  let dropped = 0;
  let open = true;
  let detach = (): void => {};
  const release = (): void => {
    detach();
    if (closePort && open) {
      open = false;
      port.close();
    }
  };

  const readable = new ReadableStream<Uint8Array>(
    {
      start: (controller) => {
        const onMessage = (event: MessageEvent): void => {
          const bytes = toBytes(event.data);
          if (!bytes || (controller.desiredSize ?? 0) <= 0) {
            dropped++;
            return;
          }
          controller.enqueue(bytes);
        };
        const onClose = (): void => {
          open = false;
          detach();
          controller.close();
        };
        detach = () => {
          detach = () => {};
          port.removeEventListener('message', onMessage);
          port.removeEventListener('close', onClose);
        };
        port.addEventListener('message', onMessage);
        port.addEventListener('close', onClose);
        port.start(); // addEventListener, unlike onmessage, does not start the port
      },
      cancel: release,
    },
    { highWaterMark: hwm },
  );

  const writable = new WritableStream<Uint8Array>({
    write: (datagram) => {
      if (!(datagram instanceof Uint8Array)) throw new TypeError('the writable takes Uint8Array datagrams');
      if (!open) throw new TypeError('the MessagePort is closed');
      const copy = datagram.slice();
      port.postMessage(copy.buffer, [copy.buffer]);
    },
    close: () => {
      if (closePort) release();
    },
    abort: () => {
      if (closePort) release();
    },
  });

  return Object.defineProperty({ readable, writable }, 'dropped', { get: () => dropped, enumerable: true }) as MessagePortDuplexStreams;
}
