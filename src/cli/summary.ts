// What the CLI prints: the handshake summary (stderr), records (stdout), failures.
import type { Readable, Writable } from 'node:stream';
import type { HandshakeInfo } from '../connection-types.ts';
import { alertName, DtlsError } from '../errors.ts';
import type { DtlsStream } from '../stream/index.ts';

/**
 * One line per negotiated item, e.g. "Cipher: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".
 * `offered`: the client offered a session (--sess_in), so "Resumed: no" is news too.
 */
export function summaryLines(info: HandshakeInfo, offered = false): string[] {
  const lines = [`Protocol: ${info.version}`, `Cipher: ${info.cipherSuite}`];
  if (info.group !== undefined) lines.push(`Group: ${info.group}`);
  lines.push(`Peer fingerprint: ${info.peerFingerprint ?? 'none (no certificate)'}`);
  if (info.srtpProfile !== undefined) lines.push(`SRTP profile: ${info.srtpProfile}`);
  if (info.alpn !== undefined) lines.push(`ALPN: ${info.alpn}`);
  if (info.serverName !== undefined) lines.push(`Server name: ${info.serverName}`);
  // RFC 7627 is a DTLS 1.2 matter: the TLS 1.3 key schedule always binds the transcript.
  if (info.version === 'DTLS 1.2') lines.push(`Extended master secret: ${info.extendedMasterSecret ? 'yes' : 'no'}`);
  if (info.resumed || offered) lines.push(`Resumed: ${info.resumed ? 'yes' : 'no'}`);
  return lines;
}

/** Uppercase hex without separators, as OpenSSL prints keying material. */
export function hexUpper(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join('');
}

/** A one-line reason for a failure: the DtlsError's message, plus the alert we sent. */
export function describeError(e: unknown): string {
  if (e instanceof DtlsError) {
    const sent = e.alert !== undefined && !e.fromPeer && e.code !== 'peer_alert' ? ` (sent alert ${alertName(e.alert)})` : '';
    return oneLine(`${e.message}${sent}`);
  }
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return oneLine(code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message);
  }
  return oneLine(String(e));
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

export interface Stdio {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** Writes each record of `dtls.inbound.readable` to `out` as it came (like s_client); settles when it ends. */
export async function printRecords(dtls: DtlsStream, out: Writable, each?: (record: Uint8Array) => unknown): Promise<void> {
  const reader = dtls.inbound.readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    out.write(value);
    await each?.(value);
  }
}
