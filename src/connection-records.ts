// Which of the peer's records a connection acts on, by epoch. The previous
// epoch stays readable only for the peer's handshake retransmissions while we
// negotiate; an alert or data there is unauthenticated (RFC 6347 4.1.2.7).
// Once the handshake is done nothing in it counts: a copy of the peer's last
// flight that draws our final flight again is its Finished, under the new keys.
// DTLS 1.3 differs: its handshake epoch (2) stays readable after the
// application epoch (3) opens, for the peer's copies of its last flight and
// ACKs (RFC 9147 6.1); those go to the handshake machine, data and alerts do not.
import type { PlainRecord } from './record/record-layer.ts';
import { ContentType } from './wire/types.ts';
import { DtlsError } from './errors.ts';

/**
 * Whether `rec`, opened while `readEpoch` is the newest read epoch, comes too
 * late to count (dropped as 'stale_epoch'). Throws the DtlsError of DTLS 1.3
 * data under the handshake keys: authenticated, so the peer's fault (RFC 8446 5.1, 2).
 */
export function isStaleRecord(rec: PlainRecord, protocol: '1.2' | '1.3' | undefined, readEpoch: number, handshakeDone: boolean): boolean {
  const v13 = protocol === '1.3';
  // DTLS 1.3 data comes under the application keys (epoch 3 on).
  if (v13 && rec.contentType === ContentType.application_data && rec.epoch > 0 && rec.epoch < 3)
    throw new DtlsError('unexpected_message', `application data in epoch ${rec.epoch}, under the handshake keys`);
  const handshakeLike =
    rec.contentType === ContentType.handshake || rec.contentType === ContentType.change_cipher_spec || (v13 && rec.contentType === ContentType.ack);
  // After a KeyUpdate the older application epochs still readable carry the peer's records sent before it, reordered (RFC 9147 8).
  const olderApplication = v13 && rec.epoch >= 3;
  return rec.epoch < readEpoch && !olderApplication && ((handshakeDone && !v13) || !handshakeLike);
}
