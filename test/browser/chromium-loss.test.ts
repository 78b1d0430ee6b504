// Loss after the handshake, the question DTLS users ask most: what happens to a
// DTLS record that arrives after our side thinks the handshake is done? A
// filter between the Node socket and the DtlsStream drops one final flight the
// first time it is sent; the connection must still reach "connected" in
// Chromium.
import { test } from './runner.ts';
import assert from 'node:assert/strict';
import { pageStats, startSession } from './harness.ts';
import { dropFirstFinalFlight } from './filters.ts';
import { parseSctpPacket } from './checks.ts';
import { ContentType } from '../../src/wire/types.ts';

const LIMIT = { timeout: 30_000 };

test(
  "our final flight (server: ChangeCipherSpec + Finished) is lost: Chromium's retransmitted flight reaches our connected stream, which answers it, and Chromium connects",
  LIMIT,
  async (t) => {
    const drop = dropFirstFinalFlight();
    // Our timer also resends a final flight (from 100 ms): started at 8 s here, Chromium's retransmission
    // (its timer starts near 1 s) comes first, so what is tested is the answer to it, not a race. Not
    // adaptive: with `initial` alone, a flight 4 answered without a resend (no copy of Chromium's
    // ClientHello in between, a matter of timing under load) measured the round trip and flight 6 then
    // started at max(min = 100 ms, 1.5 x it), so our timer won (test/sim/final-flight-timer.test.ts).
    const timer = { initial: 8000, adaptive: false };
    const s = await startSession(t, { versions: ['1.2'], role: 'server', outboundFilter: drop.stream, retransmit: timer, timeout: 15_000 });
    await s.connected;
    const { handshakeAt = 0, retransmits } = s.timeline;

    assert.ok(drop.dropped.length >= 1, 'our final flight was dropped');
    const first = drop.dropped[0]!.records;
    assert.ok(first.some((r) => r.contentType === ContentType.change_cipher_spec));
    assert.ok(
      first.some((r) => r.contentType === ContentType.handshake && r.epoch === 1),
      'with the Finished',
    );
    assert.ok(handshakeAt > 0 && handshakeAt <= drop.dropped[0]!.at + 50, 'our side was done when the flight went out');

    // Chromium never saw our Finished, so it sent its flight again; our stream,
    // already connected, answered with its own final flight.
    const answer = retransmits.find((r) => r.detail.flight === 6 && r.detail.reason === 'peer-retransmit');
    assert.ok(answer, `a peer-triggered retransmission of flight 6 (got ${JSON.stringify(retransmits.map((r) => r.detail))})`);
    assert.ok(answer.at >= handshakeAt, 'after the handshake completed on our side');
    assert.ok(drop.retransmissionPassedAt! >= handshakeAt);
    assert.equal(s.dtls.state, 'connected');

    const stats = await pageStats(s.page);
    assert.equal(stats.transport?.dtlsState, 'connected');
    const chromiumConnectedAt = stats.log.find((l) => l.event === 'connection:connected')!.at;
    assert.ok(chromiumConnectedAt >= drop.retransmissionPassedAt! - 5, 'Chromium connected only once our retransmission arrived');
    // And the connection works: Chromium's SCTP INIT comes through.
    await s.until(() => s.plaintexts.length >= 1, 'application data');
    assert.ok(parseSctpPacket(s.plaintexts[0]!).checksumValid);
  },
);

test(
  "Chromium's final flight (server: ChangeCipherSpec + Finished) is lost: Chromium is connected first, our retransmitted flight 5 makes it answer, and we connect",
  LIMIT,
  async (t) => {
    const drop = dropFirstFinalFlight();
    const s = await startSession(t, { versions: ['1.2'], role: 'client', inboundFilter: drop.stream });
    await s.connected;
    const { handshakeAt = 0, retransmits } = s.timeline;

    assert.ok(drop.dropped.length >= 1, "Chromium's final flight was dropped");
    assert.ok(drop.dropped[0]!.records.some((r) => r.contentType === ContentType.change_cipher_spec));
    const stats = await pageStats(s.page);
    assert.equal(stats.transport?.dtlsState, 'connected');
    // Chromium (the DTLS server) sends its final flight only once it has checked
    // ours: it was done when that flight went out, before we had its Finished.
    // (The page's own connectionstatechange event is not compared: it fires
    // after ICE and DTLS both report, and under load after our quick recovery.)
    assert.ok(drop.dropped[0]!.at < handshakeAt, 'Chromium finished before we had its Finished');

    // We sent flight 5 again (on our timer, or at once on Chromium's epoch-1 data; under load
    // the timer can even fire before Chromium's first final flight), and Chromium answered
    // with its final flight, which completed our handshake.
    assert.ok(
      retransmits.some((r) => r.detail.flight === 5 && r.at <= handshakeAt),
      `we sent flight 5 again (got ${JSON.stringify(retransmits.map((r) => r.detail))})`,
    );
    assert.ok(drop.retransmissionPassedAt! > drop.dropped[0]!.at, "Chromium's final flight came again");
    assert.ok(drop.retransmissionPassedAt! <= handshakeAt, "Chromium's retransmitted final flight completed our handshake");
    assert.equal(s.dtls.state, 'connected');
    // Epoch-1 data that Chromium sent before its Finished got through was kept, not lost.
    await s.until(() => s.plaintexts.length >= 1, 'application data');
    const sctp = parseSctpPacket(s.plaintexts[0]!);
    assert.ok(sctp.checksumValid);
  },
);
