// The record layer's epoch and replay manager (RFC 6347 4.1, RFC 9147 4): read
// and write epochs, sequence numbers, a replay window per epoch, protection
// built from the traffic keys the handshake hands over, and a bounded buffer
// for records of the next epoch that arrive before the keys that open it
// (reordering). How records look on the wire is the format's (format.ts),
// chosen per version; DTLS 1.3 (format13.ts) adds record number encryption,
// epoch and sequence reconstruction, and several read epochs open at once
// (handshake and application), and connection IDs (cid.ts: the peer's on what
// we send, ours checked on what comes; in DTLS 1.2 the tls12_cid records of
// RFC 9146 from epoch 1 on). Records that fail any check are dropped and
// counted, never fatal (RFC 6347 4.1.2.7, RFC 9147 4.5.2).
import { ContentType, ProtocolVersion } from '../wire/types.ts';
import { dtls12Format, splitCid12, type RecordFormat } from './format.ts';
import type { CidRecord12 } from '../wire/cid12-record.ts';
import { innerContentTypeIndex } from '../wire/inner-plaintext.ts';
import { ReplayWindow } from './replay-window.ts';
import { RecordProtection } from './protection.ts';
import { MAX_ENCRYPTED_RECORD, RecordProtection13 } from './protection13.ts';
import { isTrafficKeys13, type TrafficKeys } from './traffic-keys.ts';
import { ConnectionIdState } from './cid.ts';
import { EpochTable } from './epoch-table.ts';
import { epochOf13, overhead13, plaintext13, plaintextAllowed13, seal13, sequenceOf13, split13 } from './format13.ts';
import type { CiphertextRecord13 } from '../wire/unified-header.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import type { DropReason } from '../connection-types.ts';
import { DtlsError } from '../errors.ts';

export interface PlainRecord {
  contentType: number;
  epoch: number;
  sequenceNumber: number;
  payload: Uint8Array;
}

interface ReadEpoch {
  protection: RecordProtection | null;
  protection13: RecordProtection13 | null;
  replay: ReplayWindow;
}
interface WriteEpoch {
  protection: RecordProtection | null;
  protection13: RecordProtection13 | null;
  nextSeq: number;
}

/** A record held until its epoch's keys exist: a 1.2 record, or a 1.3 ciphertext (copied out of the datagram). */
type Held = { v: '1.2'; rec: CidRecord12 } | { v: '1.3'; rec: CiphertextRecord13 };

/** The record formats by protocol version: DTLS 1.2's (with `format`), or DTLS 1.3's. */
export type RecordVersion = '1.2' | '1.3';

const MAX_SEQ = 2 ** 48 - 1;

export class RecordLayer {
  readonly #read = new EpochTable<ReadEpoch>();
  readonly #write = new EpochTable<WriteEpoch>();
  #readEpoch = 0;
  #writeEpoch = 0;
  #pending: Held[] = [];
  #protocol: RecordVersion = '1.2';
  #pendingBytes = 0;
  #version: number = ProtocolVersion.DTLS1_2;
  readonly #crypto: CryptoProvider;
  #format: RecordFormat = dtls12Format;
  readonly #drop: (reason: DropReason) => void;
  readonly #maxPendingRecords: number;
  readonly #maxPendingBytes: number;
  /** Connection IDs (RFC 9147 9, RFC 9146): ours on records in, the peer's on records out. */
  readonly #cids = new ConnectionIdState();
  /** The highest record number opened under the keys so far, and how many datagrams raised it (RFC 9146 6). */
  // Two numbers, not an object: set on every newer record, so on the bulk path.
  #newestEpoch = -1;
  #newestSeq = -1;
  #newestDatagrams = 0;
  #raised = false;

  /** `limits`: records of the next epoch held before its keys exist (bounded; RFC 6347 4.1). */
  constructor(
    crypto: CryptoProvider,
    drop: (reason: DropReason) => void,
    limits: { maxRecords: number; maxBytes: number } = { maxRecords: 32, maxBytes: 65536 },
  ) {
    this.#read.set(0, { protection: null, protection13: null, replay: new ReplayWindow() });
    this.#write.set(0, { protection: null, protection13: null, nextSeq: 0 });
    this.#crypto = crypto;
    this.#drop = drop;
    this.#maxPendingRecords = limits.maxRecords;
    this.#maxPendingBytes = limits.maxBytes;
  }

  /** The connection IDs in use: set by the handshake, changed by NewConnectionId (DTLS 1.3). */
  get cids(): ConnectionIdState {
    return this.#cids;
  }

  /**
   * How many datagrams carried a record that authenticated and was newer (by
   * epoch, then sequence number) than every record opened before it: RFC 9146 6
   * lets a peer's new address be believed only from such a datagram.
   */
  get newestDatagrams(): number {
    return this.#newestDatagrams;
  }

  /** Records of the next epoch held until its ChangeCipherSpec. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  get readEpoch(): number {
    return this.#readEpoch;
  }
  get writeEpoch(): number {
    return this.#writeEpoch;
  }
  /** The wire format records are read and written in (DTLS 1.2's until a version says otherwise). */
  get format(): RecordFormat {
    return this.#format;
  }
  set format(f: RecordFormat) {
    this.#format = f;
  }

  /**
   * Which version's records are read and written. A client offering DTLS 1.3
   * starts in '1.3' (its split also reads a 1.2 server's epoch-0 records) and
   * switches to '1.2' if the ServerHello says so; records held for a 1.3
   * epoch are then dropped.
   */
  get protocol(): RecordVersion {
    return this.#protocol;
  }
  set protocol(v: RecordVersion) {
    if (v === this.#protocol) return;
    this.#protocol = v;
    // Records held for the other version's epochs go (a fallback keeps the 1.2 ones #open13 held).
    this.#keepHeld(v);
  }

  /** Record version for what we send (DTLS 1.0's value is allowed for the first ClientHello). */
  set version(v: number) {
    this.#version = v;
  }

  /** Splits and opens a datagram: what authenticated, in order. */
  open(datagram: Uint8Array): PlainRecord[] {
    if (this.#protocol === '1.3') return this.#open13(datagram);
    // Once we receive CIDs, tls12_cid headers carry ours (RFC 9146 4): the split needs their length.
    const cidLength = this.#cids.receiveLength;
    const { records, malformed } = cidLength ? splitCid12(datagram, cidLength) : this.#format.split(datagram);
    if (malformed) this.#drop('malformed');
    const out: PlainRecord[] = [];
    this.#raised = false;
    for (const r of records) {
      const p = this.#openRecord(r, true);
      if (p) out.push(p);
    }
    if (this.#raised) this.#newestDatagrams++;
    return out;
  }

  #open13(datagram: Uint8Array): PlainRecord[] {
    const { order, malformed, rest } = split13(datagram, this.#cids.receiveLength);
    // Before any DTLS 1.3 key, a 1.3+1.2 client may yet fall back: a 1.2 server's
    // abbreviated handshake puts ChangeCipherSpec and its epoch-1 Finished in the
    // ServerHello's datagram, which the 1.3 split stops at. They are read as 1.2.
    const fallback = this.#readEpoch === 0 && malformed ? this.#fallback12(rest) : undefined;
    // A set C bit (no CID of ours), a bad length or an unknown first byte end the split.
    if (malformed && !fallback) this.#drop('malformed');
    const out: PlainRecord[] = [];
    this.#raised = false;
    for (const r of order) {
      let p: PlainRecord | undefined;
      if (r.kind === 'ciphertext' && !this.#cids.accepts(r.cid)) {
        // Not addressed to us (or no CID where one is due): the rest of the datagram goes too (RFC 9147 4).
        this.#drop('unknown_cid');
        break;
      }
      if (r.kind === 'ciphertext') p = this.#openRecord13(r, true);
      else if (r.epoch === 1 && this.#readEpoch === 0)
        this.#holdFor12({ contentType: r.contentType, version: r.version, epoch: 1, sequenceNumber: r.sequenceNumber, fragment: r.fragment });
      else if (r.epoch !== 0 || !plaintextAllowed13(r.contentType)) this.#drop('unexpected');
      // legacy_record_version is ignored in DTLS 1.3 (RFC 9147 4); epoch 0 is in the clear.
      else
        p = this.#openRecord(
          { contentType: r.contentType, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: r.sequenceNumber, fragment: r.fragment },
          false,
        );
      if (p) out.push(p);
    }
    if (fallback) for (const r of fallback) out.push(...this.#openOne(r));
    if (this.#raised) this.#newestDatagrams++;
    return out;
  }

  /**
   * What the 1.3 split could not read, split as DTLS 1.2 (tls12_cid with our
   * CID's length): epoch-1 records are held for a fallback, a ChangeCipherSpec
   * is read (the 1.2 machine takes it after the ServerHello), nothing else.
   */
  #fallback12(rest: Uint8Array): CidRecord12[] | undefined {
    const cidLength = this.#cids.receiveLength;
    const { records, malformed } = cidLength ? splitCid12(rest, cidLength) : this.#format.split(rest);
    if (!records.length) return undefined;
    if (malformed) this.#drop('malformed');
    const ccs: CidRecord12[] = [];
    for (const r of records)
      if (r.epoch === 0 && r.contentType === ContentType.change_cipher_spec) ccs.push(r);
      else if (r.epoch === 1) this.#holdFor12(r);
      else this.#drop('unexpected');
    return ccs;
  }

  #holdFor12(r: CidRecord12): void {
    // Copy: the datagram buffer belongs to the caller.
    this.#hold({ v: '1.2', rec: { ...r, fragment: r.fragment.slice(), ...(r.cid && { cid: r.cid.slice() }) } }, r.fragment.length);
  }

  #openOne(r: CidRecord12): PlainRecord[] {
    const p = this.#openRecord(r, false);
    return p ? [p] : [];
  }

  #hold(h: Held, bytes: number): void {
    if (this.#pending.length >= this.#maxPendingRecords || this.#pendingBytes + bytes > this.#maxPendingBytes) return this.#drop('future_epoch_overflow');
    this.#pending.push(h);
    this.#pendingBytes += bytes;
  }

  #openRecord13(r: CiphertextRecord13, mayBuffer: boolean): PlainRecord | undefined {
    // A held record is checked again: the CID it was split with may not have been negotiated.
    if (!mayBuffer && !this.#cids.accepts(r.cid)) {
      this.#drop('unknown_cid');
      return undefined;
    }
    const epoch = epochOf13(r.epochBits, this.#readEpoch);
    const ep = epoch === undefined ? undefined : this.#read.get(epoch);
    if (epoch === undefined || !ep?.protection13) {
      // A later epoch than ours (the peer's next flight before the message that keys it): held, bounded.
      if (mayBuffer && epoch !== undefined && epoch > this.#readEpoch) {
        // Copy: the datagram buffer belongs to the caller.
        const header = r.header.slice();
        this.#hold({ v: '1.3', rec: { ...r, header, encryptedRecord: r.encryptedRecord.slice() } }, header.length + r.encryptedRecord.length);
      } else this.#drop(epoch !== undefined && epoch < this.#readEpoch ? 'stale_epoch' : 'unexpected');
      return undefined;
    }
    const seq = sequenceOf13(ep.protection13, r, ep.replay.top);
    if (seq === undefined) {
      this.#drop('malformed');
      return undefined;
    }
    if (ep.replay.isReplay(seq)) {
      this.#drop('replay');
      return undefined;
    }
    const res = ep.protection13.open(r.header, seq, r.encryptedRecord);
    // Too long after it authenticated: the peer's own record, fatal (RFC 8446 5.4), as in 1.2 below.
    if (!res.ok && res.reason === 'record_overflow' && r.encryptedRecord.length <= MAX_ENCRYPTED_RECORD) {
      throw new DtlsError('record_overflow', `a record of ${r.encryptedRecord.length - ep.protection13.tagLength} inner plaintext bytes, over 2^14 + 1`);
    }
    if (!res.ok) {
      this.#drop(res.reason === 'bad_record_mac' || res.reason === 'key_exhausted' ? 'auth_failed' : 'malformed');
      return undefined;
    }
    ep.replay.mark(seq);
    this.#noteNewest(epoch, seq);
    return { contentType: res.contentType, epoch, sequenceNumber: seq, payload: res.content };
  }

  #openRecord(r: CidRecord12, mayBuffer: boolean): PlainRecord | undefined {
    if (this.#protocol === '1.2' && !this.#format.acceptsVersion(r.version)) {
      this.#drop('bad_version');
      return undefined;
    }
    // RFC 9146: from epoch 1 on, a tls12_cid record with our CID when we receive one, an ordinary record when we do not.
    if ((r.contentType === ContentType.tls12_cid || this.#cids.receiveLength > 0) && this.#protocol === '1.2' && !this.#cid12Addressed(r)) {
      this.#drop('unknown_cid');
      return undefined;
    }
    const ep = this.#read.get(r.epoch);
    if (!ep) {
      if (mayBuffer && r.epoch === this.#readEpoch + 1) {
        // Copy: the datagram buffer belongs to the caller.
        this.#hold({ v: '1.2', rec: { ...r, fragment: r.fragment.slice(), ...(r.cid && { cid: r.cid.slice() }) } }, r.fragment.length);
      } else {
        this.#drop(r.epoch < this.#readEpoch ? 'stale_epoch' : 'future_epoch_overflow');
      }
      return undefined;
    }
    if (ep.replay.isReplay(r.sequenceNumber)) {
      this.#drop('replay');
      return undefined;
    }
    let payload: Uint8Array | null = r.fragment;
    let contentType = r.contentType;
    if (ep.protection && r.cid) {
      const inner = ep.protection.openCid(r.epoch, r.sequenceNumber, r.version, r.cid, r.fragment);
      if (!inner) {
        this.#drop('auth_failed');
        return undefined;
      }
      // DTLSInnerPlaintext: the real type is the last non-zero byte; all zeros is the peer's error (RFC 9146 4, RFC 8446 5.4).
      const at = innerContentTypeIndex(inner);
      if (at < 0) throw new DtlsError('unexpected_message', 'a tls12_cid record with no content type (all padding)');
      contentType = inner[at]!;
      payload = inner.subarray(0, at);
    } else if (ep.protection) {
      payload = ep.protection.open(r.epoch, r.sequenceNumber, r.contentType, r.version, r.fragment);
      if (!payload) {
        this.#drop('auth_failed');
        return undefined;
      }
    }
    if (payload.length > 16384) {
      // Authenticated, so the peer's own: record_overflow (RFC 5246 6.2.1, RFC 8446 5.4).
      if (ep.protection) throw new DtlsError('record_overflow', `a record of ${payload.length} plaintext bytes, over 2^14`);
      this.#drop('malformed');
      return undefined;
    }
    ep.replay.mark(r.sequenceNumber);
    if (ep.protection) this.#noteNewest(r.epoch, r.sequenceNumber);
    return { contentType, epoch: r.epoch, sequenceNumber: r.sequenceNumber, payload };
  }

  /** An authenticated record: the newest yet (by epoch, then sequence number) raises this datagram (RFC 9146 6). */
  #noteNewest(epoch: number, seq: number): void {
    if (epoch > this.#newestEpoch || (epoch === this.#newestEpoch && seq > this.#newestSeq)) {
      this.#newestEpoch = epoch;
      this.#newestSeq = seq;
      this.#raised = true;
    }
  }

  /** DTLS 1.2: whether a record is framed as RFC 9146 says records to us are (epoch 0: never tls12_cid). */
  #cid12Addressed(r: CidRecord12): boolean {
    if (r.contentType === ContentType.tls12_cid) return r.epoch > 0 && r.cid !== undefined && this.#cids.accepts(r.cid);
    return r.epoch === 0 || this.#cids.accepts(undefined);
  }

  /**
   * Opens the next read epoch (on ChangeCipherSpec, RFC 6347 4.1) and returns
   * records of that epoch that arrived early, now opened.
   */
  installRead(epoch: number, keys: TrafficKeys): PlainRecord[] {
    const [protection, protection13] = this.#protections(keys);
    // DTLS 1.3 keys mean the 1.3 format (a server learns its version from the ClientHello).
    if (protection13) this.#protocol = '1.3';
    this.#read.set(epoch, { protection, protection13, replay: new ReplayWindow() });
    this.#readEpoch = epoch;
    // Keep the previous epoch readable: the peer may retransmit its flight
    // in the old epoch after we have moved on (RFC 6347 4.2.4). Older go.
    // DTLS 1.3 keeps two: epoch 0 (ServerHello copies) while 2 is current,
    // and 2 (the handshake's copies, its ACKs) once 3 opens (RFC 9147 6.1).
    const keep = this.#protocol === '1.3' ? 2 : 1;
    for (const e of this.#read.keys()) if (e < epoch - keep) this.#read.delete(e);
    const v13 = this.#protocol === '1.3';
    this.#keepHeld(this.#protocol);
    const early = this.#pending.filter((h) => (v13 ? h.v === '1.3' && h.rec.epochBits === epoch % 4 : h.v === '1.2' && h.rec.epoch === epoch));
    // 1.3: records of a later epoch (application data before the Finished) stay held.
    this.#pending = v13 ? this.#pending.filter((h) => !early.includes(h)) : [];
    this.#keepHeld(this.#protocol);
    const out: PlainRecord[] = [];
    for (const h of early) {
      const p = h.v === '1.2' ? this.#openRecord(h.rec, false) : this.#openRecord13(h.rec, false);
      if (p) out.push(p);
    }
    return out;
  }

  #keepHeld(v: RecordVersion): void {
    this.#pending = this.#pending.filter((h) => h.v === v);
    this.#pendingBytes = this.#pending.reduce((n, h) => n + (h.v === '1.2' ? h.rec.fragment.length : h.rec.header.length + h.rec.encryptedRecord.length), 0);
  }

  #protections(keys: TrafficKeys): [RecordProtection | null, RecordProtection13 | null] {
    if (!isTrafficKeys13(keys)) return [new RecordProtection(this.#crypto, keys.suite, keys.key, keys.iv), null];
    // sn_key copied: the protection keeps it (the provider may key a cipher cache by it), not the buffer it came in.
    return [null, new RecordProtection13(this.#crypto, keys.suite, keys.key, keys.iv, keys.sn.slice())];
  }

  /**
   * Forgets an epoch's keys in both directions (DTLS 1.3: the handshake epoch
   * once the peer can need nothing more of it, RFC 9147 5.8.1, 6.1), or one
   * direction of them. The epochs in use stay. Its records are dropped as 'stale_epoch' from then on; the IVs
   * held are zeroed.
   */
  discardEpoch(epoch: number, direction: 'read' | 'write' | 'both' = 'both'): void {
    const r = direction === 'write' ? undefined : this.#read.get(epoch);
    if (r && epoch !== this.#readEpoch) {
      r.protection13?.dispose();
      this.#read.delete(epoch);
    }
    const w = direction === 'read' ? undefined : this.#write.get(epoch);
    if (w && epoch !== this.#writeEpoch) {
      w.protection13?.dispose();
      this.#write.delete(epoch);
    }
  }

  /** Whether records of `epoch` can still be opened. */
  canRead(epoch: number): boolean {
    return this.#read.has(epoch);
  }

  /** Whether records can still be sealed in `epoch`. */
  canWrite(epoch: number): boolean {
    return this.#write.has(epoch);
  }

  /** A stateless server's answer reused the ClientHello's sequence number (RFC 6347 4.2.1): continue above it. */
  advanceWriteSeq(epoch: number, seq: number): void {
    const ep = this.#write.get(epoch);
    if (ep && seq > ep.nextSeq) ep.nextSeq = Math.min(seq, MAX_SEQ);
  }

  /** After a HelloVerifyRequest the server starts over, and may reuse epoch-0 sequence numbers. */
  resetReplay(epoch: number): void {
    this.#read.get(epoch)?.replay.reset();
  }

  installWrite(epoch: number, keys: TrafficKeys): void {
    const [protection, protection13] = this.#protections(keys);
    if (protection13) this.#protocol = '1.3';
    this.#write.set(epoch, { protection, protection13, nextSeq: 0 });
    this.#writeEpoch = epoch;
  }

  /** The sequence number the next record sealed in `epoch` gets. */
  nextWriteSeq(epoch: number): number {
    return this.#write.get(epoch)?.nextSeq ?? 0;
  }

  /** Bytes a record adds around its payload in this epoch. */
  overhead(epoch: number): number {
    if (this.#protocol === '1.3') return overhead13(epoch, this.#write.get(epoch)?.protection13 ?? null, this.#cids.peer?.length ?? 0);
    const p = this.#write.get(epoch)?.protection;
    // tls12_cid (RFC 9146 4): the peer's CID in the header and the real content type inside.
    const cid = p ? this.#cids.peer : undefined;
    return this.#format.headerLength(epoch) + (p?.overhead ?? 0) + (cid ? cid.length + 1 : 0);
  }

  /** One protected record, ready to pack into a datagram. */
  seal(contentType: number, payload: Uint8Array, epoch = this.#writeEpoch): Uint8Array {
    const ep = this.#write.get(epoch);
    if (!ep) throw new DtlsError('internal_error', `no write state for epoch ${epoch}`);
    if (ep.nextSeq > MAX_SEQ) throw new DtlsError('internal_error', 'sequence number space exhausted');
    const seq = ep.nextSeq++;
    if (ep.protection13) return seal13(ep.protection13, epoch, seq, contentType, payload, this.#cids.peer);
    if (this.#protocol === '1.3' && epoch === 0)
      return plaintext13(contentType, seq, payload, contentType === ContentType.handshake ? this.#version : undefined);
    const version = epoch === 0 && contentType === ContentType.handshake ? this.#version : ProtocolVersion.DTLS1_2;
    // The peer asked for a CID (RFC 9146): every protected record carries it, as tls12_cid.
    const cid = ep.protection ? this.#cids.peer : undefined;
    if (cid) return ep.protection!.sealCid(epoch, seq, contentType, version, payload, cid);
    // DTLS 1.2's header is written by the protection itself, the record sealed straight behind it (no copy).
    if (ep.protection && this.#format === dtls12Format) return ep.protection.sealRecord(epoch, seq, contentType, version, payload);
    const fragment = ep.protection ? ep.protection.seal(epoch, seq, contentType, version, payload) : payload;
    return this.#format.frame({ contentType, version, epoch, sequenceNumber: seq, fragment });
  }
}
