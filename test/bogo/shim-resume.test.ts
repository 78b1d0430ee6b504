// The shim's resumption parts that need no runner: -on-initial-/-on-resume-
// flags (BoringSSL's test_config.cc: a prefixed flag holds for the first
// connection or for the resumptions only), the session ID read from our
// ServerHello (-expect-session-id), the verify callback's answer when the
// library checks a stored session (-reverify-on-resume), and -no-ticket.
// The connections are the library's, in memory.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Unimplemented, parseConfigs } from '../../bogo/flags.ts';
import { startChecked, toOptions, type VerifyPhase } from '../../bogo/options.ts';
import { serverHelloSessionId } from '../../bogo/server-hello.ts';
import { shimConnection, type ServerState } from '../../bogo/session.ts';
import type { ConnectionLike } from '../../src/core.ts';
import { createPair, shuttle, testCertificates } from '../../src/testing/index.ts';

const base = ['-port', '1', '-shim-id', '1', '-dtls'];

describe('-on-initial- and -on-resume- flags', () => {
  test('a plain flag holds for every connection, a prefixed one for its connections only', () => {
    const c = parseConfigs([
      ...base,
      '-resume-count',
      '1',
      '-verify-peer',
      '-on-resume-verify-fail',
      '-on-initial-expect-alpn',
      'a',
      '-on-resume-expect-alpn',
      'b',
    ]);
    assert.equal(c.initial.verifyPeer, true);
    assert.equal(c.resume.verifyPeer, true);
    assert.equal(c.initial.verifyFail, false);
    assert.equal(c.resume.verifyFail, true);
    assert.equal(c.initial.expect.alpn, 'a');
    assert.equal(c.resume.expect.alpn, 'b');
    assert.equal(c.initial.resumption, false);
    assert.equal(c.resume.resumption, true);
  });

  test('an unknown or unimplemented flag is Unimplemented under either prefix', () => {
    assert.throws(() => parseConfigs([...base, '-on-resume-no-such-flag']), Unimplemented);
    assert.throws(() => parseConfigs([...base, '-on-initial-no-such-flag']), Unimplemented);
    assert.throws(() => parseConfigs([...base, '-on-resume-expect-early-data-reason', 'accept']), Unimplemented);
    assert.equal(parseConfigs([...base, '-send-alert']).initial.sendAlert, true, '-send-alert maps to Connection.abort()');
    assert.deepEqual(
      parseConfigs([...base, '-verify-prefs', '2055', '-verify-prefs', '1027']).initial.verifyPrefs,
      [2055, 1027],
      '-verify-prefs maps to signatureSchemes',
    );
    assert.deepEqual(toOptions(parseConfigs([...base, '-verify-prefs', '1027']).initial, 0).signatureSchemes, [1027]);
    // A BoringSSL API path with no counterpart: the certificate is in the options from the start.
    parseConfigs([...base, '-server', '-use-early-callback']);
  });

  test('session flags: -expect-(no-)session-id on a server, -expect-no-session and -expect-ticket-renewal on a client, -no-ticket', () => {
    const server = parseConfigs([...base, '-server', '-expect-session-id', '-no-ticket']).initial;
    assert.equal(server.expect.sessionId, true);
    assert.equal(toOptions(server, 0).sessionTickets, 0);
    assert.throws(() => toOptions(parseConfigs([...base, '-expect-no-session-id']).initial, 0), Unimplemented);
    const client = parseConfigs([...base, '-expect-no-session', '-on-resume-expect-ticket-renewal', '-reverify-on-resume']);
    assert.equal(client.initial.expect.noSession, true);
    assert.equal(client.initial.expect.ticketRenewal, undefined);
    assert.equal(client.resume.expect.ticketRenewal, true);
    assert.equal(client.resume.reverifyOnResume, true);
    // Our client keeps sessions only by asking for tickets.
    assert.throws(() => toOptions(parseConfigs([...base, '-no-ticket', '-resume-count', '1']).initial, 0), /without asking for tickets/);
  });
});

describe('the session ID of our ServerHello', () => {
  function firstServerDatagram(versions: ('1.2' | '1.3')[], sessionTickets?: number): { hello: Uint8Array; flight: Uint8Array } {
    const p = createPair({ versions }, { versions, ...(sessionTickets === undefined ? {} : { sessionTickets }) });
    p.client.start(0);
    p.server.start(0);
    const hello = p.client.pollTransmit()!;
    p.server.handleDatagram(0, hello);
    return { hello, flight: p.server.pollTransmit()! };
  }

  test('DTLS 1.2 without tickets: 32 bytes (the session is cached under them); a ClientHello has none', () => {
    const { hello, flight } = firstServerDatagram(['1.2'], 0);
    assert.equal(serverHelloSessionId(flight)?.length, 32);
    assert.equal(serverHelloSessionId(hello), undefined);
  });

  test('DTLS 1.3: empty (RFC 9147 5.3), with the encrypted records after it in the datagram skipped', () => {
    const { flight } = firstServerDatagram(['1.3']);
    assert.equal(serverHelloSessionId(flight)?.length, 0);
  });

  test('a datagram cut inside the ServerHello, or a record that claims more than the datagram, is no answer and no crash', () => {
    const { flight } = firstServerDatagram(['1.2'], 0);
    for (const n of [0, 5, 13, 25, 40, 59, 60]) assert.equal(serverHelloSessionId(flight.subarray(0, n)), undefined, `cut at ${n}`);
    assert.equal(serverHelloSessionId(flight.subarray(0, 60 + 32))?.length, 32);
  });
});

describe('a resumed client with -on-resume-verify-fail', () => {
  const certs = testCertificates();

  /** A first connection of the shim's client that leaves a session, then a resumption with the resume flags; one library server for both. */
  function resume(extra: string[]): { resumed: ConnectionLike; calls: number } {
    const configs = parseConfigs([...base, '-resume-count', '1', '-verify-peer', '-use-custom-verify-callback', '-on-resume-verify-fail', ...extra]);
    const phase: VerifyPhase = { checkingSession: false, sessionVerdict: !configs.initial.verifyFail };
    const server: ServerState = {};
    const serverOptions = { role: 'server' as const, certificate: certs.server, ticketKeys: [new Uint8Array(32).fill(1)] };
    let session: Uint8Array | undefined;
    let calls = 0;
    const connect = (i: number): ConnectionLike => {
      const o = toOptions(i === 0 ? configs.initial : configs.resume, 0, phase);
      const verify = o.verify as (p: { chain: Uint8Array[]; fingerprint: string }) => boolean;
      o.verify = (p) => (calls++, verify(p));
      o.onSession = (s) => (session = s);
      if (session) o.session = session;
      const client = shimConnection(o, {});
      const srv = shimConnection(serverOptions, server);
      startChecked(client, 0, phase);
      srv.start(0);
      shuttle(client, srv);
      return client;
    };
    const first = connect(0);
    assert.equal(first.state, 'connected', first.error?.message);
    assert.ok(session, 'a session');
    calls = 0;
    return { resumed: connect(1), calls };
  }

  test('resumes: the session was verified by the connection that made it, as in BoringSSL (the library checks it again in start())', () => {
    const { resumed, calls } = resume([]);
    assert.equal(resumed.state, 'connected', resumed.error?.message);
    assert.equal(resumed.handshakeInfo?.resumed, true);
    assert.equal(calls, 1, 'asked once, about the stored session');
  });

  test("with -reverify-on-resume the check is this connection's: it fails (the session is not offered, and the full handshake fails verification)", () => {
    const { resumed } = resume(['-reverify-on-resume']);
    assert.equal(resumed.state, 'failed');
    assert.equal(resumed.error?.code, 'verification_failed', resumed.error?.message);
  });
});

test('the connections of one shim server share its session-ID cache, as those of one listen() server do', () => {
  const certs = testCertificates();
  const server: ServerState = {};
  const connectOnce = (session?: Uint8Array) => {
    let made: Uint8Array | undefined;
    const client = shimConnection(
      {
        role: 'client',
        versions: ['1.2'],
        verify: { fingerprints: [certs.server.fingerprint] },
        onSession: (s) => (made = s),
        ...(session ? { session } : {}),
      },
      {},
    );
    const srv = shimConnection({ role: 'server', certificate: certs.server, sessionTickets: 0 }, server);
    client.start(0);
    srv.start(0);
    shuttle(client, srv);
    assert.equal(client.state, 'connected', client.error?.message);
    return { resumed: client.handshakeInfo!.resumed, made };
  };
  const first = connectOnce();
  assert.equal(first.resumed, false);
  assert.equal(connectOnce(first.made).resumed, true);
});

test('a client without -verify-peer fails softly (BoringSSL SSL_VERIFY_NONE): -verify-fail is noted, the handshake and its resumption go on', () => {
  const certs = testCertificates();
  const configs = parseConfigs([...base, '-verify-fail', '-expect-verify-result', '-resume-count', '1']);
  const phase: VerifyPhase = { checkingSession: false, sessionVerdict: !configs.initial.verifyFail };
  const server: ServerState = {};
  let session: Uint8Array | undefined;
  const connect = (i: number) => {
    const o = toOptions(i === 0 ? configs.initial : configs.resume, 0, phase);
    o.onSession = (s) => (session = s);
    if (session) o.session = session;
    const client = shimConnection(o, {});
    const srv = shimConnection({ role: 'server', certificate: certs.server, ticketKeys: [new Uint8Array(32).fill(2)] }, server);
    phase.lastVerdict = undefined;
    startChecked(client, 0, phase);
    srv.start(0);
    shuttle(client, srv);
    assert.equal(client.state, 'connected', client.error?.message);
    return client;
  };
  assert.equal(connect(0).handshakeInfo?.resumed, false);
  assert.equal(phase.lastVerdict, false, 'the failure was noted');
  assert.equal(connect(1).handshakeInfo?.resumed, true);
  assert.equal(phase.lastVerdict, false, "the session's check answers as its first connection did");
  // With -verify-peer the same flag fails the handshake.
  const hard = toOptions(parseConfigs([...base, '-verify-fail', '-verify-peer']).initial, 0);
  const c = shimConnection(hard, {});
  const s = shimConnection({ role: 'server', certificate: certs.server }, {});
  c.start(0);
  s.start(0);
  shuttle(c, s);
  assert.equal(c.error?.code, 'verification_failed');
});
