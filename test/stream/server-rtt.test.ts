// listen()'s shared round-trip estimate (src/stream/server-rtt.ts): a new
// peer's connection starts its retransmission timer at how long recent
// handshakes took, when that is longer than the default, capped at 1 s, and
// goes back to the default once its own handshake is done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/stream/clock.ts';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { listen, type ListenOptions } from '../../src/stream/server.ts';
import { HandshakeRtt, SHARED_RTT_CAP } from '../../src/stream/server-rtt.ts';
import type { CookieGateLike } from '../../src/stream/defaults.ts';
import type { Datagram } from '../../src/adapters/types.ts';
import { FakeConnection, HELLO, VERIFY, settle } from './fake-connection.ts';

/** A fake server that ignores the first hello it is given (as if its answer were slow), and records its timer settings. */
class SlowServer extends FakeConnection {
  readonly timeouts: number[] = [];
  #ignored = false;
  constructor() {
    super('server');
  }
  override handleDatagram(now: number, d: Uint8Array): void {
    if (d[0] === HELLO && !this.#ignored) {
      this.#ignored = true;
      return;
    }
    super.handleDatagram(now, d);
  }
  setRetransmitTimeout(ms: number): void {
    this.timeouts.push(ms);
  }
}

/** Accepts a HELLO carrying cookie 42, answers any other HELLO with VERIFY 42. */
const gate: CookieGateLike = {
  check: (d) => (d[0] !== HELLO ? { action: 'drop' } : d[1] === 42 ? { action: 'accept' } : { action: 'reply', datagram: Uint8Array.of(VERIFY, 42) }),
};

function setup(options: ListenOptions = {}) {
  const clock = new ManualClock();
  let ctl!: ReadableStreamDefaultController<Datagram>;
  const routes = new Map<number, (d: Uint8Array) => void>();
  const socket = {
    readable: new ReadableStream<Datagram>({ start: (c) => void (ctl = c) }),
    writable: new WritableStream<Datagram>({ write: (d) => routes.get(d.port)?.(d.data) }),
  };
  const conns: SlowServer[] = [];
  const server = listen(socket, { clock, ...options }, { createConnection: () => (conns.push(new SlowServer()), conns.at(-1)!), cookieGate: gate });
  void (async () => {
    for await (const c of server) void c;
  })();
  /** A fake client on `port` whose hello is resent after `resendMs`: the handshake takes that long. */
  const peer = (port: number, resendMs: number): DtlsStream => {
    const dtls = DtlsStream.fromConnection(new FakeConnection('client', { retransmitMs: resendMs }), { clock });
    const w = dtls.inbound.writable.getWriter();
    routes.set(port, (d) => void w.write(d).catch(() => {}));
    void dtls.outbound.readable.pipeTo(new WritableStream({ write: (data) => ctl.enqueue({ data, address: '127.0.0.1', port }) })).catch(() => {});
    return dtls;
  };
  /** Runs one peer's handshake, `ms` long on the clock. */
  const handshake = async (port: number, ms: number): Promise<void> => {
    const dtls = peer(port, ms);
    await settle(20);
    clock.advance(ms);
    await dtls.handshake;
    await settle(5);
  };
  return { server, conns, handshake };
}

test('listen(): after handshakes that took 400 ms, a new connection starts its timer at 400 ms, and at the default once connected', async () => {
  const { server, conns, handshake } = setup();
  await handshake(5001, 400);
  assert.deepEqual(conns[0]!.timeouts, [], 'nothing measured yet: the default timer');
  await handshake(5002, 400);
  assert.deepEqual(conns[1]!.timeouts, [400, 100], 'started from the estimate, back to the default (100 ms) when connected');
  await server.close();
});

test('listen(): the shared estimate is capped at 1 s (RFC 6347 4.2.4.1) and unused below the default', async () => {
  const { server, conns, handshake } = setup();
  await handshake(5001, 5000);
  await handshake(5002, 50);
  assert.deepEqual(conns[1]!.timeouts, [SHARED_RTT_CAP, 100]);
  await server.close();
  const rtt = new HandshakeRtt(100);
  rtt.sample(80);
  assert.equal(rtt.initial, undefined, 'faster than the default: the default stays');
  for (let i = 0; i < 60; i++) rtt.sample(300);
  assert.equal(rtt.initial, 300, 'smoothed toward recent samples');
  rtt.sample(NaN);
  assert.equal(rtt.initial, 300, 'a sample that is not a duration is ignored');
});

test("listen(): a timer of the caller's (retransmit options) is left alone", async () => {
  for (const retransmit of [{ adaptive: false }, { initial: 200 }, { min: 50 }, { max: 500 }]) {
    const { server, conns, handshake } = setup({ retransmit });
    await handshake(5001, 400);
    await handshake(5002, 400);
    assert.deepEqual(conns[1]!.timeouts, [], JSON.stringify(retransmit));
    await server.close();
  }
});
