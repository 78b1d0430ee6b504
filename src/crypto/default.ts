// The provider a connection uses when options.crypto is not given: native
// (node:crypto) where the runtime offers it, noble elsewhere. The module is
// looked up at run time with process.getBuiltinModule (Node >= 20.16, Deno 2,
// Bun), not imported, so this file (reached from the root module) bundles for
// browsers with no Node built-in, and loading it costs nothing there.
import type * as NodeCrypto from 'node:crypto';
import { nobleProvider } from './noble.ts';
import { createNativeProvider } from './native.ts';
import type { CryptoProvider } from './provider.ts';

let chosen: CryptoProvider | undefined;

/** node:crypto if this runtime has it, else undefined. */
export function runtimeNodeCrypto(): typeof NodeCrypto | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const m = proc?.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined;
    return m && typeof m.createCipheriv === 'function' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The default provider, chosen once per process. */
export function defaultCryptoProvider(): CryptoProvider {
  if (!chosen) {
    const nc = runtimeNodeCrypto();
    chosen = nc ? createNativeProvider(nc) : nobleProvider;
  }
  return chosen;
}
