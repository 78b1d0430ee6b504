import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Link, Rng, SimPair, bothIn, runPair } from './network.ts';
import { RetransmitTimer } from '../../src/reliability/timer.ts';
import { DtlsError } from '../../src/errors.ts';
import type { ConnectionEvent, ConnectionLike, ConnectionState, ConnectionStats } from '../../src/connection-types.ts';

/**
 * A fake ConnectionLike: the client sends ping k (bytes [1, k]) and waits for
 * pong k ([2, k]), `rounds` times, retransmitting on its own timer; the server
 * answers every ping. Each side is 'connected' after the last round.
 */
class PingPong implements ConnectionLike {
  state: ConnectionState = 'idle';
  readonly stats: ConnectionStats = { datagramsIn: 0, datagramsOut: 0, recordsIn: 0, recordsOut: 0, retransmits: 0, dropped: {} };
  readonly handshakeInfo = undefined;
  error: DtlsError | undefined = undefined;
  readonly timer: RetransmitTimer;
  #out: Uint8Array[] = [];
  #received: Uint8Array[] = [];
  #events: ConnectionEvent[] = [];
  #k = 0;

  constructor(
    readonly role: 'client' | 'server',
    readonly rounds = 3,
    readonly maxAttempts = 20,
  ) {
    this.timer = new RetransmitTimer({ initial: 100, max: 800 });
  }

  start(now: number): void {
    this.#setState('handshaking');
    if (this.role === 'client') this.#ping(now);
  }

  handleDatagram(now: number, d: Uint8Array): void {
    this.stats.datagramsIn++;
    if (d.length !== 2 || this.state === 'failed') {
      this.stats.dropped.malformed = (this.stats.dropped.malformed ?? 0) + 1;
      return;
    }
    const [kind, k] = [d[0]!, d[1]!];
    if (this.role === 'server' && kind === 1 && k <= this.#k) {
      this.#send(Uint8Array.of(2, k));
      if (k === this.#k) {
        this.#received.push(d.slice());
        if (++this.#k === this.rounds) this.#setState('connected');
      }
    } else if (this.role === 'client' && kind === 2 && k === this.#k && this.state === 'handshaking') {
      this.#received.push(d.slice());
      this.timer.reset();
      if (++this.#k === this.rounds) {
        this.timer.stop();
        this.#setState('connected');
      } else this.#ping(now);
    }
  }

  handleTimeout(now: number): void {
    if (!this.timer.expired(now)) return;
    if (this.timer.attempts >= this.maxAttempts) {
      this.timer.stop();
      this.error = new DtlsError('handshake_timeout', 'no pong');
      this.#setState('failed');
      return;
    }
    this.timer.backoff();
    this.stats.retransmits++;
    this.#events.push({ type: 'retransmit', flight: this.#k + 1, attempt: this.timer.attempts, reason: 'timeout' });
    this.#ping(now);
  }

  send(): void {
    throw new DtlsError('closed', 'not supported');
  }
  close(): void {
    this.timer.stop();
    this.#setState('closed');
  }
  pollTransmit(): Uint8Array | undefined {
    return this.#out.shift();
  }
  pollReceived(): Uint8Array | undefined {
    return this.#received.shift();
  }
  pollEvent(): ConnectionEvent | undefined {
    return this.#events.shift();
  }
  pollTimeout(): number | undefined {
    return this.timer.deadline;
  }
  exportKeyingMaterial(): Uint8Array {
    throw new TypeError('no keys');
  }

  #ping(now: number): void {
    this.#send(Uint8Array.of(1, this.#k));
    this.timer.start(now);
  }
  #send(d: Uint8Array): void {
    this.stats.datagramsOut++;
    this.#out.push(d);
  }
  #setState(s: ConnectionState): void {
    const previous = this.state;
    this.state = s;
    this.#events.push({ type: 'statechange', state: s, previous });
  }
}

const connected = bothIn('connected');

test('Rng: same seed, same stream, values in [0, 1)', () => {
  const a = new Rng(42),
    b = new Rng(42),
    c = new Rng(43);
  const xs = Array.from({ length: 1000 }, () => a.next());
  assert.deepEqual(
    xs,
    Array.from({ length: 1000 }, () => b.next()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 1000 }, () => c.next()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05);
});

test('a clean link completes in three round trips', () => {
  const r = runPair(new PingPong('client'), new PingPong('server'), { link: { delay: 10 }, until: connected });
  assert.equal(r.reason, 'until');
  assert.equal(r.now, 60);
  assert.deepEqual(
    r.b.received.map((d) => [...d]),
    [
      [1, 0],
      [1, 1],
      [1, 2],
    ],
  );
  assert.deepEqual(
    r.a.received.map((d) => [...d]),
    [
      [2, 0],
      [2, 1],
      [2, 2],
    ],
  );
  assert.equal(r.links.aToB.sent, 3);
  assert.equal(r.links.bToA.delivered, 3);
  const states = r.a.events.flatMap((e) => (e.type === 'statechange' ? [e.state] : []));
  assert.deepEqual(states, ['handshaking', 'connected']);
  assert.deepEqual(r.a.timeline.at(-1), { time: 60, event: { type: 'statechange', state: 'connected', previous: 'handshaking' } });
});

const lossy = { loss: 0.3, duplicate: 0.1, reorder: 0.2, delay: 10, jitter: 5, corrupt: 0.05 };
function summary(seed: number) {
  const r = runPair(new PingPong('client', 5), new PingPong('server', 5), { seed, link: lossy, until: connected });
  return JSON.stringify({ ...r, pair: undefined });
}

test('determinism: the same seed gives an identical run', () => {
  for (const seed of [1, 7, 1234]) assert.equal(summary(seed), summary(seed));
  const distinct = new Set([1, 2, 3, 4, 5].map(summary));
  assert.ok(distinct.size > 1, 'different seeds give different runs');
});

test('a lossy, reordering, corrupting network still gets there (many seeds)', () => {
  for (let seed = 0; seed < 50; seed++) {
    const r = runPair(new PingPong('client', 5), new PingPong('server', 5), { seed, link: lossy, until: connected });
    assert.equal(r.reason, 'until', `seed ${seed}`);
    assert.deepEqual(
      r.b.received.map((d) => d[1]),
      [0, 1, 2, 3, 4],
      `seed ${seed}`,
    );
  }
});

test('Link: loss and duplication rates are roughly right', () => {
  const l = new Link({ loss: 0.25, duplicate: 0.1 }, 99);
  const n = 20000;
  for (let i = 0; i < n; i++) l.send(0, Uint8Array.of(i & 0xff));
  const s = l.stats;
  assert.ok(Math.abs(s.lost / n - 0.25) < 0.015, `lost ${s.lost}`);
  assert.ok(Math.abs(s.duplicated / (n - s.lost) - 0.1) < 0.015, `duplicated ${s.duplicated}`);
  assert.equal(s.inFlight, n - s.lost + s.duplicated);
  assert.equal(l.takeDue(0).length, s.inFlight);
  assert.equal(l.stats.delivered, n - s.lost + s.duplicated);
});

test('Link: corruption flips exactly one bit of a copy', () => {
  const l = new Link({ corrupt: 1 }, 5);
  const src = Uint8Array.from({ length: 50 }, (_, i) => i);
  for (let i = 0; i < 100; i++) l.send(0, src);
  for (const d of l.takeDue(0)) {
    let bits = 0;
    for (let i = 0; i < d.length; i++) for (let x = d[i]! ^ src[i]!; x; x &= x - 1) bits++;
    assert.equal(bits, 1);
  }
  assert.deepEqual(
    src,
    Uint8Array.from({ length: 50 }, (_, i) => i),
    'the sender buffer is untouched',
  );
  assert.equal(l.stats.corrupted, 100);
});

test('Link: order is kept without jitter or reorder, broken with reorder', () => {
  const send = (opts: ConstructorParameters<typeof Link>[0]) => {
    const l = new Link(opts, 3);
    for (let i = 0; i < 100; i++) l.send(i, Uint8Array.of(i));
    assert.equal(l.nextDelivery(), 10);
    assert.equal(l.takeDue(9).length, 0);
    return { order: l.takeDue(1e9).map((d) => d[0]!), stats: l.stats };
  };
  const plain = send({ delay: 10 });
  assert.deepEqual(
    plain.order,
    Array.from({ length: 100 }, (_, i) => i),
  );
  const mixed = send({ delay: 10, reorder: 0.3, reorderDelay: 5 });
  assert.ok(mixed.stats.reordered > 10);
  assert.notDeepEqual(mixed.order, plain.order);
  assert.deepEqual(
    [...mixed.order].sort((a, b) => a - b),
    plain.order,
  );
});

test('Link: datagrams over the MTU are dropped and counted', () => {
  const l = new Link({ mtu: 10 });
  l.send(0, new Uint8Array(10));
  l.send(0, new Uint8Array(11));
  assert.deepEqual({ ...l.stats }, { ...l.stats, sent: 2, oversize: 1, inFlight: 1 });
});

test('filter: dropping the first ping makes the client retransmit after its timeout', () => {
  const r = runPair(new PingPong('client'), new PingPong('server'), {
    link: { delay: 10 },
    aToB: { filter: (_d, i) => i !== 0 },
    until: connected,
  });
  assert.equal(r.reason, 'until');
  assert.equal(r.links.aToB.filtered, 1);
  assert.equal(r.now, 100 + 60);
  assert.deepEqual(
    r.a.timeline.find((t) => t.event.type === 'retransmit'),
    {
      time: 100,
      event: { type: 'retransmit', flight: 1, attempt: 1, reason: 'timeout' },
    },
  );
});

test('total loss: retransmits on the doubling schedule, then gives up and the run goes idle', () => {
  const client = new PingPong('client', 3, 4);
  const r = runPair(client, new PingPong('server'), { aToB: { loss: 1 }, until: connected });
  assert.equal(r.reason, 'idle');
  assert.equal(client.state, 'failed');
  const times = r.a.timeline.filter((t) => t.event.type === 'retransmit').map((t) => t.time);
  assert.deepEqual(times, [100, 300, 700, 1500]);
  assert.equal(r.now, 1500 + 800);
  assert.equal(r.links.aToB.lost, 5);
});

test('bounded: maxDuration stops an endless retransmitter, and the run can continue', () => {
  const pair = new SimPair(new PingPong('client', 3, Infinity), new PingPong('server'), { aToB: { loss: 1 } });
  const r1 = pair.run({ maxDuration: 10_000 });
  assert.equal(r1.reason, 'maxDuration');
  assert.equal(r1.now, 10_000);
  const r2 = pair.run({ maxDuration: 5_000 });
  assert.equal(r2.reason, 'maxDuration');
  assert.equal(r2.now, 15_000);
  assert.ok(r2.links.aToB.sent > r1.links.aToB.sent);
});

test('bounded: maxSteps stops an endpoint whose timeout never moves', () => {
  const spinner = new PingPong('server');
  spinner.pollTimeout = () => 5;
  const r = runPair(spinner, new PingPong('server'), { maxSteps: 50 });
  assert.equal(r.reason, 'maxSteps');
  assert.equal(r.steps, 50);
  assert.equal(r.now, 5);
});

test('idle: two silent endpoints stop at once', () => {
  const r = runPair(new PingPong('server'), new PingPong('server'), {});
  assert.equal(r.reason, 'idle');
  assert.equal(r.steps, 0);
});
