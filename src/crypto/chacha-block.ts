// One ChaCha20 block (RFC 8439 2.3), for the DTLS 1.3 record number mask
// (RFC 9147 4.2.3), whose 32-bit counter comes from the ciphertext and may be
// any value, including 0xffffffff, which stream APIs refuse as a start.

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

function le32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** The first `out.length` (at most 64) bytes of the block for key, counter and 12-byte nonce. */
export function chacha20Block(key: Uint8Array, counter: number, nonce: Uint8Array, out: Uint8Array): Uint8Array {
  if (key.length !== 32 || nonce.length !== 12 || out.length > 64) throw new RangeError('chacha20 block: key 32, nonce 12, out <= 64 bytes');
  const s = new Uint32Array(16);
  // "expand 32-byte k" (RFC 8439 2.3)
  s[0] = 0x61707865;
  s[1] = 0x3320646e;
  s[2] = 0x79622d32;
  s[3] = 0x6b206574;
  for (let i = 0; i < 8; i++) s[4 + i] = le32(key, 4 * i);
  s[12] = counter >>> 0;
  for (let i = 0; i < 3; i++) s[13 + i] = le32(nonce, 4 * i);
  const x = s.slice();
  const qr = (a: number, b: number, c: number, d: number) => {
    x[a] = x[a]! + x[b]!;
    x[d] = rotl(x[d]! ^ x[a]!, 16);
    x[c] = x[c]! + x[d]!;
    x[b] = rotl(x[b]! ^ x[c]!, 12);
    x[a] = x[a]! + x[b]!;
    x[d] = rotl(x[d]! ^ x[a]!, 8);
    x[c] = x[c]! + x[d]!;
    x[b] = rotl(x[b]! ^ x[c]!, 7);
  };
  for (let r = 0; r < 10; r++) {
    // Column rounds, then diagonal rounds (RFC 8439 2.3).
    qr(0, 4, 8, 12);
    qr(1, 5, 9, 13);
    qr(2, 6, 10, 14);
    qr(3, 7, 11, 15);
    qr(0, 5, 10, 15);
    qr(1, 6, 11, 12);
    qr(2, 7, 8, 13);
    qr(3, 4, 9, 14);
  }
  for (let i = 0; i < out.length; i++) {
    const w = (x[i >>> 2]! + s[i >>> 2]!) >>> 0;
    out[i] = w >>> (8 * (i & 3));
  }
  return out;
}
