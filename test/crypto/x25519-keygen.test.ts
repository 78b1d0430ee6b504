// X25519 key shares on node:crypto (KeyCache.x25519Generate). On Node 20,
// generateKeyPairSync followed by a JWK export of the key deadlocks when a
// garbage collection during the export finalizes the generation job (its
// destructor waits on the key's lock, which the export holds): a handshake
// test file hung in CI, and a loop of generate + export hangs within seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KeyCache } from '../../src/crypto/native-keys.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The public key noble computes for `d`: the X25519 agreement with the base point. */
function nobleX25519Public(d: Uint8Array): Uint8Array {
  const base = new Uint8Array(32);
  base[0] = 9;
  return nobleProvider.ecdh('x25519', d, base);
}

test('x25519Generate: the public key is the private key times the base point (checked with noble), fresh each time', () => {
  const keys = new KeyCache(nc);
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const { privateKey, publicKey } = keys.x25519Generate();
    assert.equal(privateKey.length, 32);
    assert.deepEqual(publicKey, nobleX25519Public(privateKey));
    seen.add(Buffer.from(privateKey).toString('hex'));
  }
  assert.equal(seen.size, 50);
});

test('x25519Generate: where the runtime would take the JWK x as given (zeros come back), the job-encoded key pair is used instead', () => {
  // node:crypto with createPublicKey(...).export answering the imported x unchanged, as such a runtime would.
  const takesXAsGiven = {
    ...nc,
    createPublicKey: () => ({ export: () => ({ x: 'A'.repeat(43) }) }),
  } as unknown as typeof nc;
  const keys = new KeyCache(takesXAsGiven);
  const { privateKey, publicKey } = keys.x25519Generate();
  assert.notDeepEqual(publicKey, new Uint8Array(32));
  assert.deepEqual(publicKey, nobleX25519Public(privateKey));
});

test('x25519Generate: 40,000 key shares in a row finish (generate + export hung there within seconds)', async () => {
  const script = `
    import * as nc from 'node:crypto';
    import { KeyCache } from './src/crypto/native-keys.ts';
    const keys = new KeyCache(nc);
    for (let i = 0; i < 40000; i++) keys.x25519Generate();
    console.log('done');`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, timeout: 120_000 }, (err, stdout) =>
      err ? reject(new Error(`the loop did not finish: ${err.message}`)) : resolve(stdout),
    ),
  );
  assert.equal(out.trim(), 'done');
});
