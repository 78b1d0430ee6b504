// Property checks for the 1.3 codecs: as test/wire/props.ts, except that a
// decoder may also refuse with a DtlsError carrying illegal_parameter (the
// TLS 1.3 rules that are not about framing: a key share group twice, a
// KeyUpdate value above 1...). Anything else thrown is a failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DtlsError } from '../../src/errors.ts';
import { DecodeError, equalBytes } from '../../src/wire/codec.ts';
import { bytes, mutated } from '../wire/props.ts';

export { bytes, extensionsArb, u16, u8 } from '../wire/props.ts';

/** Passes if `fn` returns, or throws DecodeError or an illegal_parameter DtlsError. */
export function decodesOrRefuses(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof DecodeError) return;
    if (e instanceof DtlsError && e.code === 'illegal_parameter' && e.alert === 47) return;
    throw new Error(`expected DecodeError or illegal_parameter, got ${String(e)}`, { cause: e });
  }
}

export function codecProperties13<T>(name: string, arb: fc.Arbitrary<T>, encode: (v: T) => Uint8Array, decode: (b: Uint8Array) => T): void {
  test(`${name}: random values round trip`, () => {
    fc.assert(fc.property(arb, (v) => assert.deepStrictEqual(decode(encode(v)), v)));
  });
  test(`${name}: encode(decode(x)) === x for encoded x`, () => {
    fc.assert(fc.property(arb.map(encode), (b) => assert.ok(equalBytes(encode(decode(b)), b))));
  });
  test(`${name}: arbitrary or corrupted bytes decode or are refused with a typed error`, () => {
    fc.assert(
      fc.property(bytes(0, 200), (b) => decodesOrRefuses(() => decode(b))),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(mutated(arb.map(encode)), (b) => decodesOrRefuses(() => decode(b))),
      { numRuns: 500 },
    );
  });
}

/** Asserts each hex input is refused with DecodeError (or the given DtlsError code), the message naming `rule`. */
export function refuses(decode: (b: Uint8Array) => unknown, cases: [hex: string, rule: RegExp, code?: string][]): void {
  for (const [hex, rule, code] of cases) {
    assert.throws(
      () => decode(Uint8Array.from(Buffer.from(hex.replace(/\s/g, ''), 'hex'))),
      (e: unknown) => e instanceof DtlsError && e.code === (code ?? 'decode_error') && rule.test(e.message),
      `${hex} should be refused (${code ?? 'decode_error'}, ${rule})`,
    );
  }
}
