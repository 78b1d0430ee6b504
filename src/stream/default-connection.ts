// The real core behind `new DtlsStream(options)`, connect() and listen().
import { Connection } from '../connection.ts';
import { createCookieGate } from '../handshake/cookie.ts';
import { resolveOptions } from '../options.ts';
import type { StreamDefaults } from './defaults.ts';

export const defaultConnection: StreamDefaults = {
  createConnection: (options) => new Connection(resolveOptions(options)),
  createCookieGate: (options) => createCookieGate({ crypto: resolveOptions(options).crypto }),
};
