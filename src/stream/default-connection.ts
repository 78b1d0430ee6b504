// The real core behind `new DtlsStream(options)`, connect() and listen().
import { Connection } from '../connection.ts';
import { createCookieGate } from '../handshake/cookie.ts';
import { resolveOptions } from '../options.ts';
import type { StreamDefaults } from './defaults.ts';

export const defaultConnection: StreamDefaults = {
  prepare(options) {
    const resolved = resolveOptions(options);
    return {
      createConnection: () => new Connection(resolved),
      createCookieGate: () => createCookieGate({ crypto: resolved.crypto }),
    };
  },
};
