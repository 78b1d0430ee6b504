// A trivial ConnectionLike for testing the stream layer without the real core.
// Wire: the first byte says what a datagram is.
//   HELLO [22, cookie?]  client → server (22 like a real handshake record)
//   DONE  [2]            server → client: the handshake is complete
//   DATA  [3, ...]       plaintext XOR 0x5a
//   CLOSE [4]            close_notify
//   FATAL [5, alert]     fatal alert
//   VERIFY [7, cookie]   a cookie gate's HelloVerifyRequest
//   BOOM  [9]            makes the receiver fail locally (sends FATAL handshake_failure)
import type { ConnectionEvent, ConnectionLike, ConnectionState, ConnectionStats, HandshakeInfo } from '../../src/connection-types.ts';
import { DtlsError, peerAlertError } from '../../src/errors.ts';

export const HELLO = 22;
export const DONE = 2;
export const DATA = 3;
export const CLOSE = 4;
export const FATAL = 5;
export const VERIFY = 7;
export const BOOM = 9;

export const xor = (b: Uint8Array): Uint8Array => b.map((x) => x ^ 0x5a);
export const data = (text: string): Uint8Array => Uint8Array.of(DATA, ...xor(new TextEncoder().encode(text)));
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export const fakeInfo: HandshakeInfo = {
  version: 'DTLS 1.2',
  cipherSuite: 'FAKE_XOR',
  cipherSuiteId: 0xfafa,
  group: undefined,
  peerCertificates: [],
  peerFingerprint: undefined,
  srtpProfile: undefined,
  srtpProfileId: undefined,
  alpn: undefined,
  serverName: undefined,
  extendedMasterSecret: true,
  resumed: false,
};

export interface FakeOptions {
  retransmitMs?: number;
  maxRetransmits?: number;
  /** Plaintext held before the handshake; one more throws DtlsError. */
  holdLimit?: number;
}

export class FakeConnection implements ConnectionLike {
  state: ConnectionState = 'idle';
  stats: ConnectionStats = { datagramsIn: 0, datagramsOut: 0, recordsIn: 0, recordsOut: 0, retransmits: 0, dropped: {} };
  handshakeInfo: HandshakeInfo | undefined;
  error: DtlsError | undefined;
  /** Every datagram given to handleDatagram, for assertions. */
  readonly seen: Uint8Array[] = [];
  #out: Uint8Array[] = [];
  #received: Uint8Array[] = [];
  #events: ConnectionEvent[] = [];
  #held: Uint8Array[] = [];
  #deadline: number | undefined;
  #attempts = 0;
  #cookie: number | undefined;
  readonly #opts: Required<FakeOptions>;

  constructor(
    readonly role: 'client' | 'server',
    opts: FakeOptions = {},
  ) {
    this.#opts = { retransmitMs: 1000, maxRetransmits: 3, holdLimit: 4, ...opts };
  }

  start(now: number): void {
    if (this.state !== 'idle') throw new TypeError('start() called twice');
    this.#setState('handshaking');
    if (this.role === 'client') this.#hello(now);
  }

  handleDatagram(now: number, d: Uint8Array): void {
    if (this.state === 'closed' || this.state === 'failed') return this.#drop('after_close');
    this.seen.push(d);
    this.stats.datagramsIn++;
    switch (d[0]) {
      case HELLO:
        if (this.role !== 'server') return this.#drop('unexpected');
        this.#transmit(Uint8Array.of(DONE));
        if (this.state === 'handshaking') this.#complete();
        else this.#events.push({ type: 'retransmit', flight: 2, attempt: ++this.stats.retransmits, reason: 'peer-retransmit' });
        return;
      case DONE:
        if (this.role === 'client' && this.state === 'handshaking') this.#complete();
        return;
      case VERIFY:
        this.#cookie = d[1];
        return this.#hello(now);
      case DATA:
        if (this.state === 'connected') this.#received.push(xor(d.subarray(1)));
        else this.#drop('unexpected');
        return;
      case CLOSE:
        this.#alert('warning', 0, true);
        if (this.state === 'connected') this.#transmit(Uint8Array.of(CLOSE));
        return this.#finish(undefined);
      case FATAL:
        this.#alert('fatal', d[1]!, true);
        return this.#fail(peerAlertError(d[1]!));
      case BOOM:
        this.#alert('fatal', 40, false);
        this.#transmit(Uint8Array.of(FATAL, 40));
        return this.#fail(new DtlsError('handshake_failure', 'boom'));
      default:
        this.#drop('malformed');
    }
  }

  handleTimeout(now: number): void {
    if (this.state !== 'handshaking' || this.#deadline === undefined || now < this.#deadline) return;
    if (++this.#attempts > this.#opts.maxRetransmits) {
      return this.#fail(new DtlsError('handshake_timeout', 'fake handshake timed out'));
    }
    this.stats.retransmits++;
    this.#events.push({ type: 'retransmit', flight: 1, attempt: this.#attempts, reason: 'timeout' });
    this.#hello(now);
  }

  send(_now: number, plaintext: Uint8Array): void {
    if (this.state === 'connected') return this.#transmit(Uint8Array.of(DATA, ...xor(plaintext)));
    if (this.state === 'idle' || this.state === 'handshaking') {
      if (this.#held.length >= this.#opts.holdLimit) throw new DtlsError('internal_error', 'hold is full');
      this.#held.push(plaintext.slice());
      return;
    }
    throw this.error ?? new DtlsError('closed', 'closed');
  }

  close(_now: number): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    if (this.state !== 'idle') {
      this.#alert('warning', 0, false);
      this.#transmit(Uint8Array.of(CLOSE));
    }
    this.#finish(undefined);
  }

  pollTransmit(): Uint8Array | undefined {
    return this.#out.shift();
  }
  pollReceived(): Uint8Array | undefined {
    return this.#received.shift();
  }
  pollEvent(): ConnectionEvent | undefined {
    return this.#events.shift();
  }
  pollTimeout(): number | undefined {
    return this.state === 'handshaking' ? this.#deadline : undefined;
  }

  exportKeyingMaterial(label: string, _context: Uint8Array | undefined, length: number): Uint8Array {
    if (this.state !== 'connected') throw new TypeError('not connected');
    return new Uint8Array(length).fill(label.length);
  }

  #hello(now: number): void {
    this.#transmit(this.#cookie === undefined ? Uint8Array.of(HELLO) : Uint8Array.of(HELLO, this.#cookie));
    this.#events.push({ type: 'trace', direction: 'out', what: 'Hello', epoch: 0, bytes: 1 });
    this.#deadline = now + this.#opts.retransmitMs * 2 ** this.#attempts;
  }

  #complete(): void {
    this.handshakeInfo = fakeInfo;
    this.#deadline = undefined;
    this.#setState('connected');
    this.#events.push({ type: 'handshake', info: fakeInfo });
    for (const p of this.#held) this.#transmit(Uint8Array.of(DATA, ...xor(p)));
    this.#held = [];
  }

  #transmit(d: Uint8Array): void {
    this.stats.datagramsOut++;
    this.#out.push(d);
  }

  #alert(level: 'warning' | 'fatal', description: number, fromPeer: boolean): void {
    const name = description === 0 ? 'close_notify' : `alert_${description}`;
    this.#events.push({ type: 'alert', level, description, name, fromPeer });
  }

  #fail(error: DtlsError): void {
    this.error = error;
    this.#deadline = undefined;
    this.#setState('failed');
    this.#events.push({ type: 'close', error });
  }

  #finish(error: DtlsError | undefined): void {
    this.#deadline = undefined;
    this.#setState('closed');
    this.#events.push({ type: 'close', error });
  }

  #setState(next: ConnectionState): void {
    const previous = this.state;
    this.state = next;
    this.#events.push({ type: 'statechange', state: next, previous });
  }

  #drop(reason: keyof ConnectionStats['dropped']): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1;
  }
}

/** Lets pending promise jobs and stream pipes run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Races a promise against a few event-loop turns: 'pending' if it did not settle. */
export async function stateOf(p: Promise<unknown>): Promise<'fulfilled' | 'rejected' | 'pending'> {
  let state: 'fulfilled' | 'rejected' | 'pending' = 'pending';
  p.then(
    () => (state = 'fulfilled'),
    () => (state = 'rejected'),
  );
  await settle();
  return state;
}
