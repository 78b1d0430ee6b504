// RFC 7983 / RFC 9443 first-byte demultiplexing as Web Streams.
export { classifyFirstByte, classifyPacket, isRtcp, PACKET_CLASSES, type PacketClass, type ClassifyOptions } from './classify.ts';
export { Demux, Merge, demuxSocket, type DemuxOptions, type DemuxStats, type DemuxedPath, type DemuxedSocket } from './demux.ts';
