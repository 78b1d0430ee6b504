// STYLE/DESIGN: "secrets zeroed when done". Server12 zeroes its ECDHE private
// key right after computing the premaster secret (server12.ts #onClientKeyExchange),
// but Client12.#onHelloDone never zeroes its own ephemeral private key
// (client12.ts:~327), which then lives as long as the Client12 object (the
// whole connection), and on close the master secret held for the exporter is
// not wiped either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nobleProvider } from '../../src/crypto/noble.ts';
import type { CryptoProvider, KeyShare } from '../../src/crypto/provider.ts';
import { connectedPair } from './helpers.ts';

function recordingProvider(shares: KeyShare[]): CryptoProvider {
  return {
    ...nobleProvider,
    generateKeyShare(group) {
      const s = nobleProvider.generateKeyShare(group);
      shares.push(s);
      return s;
    },
  };
}

test('the client zeroes its ephemeral ECDHE private key once the premaster secret is computed', () => {
  const clientShares: KeyShare[] = [];
  const serverShares: KeyShare[] = [];
  connectedPair({ crypto: recordingProvider(clientShares) }, { crypto: recordingProvider(serverShares) });
  assert.equal(serverShares.length, 1);
  assert.ok(
    serverShares[0]!.privateKey.every((b) => b === 0),
    'server zeroes its key (for comparison)',
  );
  assert.equal(clientShares.length, 1);
  assert.ok(
    clientShares[0]!.privateKey.every((b) => b === 0),
    'client ephemeral private key is still in memory',
  );
});
