// The two promises a DtlsStream hands out and how each settles: `handshake`
// resolves with what it negotiated, or rejects once the stream ends without it;
// `closed` resolves at a clean end and rejects with the DtlsError of a failure.
// A rejection nobody observes must never crash the process, so both are caught
// here as they are made.
import type { HandshakeInfo } from '../connection-types.ts';
import { DtlsError } from '../errors.ts';

const noop = (): void => {};

/** What a closed stream throws at a call that needs it open. */
export function closedError(message = 'the DTLS connection is closed'): DtlsError {
  return new DtlsError('closed', message);
}

/** The handshake and closed promises of one stream. */
export class Outcome {
  readonly handshake: Promise<HandshakeInfo>;
  readonly closed: Promise<void>;
  #handshakeSettled = false;
  #resolveHandshake!: (info: HandshakeInfo) => void;
  #rejectHandshake!: (error: DtlsError) => void;
  #resolveClosed!: () => void;
  #rejectClosed!: (error: DtlsError) => void;

  constructor() {
    this.handshake = new Promise<HandshakeInfo>((resolve, reject) => {
      this.#resolveHandshake = resolve;
      this.#rejectHandshake = reject;
    });
    this.closed = new Promise<void>((resolve, reject) => {
      this.#resolveClosed = resolve;
      this.#rejectClosed = reject;
    });
    this.handshake.catch(noop);
    this.closed.catch(noop);
  }

  /** The handshake completed: `handshake` resolves (once). */
  completed(info: HandshakeInfo): void {
    if (this.#handshakeSettled) return;
    this.#handshakeSettled = true;
    this.#resolveHandshake(info);
  }

  /**
   * The end, clean (error undefined) or not: `closed` settles, and a
   * `handshake` still pending rejects with the error, else with why it closed
   * (`transportError`, a broken transport, as its cause when there is one).
   */
  end(error: DtlsError | undefined, transportError: unknown): void {
    if (!this.#handshakeSettled) {
      this.#handshakeSettled = true;
      const cause = transportError;
      this.#rejectHandshake(
        error ??
          (cause === undefined
            ? closedError('closed before the handshake completed')
            : new DtlsError('closed', `the transport failed before the handshake completed: ${(cause as Error)?.message ?? String(cause)}`, { cause })),
      );
    }
    if (error) this.#rejectClosed(error);
    else this.#resolveClosed();
  }
}
