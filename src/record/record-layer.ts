// The record layer's epoch and replay manager (RFC 6347 4.1, RFC 9147 4): read
// and write epochs, sequence numbers, a replay window per epoch, protection
// built from the traffic keys the handshake hands over, and a bounded buffer
// for records of the next epoch that arrive before the keys that open it
// (reordering). How records look on the wire is the format's (format.ts),
// chosen per version. Records that fail any check are dropped and counted,
// never fatal (RFC 6347 4.1.2.7).
import { ContentType, ProtocolVersion, type DtlsRecord } from '../wire/types.ts';
import { dtls12Format, type RecordFormat } from './format.ts';
import { ReplayWindow } from './replay-window.ts';
import { RecordProtection } from './protection.ts';
import type { TrafficKeys } from './traffic-keys.ts';
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
  replay: ReplayWindow;
}
interface WriteEpoch {
  protection: RecordProtection | null;
  nextSeq: number;
}

const MAX_SEQ = 2 ** 48 - 1;

export class RecordLayer {
  readonly #read = new Map<number, ReadEpoch>([[0, { protection: null, replay: new ReplayWindow() }]]);
  readonly #write = new Map<number, WriteEpoch>([[0, { protection: null, nextSeq: 0 }]]);
  #readEpoch = 0;
  #writeEpoch = 0;
  #pending: DtlsRecord[] = [];
  #pendingBytes = 0;
  #version: number = ProtocolVersion.DTLS1_2;
  readonly #crypto: CryptoProvider;
  #format: RecordFormat = dtls12Format;
  readonly #drop: (reason: DropReason) => void;
  readonly #maxPendingRecords: number;
  readonly #maxPendingBytes: number;

  /** `limits`: records of the next epoch held before its keys exist (bounded; RFC 6347 4.1). */
  constructor(
    crypto: CryptoProvider,
    drop: (reason: DropReason) => void,
    limits: { maxRecords: number; maxBytes: number } = { maxRecords: 32, maxBytes: 65536 },
  ) {
    this.#crypto = crypto;
    this.#drop = drop;
    this.#maxPendingRecords = limits.maxRecords;
    this.#maxPendingBytes = limits.maxBytes;
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

  /** Record version for what we send (DTLS 1.0's value is allowed for the first ClientHello). */
  set version(v: number) {
    this.#version = v;
  }

  /** Splits and opens a datagram: what authenticated, in order. */
  open(datagram: Uint8Array): PlainRecord[] {
    const { records, malformed } = this.#format.split(datagram);
    if (malformed) this.#drop('malformed');
    const out: PlainRecord[] = [];
    for (const r of records) {
      const p = this.#openRecord(r, true);
      if (p) out.push(p);
    }
    return out;
  }

  #openRecord(r: DtlsRecord, mayBuffer: boolean): PlainRecord | undefined {
    if (!this.#format.acceptsVersion(r.version)) {
      this.#drop('bad_version');
      return undefined;
    }
    const ep = this.#read.get(r.epoch);
    if (!ep) {
      if (mayBuffer && r.epoch === this.#readEpoch + 1) {
        if (this.#pending.length >= this.#maxPendingRecords || this.#pendingBytes + r.fragment.length > this.#maxPendingBytes) {
          this.#drop('future_epoch_overflow');
        } else {
          // Copy: the datagram buffer belongs to the caller.
          this.#pending.push({ ...r, fragment: r.fragment.slice() });
          this.#pendingBytes += r.fragment.length;
        }
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
    if (ep.protection) {
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
    return { contentType: r.contentType, epoch: r.epoch, sequenceNumber: r.sequenceNumber, payload };
  }

  /**
   * Opens the next read epoch (on ChangeCipherSpec, RFC 6347 4.1) and returns
   * records of that epoch that arrived early, now opened.
   */
  installRead(epoch: number, keys: TrafficKeys): PlainRecord[] {
    const protection = new RecordProtection(this.#crypto, keys.suite, keys.key, keys.iv);
    this.#read.set(epoch, { protection, replay: new ReplayWindow() });
    this.#readEpoch = epoch;
    // Keep the previous epoch readable: the peer may retransmit its flight
    // in the old epoch after we have moved on (RFC 6347 4.2.4). Older go.
    for (const e of this.#read.keys()) if (e < epoch - 1) this.#read.delete(e);
    const early = this.#pending.filter((r) => r.epoch === epoch);
    this.#pending = [];
    this.#pendingBytes = 0;
    const out: PlainRecord[] = [];
    for (const r of early) {
      const p = this.#openRecord(r, false);
      if (p) out.push(p);
    }
    return out;
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
    const protection = new RecordProtection(this.#crypto, keys.suite, keys.key, keys.iv);
    this.#write.set(epoch, { protection, nextSeq: 0 });
    this.#writeEpoch = epoch;
  }

  /** The sequence number the next record sealed in `epoch` gets. */
  nextWriteSeq(epoch: number): number {
    return this.#write.get(epoch)?.nextSeq ?? 0;
  }

  /** Bytes a record adds around its payload in this epoch. */
  overhead(epoch: number): number {
    return this.#format.headerLength(epoch) + (this.#write.get(epoch)?.protection?.overhead ?? 0);
  }

  /** One protected record, ready to pack into a datagram. */
  seal(contentType: number, payload: Uint8Array, epoch = this.#writeEpoch): Uint8Array {
    const ep = this.#write.get(epoch);
    if (!ep) throw new DtlsError('internal_error', `no write state for epoch ${epoch}`);
    if (ep.nextSeq > MAX_SEQ) throw new DtlsError('internal_error', 'sequence number space exhausted');
    const seq = ep.nextSeq++;
    const version = epoch === 0 && contentType === ContentType.handshake ? this.#version : ProtocolVersion.DTLS1_2;
    // DTLS 1.2's header is written by the protection itself, the record sealed straight behind it (no copy).
    if (ep.protection && this.#format === dtls12Format) return ep.protection.sealRecord(epoch, seq, contentType, version, payload);
    const fragment = ep.protection ? ep.protection.seal(epoch, seq, contentType, version, payload) : payload;
    return this.#format.frame({ contentType, version, epoch, sequenceNumber: seq, fragment });
  }
}
