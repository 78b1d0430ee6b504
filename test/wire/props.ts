// Shared property checks and arbitraries for the wire codec tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DecodeError, equalBytes } from '../../src/wire/codec.ts';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });
export const extensionsArb = fc.uniqueArray(fc.record({ type: u16, data: bytes(0, 24) }, { noNullPrototype: true }), {
  selector: (e) => e.type,
  maxLength: 6,
});

/** Runs `fn`; passes if it returns or throws DecodeError, fails on any other throw. */
export function decodesOrDecodeError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw new Error(`expected DecodeError, got ${String(e)}`, { cause: e });
  }
}

/** A valid encoding with one random corruption: flip, truncate, extend, insert or delete a byte. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.nat(), u8, fc.integer({ min: 0, max: 4 })).map(([b, i, v, op]) => {
    const at = b.length === 0 ? 0 : i % b.length;
    const out = Array.from(b);
    if (op === 0 && out.length) out[at] = out[at]! ^ (v | 1);
    else if (op === 1) out.length = at;
    else if (op === 2) out.push(v);
    else if (op === 3) out.splice(at, 0, v);
    else out.splice(at, 1);
    return Uint8Array.from(out);
  });
}

/**
 * Registers the standard properties for a codec: random values round trip,
 * encode(decode(x)) === x for encoded x, and arbitrary or corrupted bytes
 * either decode or throw DecodeError.
 */
export function codecProperties<T>(name: string, arb: fc.Arbitrary<T>, encode: (v: T) => Uint8Array, decode: (b: Uint8Array) => T): void {
  test(`${name}: random values round trip`, () => {
    fc.assert(fc.property(arb, (v) => assert.deepStrictEqual(decode(encode(v)), v)));
  });
  test(`${name}: encode(decode(x)) === x for encoded x`, () => {
    fc.assert(fc.property(arb.map(encode), (b) => assert.ok(equalBytes(encode(decode(b)), b))));
  });
  test(`${name}: arbitrary bytes decode or throw DecodeError`, () => {
    fc.assert(
      fc.property(bytes(0, 200), (b) => decodesOrDecodeError(() => decode(b))),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(mutated(arb.map(encode)), (b) => decodesOrDecodeError(() => decode(b))),
      { numRuns: 500 },
    );
  });
}
