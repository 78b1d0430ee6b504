// What the Chromium tests check in what Chromium sent: SCTP packets inside
// DTLS (CRC-32C, the INIT chunk), Opus inside SRTP, and the SRTP/SRTCP
// authentication with keys from our exporter.
import type { Datagram } from '../../src/adapters/types.ts';
import { isRtcp } from '../../src/demux/index.ts';
import { crc32c } from '../../src/webrtc/crc.ts';
import { deriveSrtpSessionKeys, openSrtcp, SrtpChecker } from '../../src/webrtc/srtp-check.ts';
import type { SrtpMasterKey, SrtpProfileParams } from '../../src/webrtc/srtp-keys.ts';
import type { HandshakeInfo } from '../../src/connection-types.ts';

// ---- SCTP (RFC 9260 3) ----

export interface SctpPacket {
  sourcePort: number;
  destinationPort: number;
  verificationTag: number;
  /** The checksum field matches CRC-32C of the packet with that field zeroed (stored little-endian, RFC 9260 Appendix A). */
  checksumValid: boolean;
  chunks: { type: number; flags: number; value: Uint8Array }[];
}

export function parseSctpPacket(p: Uint8Array): SctpPacket {
  if (p.length < 12) throw new TypeError('an SCTP packet has a 12-byte common header');
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const zeroed = p.slice();
  zeroed.fill(0, 8, 12);
  const chunks: SctpPacket['chunks'] = [];
  for (let at = 12; at + 4 <= p.length;) {
    const length = v.getUint16(at + 2);
    if (length < 4 || at + length > p.length) throw new TypeError(`bad SCTP chunk length ${length} at ${at}`);
    chunks.push({ type: p[at]!, flags: p[at + 1]!, value: p.subarray(at + 4, at + length) });
    at += (length + 3) & ~3;
  }
  return {
    sourcePort: v.getUint16(0),
    destinationPort: v.getUint16(2),
    verificationTag: v.getUint32(4),
    checksumValid: v.getUint32(8, true) === crc32c(zeroed),
    chunks,
  };
}

/** INIT chunk fields (RFC 9260 3.3.2). */
export function parseSctpInit(value: Uint8Array): { initiateTag: number; aRwnd: number; outboundStreams: number; inboundStreams: number; initialTsn: number } {
  if (value.length < 16) throw new TypeError('an INIT chunk has at least 16 bytes of value');
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return { initiateTag: v.getUint32(0), aRwnd: v.getUint32(4), outboundStreams: v.getUint16(8), inboundStreams: v.getUint16(10), initialTsn: v.getUint32(12) };
}

// ---- Opus (RFC 6716 3.1) ----

/** Frame duration in ms of a TOC byte's configuration (RFC 6716 Table 2). */
export function opusFrameMs(toc: number): number {
  const config = toc >> 3;
  if (config < 12) return [10, 20, 40, 60][config % 4]!;
  if (config < 16) return [10, 20][config % 2]!;
  return [2.5, 5, 10, 20][config % 4]!;
}

/** Whether a payload is a well-formed Opus packet by RFC 6716 3.4's rules R1-R7 (as far as the framing goes). */
export function isOpusPacket(p: Uint8Array): boolean {
  if (p.length < 1) return false; // R1
  const code = p[0]! & 3;
  if (code === 0) return p.length - 1 <= 1275; // R2
  if (code === 1) return (p.length - 1) % 2 === 0 && (p.length - 1) / 2 <= 1275; // R3
  if (code === 2) {
    if (p.length < 2) return false; // R4
    const first = p[1]! < 252 ? p[1]! : p.length >= 3 ? p[1]! + 4 * p[2]! : -1;
    return first >= 0 && first <= p.length - (p[1]! < 252 ? 2 : 3);
  }
  if (p.length < 2) return false; // R5-R7: code 3 has a frame count byte
  const count = p[1]! & 0x3f;
  return count >= 1 && count * opusFrameMs(p[0]!) <= 120;
}

// ---- SRTP ----

export interface SrtpSummary {
  rtp: number;
  rtpAuthenticated: number;
  rtpFailed: number;
  ssrcs: Set<number>;
  payloadTypes: Set<number>;
  /** Decrypted payloads of the given payload type. */
  payloads: Uint8Array[];
  rtcp: number;
  rtcpAuthenticated: number;
  /** SSRCs of RTCP sender reports (PT 200) found in decrypted SRTCP. */
  senderReportSsrcs: Set<number>;
}

/** Opens every SRTP and SRTCP packet in `media` with the sender's master key, as our exporter gave it. */
export function checkSrtp(media: readonly Datagram[], profile: Readonly<SrtpProfileParams>, sender: SrtpMasterKey, payloadType: number): SrtpSummary {
  const rtpChecker = new SrtpChecker(deriveSrtpSessionKeys(profile, sender, 'rtp'));
  const rtcpKeys = deriveSrtpSessionKeys(profile, sender, 'rtcp');
  const s: SrtpSummary = {
    rtp: 0,
    rtpAuthenticated: 0,
    rtpFailed: 0,
    ssrcs: new Set(),
    payloadTypes: new Set(),
    payloads: [],
    rtcp: 0,
    rtcpAuthenticated: 0,
    senderReportSsrcs: new Set(),
  };
  for (const { data } of media) {
    if (isRtcp(data)) {
      s.rtcp++;
      const r = openSrtcp(data, rtcpKeys);
      if (!r.ok) continue;
      s.rtcpAuthenticated++;
      // Walk the compound packet (RFC 3550 6.1).
      for (let at = 0; at + 8 <= r.rtcp.length; at += 4 * (((r.rtcp[at + 2]! << 8) | r.rtcp[at + 3]!) + 1)) {
        if (r.rtcp[at + 1] === 200) s.senderReportSsrcs.add(new DataView(r.rtcp.buffer, r.rtcp.byteOffset).getUint32(at + 4));
      }
      continue;
    }
    s.rtp++;
    const r = rtpChecker.open(data);
    if (!r.ok) {
      s.rtpFailed++;
      continue;
    }
    s.rtpAuthenticated++;
    s.ssrcs.add(r.header.ssrc);
    s.payloadTypes.add(r.header.payloadType);
    if (r.header.payloadType === payloadType) s.payloads.push(r.payload);
  }
  return s;
}

/** Chromium's getStats() tlsVersion for our HandshakeInfo.version. */
export const TLS_VERSION_HEX: Record<HandshakeInfo['version'], string> = { 'DTLS 1.2': 'FEFD', 'DTLS 1.3': 'FEFC' };

/** "AB:CD:.." of an SDP fingerprint "sha-256 AB:CD:..". */
export const fingerprintHex = (f: string): string => f.split(' ')[1]!.toUpperCase();
