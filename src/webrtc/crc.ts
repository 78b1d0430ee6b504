// The two CRCs WebRTC needs: CRC-32 (ISO-HDLC, as in Ethernet and zlib) for the
// STUN FINGERPRINT attribute (RFC 8489 14.7), and CRC-32C (Castagnoli) for the
// SCTP checksum (RFC 9260 6.8, Appendix A). Both are reflected, init and final
// xor 0xFFFFFFFF; they differ only in the polynomial.

function table(reversedPoly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reversedPoly : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

let crc32Table: Uint32Array | undefined;
let crc32cTable: Uint32Array | undefined;

function run(t: Uint32Array, data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 (polynomial 0x04C11DB7): "123456789" → 0xCBF43926. */
export function crc32(data: Uint8Array): number {
  return run((crc32Table ??= table(0xedb88320)), data);
}

/** CRC-32C (polynomial 0x1EDC6F41): "123456789" → 0xE3069283. */
export function crc32c(data: Uint8Array): number {
  return run((crc32cTable ??= table(0x82f63b78)), data);
}
