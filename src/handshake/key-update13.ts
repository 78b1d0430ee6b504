// KeyUpdate in DTLS 1.3 (RFC 8446 4.6.3, 7.2; RFC 9147 8), one object per
// connection and the same for both roles: the application traffic secrets of
// both directions after the handshake, and the epochs they key. The machine
// hands it the peer's KeyUpdate messages; the connection asks it for ours.
//
//   peer's KeyUpdate (epoch e) ─► read keys of e+1 (the old epochs stay readable, record-layer.ts)
//                                 └─ update_requested ─► our KeyUpdate, unless one already waits for its ACK
//   start() ─► KeyUpdate in epoch w, new keys for w+1 written once it is ACKed (RFC 9147 8)
//          └─ while one waits for its ACK: covered by it; only a request for the peer's update
//             it did not make is kept, and sent in a KeyUpdate once the new epoch is in use
//
// It returns actions (machine.ts) and never calls into the connection.
import type { HandshakeAction } from './machine.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { hkdfExpandLabel } from '../crypto/key-schedule13.ts';
import { hashLength } from '../crypto/hkdf.ts';
import type { CipherSuite13 } from '../crypto/suites.ts';
import type { TrafficKeys13 } from '../record/traffic-keys.ts';
import { HandshakeType, type HandshakeMessage } from '../wire/types.ts';
import { decodeKeyUpdate, encodeKeyUpdate } from '../wire/messages13/key-update.ts';
import { DtlsError } from '../errors.ts';
import type { Reassembler } from '../reliability/reassembly.ts';
import { decodeAs } from './common.ts';
import { export13 } from './common13.ts';

/**
 * The peer's epoch is refused past 2^16 - 1 (unexpected_message): RFC 9147 8
 * lets an implementation keep epochs in 16 bits and enforce that limit, which
 * costs a peer at most two KeyUpdates (message_seq already stops its epoch at
 * 2^16 + 1) and is the limit BoringSSL keeps.
 */
export const MAX_READ_EPOCH13 = 0xffff;
/**
 * Our own epoch stops there too: a peer that keeps that limit (BoringSSL, us)
 * would refuse a KeyUpdate past it, so we never send one (RFC 9147 8 bounds
 * the sender at 2^48 - 1; this is the tighter bound peers enforce).
 */
export const MAX_WRITE_EPOCH13 = MAX_READ_EPOCH13;
/** message_seq is 16 bits (RFC 9147 5.2) and never wraps. */
const MAX_MESSAGE_SEQ = 0xffff;
/** The first application epoch (RFC 9147 6.1). */
const EPOCH_APPLICATION = 3;
const EMPTY = new Uint8Array(0);

/**
 * The secrets a connection keeps after its handshake: the application traffic
 * secrets, which KeyUpdates derive from with the suite's hash (RFC 8446 7.2,
 * 7.3), and the exporter master secret (RFC 8446 7.5); not the key schedule,
 * whose master secret nothing needs once the handshake is over.
 */
export interface AppSecrets13 {
  crypto: CryptoProvider;
  suite: CipherSuite13;
  /** Our [sender]_application_traffic_secret_0. */
  ours: Uint8Array;
  /** The peer's. */
  peers: Uint8Array;
  /** exporter_master_secret. */
  exporter: Uint8Array;
}

/**
 * The machine a KeyUpdate13 belongs to (the machine itself, which the
 * connection holds anyway: no closures to keep per connection).
 */
export interface KeyUpdateHost13 {
  /** The machine's next message_seq (shared with its other post-handshake messages). */
  takeMessageSeq(): number;
  /** Post-handshake messages held while our KeyUpdate waited (connection IDs: cid13.ts), sent once its epoch is in use. */
  afterKeyUpdate?(): HandshakeAction[];
}

export class KeyUpdate13 {
  readonly #crypto: CryptoProvider;
  readonly #suite: CipherSuite13;
  readonly #host: KeyUpdateHost13;
  /**
   * Our current application traffic secret, the peer's, then the exporter
   * master secret, in one buffer (two arrays and buffers less per connection);
   * each update overwrites its part, so the secret it replaces is gone (RFC 8446 7.2).
   */
  readonly #secrets: Uint8Array;
  #readEpoch = EPOCH_APPLICATION;
  /** The epoch of our newest write keys (in use, or waiting for the ACK of their KeyUpdate). */
  #writeEpoch = EPOCH_APPLICATION;
  /** A KeyUpdate of ours waits for its ACK: its epoch is not in use yet, nothing else may be sent (RFC 9147 8). */
  #pending = false;
  /** A request for the peer's update made while ours was pending, to send once it is in use. */
  #queued = false;
  /** We sent update_requested and no KeyUpdate of the peer came since (RFC 8446 4.6.3: no second request meanwhile). */
  #asked = false;

  constructor(secrets: AppSecrets13, host: KeyUpdateHost13) {
    this.#crypto = secrets.crypto;
    this.#suite = secrets.suite;
    const n = secrets.ours.length;
    this.#secrets = new Uint8Array(3 * n);
    this.#secrets.set(secrets.ours);
    this.#secrets.set(secrets.peers, n);
    this.#secrets.set(secrets.exporter, 2 * n);
    this.#host = host;
  }

  /** The epoch the peer writes in (as far as its KeyUpdates told us). */
  get readEpoch(): number {
    return this.#readEpoch;
  }
  /** The epoch our records go in now (a pending KeyUpdate's epoch is not in use until its ACK). */
  get sendEpoch(): number {
    return this.#pending ? this.#writeEpoch - 1 : this.#writeEpoch;
  }
  /** A KeyUpdate of ours waits for its ACK. */
  get pending(): boolean {
    return this.#pending;
  }
  /** We asked for the peer's update (update_requested) and it has not come yet. */
  get askedPeer(): boolean {
    return this.#asked;
  }
  /**
   * The connection's keying material exporter (RFC 8446 7.5, RFC 5705's
   * interface), over the exporter master secret kept here; the handshake result
   * hands it out bound to this object, so the connection keeps no closure for it.
   */
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array {
    const n = hashLength[this.#suite.hash];
    return export13(this.#crypto, this.#suite.hash, this.#secrets.subarray(2 * n, 3 * n), label, context, length);
  }

  /** The AEAD of the negotiated suite (its usage limits: protection13.ts). */
  get aead(): CipherSuite13['aead'] {
    return this.#suite.aead;
  }

  /**
   * The peer's KeyUpdate, taken in order by the machine: opens the next read
   * epoch (RFC 8446 4.6.3: update the receiving keys), and answers
   * update_requested with our own KeyUpdate. A KeyUpdate of ours already
   * waiting for its ACK is the answer: its keys come into use only after this
   * request arrived, and several requests meanwhile get one update (RFC 8446
   * 4.6.3, "respond with a single update"; BoringSSL does the same).
   */
  receive(msg: HandshakeMessage): HandshakeAction[] {
    const ku = decodeAs('KeyUpdate', () => decodeKeyUpdate(msg.body));
    if (this.#readEpoch >= MAX_READ_EPOCH13)
      throw new DtlsError('unexpected_message', `a KeyUpdate past read epoch ${this.#readEpoch}: epochs are kept to 2^16 - 1 (RFC 9147 8)`);
    const peers = this.#update(false);
    this.#readEpoch++;
    this.#asked = false;
    const out: HandshakeAction[] = [{ kind: 'read-keys', epoch: this.#readEpoch, keys: this.#keys(peers) }];
    // RFC 9147 8: no answer that would take our epoch past 2^48 - 1; the request is ignored then.
    if (ku.updateRequested && !this.#pending && this.#writeEpoch < MAX_WRITE_EPOCH13) out.push(...this.start(false));
    return out;
  }

  /**
   * Our KeyUpdate (RFC 8446 4.6.3), `requestPeer` for update_requested. While
   * one waits for its ACK, no other may be sent (RFC 9147 8): that one brings
   * fresh keys anyway, so the call is covered by it, except for a request for
   * the peer's update it did not make, which goes in a KeyUpdate right after.
   */
  start(requestPeer: boolean): HandshakeAction[] {
    if (this.#pending) {
      if (requestPeer && !this.#asked) this.#queued = true;
      return [];
    }
    if (this.#writeEpoch >= MAX_WRITE_EPOCH13)
      throw new DtlsError('internal_error', `too many KeyUpdates: no KeyUpdate may take our epoch past ${MAX_WRITE_EPOCH13} (RFC 9147 8)`);
    const messageSeq = this.#host.takeMessageSeq();
    if (messageSeq > MAX_MESSAGE_SEQ)
      throw new DtlsError('internal_error', 'message_seq overflow: 65536 handshake messages sent, no KeyUpdate can follow (RFC 9147 5.2)');
    // A request already outstanding is not repeated (RFC 8446 4.6.3); the peer's answer is still due.
    const request = requestPeer && !this.#asked;
    if (request) this.#asked = true;
    const ours = this.#update(true);
    const message: HandshakeMessage = { msgType: HandshakeType.key_update, messageSeq, body: encodeKeyUpdate({ updateRequested: request }) };
    const epoch = this.#writeEpoch++;
    this.#pending = true;
    return [
      {
        kind: 'post-handshake',
        item: { kind: 'handshake', epoch, message },
        nextEpoch: this.#writeEpoch,
        keys: this.#keys(ours),
      },
    ];
  }

  /** Our pending KeyUpdate was ACKed and its epoch is in use: messages held meanwhile go now, then a request kept meanwhile. */
  switched(): HandshakeAction[] {
    this.#pending = false;
    const q = this.#queued;
    this.#queued = false;
    // What waited goes first, in the new epoch; then the KeyUpdate kept meanwhile.
    return [...(this.#host.afterKeyUpdate?.() ?? []), ...(q ? this.start(true) : [])];
  }

  /**
   * RFC 8446 7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N,
   * "traffic upd", "", Hash.length), ours or the peer's, in place; returns a view of it.
   */
  #update(ours: boolean): Uint8Array {
    const h = this.#suite.hash;
    const n = hashLength[h];
    const secret = this.#secrets.subarray(ours ? 0 : n, ours ? n : 2 * n);
    const next = hkdfExpandLabel(this.#crypto, h, secret, 'traffic upd', EMPTY, n);
    secret.set(next);
    next.fill(0);
    return secret;
  }

  /** RFC 8446 7.3, RFC 9147 4.2.3: an epoch's key, iv and sn_key, as KeySchedule13.trafficKeys derives them. */
  #keys(secret: Uint8Array): TrafficKeys13 {
    const { hash, keyLength, ivLength } = this.#suite;
    const p = this.#crypto;
    return {
      suite: this.#suite,
      key: hkdfExpandLabel(p, hash, secret, 'key', EMPTY, keyLength),
      iv: hkdfExpandLabel(p, hash, secret, 'iv', EMPTY, ivLength),
      sn: hkdfExpandLabel(p, hash, secret, 'sn', EMPTY, keyLength),
    };
  }
}

/**
 * A new post-handshake message must come in the peer's current epoch: one in
 * an older epoch was sent after the KeyUpdate that ended it, which RFC 9147 8
 * makes unexpected_message. (Copies of older messages are not new.)
 */
export function postHandshakeEpoch(epoch: number, readEpoch: number): void {
  if (epoch < readEpoch) throw new DtlsError('unexpected_message', `a new post-handshake message in epoch ${epoch}, after the KeyUpdate that ended it`);
}

/**
 * RFC 8446 5.1: handshake messages must not span a key change, so the message
 * that ends the peer's epoch (ServerHello, Finished, KeyUpdate; RFC 9147 6.1, 8)
 * is its last one in that epoch. Whatever the reassembler already holds after it
 * came in that epoch too (the next epoch's records cannot be opened before this
 * message is taken), and is the peer's fault: unexpected_message, as BoringSSL's
 * EXCESS_HANDSHAKE_DATA. Called right after the message was taken.
 */
export function endOfEpoch(r: Reassembler, after: string): void {
  if (r.bufferedMessages > 0) throw new DtlsError('unexpected_message', `handshake data after the ${after}, in the epoch it ends (RFC 8446 5.1)`);
}
