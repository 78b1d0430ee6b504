// A WebSocket as a datagram duplex: one binary message per datagram, for
// connect() in a browser (or Deno, Bun, or Node with the `ws` package) talking
// to a relay that forwards each message to a UDP DTLS server and back.
//
// Works with anything shaped like the WHATWG WebSocket: the browser's, Deno's
// and Bun's global WebSocket, Node 22+'s global, and the `ws` package's client
// (it has addEventListener and honours binaryType 'arraybuffer').
//
// - readable: each binary message as a Uint8Array; text messages are not
//   datagrams and are dropped (counted). It closes when the socket closes. A
//   reader that falls behind loses datagrams beyond `highWaterMark` (counted),
//   as UDP would: DTLS retransmits.
// - writable: each chunk is one binary message. Writes wait for the socket to
//   open, and while `bufferedAmount` is above `maxBufferedAmount` (backpressure:
//   there is no 'drain' event in the standard, so it is polled). Writing to a
//   closing or closed socket rejects, naming the last 'error' event if any (the
//   adapter listens for 'error', so `ws` never throws an unhandled one).
// - Closing the writable (or cancelling the readable) detaches only; the socket
//   stays open unless `closeSocket: true`. The caller owns the socket.
//
// No Node built-in is imported: this module bundles for the browser as it is.
import type { DatagramDuplex } from './types.ts';

/** The part of the WHATWG WebSocket interface this adapter uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  /** Sends one binary message. */
  send(data: Uint8Array<ArrayBuffer>): void;
  /** Closes the socket. */
  close(code?: number, reason?: string): void;
  /** Listens for open, message, error and close. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the browser's, Deno's and ws's WebSocket listeners all must fit
  addEventListener(type: string, listener: (event: any) => void): void;
  /** Removes a listener. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  removeEventListener(type: string, listener: (event: any) => void): void;
}

/** Options of webSocketDuplex(). */
export interface WebSocketDuplexOptions {
  /** Datagrams queued for a reader that is behind, before dropping. Default 256. */
  highWaterMark?: number;
  /** Bytes the socket may have buffered before writes wait. Default 1 MiB. */
  maxBufferedAmount?: number;
  /** How often bufferedAmount is checked while writes wait, in ms. Default 10. */
  pollInterval?: number;
  /** Close the socket when the writable is closed or aborted. Default false. */
  closeSocket?: boolean;
}

export interface WebSocketDuplexStreams extends DatagramDuplex {
  /** Messages dropped: the readable's queue was full, or the message was text. */
  readonly dropped: number;
}

// readyState values (the constants are not on every implementation's instances).
const CONNECTING = 0;
const OPEN = 1;

function toBytes(data: unknown): Uint8Array | Promise<Uint8Array> | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Node's `ws` with binaryType 'nodebuffer' fragments: Buffer[]
  if (Array.isArray(data) && data.every((d) => ArrayBuffer.isView(d))) {
    const parts = data as ArrayBufferView[];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let off = 0;
    for (const p of parts) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), off);
      off += p.byteLength;
    }
    return out;
  }
  // An implementation that ignored binaryType 'arraybuffer'.
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data.arrayBuffer().then((b) => new Uint8Array(b));
  return undefined; // text
}

function positive(name: string, value: number, integer: boolean): number {
  if (!(value > 0) || (integer && !Number.isInteger(value))) throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}`);
  return value;
}

/**
 * A WebSocket as { readable, writable } of datagrams (one binary message each),
 * for connect(). Sets `ws.binaryType = 'arraybuffer'`. The socket may still be
 * connecting: writes wait for it to open.
 */
export function webSocketDuplex(ws: WebSocketLike, opts: WebSocketDuplexOptions = {}): WebSocketDuplexStreams {
  const hwm = positive('highWaterMark', opts.highWaterMark ?? 256, true);
  const maxBuffered = positive('maxBufferedAmount', opts.maxBufferedAmount ?? 1 << 20, false);
  const pollInterval = positive('pollInterval', opts.pollInterval ?? 10, false);
  let dropped = 0;
  ws.binaryType = 'arraybuffer';
  // The last 'error' event, for the message when a write fails. Listening for it
  // also keeps Node's `ws` (an EventEmitter) from throwing an unhandled 'error'.
  let lastError: unknown;
  const onError = (event: { error?: unknown; message?: string }): void => {
    lastError = event.error ?? event.message ?? event;
  };
  ws.addEventListener('error', onError);
  const closedError = (what: string): Error => {
    const cause = lastError instanceof Error ? `: ${lastError.message}` : typeof lastError === 'string' ? `: ${lastError}` : '';
    return new Error(`WebSocket ${what}${cause}`, lastError === undefined ? undefined : { cause: lastError });
  };

  let detachReadable = (): void => {};
  const readable = new ReadableStream<Uint8Array>(
    {
      start: (controller) => {
        let closed = false;
        // Messages that must be awaited (Blob) keep their order through this chain.
        let chain: Promise<void> = Promise.resolve();
        const deliver = (bytes: Uint8Array): void => {
          if (closed) return;
          if ((controller.desiredSize ?? 0) <= 0) return void dropped++;
          controller.enqueue(bytes);
        };
        const onMessage = (event: { data: unknown }): void => {
          const bytes = toBytes(event.data);
          if (bytes === undefined) return void dropped++;
          if (bytes instanceof Promise) chain = chain.then(() => bytes.then(deliver, () => void dropped++));
          else chain = chain.then(() => deliver(bytes));
        };
        const onClose = (): void => {
          detachReadable();
          void chain.then(() => {
            if (closed) return;
            closed = true;
            controller.close();
          });
        };
        detachReadable = () => {
          detachReadable = () => {};
          ws.removeEventListener('message', onMessage);
          ws.removeEventListener('close', onClose);
        };
        // An 'error' event is always followed by 'close' (WHATWG and `ws` alike).
        ws.addEventListener('message', onMessage);
        ws.addEventListener('close', onClose);
        if (ws.readyState > OPEN) onClose(); // already closing or closed: no more messages
      },
      cancel: () => detachReadable(),
    },
    { highWaterMark: hwm },
  );

  // Resolves when the socket is open; rejects if it closes first.
  let opened: Promise<void> | undefined;
  const open = (): Promise<void> => {
    if (ws.readyState === OPEN) return Promise.resolve();
    if (ws.readyState !== CONNECTING) return Promise.reject(closedError('is closing or closed'));
    opened ??= new Promise<void>((resolve, reject) => {
      const done = (): void => {
        ws.removeEventListener('open', onOpen);
        ws.removeEventListener('close', onClose);
      };
      const onOpen = (): void => (done(), resolve());
      const onClose = (): void => (done(), reject(closedError('closed before it opened')));
      ws.addEventListener('open', onOpen);
      ws.addEventListener('close', onClose);
    });
    return opened;
  };
  // Waits while the socket holds more than maxBuffered bytes (there is no drain event to wait for).
  const drained = async (): Promise<void> => {
    while (ws.readyState === OPEN && ws.bufferedAmount > maxBuffered) {
      await new Promise((r) => setTimeout(r, pollInterval));
    }
  };
  const closeSocket = (): void => {
    if (opts.closeSocket && ws.readyState <= OPEN) ws.close();
  };
  const writable = new WritableStream<Uint8Array>({
    write: async (chunk) => {
      await open();
      await drained();
      if (ws.readyState !== OPEN) throw closedError('is closing or closed');
      // Typed WebSockets take ArrayBuffer-backed views only; copy anything else (a SharedArrayBuffer view).
      ws.send(chunk.buffer instanceof ArrayBuffer ? (chunk as Uint8Array<ArrayBuffer>) : new Uint8Array(chunk));
    },
    close: closeSocket,
    abort: closeSocket,
  });

  return Object.defineProperty({ readable, writable }, 'dropped', { get: () => dropped, enumerable: true }) as WebSocketDuplexStreams;
}
