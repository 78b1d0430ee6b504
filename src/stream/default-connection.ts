// The real core behind `new DtlsStream(options)`, connect() and listen().
import { Connection } from '../connection.ts';
import { createCookieGate, gateCookies } from '../handshake/cookie.ts';
import { createCookieGate13 } from '../handshake/hrr-gate.ts';
import { resolveOptions } from '../options.ts';
import type { CookieGateLike, StreamDefaults } from './defaults.ts';
import { systemClock } from './clock.ts';

export const defaultConnection: StreamDefaults = {
  prepare(options) {
    // The system clock, unless the caller brought one: it also maps to wall time.
    const resolved = resolveOptions({ ...options, clock: options.clock ?? systemClock });
    if (!resolved.versions.includes('1.3')) {
      return {
        createConnection: () => new Connection(resolved),
        createCookieGate: () => createCookieGate({ crypto: resolved.crypto }),
      };
    }
    // A server that speaks 1.3: one gate answers 1.3 ClientHellos with a
    // HelloRetryRequest (RFC 9147 5.1) and 1.2 ones with a HelloVerifyRequest,
    // holding a fragmented one (bounded) until it is whole; its connections open
    // the HRR cookie it sent. Made on first use.
    let gate: ReturnType<typeof createCookieGate13> | undefined;
    const theGate = (): ReturnType<typeof createCookieGate13> => (gate ??= createCookieGate13({ options: resolved }));
    // One options object for every connection, as for 1.2 (the cookies hold no
    // per-peer state): a copy each was 1.6 KiB per connection.
    let withCookies: typeof resolved | undefined;
    return {
      createConnection: () => new Connection((withCookies ??= { ...resolved, hrrCookies: gateCookies(theGate()) })),
      createCookieGate: (): CookieGateLike => theGate(),
    };
  },
};
