// DTLS 1.2 resumption on the simulated network (virtual clock, seeded loss).
// In the abbreviated handshake (RFC 5246 7.3, RFC 6347 4.2.4) the roles of
// the flights are reversed: the server's ServerHello..Finished flight waits
// for an answer and is resent on its timer, the client's CCS+Finished is the
// final flight, resent when the server's copies show it was lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, createPair, runPair, bothIn } from '../../src/testing/index.ts';
import type { DtlsOptions } from '../../src/options.ts';
import type { Connection } from '../../src/connection.ts';

const v12: DtlsOptions = { versions: ['1.2'] };
const server: DtlsOptions = { versions: ['1.3', '1.2'], ticketKeys: [new Uint8Array(32).fill(5)] };

function errors(c: Connection): string {
  return c.error ? `${c.error.code}: ${c.error.message}` : c.state;
}

/** A session from a clean full handshake. */
function session(): Uint8Array {
  let s: Uint8Array | undefined;
  const p = createPair({ ...v12, onSession: (x) => (s = x) }, server, { seed: 1 });
  runPair(p.client, p.server, { seed: 1, until: () => s !== undefined && p.client.state === 'connected', maxDuration: 10_000 });
  assert.ok(s, errors(p.client));
  return s;
}

interface Lost {
  side: 'client' | 'server';
  /** Index of the datagram lost among that side's (each flight here fits one datagram). */
  index: number;
  what: string;
}

for (const cookie of [false, true]) {
  // Without a cookie: client 0 ClientHello, server 0 SH+NST+CCS+Finished, client 1 CCS+Finished.
  // With one: client 0 ClientHello, server 0 HelloVerifyRequest, client 1 ClientHello+cookie, server 1 the flight, client 2 the final flight.
  const lost: Lost[] = cookie
    ? [
        { side: 'client', index: 0, what: 'the first ClientHello' },
        { side: 'server', index: 0, what: 'the HelloVerifyRequest' },
        { side: 'client', index: 1, what: 'the ClientHello with the cookie' },
        { side: 'server', index: 1, what: "the server's ServerHello..Finished" },
        { side: 'client', index: 2, what: "the client's final CCS+Finished" },
      ]
    : [
        { side: 'client', index: 0, what: 'the ClientHello' },
        { side: 'server', index: 0, what: "the server's ServerHello..Finished" },
        { side: 'client', index: 1, what: "the client's final CCS+Finished" },
      ];
  for (const l of lost) {
    test(`abbreviated handshake${cookie ? ' after a HelloVerifyRequest' : ''}: ${l.what} lost once, it completes resumed`, () => {
      const s = session();
      const p = createPair({ ...v12, session: s }, { ...server, requireCookie: cookie }, { seed: 7 });
      const drop = (side: 'client' | 'server') => (_d: Uint8Array, i: number) => !(l.side === side && i === l.index);
      const pair = new SimPair(p.client, p.server, { seed: 7, link: { delay: 25 }, aToB: { filter: drop('client') }, bToA: { filter: drop('server') } });
      // Until the server is connected too: when the final flight is lost, only the server's resend brings it again.
      const r = pair.run({ until: bothIn('connected'), maxDuration: 30_000 });
      assert.equal(r.reason, 'until', `${errors(p.client)} / ${errors(p.server)}`);
      assert.equal(p.client.handshakeInfo?.resumed, true);
      assert.equal(p.server.handshakeInfo?.resumed, true);
      const retx = (log: typeof r.a) => log.timeline.flatMap(({ event: e }) => (e.type === 'retransmit' ? [`${e.flight} ${e.reason}`] : []));
      if (l.what.includes('final')) {
        // The server holds the duty to resend (its flight is unanswered); the client answers its copy.
        const final = cookie ? 5 : 3;
        assert.ok(retx(r.b).includes(`${cookie ? 4 : 2} timeout`), retx(r.b).join());
        assert.ok(retx(r.a).includes(`${final} peer-retransmit`), retx(r.a).join());
      }
      // Data both ways once resumed.
      p.client.send(pair.now, Uint8Array.of(1));
      p.server.send(pair.now, Uint8Array.of(2));
      const after = pair.run({ until: () => false, maxDuration: 2_000 });
      assert.deepEqual(
        after.b.received.map((d) => [...d]),
        [[1]],
      );
      assert.deepEqual(
        after.a.received.map((d) => [...d]),
        [[2]],
      );
    });
  }
}

test('30% loss both ways, 60 seeds, with and without a cookie: every resumption completes, resumed', () => {
  const s = session();
  let resumed = 0;
  let runs = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const p = createPair({ ...v12, session: s }, { ...server, requireCookie: seed % 2 === 0 }, { seed });
    runPair(p.client, p.server, { seed, link: { loss: 0.3, delay: 15 }, until: bothIn('connected'), maxDuration: 30_000 });
    runs++;
    if (p.client.handshakeInfo?.resumed && p.server.handshakeInfo?.resumed) resumed++;
  }
  assert.equal(resumed, runs);
});

test('30% loss both ways, 30 seeds: the full handshake delivers the ticket (it rides the final flight)', () => {
  let sessions = 0;
  for (let seed = 1; seed <= 30; seed++) {
    let got: Uint8Array | undefined;
    const p = createPair({ ...v12, onSession: (x) => (got = x) }, server, { seed });
    runPair(p.client, p.server, { seed, link: { loss: 0.3, delay: 15 }, until: bothIn('connected'), maxDuration: 30_000 });
    if (got && p.client.state === 'connected') sessions++;
  }
  assert.equal(sessions, 30);
});
