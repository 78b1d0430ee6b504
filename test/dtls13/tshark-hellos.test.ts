// Our DTLS 1.3 handshake on the wire, read by an independent dissector:
// tshark captures a loopback 1.3 session between two dtls-stream endpoints and
// must read our ClientHello and ServerHello (DTLSPlaintext, epoch 0) as DTLS 1.3
// hellos: supported_versions naming DTLS 1.3 (0xfefc), the key share, and no
// malformed-packet warnings. tshark 4.0 (Debian 12) does not parse the unified
// header (RFC 9147 4) that carries everything after them, so those datagrams
// are checked by what they must be: a first byte of 0b001xxxxx, never read as
// anything else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindUdp, nodeUdpConnected } from '../../src/adapters/node.ts';
import { DtlsStream, generateCertificate } from '../../src/index.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-stream-tshark13-'));
});
after(() => (process.env.KEEP ? undefined : rmSync(dir, { recursive: true, force: true })));

test('tshark reads our DTLS 1.3 hellos (supported_versions 0xfefc, key_share) with no malformed packets', { timeout: 90_000 }, async () => {
  const sa = await bindUdp({ address: '127.0.0.1' });
  const sb = await bindUdp({ address: '127.0.0.1' });
  const pa = sa.address().port;
  const pb = sb.address().port;
  const capture = join(dir, 'cap.pcapng');
  const tshark = spawn('tshark', ['-i', 'lo', '-f', `udp port ${pa}`, '-w', capture, '-q'], { cwd: dir });
  let err = '';
  tshark.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!/Capturing on/.test(err)) {
    if (Date.now() > deadline) throw new Error(`tshark did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  const cert = generateCertificate();
  const server = new DtlsStream({ role: 'server', certificate: cert, versions: ['1.3'] });
  const client = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] }, versions: ['1.3'] });
  const a = nodeUdpConnected(sa, '127.0.0.1', pb);
  const b = nodeUdpConnected(sb, '127.0.0.1', pa);
  a.readable.pipeTo(server.inbound.writable).catch(() => {});
  server.outbound.readable.pipeTo(a.writable).catch(() => {});
  b.readable.pipeTo(client.inbound.writable).catch(() => {});
  client.outbound.readable.pipeTo(b.writable).catch(() => {});
  const [info] = await Promise.all([client.handshake, server.handshake]);
  assert.equal(info.version, 'DTLS 1.3');
  const w = client.outbound.writable.getWriter();
  await w.write(new TextEncoder().encode('over DTLS 1.3'));
  w.releaseLock();
  const r = server.inbound.readable.getReader();
  assert.equal(new TextDecoder().decode((await r.read()).value), 'over DTLS 1.3');
  r.releaseLock();
  await client.close();
  await server.close();
  await new Promise((r) => setTimeout(r, 500));
  tshark.kill('SIGINT');
  await new Promise((r) => tshark.once('exit', r));
  sa.close();
  sb.close();

  const fields = (filter: string, ...f: string[]): string[][] =>
    execFileSync('tshark', ['-r', capture, '-d', `udp.port==${pa},dtls`, '-Y', filter, '-T', 'fields', ...f.flatMap((x) => ['-e', x])], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
  const hellos = fields(
    'dtls.handshake.type == 1 || dtls.handshake.type == 2',
    'dtls.handshake.type',
    'dtls.handshake.extensions.supported_version',
    'dtls.handshake.extensions_key_share_group',
  );
  const types = hellos.map((h) => h[0]);
  assert.ok(types.includes('1') && types.includes('2'), `a ClientHello and a ServerHello: ${JSON.stringify(hellos)}`);
  for (const h of hellos) {
    assert.match(h[1]!, /0xfefc/, `supported_versions names DTLS 1.3: ${JSON.stringify(h)}`);
    assert.match(h[2]!, /29/, `an x25519 (29) key share: ${JSON.stringify(h)}`);
  }
  assert.deepEqual(fields('_ws.malformed || _ws.expert.severity >= "error"', 'frame.number'), [], 'no malformed packets');
  // Everything after the hellos: unified headers (first byte 0b001CSLEE).
  const first = fields(`udp.port == ${pa}`, 'udp.payload').map((f) => parseInt(f[0]!.slice(0, 2), 16));
  const unified = first.filter((b) => (b & 0xe0) === 0x20);
  assert.ok(unified.length >= 4, `encrypted 1.3 records in unified headers: ${first.map((b) => b.toString(16))}`);
  assert.ok(
    first.every((b) => b === 22 || (b & 0xe0) === 0x20),
    'only handshake plaintext and unified headers',
  );
});
