// KeyUpdate in DTLS 1.3 (RFC 8446 4.6.3, 7.2; RFC 9147 8), one object per
// connection and the same for both roles: the application traffic secrets of
// both directions after the handshake, and the epochs they key. The machine
// hands it the peer's KeyUpdate messages; the connection asks it for ours.
//
//   peer's KeyUpdate (epoch e) ─► read keys of e+1 (the old epochs stay readable, record-layer.ts)
//                                 └─ update_requested ─► our KeyUpdate, unless one already waits for its ACK
//   start() ─► KeyUpdate in epoch w, new keys for w+1 written once it is ACKed (RFC 9147 8)
//          └─ while one waits for its ACK: queued (one slot), sent when the new epoch is in use
//
// It returns actions (machine.ts) and never calls into the connection.
import type { HandshakeAction } from './machine.ts';
import type { KeySchedule13 } from '../crypto/key-schedule13.ts';
import type { CipherSuite13 } from '../crypto/suites.ts';
import type { HandshakeMessage } from '../wire/types.ts';
import { HandshakeType13 } from '../wire/types13.ts';
import { decodeKeyUpdate, encodeKeyUpdate } from '../wire/messages13/key-update.ts';
import { DtlsError } from '../errors.ts';
import { decodeAs } from './common.ts';
import { trafficKeys13 } from './common13.ts';

/** RFC 9147 8: a sender MUST NOT let its epoch exceed 2^48 - 1. */
export const MAX_EPOCH13 = 2 ** 48 - 1;
/** The first application epoch (RFC 9147 6.1). */
const EPOCH_APPLICATION = 3;

export interface AppSecrets13 {
  schedule: KeySchedule13;
  suite: CipherSuite13;
  /** Our [sender]_application_traffic_secret_0. */
  ours: Uint8Array;
  /** The peer's. */
  peers: Uint8Array;
}

export class KeyUpdate13 {
  readonly #schedule: KeySchedule13;
  readonly #suite: CipherSuite13;
  readonly #nextSeq: () => number;
  #ours: Uint8Array;
  #peers: Uint8Array;
  #readEpoch = EPOCH_APPLICATION;
  /** The epoch of our newest write keys (in use, or waiting for the ACK of their KeyUpdate). */
  #writeEpoch = EPOCH_APPLICATION;
  /** A KeyUpdate of ours waits for its ACK: its epoch is not in use yet, nothing else may be sent (RFC 9147 8). */
  #pending = false;
  /** The next KeyUpdate, held while one is pending; `true` if it asks for the peer's. */
  #queued: boolean | undefined;
  /** We sent update_requested and no KeyUpdate of the peer came since (RFC 8446 4.6.3: no second request meanwhile). */
  #asked = false;

  /** Post-handshake messages held while our KeyUpdate waited (connection IDs: cid13.ts), sent once its epoch is in use. */
  readonly #afterSwitch: (() => HandshakeAction[]) | undefined;

  /** `nextSeq`: the machine's next message_seq (shared with its other post-handshake messages). */
  constructor(secrets: AppSecrets13, nextSeq: () => number, afterSwitch?: () => HandshakeAction[]) {
    this.#afterSwitch = afterSwitch;
    this.#schedule = secrets.schedule;
    this.#suite = secrets.suite;
    this.#ours = secrets.ours;
    this.#peers = secrets.peers;
    this.#nextSeq = nextSeq;
  }

  /** The epoch the peer writes in (as far as its KeyUpdates told us). */
  get readEpoch(): number {
    return this.#readEpoch;
  }
  /** The epoch our records go in now: a pending KeyUpdate's new epoch is not in use until it is ACKed. */
  get writeEpoch(): number {
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
    this.#peers = this.#schedule.nextTrafficSecret(this.#peers);
    this.#readEpoch++;
    this.#asked = false;
    const out: HandshakeAction[] = [{ kind: 'read-keys', epoch: this.#readEpoch, keys: trafficKeys13(this.#schedule, this.#suite, this.#peers) }];
    // RFC 9147 8: no answer that would take our epoch past 2^48 - 1; the request is ignored then.
    if (ku.updateRequested && !this.#pending && this.#writeEpoch < MAX_EPOCH13) out.push(...this.start(false));
    return out;
  }

  /**
   * Our KeyUpdate (RFC 8446 4.6.3), `requestPeer` for update_requested. While
   * one waits for its ACK, this one is queued (RFC 9147 8: no post-handshake
   * message in an epoch after its KeyUpdate) and coalesced with any other.
   */
  start(requestPeer: boolean): HandshakeAction[] {
    if (this.#pending) {
      this.#queued = (this.#queued ?? false) || requestPeer;
      return [];
    }
    if (this.#writeEpoch >= MAX_EPOCH13)
      throw new DtlsError('internal_error', `epoch ${this.#writeEpoch}: no KeyUpdate may take it past 2^48 - 1 (RFC 9147 8)`);
    // A request already outstanding is not repeated (RFC 8446 4.6.3); the peer's answer is still due.
    const request = requestPeer && !this.#asked;
    if (request) this.#asked = true;
    this.#ours = this.#schedule.nextTrafficSecret(this.#ours);
    const message: HandshakeMessage = { msgType: HandshakeType13.key_update, messageSeq: this.#nextSeq(), body: encodeKeyUpdate({ updateRequested: request }) };
    const epoch = this.#writeEpoch++;
    this.#pending = true;
    return [
      {
        kind: 'post-handshake',
        item: { kind: 'handshake', epoch, message },
        nextEpoch: this.#writeEpoch,
        keys: trafficKeys13(this.#schedule, this.#suite, this.#ours),
      },
    ];
  }

  /** Our pending KeyUpdate was ACKed and its epoch is in use: the queued one, if any, goes now. */
  switched(): HandshakeAction[] {
    this.#pending = false;
    const q = this.#queued;
    this.#queued = undefined;
    return q === undefined ? (this.#afterSwitch?.() ?? []) : this.start(q);
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
