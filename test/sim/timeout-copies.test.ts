// A small flight resent on its timer goes out twice, back to back, from the
// second expiry in a row that drew nothing from the peer (flight-sender.ts
// onTimeout; RFC 9002 6.2.4 allows a QUIC probe of two datagrams for the same
// reason). The timer still doubles (RFC 9147 5.8.2): only the number of
// copies per expiry changes. docs/RELIABILITY-DTLS13.md has the measurements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, createPair, bothIn } from '../../src/testing/index.ts';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import { TIMEOUT_COPY_AFTER_SILENT, TIMEOUT_COPY_MAX_DATAGRAMS } from '../../src/reliability/flight-limits.ts';
import type { FlightItem } from '../../src/reliability/flight.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { decodeRecords } from '../../src/wire/record.ts';

const retransmit = { initial: 100, max: 60_000, min: 100, adaptive: true, rtt: undefined };
const small: FlightItem[] = [{ kind: 'handshake', epoch: 0, message: { msgType: 1, messageSeq: 0, body: new Uint8Array(200).fill(1) } }];

function sender(mtu = 1500): FlightSender {
  return new FlightSender(new RecordLayer(nobleProvider, () => {}), { retransmit, mtu });
}

/** Sequence numbers of the records in these datagrams. */
function seqs(datagrams: Uint8Array[]): number[] {
  return datagrams.flatMap((d) => decodeRecords(d).records.map((r) => r.sequenceNumber));
}

for (const version of ['1.2', '1.3'] as const) {
  test(`DTLS ${version}: a ClientHello always lost goes out once at 0 and 100 ms, then twice per expiry, on the same doubling schedule, until handshake_timeout`, () => {
    const { client, server } = createPair({ versions: [version] }, { versions: [version] }, { seed: 1 });
    const at = new Map<number, number>();
    let pair: SimPair | undefined = undefined;
    pair = new SimPair(client, server, {
      link: { delay: 25 },
      aToB: {
        filter: () => {
          at.set(pair!.now, (at.get(pair!.now) ?? 0) + 1);
          return false;
        },
      },
    });
    const r = pair.run({ until: (p) => p.a.state === 'failed', maxDuration: 40_000 });
    assert.equal(r.reason, 'until');
    assert.equal(client.error?.code, 'handshake_timeout');
    assert.deepEqual(
      [...at],
      [
        [0, 1],
        [100, 1],
        [300, 2],
        [700, 2],
        [1500, 2],
        [3100, 2],
        [6300, 2],
        [12700, 2],
        [25500, 2],
      ],
    );
    // Nine expiries would send 9 ClientHellos without the copies: 0.5^9 = 0.2%
    // all lost at 50% loss; with them 0.5^2 x 0.25^7 = 0.0015%.
  });
}

test('the copy is a second transmission: same fragments, fresh record numbers, all remembered for ACKs', () => {
  const s = sender();
  s.send(0, small, 1, 'retransmit', false);
  const one = s.onTimeout(100)!;
  assert.equal(one.out.datagrams.length, 1, 'first expiry: one copy');
  const two = s.onTimeout(300)!;
  assert.equal(TIMEOUT_COPY_AFTER_SILENT, 2);
  assert.equal(two.out.datagrams.length, 2, 'second silent expiry: two copies');
  const [a, b] = two.out.datagrams.map((d) => seqs([d]));
  assert.notDeepEqual(a, b, 'fresh record numbers for the copy');
  assert.equal(two.out.carried.length, 2, 'both transmissions are what ACKs may name');
  assert.equal(s.deadline, 300 + 400, 'the timer doubled once per expiry, not per copy');
});

test('anything from the peer in between (a copy of its flight, an ACK) keeps the next expiry to one copy', () => {
  const s = sender();
  s.send(0, small, 4, 'retransmit', true);
  assert.equal(s.onTimeout(100)!.out.datagrams.length, 1);
  s.onPeerCopy(150, 'old');
  assert.equal(s.onTimeout(s.deadline!)!.out.datagrams.length, 1, 'a peer copy was heard');
  assert.equal(s.onTimeout(s.deadline!)!.out.datagrams.length, 1, 'one silent expiry since');
  assert.equal(s.onTimeout(s.deadline!)!.out.datagrams.length, 2, 'two silent expiries in a row');
  s.onAck(s.deadline! - 1, [], 0);
  assert.equal(s.onTimeout(s.deadline!)!.out.datagrams.length, 1, 'an ACK was heard');
});

test('retransmit.adaptive false (the plain RFC schedule): one transmission per expiry, as BoringSSL’s runner expects', () => {
  const s = new FlightSender(new RecordLayer(nobleProvider, () => {}), { retransmit: { ...retransmit, adaptive: false }, mtu: 1500 });
  s.send(0, small, 1, 'retransmit', false);
  for (let i = 0; i < 6; i++) assert.equal(s.onTimeout(s.deadline!)!.out.datagrams.length, 1);
});

test(`a flight of more than ${TIMEOUT_COPY_MAX_DATAGRAMS} datagrams is never copied`, () => {
  const big: FlightItem[] = [{ kind: 'handshake', epoch: 0, message: { msgType: 11, messageSeq: 0, body: new Uint8Array(3000).fill(2) } }];
  const s = sender(1200);
  const first = s.send(0, big, 4, 'retransmit', true);
  assert.equal(first.datagrams.length, 3);
  for (let i = 0; i < 5; i++) assert.equal(s.onTimeout(s.deadline!)!.out.datagrams.length, 3);
});

// Seeds 1-1000 of this link whose handshake failed within the default 30 s
// before the copies: 1.3: 29, 324, 513; 1.2: 29, 163, 324, 329, 513 (their
// ClientHellos lost 9 times in a row, or the exchange after mostly lost). Of
// those only 1.2's 329 still fails: the server's final flight (CCS, Finished)
// never reached the client, while the client's copies of flight 5 kept
// arriving, so the server was never silent (docs/RELIABILITY.md).
const FAILED_BEFORE = { '1.3': [29, 324, 513], '1.2': [29, 163, 324, 513] };
for (const version of ['1.2', '1.3'] as const) {
  test(`DTLS ${version} at 50% loss each way (MTU 1200, 25 ms each way): the seeds that failed before the copies connect within 30 s`, () => {
    for (const seed of FAILED_BEFORE[version]) {
      const { client, server } = createPair({ versions: [version], mtu: 1200 }, { versions: [version], mtu: 1200 }, { seed });
      const pair = new SimPair(client, server, { seed, link: { delay: 25, loss: 0.5, mtu: 1200 } });
      const r = pair.run({ until: bothIn('connected'), maxDuration: 31_000 });
      assert.equal(
        r.reason,
        'until',
        `seed ${seed}: client ${client.state} ${client.error?.message ?? ''}, server ${server.state} ${server.error?.message ?? ''}`,
      );
      assert.ok(r.now < 30_000);
    }
  });
}
