// The DTLS 1.2 server's session-ID cache (RFC 5246 7.4.1.2, 7.4.1.3): for
// clients that resume by session ID alone, because we issue no tickets
// (sessionTickets: 0) or they do not ask for one (no session_ticket extension,
// RFC 5077 3.2). One cache per set of
// server options (so one per listen() server), bounded in count and in time:
// at most MAX_SESSIONS entries, the oldest leaving first, each kept
// ticketLifetime seconds; a chain too large to keep is not cached.
import type { ResolvedOptions } from '../options.ts';
import type { Ticket12 } from './ticket12.ts';

const MAX_SESSIONS = 256;
/** Peer certificate bytes a cached session may hold (a client certificate chain). */
const MAX_CHAIN_BYTES = 16 * 1024;

class SessionCache {
  readonly #entries = new Map<string, Ticket12>();

  get(id: Uint8Array, wallNow: number): Ticket12 | undefined {
    const key = hex(id);
    const t = this.#entries.get(key);
    if (t && wallNow - t.issuedAt > t.lifetime * 1000) {
      this.#entries.delete(key);
      return undefined;
    }
    return t;
  }

  set(id: Uint8Array, t: Ticket12): void {
    if (t.peerChain.reduce((n, c) => n + c.length, 0) > MAX_CHAIN_BYTES) return;
    const key = hex(id);
    this.#entries.delete(key);
    while (this.#entries.size >= MAX_SESSIONS) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.get(oldest)?.master.fill(0);
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { ...t, master: t.master.slice() });
  }

  get size(): number {
    return this.#entries.size;
  }
}

// Keyed by the options' ticket key source: every connection of one listen() shares it, copies of the options too.
const caches = new WeakMap<ResolvedOptions['ticketKeys'], SessionCache>();

/** The cache of the server these options belong to. */
export function sessionCache12(o: ResolvedOptions): {
  get(id: Uint8Array, wallNow: number): Ticket12 | undefined;
  set(id: Uint8Array, t: Ticket12): void;
  readonly size: number;
} {
  let c = caches.get(o.ticketKeys);
  if (!c) caches.set(o.ticketKeys, (c = new SessionCache()));
  return c;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
