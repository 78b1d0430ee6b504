// The MTU and retransmission timer settings of one connection, which the
// flight sender and the DTLS 1.3 post-handshake sender read at each use: the
// connection's own copy (listen() shares one options object among
// connections), what setMtu() and setRetransmitTimeout() change while it runs.
import { checkMtu, type ResolvedOptions } from './options.ts';
import type { FlightSenderOptions } from './reliability/flight-sender.ts';

export class LiveSettings implements FlightSenderOptions {
  mtu: number;
  readonly retransmit: FlightSenderOptions['retransmit'];
  readonly role: ResolvedOptions['role'];

  constructor(options: ResolvedOptions) {
    this.mtu = options.mtu;
    this.retransmit = { ...options.retransmit };
    this.role = options.role;
  }

  /**
   * As BoringSSL's SSL_set_mtu: after path MTU discovery, an ICMP "too big" or
   * an ICE switch to a relay with a smaller MTU. It applies to what is sent
   * next: a new flight, a resend of the flight in progress (fragmented anew,
   * RFC 9147 4.4: "retransmit handshake messages with smaller fragment sizes if
   * the PMTU estimate changes"; RFC 6347 4.1.1.1), ACKs, DTLS 1.3
   * post-handshake messages and their resends. An application record is never
   * split: send()'s bound stays the record limit (2^14 bytes), which a datagram
   * over the MTU leaves to IP fragmentation. RangeError outside 128..65507, as options.mtu.
   */
  setMtu(mtu: number): void {
    this.mtu = checkMtu(mtu, 'setMtu(): mtu');
  }

  /**
   * Sets `retransmit.initial` and its floor `retransmit.min`, as BoringSSL's
   * DTLSv1_set_initial_timeout_duration. The flight sender reads them at each
   * use: the next flight's timer starts at it (with `adaptive`, at 1.5 x a
   * measured round trip when that is longer), and a running timer is rescaled
   * from when it started, its doublings kept (DTLS 1.3 post-handshake
   * messages' timers too), and a DTLS 1.3 ACK already scheduled with them.
   * RangeError unless 0 < ms <= retransmit.max.
   */
  setRetransmitTimeout(ms: number): void {
    const r = this.retransmit;
    if (!(typeof ms === 'number' && ms > 0 && ms <= r.max))
      throw new RangeError(`setRetransmitTimeout(): ms must be in (0, ${r.max}] (retransmit.max), not ${ms}`);
    r.initial = ms;
    r.min = ms;
  }
}
