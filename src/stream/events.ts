// Typed events of a DtlsStream: one Event subclass whose `detail` is the
// core's ConnectionEvent payload (without its `type`, which is the event name).
import type { ConnectionEvent } from '../connection-types.ts';
import type { DtlsStream } from './dtls-stream.ts';

/** The event types a DtlsStream dispatches. */
export type DtlsEventType = ConnectionEvent['type'];

/** The payload of one event type, e.g. DtlsEventDetail<'alert'> = { level, description, name, fromPeer }. */
export type DtlsEventDetail<K extends DtlsEventType> = Omit<Extract<ConnectionEvent, { type: K }>, 'type'>;

/** An event of a DtlsStream; `detail` holds its typed payload (DtlsEventDetail). */
export class DtlsEvent<K extends DtlsEventType = DtlsEventType> extends Event {
  readonly detail: DtlsEventDetail<K>;

  constructor(type: K, detail: DtlsEventDetail<K>) {
    super(type);
    this.detail = detail;
  }
}

/** Event name to event object, for addEventListener overloads. */
export type DtlsEventMap = { [K in DtlsEventType]: DtlsEvent<K> };

export function toDtlsEvent(event: ConnectionEvent): DtlsEvent {
  const { type, ...detail } = event;
  return new DtlsEvent(type, detail as DtlsEventDetail<typeof type>);
}

/** An object listener: handleEvent is called with each event. */
export interface DtlsEventListenerObject<E> {
  /** Called with each event. */
  handleEvent(event: E): unknown;
}

/** A listener for one event type of a DtlsStream: a function or an object with handleEvent. */
export type DtlsEventListener<E> = ((this: DtlsStream, event: E) => unknown) | DtlsEventListenerObject<E> | null;

/** An EventTarget whose listener methods know the event types of a DtlsStream (DtlsEventMap), and any other type as EventTarget does. */
export class DtlsEventTarget extends EventTarget {
  /**
   * Event types that ever had a listener: the core reports every message in and
   * out ('trace') and each state change, and an Event made and dispatched to
   * nobody was a measurable share of a server's handshake. Never decremented
   * (a `once` listener leaves without removeEventListener): at worst an event
   * goes to no listener.
   */
  #listened: Set<string> | undefined;

  /** Listens for 'statechange', 'handshake', 'retransmit', 'alert', 'close', 'session' (a client's session to resume with, and its version, when it asked with onSession) or 'trace' (typed details: DtlsEventMap). */
  override addEventListener<K extends keyof DtlsEventMap>(
    type: K,
    listener: DtlsEventListener<DtlsEventMap[K]>,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /** Listens for any event type. */
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: DtlsEventListener<never>, options?: boolean | AddEventListenerOptions): void {
    (this.#listened ??= new Set()).add(type);
    super.addEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  /** Whether an event of `type` could reach a listener (one was ever added): else it is not made at all. */
  protected listens(type: string): boolean {
    return this.#listened?.has(type) ?? false;
  }

  /** Removes a listener added with addEventListener. */
  override removeEventListener<K extends keyof DtlsEventMap>(
    type: K,
    listener: DtlsEventListener<DtlsEventMap[K]>,
    options?: boolean | EventListenerOptions,
  ): void;
  /** Removes a listener of any event type. */
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
  override removeEventListener(type: string, listener: DtlsEventListener<never>, options?: boolean | EventListenerOptions): void {
    super.removeEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }
}
