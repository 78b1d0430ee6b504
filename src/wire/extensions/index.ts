// Extension block (RFC 5246 7.4.1.4):
//   struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension;
//   Extension extensions<0..2^16-1>;
import { DecodeError, type Reader, Writer } from '../codec.ts';
import type { Extension } from '../types.ts';
import { uint } from '../vectors.ts';

export * from './server-name.ts';
export * from './supported-groups.ts';
export * from './ec-point-formats.ts';
export * from './signature-algorithms.ts';
export * from './use-srtp.ts';
export * from './alpn.ts';
export * from './extended-master-secret.ts';
export * from './renegotiation-info.ts';

/** Writes the u16-length-prefixed block; duplicate types are a RangeError. */
export function writeExtensions(w: Writer, exts: readonly Extension[]): void {
  const seen = new Set<number>();
  w.prefixed(2, (w) => {
    for (const e of exts) {
      uint(e.type, 0xffff, 'extension type');
      if (seen.has(e.type)) throw new RangeError(`duplicate extension ${e.type}`);
      seen.add(e.type);
      w.u16(e.type).vec(2, e.data);
    }
  });
}

export function encodeExtensions(exts: readonly Extension[]): Uint8Array {
  const w = new Writer();
  writeExtensions(w, exts);
  return w.finish();
}

/**
 * Reads the u16-length-prefixed block from `r`. Unknown types are kept in
 * order; a type appearing twice is a DecodeError (RFC 5246 7.4.1.4). `data` are views.
 */
export function decodeExtensions(r: Reader): Extension[] {
  const block = r.sub(2, 'extensions');
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (!block.done) {
    const type = block.u16('extension type');
    const data = block.vec(2, 'extension_data');
    if (seen.has(type)) throw new DecodeError(`duplicate extension ${type}`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

export function findExtension(exts: readonly Extension[], type: number): Extension | undefined {
  return exts.find((e) => e.type === type);
}
