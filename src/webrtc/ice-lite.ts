// A minimal ICE-lite agent (RFC 8445 2.5, 7.3): it never sends checks, it
// answers them. A full agent (a browser) sends Binding requests signed with our
// ice-pwd to the host candidate in our SDP; each valid one gets a Binding
// success response with XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT,
// and its source becomes a valid peer address. The browser nominates one pair
// (USE-CANDIDATE); that is where our DTLS and media go.
//
// answerBindingRequest() is the sans-IO part: a datagram and its source in,
// a response (or a reason to ignore it) out. IceLiteResponder runs it over the
// STUN share of a socket (demuxSocket(udp).stun), and icePath() gives the DTLS
// share as a duplex to the selected peer, ready for connect() or a DtlsStream.
import { nobleProvider } from '../crypto/noble.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import type { Datagram, DatagramDuplex, DatagramSocket } from '../adapters/types.ts';
import { fromUtf8, utf8 } from '../wire/codec.ts';
import { plainIp } from './ip.ts';
import {
  checkFingerprint,
  checkIntegrity,
  decodeStun,
  encodeErrorCode,
  encodeStun,
  encodeXorAddress,
  getAttribute,
  isStun,
  shortTermKey,
  StunAttribute,
  StunMethod,
  type DecodedStunMessage,
  type StunAttr,
  type TransportAddress,
} from './stun.ts';

/** ICE credentials: a=ice-ufrag and a=ice-pwd (RFC 8839). */
export interface IceCredentials {
  /** ice-ufrag: 4 to 256 ice-chars (RFC 8839 5.4). */
  ufrag: string;
  /** ice-pwd: 22 to 256 ice-chars. */
  password: string;
}

const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Fresh random credentials: an 8-character ufrag and a 24-character password (144 bits). */
export function generateIceCredentials(provider: CryptoProvider = nobleProvider): IceCredentials {
  const pick = (n: number): string => Array.from(provider.random(n), (b) => ICE_CHARS[b & 63]).join('');
  return { ufrag: pick(8), password: pick(24) };
}

/** Throws TypeError unless the credentials are valid ice-ufrag/ice-pwd values (RFC 8839 5.4). */
export function validateIceCredentials(c: IceCredentials): void {
  if (!/^[A-Za-z0-9+/]{4,256}$/.test(c.ufrag)) throw new TypeError('ice-ufrag must be 4 to 256 characters of A-Z a-z 0-9 + /');
  if (!/^[A-Za-z0-9+/]{22,256}$/.test(c.password)) throw new TypeError('ice-pwd must be 22 to 256 characters of A-Z a-z 0-9 + /');
}

/** Why a datagram on the STUN path got no answer. */
export type IceIgnoreReason = 'not_stun' | 'malformed' | 'not_request' | 'unsupported_method' | 'bad_fingerprint';

/** What answering one STUN Binding request gave: a response to send, or why it was ignored. */
export type BindingOutcome =
  | {
      kind: 'success';
      response: Uint8Array;
      /** The request carried USE-CANDIDATE: the controlling agent nominated this pair. */
      useCandidate: boolean;
      priority: number | undefined;
      /** The peer's ufrag (the part of USERNAME after the colon). */
      remoteUfrag: string;
    }
  | { kind: 'error'; response: Uint8Array; code: number; reason: string }
  | { kind: 'ignore'; reason: IceIgnoreReason };

/** Options of answerBindingRequest(). */
export interface AnswerOptions {
  /** When given, USERNAME must be exactly "ourUfrag:remoteUfrag". */
  remoteUfrag?: string;
  software?: string;
  crypto?: CryptoProvider;
}

/** Attributes we understand; an unknown one below 0x8000 is comprehension-required (RFC 8489 14). */
const UNDERSTOOD = new Set<number>([
  StunAttribute.USERNAME,
  StunAttribute.PRIORITY,
  StunAttribute.USE_CANDIDATE,
  StunAttribute.ICE_CONTROLLED,
  StunAttribute.ICE_CONTROLLING,
  StunAttribute.MESSAGE_INTEGRITY_SHA256,
  StunAttribute.XOR_MAPPED_ADDRESS,
  StunAttribute.MAPPED_ADDRESS,
]);

/**
 * Answers one datagram received on the STUN path from `source` (RFC 8445 7.3,
 * RFC 8489 6.3). Requests must carry FINGERPRINT (else ignored), USERNAME and
 * MESSAGE-INTEGRITY (else 400), our ufrag and password (else 401). As a lite
 * agent we are always controlled: a request with ICE-CONTROLLED gets 487.
 */
export function answerBindingRequest(packet: Uint8Array, source: TransportAddress, local: IceCredentials, opts: AnswerOptions = {}): BindingOutcome {
  if (!isStun(packet)) return { kind: 'ignore', reason: 'not_stun' };
  let req: DecodedStunMessage;
  try {
    req = decodeStun(packet);
  } catch {
    return { kind: 'ignore', reason: 'malformed' };
  }
  if (req.class !== 'request') return { kind: 'ignore', reason: 'not_request' };
  if (!checkFingerprint(req)) return { kind: 'ignore', reason: 'bad_fingerprint' };
  if (req.method !== StunMethod.binding) return { kind: 'ignore', reason: 'unsupported_method' };

  const provider = opts.crypto ?? nobleProvider;
  const key = shortTermKey(local.password);
  const software: StunAttr[] = opts.software ? [{ type: StunAttribute.SOFTWARE, value: utf8(opts.software) }] : [];
  const error = (code: number, reason: string, signed: boolean, extra: StunAttr[] = []): BindingOutcome => ({
    kind: 'error',
    code,
    reason,
    response: encodeStun(
      {
        method: req.method,
        class: 'error',
        transactionId: req.transactionId,
        attributes: [{ type: StunAttribute.ERROR_CODE, value: encodeErrorCode(code, reason) }, ...extra, ...software],
      },
      { integrityKey: signed ? key : undefined, fingerprint: true, crypto: provider },
    ),
  });

  const username = getAttribute(req, StunAttribute.USERNAME);
  if (!username || !req.integrity) return error(400, 'Bad Request', false);
  const [ours, theirs, ...rest] = fromUtf8(username).split(':');
  if (ours !== local.ufrag || theirs === undefined || rest.length || (opts.remoteUfrag !== undefined && theirs !== opts.remoteUfrag)) {
    return error(401, 'Unauthenticated', false);
  }
  if (!checkIntegrity(req, key, provider)) return error(401, 'Unauthenticated', false);

  const unknown = req.attributes.filter((a) => a.type < 0x8000 && !UNDERSTOOD.has(a.type)).map((a) => a.type);
  if (unknown.length) {
    const list = new Uint8Array(unknown.length * 2);
    unknown.forEach((t, i) => {
      list[2 * i] = t >> 8;
      list[2 * i + 1] = t & 0xff;
    });
    return error(420, 'Unknown Attribute', true, [{ type: StunAttribute.UNKNOWN_ATTRIBUTES, value: list }]);
  }
  if (getAttribute(req, StunAttribute.ICE_CONTROLLED)) return error(487, 'Role Conflict', true);

  const priority = getAttribute(req, StunAttribute.PRIORITY);
  const response = encodeStun(
    {
      method: req.method,
      class: 'success',
      transactionId: req.transactionId,
      attributes: [{ type: StunAttribute.XOR_MAPPED_ADDRESS, value: encodeXorAddress(source, req.transactionId) }, ...software],
    },
    { integrityKey: key, fingerprint: true, crypto: provider },
  );
  return {
    kind: 'success',
    response,
    useCandidate: getAttribute(req, StunAttribute.USE_CANDIDATE) !== undefined,
    priority: priority?.length === 4 ? new DataView(priority.buffer, priority.byteOffset, 4).getUint32(0) : undefined,
    remoteUfrag: theirs,
  };
}

// ---- the responder ----

/** Options of IceLiteResponder: our credentials and the remote ufrag. */
export interface IceLiteOptions extends IceCredentials {
  /** The peer's ice-ufrag from its SDP; when given, USERNAME must name it. */
  remoteUfrag?: string;
  /** A SOFTWARE attribute for our responses. */
  software?: string;
  crypto?: CryptoProvider;
}

/** Counters of an IceLiteResponder. */
export interface IceLiteStats {
  requests: number;
  successes: number;
  errors: number;
  ignored: Partial<Record<IceIgnoreReason, number>>;
}

/** What 'check' and 'selected' events carry. */
export interface IceCheckDetail {
  address: string;
  port: number;
  /** The request nominated this pair. */
  useCandidate: boolean;
  /** A success response was sent (false: an error response). */
  ok: boolean;
}

/** An ICE-lite event: a connectivity check answered, or a path selected. */
export class IceLiteEvent extends Event {
  readonly detail: IceCheckDetail;
  constructor(type: 'check' | 'selected', detail: IceCheckDetail) {
    super(type);
    this.detail = detail;
  }
}

/** IceLiteResponder event names to event objects. */
export interface IceLiteEventMap {
  check: IceLiteEvent;
  selected: IceLiteEvent;
}

type IceListener<E> = ((event: E) => unknown) | { handleEvent(event: E): unknown } | null;

const key = (a: TransportAddress): string => `${plainIp(a.address)}|${a.port}`;

/**
 * Answers Binding requests arriving on `path` (the STUN share of a socket, as
 * Datagrams) until close(). Events: 'check' for every request answered,
 * 'selected' when the peer address to use changes (first valid check, then
 * the latest nominated one).
 */
export class IceLiteResponder extends EventTarget {
  /** Resolves with the first peer address that passed a check. */
  readonly connected: Promise<TransportAddress>;
  readonly #options: IceLiteOptions;
  readonly #reader: ReadableStreamDefaultReader<Datagram>;
  readonly #writer: WritableStreamDefaultWriter<Datagram>;
  readonly #valid = new Set<string>();
  readonly #stats: IceLiteStats = { requests: 0, successes: 0, errors: 0, ignored: {} };
  #selected: TransportAddress | undefined;
  #nominated = false;
  #closed = false;
  #resolveConnected!: (a: TransportAddress) => void;
  #rejectConnected!: (e: Error) => void;

  constructor(path: DatagramSocket, options: IceLiteOptions) {
    super();
    validateIceCredentials(options);
    if (options.remoteUfrag !== undefined && !/^[A-Za-z0-9+/]{4,256}$/.test(options.remoteUfrag)) throw new TypeError('remoteUfrag is not an ice-ufrag');
    this.#options = { ...options };
    this.connected = new Promise((resolve, reject) => {
      this.#resolveConnected = resolve;
      this.#rejectConnected = reject;
    });
    this.connected.catch(() => {});
    this.#reader = path.readable.getReader();
    this.#writer = path.writable.getWriter();
    this.#writer.closed.catch(() => {});
    void this.#run();
  }

  /** Where to send: the latest nominated peer, else the first that passed a check. */
  get selected(): TransportAddress | undefined {
    return this.#selected ? { ...this.#selected } : undefined;
  }

  get stats(): IceLiteStats {
    return { ...this.#stats, ignored: { ...this.#stats.ignored } };
  }

  override addEventListener<K extends keyof IceLiteEventMap>(
    type: K,
    listener: IceListener<IceLiteEventMap[K]>,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /** Listens for 'check' and 'selected'. */
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: IceListener<never>, options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  override removeEventListener<K extends keyof IceLiteEventMap>(
    type: K,
    listener: IceListener<IceLiteEventMap[K]>,
    options?: boolean | EventListenerOptions,
  ): void;
  /** Removes a listener. */
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
  override removeEventListener(type: string, listener: IceListener<never>, options?: boolean | EventListenerOptions): void {
    super.removeEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  /** Whether a check from this address succeeded (only such peers may send us DTLS and media). */
  isValid(address: string, port: number): boolean {
    return this.#valid.has(key({ address, port }));
  }

  /** Stops answering; releases the path. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader.cancel().catch(() => {});
    this.#writer.releaseLock();
    this.#rejectConnected(new Error('ICE-lite responder closed before any check succeeded'));
  }

  async #run(): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await this.#reader.read();
        if (done || this.#closed) break;
        await this.#handle(value);
      }
    } catch {
      // The path failed or was cancelled: nothing more to answer.
    }
    if (!this.#closed) this.close();
  }

  async #handle(d: Datagram): Promise<void> {
    const source = { address: plainIp(d.address), port: d.port };
    const o = this.#options;
    const outcome = answerBindingRequest(d.data, source, o, { remoteUfrag: o.remoteUfrag, software: o.software, crypto: o.crypto });
    if (outcome.kind === 'ignore') {
      this.#stats.ignored[outcome.reason] = (this.#stats.ignored[outcome.reason] ?? 0) + 1;
      return;
    }
    this.#stats.requests++;
    const ok = outcome.kind === 'success';
    if (ok) this.#stats.successes++;
    else this.#stats.errors++;
    // Answer first: the peer's DTLS follows our response, and must find the address valid.
    if (ok) this.#accept(source, outcome.useCandidate);
    try {
      await this.#writer.write({ data: outcome.response, address: d.address, port: d.port });
    } catch {
      // A failed send is a lost datagram; the peer will retry the check.
    }
    this.dispatchEvent(new IceLiteEvent('check', { ...source, useCandidate: ok && outcome.useCandidate, ok }));
  }

  #accept(source: TransportAddress, useCandidate: boolean): void {
    this.#valid.add(key(source));
    const change = !this.#selected || (useCandidate && (!this.#nominated || key(this.#selected) !== key(source)));
    if (useCandidate) this.#nominated = true;
    if (!change) return;
    this.#selected = source;
    this.#resolveConnected(source);
    this.dispatchEvent(new IceLiteEvent('selected', { ...source, useCandidate, ok: true }));
  }
}

/** Counters of an icePath(). */
export interface IcePathStats {
  /** Datagrams from addresses that never passed a check. */
  droppedUnknownSource: number;
}

/**
 * A datagram duplex to the peer the ICE-lite agent selected, over one share of
 * a socket (e.g. demuxSocket(udp).dtls): datagrams from validated peers in
 * (payloads only), payloads out to the selected peer (writes wait for the
 * first successful check). Give it to connect() or pipe a DtlsStream to it.
 */
export function icePath(
  path: DatagramSocket,
  ice: Pick<IceLiteResponder, 'connected' | 'selected' | 'isValid'>,
): DatagramDuplex & { readonly stats: IcePathStats } {
  const stats: IcePathStats = { droppedUnknownSource: 0 };
  const readable = path.readable.pipeThrough(
    new TransformStream<Datagram, Uint8Array>({
      transform: (d, controller) => {
        if (ice.isValid(d.address, d.port)) controller.enqueue(d.data);
        else stats.droppedUnknownSource++;
      },
    }),
  );
  const writer = path.writable.getWriter();
  writer.closed.catch(() => {});
  const writable = new WritableStream<Uint8Array>({
    write: async (data) => {
      await ice.connected;
      const to = ice.selected!;
      await writer.ready;
      await writer.write({ data, address: to.address, port: to.port });
    },
    close: () => writer.releaseLock(),
    abort: () => writer.releaseLock(),
  });
  return {
    readable,
    writable,
    get stats() {
      return { ...stats };
    },
  };
}
