// The real core behind `new DtlsStream(options)`, connect() and listen().
import { Connection } from '../connection.ts';
import { createCookieGate } from '../handshake/cookie.ts';
import { resolveOptions } from '../options.ts';
import type { StreamDefaults } from './defaults.ts';
import { systemClock } from './clock.ts';

export const defaultConnection: StreamDefaults = {
  prepare(options) {
    // The system clock, unless the caller brought one: it also maps to wall time.
    const resolved = resolveOptions({ ...options, clock: options.clock ?? systemClock });
    return {
      createConnection: () => new Connection(resolved),
      createCookieGate: () => createCookieGate({ crypto: resolved.crypto }),
    };
  },
};
