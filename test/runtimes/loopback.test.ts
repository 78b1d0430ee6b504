// The same loopback scenario (fixtures/loopback.ts: handshake, echo both ways,
// close) under Node, Deno and Bun, each with its own native UDP adapter: our
// client and server in the same runtime, our client against `openssl s_server
// -dtls1_2`, and our server against `openssl s_client -dtls1_2`.
// Deno and Bun also run it on node:dgram. The runtimes start slowly, so the
// cases run at once.
import { opensslCertificate } from '../openssl-cert.ts';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeTempDir, openssl, runClient, sdpFingerprint, startServer, type TempDir } from '../interop/openssl.ts';
import { Child, RUNTIMES } from './child.ts';

describe('the loopback scenario in each runtime', { concurrency: true }, () => {
  let dir: TempDir;
  let fingerprint = '';
  before(async () => {
    dir = await makeTempDir('dtls-runtimes-');
    opensslCertificate(dir.path(''));
    fingerprint = sdpFingerprint(await openssl(['x509', '-in', dir.path('cert.pem'), '-noout', '-fingerprint', '-sha256']));
  });
  after(() => dir?.cleanup());

  for (const runtime of RUNTIMES) {
    it(`${runtime}: our client and our server on ${runtime}'s own UDP: handshake, echo both ways, close`, { timeout: 30_000 }, async (t) => {
      const child = new Child(runtime, 'loopback.ts', ['self'], t);
      const code = await child.exit(25_000);
      assert.equal(code, 0, child.dump());
      assert.equal(child.step('listening')?.udp, runtime, `${runtime}'s native UDP adapter`);
      for (const side of ['server', 'client']) {
        const hs = child.step(`${side}-handshake`);
        assert.ok(hs, child.dump());
        assert.equal(hs.runtime, runtime);
        assert.equal(hs.version, 'DTLS 1.3', 'both sides with the defaults');
      }
      assert.equal(child.step('server-echo')?.text, `ping-s from ${runtime} server`);
      assert.equal(child.step('client-echo')?.text, `ping-c from ${runtime} client`);
      assert.ok(child.step('server-closed'), 'the server saw close_notify');
      assert.ok(child.step('done'));
    });

    if (runtime !== 'node') {
      it(`${runtime}: the same with the node:dgram adapter (dtls-stream/node in ${runtime})`, { timeout: 30_000 }, async (t) => {
        const child = new Child(runtime, 'loopback.ts', ['self-node-dgram'], t);
        assert.equal(await child.exit(25_000), 0, child.dump());
        assert.equal(child.step('listening')?.udp, 'node');
        assert.equal(child.step('client-echo')?.text, `ping-c from ${runtime} client`);
        assert.equal(child.step('server-echo')?.text, `ping-s from ${runtime} server`);
        assert.ok(child.step('server-closed'));
      });
    }

    it(`${runtime}: our client against openssl s_server -dtls1_2: handshake, data both ways, close_notify`, { timeout: 30_000 }, async (t) => {
      const server = await startServer(['-cert', dir.path('cert.pem'), '-key', dir.path('key.pem')], { t });
      const child = new Child(runtime, 'loopback.ts', ['client', String(server.port), fingerprint], t);
      const hs = await child.waitStep('client-handshake');
      assert.equal(hs.version, 'DTLS 1.2');
      assert.equal(hs.cipherSuite, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      await server.waitFor(`hello from ${runtime}`, 10_000);
      server.writeLine(`<openssl says hi to ${runtime}>`); // '<': not one of s_server's command letters
      assert.equal((await child.waitStep('received')).text, `<openssl says hi to ${runtime}>`);
      assert.equal(await child.exit(10_000), 0, child.dump());
      await server.waitFor(/^DONE$/m, 5000); // s_server got our close_notify
    });

    it(`${runtime}: our server on ${runtime}'s own UDP with openssl s_client -dtls1_2: handshake, echo, close_notify`, { timeout: 30_000 }, async (t) => {
      const child = new Child(runtime, 'loopback.ts', ['server'], t);
      const { port } = (await child.waitStep('listening')) as unknown as { port: number };
      const result = await runClient(port, [], [`hello from openssl to ${runtime}`, { waitFor: `echo from ${runtime}: hello from openssl to ${runtime}` }], {
        t,
        timeoutMs: 15_000,
      });
      assert.equal(result.error, undefined, `${result.error?.message}\n${child.dump()}`);
      assert.match(result.stdout, /Protocol\s*: DTLSv1\.2/);
      assert.equal(result.code, 0);
      assert.equal(await child.exit(10_000), 0, child.dump()); // it saw close_notify from s_client's EOF
      assert.equal(child.step('server-received')?.text, `hello from openssl to ${runtime}`);
      assert.ok(child.step('server-closed'));
    });
  }
});
