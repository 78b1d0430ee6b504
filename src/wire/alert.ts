// Alert protocol (RFC 5246 7.2): struct { AlertLevel level; AlertDescription description; } Alert;
import { DecodeError, Writer } from './codec.ts';
import { decodeAll, uint } from './vectors.ts';

export const AlertLevel = { warning: 1, fatal: 2 } as const;

export interface Alert {
  level: number;
  description: number;
}

export function encodeAlert(a: Alert): Uint8Array {
  if (a.level !== AlertLevel.warning && a.level !== AlertLevel.fatal) throw new RangeError(`alert level ${a.level}`);
  return new Writer(2)
    .u8(a.level)
    .u8(uint(a.description, 0xff, 'alert description'))
    .finish();
}

/** Exactly two bytes; the level must be warning (1) or fatal (2). */
export function decodeAlert(bytes: Uint8Array): Alert {
  return decodeAll(bytes, 'alert', (r) => {
    const level = r.u8('alert level');
    if (level !== AlertLevel.warning && level !== AlertLevel.fatal) throw new DecodeError(`alert level ${level}`);
    return { level, description: r.u8('alert description') };
  });
}
