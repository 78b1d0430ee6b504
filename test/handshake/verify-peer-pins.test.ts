// verifyPeer with pinned fingerprints (RFC 8122 5): a pin in fingerprint()'s
// own form matches as text; every other form (case, spaces, another hash) is
// still parsed and checked against the certificate, and a near miss fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyPeer } from '../../src/handshake/verify-peer.ts';
import { resolveOptions } from '../../src/options.ts';
import { DtlsError } from '../../src/errors.ts';
import { fingerprint } from '../../src/x509/fingerprint.ts';
import { certs } from './helpers.ts';

const server = certs().server;
const der = server.chain[0]!;
const check = (pins: string[]) => verifyPeer(server.chain, resolveOptions({ role: 'client', verify: { fingerprints: pins } }), 0, 'client');
const fails = (pins: string[]) =>
  assert.throws(
    () => check(pins),
    (e: unknown) => e instanceof DtlsError && e.code === 'verification_failed',
  );

test('a pin as fingerprint() writes it, in lower case or with outer spaces, matches', () => {
  assert.equal(check([server.fingerprint]).fingerprint, server.fingerprint);
  check([server.fingerprint.toLowerCase()]);
  check([`  ${server.fingerprint}\n`]);
});

test('pins in other forms go through the full check: another hash, upper-case algorithm, two spaces', () => {
  check([fingerprint(der, 'sha-1')]);
  check([fingerprint(der, 'sha-384').replace('sha-384', 'SHA-384')]);
  check([server.fingerprint.replace(' ', '  ')]);
});

test('a near miss fails: one hex digit changed, in either case, or as the second of two wrong pins; a right pin after a wrong one matches', () => {
  const last = server.fingerprint.at(-1) === '0' ? '1' : '0';
  const off = server.fingerprint.slice(0, -1) + last;
  fails([off]);
  fails([off.toLowerCase()]);
  fails([fingerprint(der, 'sha-1').slice(0, -1) + (fingerprint(der, 'sha-1').at(-1) === '0' ? '1' : '0'), off]);
  assert.equal(check([off, server.fingerprint]).fingerprint, server.fingerprint);
});
