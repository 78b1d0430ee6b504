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

export type ProcessLike = { getBuiltinModule?: (id: string) => unknown } | undefined;

/** node:crypto from a runtime's `process`, or undefined (no process, an old Node, a stub without ciphers). */
export function runtimeNodeCrypto(proc: ProcessLike): typeof NodeCrypto | undefined {
  try {
    const m = proc?.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined;
    return m && typeof m.createCipheriv === 'function' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The provider for a runtime's `process`: native on node:crypto when it has it, else noble. */
export function providerFor(proc: ProcessLike): CryptoProvider {
  const nc = runtimeNodeCrypto(proc);
  return nc ? createNativeProvider(nc) : nobleProvider;
}

/** The default provider, chosen once per process. */
export function defaultCryptoProvider(): CryptoProvider {
  return (chosen ??= providerFor((globalThis as { process?: ProcessLike }).process));
}
