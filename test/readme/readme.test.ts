// Every code block in README.md runs (or is checked) as written.
//
// A block is run as one whole file unless an HTML comment right above its
// fence says otherwise:
//   <!-- readme-test: setup=NAME -->     a fragment: runs between SETUPS[NAME]'s prelude and epilogue
//   <!-- readme-test: excerpt=PATH -->   every code line is a line of PATH (a program tested elsewhere)
//   <!-- readme-test: scripts -->        shell: each `npm run X`/`npm test` is a package.json script,
//                                        each `npx tsx FILE` exists; `npm run demo` is run
//   <!-- readme-test: cli -->            shell: each `npx dtls-stream` line's flags are in its --help
//   <!-- readme-test: expect="TEXT" -->  (with a run) stdout must contain TEXT
//   <!-- readme-test: absent="TEXT" -->  (with a run) stdout must not contain TEXT
// A ts block runs as a child process (`node --import tsx`) with `dtls-stream`
// imports mapped to this repository's sources, bounded in time; it must exit 0
// with nothing on stderr (an unhandled rejection or a leaked handle fails it).
// Shell blocks without a marker fail the test: each must say how it is checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { README, ROOT, blocks, pkg, runTs } from './blocks.ts';

const run = promisify(execFile);

/** Preludes and epilogues for fragments: what the block assumes exists, then checks on what it did. */
const SETUPS: Record<string, { prelude: string; epilogue: string }> = {
  // The DtlsStream piping example: a CA-signed server for example.com behind an in-memory
  // transport, an app source that writes one message, and an app sink.
  pipes: {
    prelude: `
      import { DtlsStream, generateCertificate } from 'dtls-stream';
      const ca = generateCertificate({ ca: true, commonName: 'Example CA' });
      const caPem = ca.chain[0]; // DER works as well as PEM text
      const leaf = generateCertificate({ issuer: ca, subjectAltNames: ['example.com'] });
      const server = new DtlsStream({ role: 'server', certificate: leaf });
      const toServer = new TransformStream(), toClient = new TransformStream();
      toServer.readable.pipeTo(server.inbound.writable);
      server.outbound.readable.pipeTo(toClient.writable);
      const transport = { readable: toClient.readable, writable: toServer.writable };
      const heard = [];
      server.inbound.readable.pipeTo(new WritableStream({ write: (m) => void heard.push(new TextDecoder().decode(m)) }));
      const appSource = ReadableStream.from([new TextEncoder().encode('hello')]);
      const appSink = new WritableStream();
    `,
    epilogue: `
      await dtls.closed; // appSource ended: close_notify after the message
      await server.closed;
      if (heard.join() !== 'hello') throw new Error('the server heard ' + JSON.stringify(heard));
      console.log('server heard', heard.join());
    `,
  },
};

const all = blocks(README);

test('the README has code blocks and each one says how it is checked', () => {
  assert.ok(all.length >= 6);
  for (const b of all) {
    const checked = b.lang === 'ts' || 'scripts' in b.marker || 'cli' in b.marker || 'excerpt' in b.marker || b.lang === '';
    assert.ok(checked, `README.md:${b.line}: a ${b.lang} block needs a readme-test marker`);
    if (b.lang === '') assert.ok(!/^\s*(npm|npx|node|import)\b/m.test(b.code), `README.md:${b.line}: an unlabeled block holds code`);
  }
});

for (const b of all) {
  const where = `README.md:${b.line}`;
  if (b.marker.excerpt) {
    test(`${where} is an excerpt of ${b.marker.excerpt}, line for line`, () => {
      const source = readFileSync(join(ROOT, b.marker.excerpt!), 'utf8')
        .split('\n')
        .map((l) => l.trim());
      for (const line of b.code.split('\n')) {
        const code = line.replace(/\s+\/\/ .*$/, '').trim();
        if (!code || code.startsWith('//') || code === '...') continue;
        assert.ok(
          source.some((l) => l === code || l.replace(/\s+\/\/ .*$/, '') === code),
          `${where}: "${code}" is not a line of ${b.marker.excerpt}`,
        );
      }
    });
  } else if ('scripts' in b.marker) {
    test(`${where}: the npm scripts and files it names exist (and npm run demo runs)`, async () => {
      for (const m of b.code.matchAll(/npm (?:run ([\w:-]+)|(test))/g)) assert.ok(pkg.scripts[m[1] ?? m[2]!], `${where}: no script ${m[0]}`);
      for (const m of b.code.matchAll(/npx tsx (\S+)/g)) assert.ok(existsSync(join(ROOT, m[1]!)), `${where}: no file ${m[1]}`);
      // `npm run X -- --flag`: the script's program reads that flag.
      for (const m of b.code.matchAll(/npm run ([\w:-]+) -- ([^#\n]*)/g)) {
        const program = /\S+\.ts\b/.exec(pkg.scripts[m[1]!] ?? '')?.[0];
        assert.ok(program, `${where}: npm run ${m[1]} runs no .ts program to check flags against`);
        const source = readFileSync(join(ROOT, program), 'utf8');
        for (const [flag] of m[2]!.matchAll(/--[\w-]+/g)) assert.ok(source.includes(flag.slice(2)), `${where}: ${program} does not read ${flag}`);
      }
      if (/npm run demo(?!:)/.test(b.code)) {
        const { stdout } = await run(process.execPath, ['--import', 'tsx', 'demo/loopback.ts'], { cwd: ROOT, timeout: 60_000 });
        assert.match(stdout, /protocol +DTLS 1\.3/, 'the demo runs the defaults: DTLS 1.3');
      }
    });
  } else if ('cli' in b.marker) {
    test(`${where}: every flag of the dtls-stream commands is one the CLI accepts`, async () => {
      const { stdout: help } = await run(process.execPath, [join(ROOT, 'bin/dtls-stream.mjs'), '--help'], { cwd: ROOT, timeout: 30_000 });
      const commands = b.code.split('\n').filter((l) => l.startsWith('npx dtls-stream'));
      assert.ok(commands.length > 0);
      for (const c of commands) {
        for (const [flag] of c.replace(/#.*$/, '').matchAll(/--[\w-]+/g)) assert.ok(help.includes(flag), `${where}: ${flag} is not in dtls-stream --help`);
        const sub = c.split(/\s+/)[2]!;
        assert.ok(sub.startsWith('-') || help.includes(`dtls-stream ${sub}`), `${where}: no subcommand ${sub}`);
      }
    });
  } else if (b.lang === 'ts') {
    const setup = b.marker.setup;
    test(`${where} runs as written${setup ? ` (setup ${setup})` : ''}, exits on its own, nothing on stderr`, async () => {
      let code = b.code;
      if (setup) {
        const s = SETUPS[setup];
        assert.ok(s, `${where}: unknown setup ${setup}`);
        code = `${s.prelude}\n${b.code}\n${s.epilogue}`;
      }
      const stdout = await runTs(code, where);
      if (b.marker.expect) assert.ok(stdout.includes(b.marker.expect), `${where}: stdout lacks ${JSON.stringify(b.marker.expect)}:\n${stdout}`);
      if (b.marker.absent) assert.ok(!stdout.includes(b.marker.absent), `${where}: stdout has ${JSON.stringify(b.marker.absent)}:\n${stdout}`);
    });
  }
}
