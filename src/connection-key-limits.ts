// The AEAD usage limits of DTLS 1.3 (RFC 9147 4.5.3; RFC 8446 5.5) watched
// for one connection, so that a KeyUpdate starts by itself before either is
// reached:
//   - records we sealed under our write key (its sequence numbers: each
//     DTLS 1.3 epoch starts at 0 and has its own key) reaching 3/4 of the
//     confidentiality limit: our KeyUpdate;
//   - records that failed authentication since the peer's current key opened,
//     reaching 3/4 of the integrity limit: our KeyUpdate with update_requested,
//     so the peer replaces its key; at the limit itself the connection closes
//     (4.5.3: "SHOULD immediately close the connection").
// Failures are counted per read epoch change, not per key: one that came under
// an older key still readable counts against the current one, which can only
// bring the update earlier.
import type { RecordLayer } from './record/record-layer.ts';
import { aeadLimits13, openUpdateDue, sealUpdateDue, type AeadLimits13 } from './record/protection13.ts';
import type { KeyUpdate13 } from './handshake/key-update13.ts';
import { DtlsError } from './errors.ts';

/** What the usage asks for now. */
export type KeyLimitVerdict = { kind: 'none' } | { kind: 'update'; requestPeer: boolean } | { kind: 'close'; error: DtlsError };

export class KeyLimits13 {
  readonly #records: RecordLayer;
  readonly #override: Partial<AeadLimits13> | undefined;
  #limits: AeadLimits13 | undefined;
  #failed = 0;
  /** The read epoch the failures count against. */
  #failedEpoch = -1;

  /** `override`: smaller limits (tests); the AEAD's own (protection13.ts) otherwise. */
  constructor(records: RecordLayer, override?: Partial<AeadLimits13>) {
    this.#records = records;
    this.#override = override;
  }

  /** A record failed authentication (RFC 9147 4.5.3: counted for each key). */
  onAuthFailed(): void {
    this.#sync();
    this.#failed++;
  }

  /** Records that failed authentication under the peer's current key (as counted here). */
  get failedOpens(): number {
    this.#sync();
    return this.#failed;
  }

  /** What the limits ask for, given the KeyUpdate state of a DTLS 1.3 connection. */
  check(ku: KeyUpdate13): KeyLimitVerdict {
    // Once per connection: this runs after every record sent.
    const limits = (this.#limits ??= aeadLimits13(ku.aead, this.#override));
    const failed = this.failedOpens;
    if (failed >= limits.failedOpens)
      return {
        kind: 'close',
        error: new DtlsError('bad_record_mac', `${failed} records failed authentication under the peer's key: its integrity limit (RFC 9147 4.5.3)`),
      };
    // A request already made (or queued behind our pending KeyUpdate) is not made again.
    if (openUpdateDue(limits, failed) && !ku.askedPeer) return { kind: 'update', requestPeer: true };
    const sealed = this.#records.nextWriteSeq(this.#records.writeEpoch);
    // A KeyUpdate of ours already waiting for its ACK brings the fresh key.
    if (sealUpdateDue(limits, sealed) && !ku.pending) return { kind: 'update', requestPeer: false };
    return { kind: 'none' };
  }

  #sync(): void {
    const e = this.#records.readEpoch;
    if (e !== this.#failedEpoch) {
      this.#failedEpoch = e;
      this.#failed = 0;
    }
  }
}
