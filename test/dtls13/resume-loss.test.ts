// DTLS 1.3 resumption on the simulated network (virtual clock, seeded loss):
// the NewSessionTicket gets through lossy links (resent until ACKed), and the
// resumed handshake completes and resumes under the same loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, runPair, bothIn } from '../../src/testing/index.ts';
import type { DtlsOptions } from '../../src/options.ts';

const v13: DtlsOptions = { versions: ['1.3'] };
const server: DtlsOptions = { ...v13, ticketKeys: [new Uint8Array(32).fill(5)] };

test('30% loss both ways, 40 seeds: every ticket arrives, and every resumed handshake completes resumed', () => {
  let tickets = 0;
  let resumed = 0;
  for (let seed = 1; seed <= 40; seed++) {
    let session: Uint8Array | undefined;
    const first = createPair({ ...v13, onSession: (s) => (session = s) }, server, { seed });
    // Until the ticket is in: the server resends it on its timer until the client's ACK gets back.
    runPair(first.client, first.server, { seed, link: { loss: 0.3, delay: 15 }, until: () => session !== undefined, maxDuration: 60000 });
    if (!session) continue;
    tickets++;
    const again = createPair({ ...v13, session }, server, { seed: seed + 1000 });
    runPair(again.client, again.server, { seed: seed + 1000, link: { loss: 0.3, delay: 15 }, until: bothIn('connected'), maxDuration: 30000 });
    if (again.client.handshakeInfo?.resumed && again.server.handshakeInfo?.resumed) resumed++;
  }
  assert.equal(tickets, 40);
  assert.equal(resumed, 40);
});
