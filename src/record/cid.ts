// Connection IDs in the record layer (RFC 9147 4, 9; RFC 9146): the
// CIDs records addressed to us may carry (ours, all of one length, since the
// unified header does not say how long a CID is), the one we put on what we
// send (the peer's), and the check of each received record against ours.
// Epoch-0 records (DTLSPlaintext) never carry one; every DTLSCiphertext does
// once a non-empty CID is negotiated (RFC 9147 4: "MUST be contained in all
// datagrams"). DTLS 1.2 (RFC 9146) uses the same state: a tls12_cid record
// carries ours from epoch 1 on, and what we send carries the peer's.
import { equalBytes } from '../wire/codec.ts';
import { UNIFIED_C, isUnifiedHeader } from '../wire/unified-header.ts';
import { ContentType } from '../wire/types.ts';
import { CID12_OFFSET } from '../wire/cid12-record.ts';

/** Our CIDs the peer may use at once; issuing more retires the oldest (bounds a server's CID table). */
export const MAX_LOCAL_CIDS = 8;
/** Spare CIDs of the peer we keep; RFC 9147 9 lets a receiver discard the rest. */
export const MAX_PEER_CIDS = 8;
/** Longest CID we draw for ourselves (RFC 9146 3 allows 255; QUIC's 20 is plenty to route by). */
export const MAX_OWN_CID_LENGTH = 32;

/** What one connection uses: CIDs addressed to us (one length) and the one we send. */
export class ConnectionIdState {
  /** Length of our CIDs: what the unified header parser needs (0: records carry none). */
  #length = 0;
  #local: Uint8Array[] = [];
  #peer: Uint8Array | undefined;
  /** Offered, not yet settled (a client before the ServerHello): records with our CID or none are both read. */
  #tentative = false;

  /** Bytes of CID in a record addressed to us (0: none). */
  get receiveLength(): number {
    return this.#length;
  }

  /** The CID we put on records we send (undefined or empty: the C bit stays clear). */
  get peer(): Uint8Array | undefined {
    return this.#peer;
  }
  set peer(cid: Uint8Array | undefined) {
    this.#peer = cid && cid.length ? cid.slice() : undefined;
  }

  /** Our CIDs, oldest first. */
  get local(): readonly Uint8Array[] {
    return this.#local;
  }

  /**
   * Replaces our CIDs (each of the same length; an empty list, or one empty
   * CID, means records to us carry none).
   */
  setLocal(cids: readonly Uint8Array[], tentative = false): void {
    this.#tentative = tentative;
    const list = cids.filter((c) => c.length > 0).map((c) => c.slice());
    const length = list[0]?.length ?? 0;
    if (list.some((c) => c.length !== length)) throw new RangeError('our connection IDs must all have one length (RFC 9147 4: the header does not carry it)');
    this.#local = list.slice(-MAX_LOCAL_CIDS);
    this.#length = length;
  }

  /** Adds CIDs of ours (NewConnectionId sent); the oldest go past MAX_LOCAL_CIDS. */
  addLocal(cids: readonly Uint8Array[]): void {
    this.setLocal([...this.#local, ...cids], this.#tentative);
  }

  /**
   * Whether a received ciphertext record's CID (undefined: C bit clear) is
   * addressed to us: one of ours, or none when we have none.
   */
  accepts(cid: Uint8Array | undefined): boolean {
    if (this.#length === 0) return cid === undefined;
    if (cid === undefined) return this.#tentative;
    for (const c of this.#local) if (equalBytes(c, cid)) return true;
    return false;
  }
}

/**
 * The CID of a datagram whose first record is a DTLS 1.3 DTLSCiphertext with
 * the C bit, or a DTLS 1.2 tls12_cid record (RFC 9146 4: the CID after the
 * sequence number), read with the length the receiver chose for its CIDs;
 * undefined otherwise.
 * A view into the datagram. For a server that routes datagrams by CID before
 * any record is opened (RFC 9146 6: nothing here is authenticated yet).
 */
export function datagramCid(datagram: Uint8Array, length: number): Uint8Array | undefined {
  if (length <= 0 || datagram.length < 1 + length) return undefined;
  const first = datagram[0]!;
  if (first === ContentType.tls12_cid) return datagram.length < CID12_OFFSET + length ? undefined : datagram.subarray(CID12_OFFSET, CID12_OFFSET + length);
  if (!isUnifiedHeader(first) || (first & UNIFIED_C) === 0) return undefined;
  return datagram.subarray(1, 1 + length);
}

/** A CID as a map key. */
export function cidKey(cid: Uint8Array): string {
  let s = '';
  for (const b of cid) s += b.toString(16).padStart(2, '0');
  return s;
}
