// --trace: the handshake as a ladder, one line per message, drawn the way
// `npm run demo` draws it: what we send on the left going right, what the
// peer sends on the right coming left. A flight sent again is marked.
import type { Role } from '../options.ts';

const WIDTH = 30;

/** The header line: our role on the left, the peer's on the right. */
export function ladderHeader(role: Role): string {
  const peer = role === 'client' ? 'server' : 'client';
  return `${`${role} (us)`.padEnd(WIDTH)}${peer}`;
}

/** One message: `direction` 'out' is ours, 'in' the peer's; epoch > 0 is encrypted. */
export function ladderLine(direction: 'in' | 'out', what: string, epoch: number): string {
  const tag = epoch > 0 ? '  (encrypted)' : '';
  if (direction === 'out') return `${what} ──►${tag}`;
  return `${''.padEnd(WIDTH - 4)}◄── ${what}${tag}`;
}

/** A flight of ours sent again (RFC 6347 4.2.4). */
export function ladderRetransmit(flight: number, tries: number, reason: 'timeout' | 'peer-retransmit'): string {
  const why = reason === 'timeout' ? 'no answer in time' : 'the peer sent its last flight again';
  return `  ↻ flight ${flight} sent again (${tries} tries): ${why}`;
}
