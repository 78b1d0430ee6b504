// First-byte demultiplexing of one UDP 5-tuple (RFC 7983 5, as updated by
// RFC 9443 3). WebRTC and other RTP stacks carry STUN, DTLS, (S)RTP/(S)RTCP,
// ZRTP, TURN ChannelData and QUIC on one port; the first byte tells them apart:
//
//                +----------------+
//                |      [0..3]  --+--> STUN
//                |      [4..15] --+--> (drop)
//                |     [16..19] --+--> ZRTP
//   packet -->   |     [20..63] --+--> DTLS
//                |     [64..79] --+--> TURN ChannelData (or QUIC, see below)
//                |    [80..127] --+--> QUIC (short header, fixed bit set)
//                |   [128..191] --+--> RTP / RTCP
//                |   [192..255] --+--> QUIC (long header)
//                +----------------+
//
// 64..79 is shared: a QUIC short header packet (0b01xxxxxx) may start with any
// of those bytes, and so does a ChannelData message (channel numbers
// 0x4000-0x4FFF, RFC 8656 12). RFC 9443 leaves the choice to what the endpoint
// knows: TURN channels only ever come from a TURN server, so a packet in that
// range is ChannelData when TURN channels are in use on the path (optionally:
// when it comes from the TURN server) and QUIC otherwise.

/** What the first byte of a datagram says it is (RFC 7983, RFC 9443). */
export type PacketClass = 'stun' | 'zrtp' | 'dtls' | 'turn' | 'quic' | 'rtp';

/** All classes, in first-byte order. */
export const PACKET_CLASSES: readonly PacketClass[] = ['stun', 'zrtp', 'dtls', 'turn', 'quic', 'rtp'];

/** Options of the first-byte classifier. */
export interface ClassifyOptions {
  /**
   * Whether 64..79 is TURN ChannelData (true, the RFC 7983 reading) or QUIC
   * (false: no TURN channels on this path). Default true.
   */
  turnChannels?: boolean;
}

/** The class of a packet by its first byte, or undefined for 4..15 and empty packets (RFC 9443: drop). */
export function classifyFirstByte(firstByte: number, opts: ClassifyOptions = {}): PacketClass | undefined {
  if (!Number.isInteger(firstByte) || firstByte < 0 || firstByte > 255) throw new RangeError(`first byte must be 0..255, not ${firstByte}`);
  if (firstByte <= 3) return 'stun';
  if (firstByte <= 15) return undefined;
  if (firstByte <= 19) return 'zrtp';
  if (firstByte <= 63) return 'dtls';
  if (firstByte <= 79) return (opts.turnChannels ?? true) ? 'turn' : 'quic';
  if (firstByte <= 127) return 'quic';
  if (firstByte <= 191) return 'rtp';
  return 'quic';
}

/** The class of a whole packet (undefined when empty or in 4..15). */
export function classifyPacket(packet: Uint8Array, opts: ClassifyOptions = {}): PacketClass | undefined {
  return packet.length ? classifyFirstByte(packet[0]!, opts) : undefined;
}

/**
 * RTP or RTCP, for a packet classified 'rtp' (RFC 5761 4): RTCP packet types
 * 192..223 occupy the second byte where RTP has marker bit and payload type,
 * so payload types 64..95 are avoided with RTCP multiplexing.
 */
export function isRtcp(packet: Uint8Array): boolean {
  return packet.length >= 2 && packet[1]! >= 192 && packet[1]! <= 223;
}
