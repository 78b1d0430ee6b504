// A packet filter for DTLS 1.3 paths: drops the first transmission of the
// client's final flight (its epoch-2 records: Certificate, CertificateVerify,
// Finished; RFC 9147 5.7), which, unlike 1.2's, ends only on the server's ACK.
// It reads just the unified header's first byte (RFC 9147 4: 0b001CSLEE, the
// low two bits of the epoch), since the rest of the record is encrypted.

export interface Flight13Drop {
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** Datagrams dropped, with when. */
  readonly dropped: { at: number; bytes: number }[];
  /** When the first epoch-2 datagram passed after the drop: the retransmission (undefined until then). */
  readonly retransmissionPassedAt: number | undefined;
}

/** The epoch bits (epoch mod 4) of the first record of a datagram, or undefined for a DTLSPlaintext record. */
export function unifiedEpochBits(datagram: Uint8Array): number | undefined {
  const b = datagram[0];
  return b !== undefined && (b & 0xe0) === 0x20 ? b & 0x03 : undefined;
}

/**
 * Drops datagrams whose first record is in epoch 2 from the first one on,
 * until `window` ms have passed since it: a flight goes out within a few ms,
 * a retransmission comes a timer period (hundreds of ms) later.
 */
export function dropFirstEpoch2Flight(window = 50): Flight13Drop {
  let firstAt: number | undefined;
  const dropped: Flight13Drop['dropped'] = [];
  let retransmissionPassedAt: number | undefined;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(datagram, controller) {
      if (unifiedEpochBits(datagram) === 2) {
        const now = Date.now();
        firstAt ??= now;
        if (now - firstAt <= window) {
          dropped.push({ at: now, bytes: datagram.length });
          return;
        }
        retransmissionPassedAt ??= now;
      }
      controller.enqueue(datagram);
    },
  });
  return {
    stream,
    dropped,
    get retransmissionPassedAt() {
      return retransmissionPassedAt;
    },
  };
}
