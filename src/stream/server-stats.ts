// What a DtlsServer counts (server.stats), and the events it dispatches about its peers.
import type { DropReason } from '../connection-types.ts';
import type { DtlsStream } from './dtls-stream.ts';

/** Counters of a DtlsServer (server.stats). */
export interface DtlsServerStats {
  /** HelloVerifyRequests sent. */
  cookieReplies: number;
  /** Datagrams from unknown peers that were not an acceptable ClientHello (garbage, fragments, other records). */
  droppedUnknown: number;
  /** Datagrams from new peers dropped because maxConnections peers were held. */
  droppedOverCapacity: number;
  /** Datagrams from new peers dropped because maxHandshakes handshakes were in progress. */
  droppedHandshakeLimit: number;
  /** HelloVerifyRequests not sent because the socket's queue was full (stateless: the client retries). */
  droppedBackpressure: number;
  /** Datagrams with a piece of a ClientHello that the cookie gate held until the message was whole (a DTLS 1.3 server's gate). */
  heldFragments: number;
  /** Peers that passed the cookie check and got a connection. */
  accepted: number;
  /**
   * Known peers replaced by a new handshake from the same address and port: an
   * epoch-0 ClientHello with a new random and a valid cookie (RFC 6347 4.2.8, a
   * client that lost its state). Also counted in accepted.
   */
  restarts: number;
  /** Handshakes completed. */
  handshakes: number;
  /** Peers removed because their handshake did not complete within handshakeTimeout. */
  handshakeTimeouts: number;
  /** Peers whose handshake failed otherwise (a fatal alert either way, a close before it completed). */
  handshakeFailures: number;
  /** Connected peers closed because they sent nothing for idleTimeout ms. */
  idleTimeouts: number;
  /** Peers that moved to a new address|port, proven by an authenticated record under their CID (connectionId, DTLS 1.3 or 1.2). */
  migrations: number;
  /** Records dropped silently by the peers' connections (RFC 6347 4.1.2.7), by reason, over the server's life. */
  droppedRecords: Partial<Record<DropReason, number>>;
}

/** The server's own counters; droppedRecords is summed from its peers when asked for. */
export type ServerCounters = Omit<DtlsServerStats, 'droppedRecords'>;

export function newServerCounters(): ServerCounters {
  return {
    cookieReplies: 0,
    droppedUnknown: 0,
    droppedOverCapacity: 0,
    droppedHandshakeLimit: 0,
    droppedBackpressure: 0,
    heldFragments: 0,
    accepted: 0,
    restarts: 0,
    handshakes: 0,
    handshakeTimeouts: 0,
    handshakeFailures: 0,
    idleTimeouts: 0,
    migrations: 0,
  };
}

export function addDrops(into: Partial<Record<DropReason, number>>, from: Partial<Record<DropReason, number>>): void {
  for (const [k, v] of Object.entries(from) as [DropReason, number][]) into[k] = (into[k] ?? 0) + v;
}

/** Detail of the server's 'handshakeerror' event: a peer whose handshake failed. */
export interface HandshakeErrorDetail {
  address: string;
  port: number;
  error: unknown;
}

/** Detail of the server's 'connection' event: a peer passed the cookie exchange and its handshake starts. */
export interface ConnectionStartDetail {
  dtls: DtlsStream;
  address: string;
  port: number;
}
