// Everything the CLI says on stderr, in one of three forms: text (default),
// JSON lines (--json, for scripts), or nothing but errors (--quiet). Records
// received go to stdout as they came, in every form.
import type { Writable } from 'node:stream';
import type { HandshakeInfo } from '../connection-types.ts';
import type { Role } from '../options.ts';
import type { DtlsStream } from '../stream/index.ts';
import type { CliOptions } from './args.ts';
import { describeError, hexUpper, summaryLines } from './summary.ts';
import { ladderHeader, ladderLine, ladderRetransmit } from './trace.ts';

type Fields = Record<string, unknown>;

/** HandshakeInfo for JSON: the peer's certificates as base64 DER. */
function infoFields(info: HandshakeInfo): Fields {
  const { peerCertificates, ...rest } = info;
  return { ...rest, peerCertificates: peerCertificates.map((c) => Buffer.from(c).toString('base64')) };
}

export class Output {
  readonly #stderr: Writable;
  readonly #o: Pick<CliOptions, 'json' | 'quiet' | 'trace'> & Partial<Pick<CliOptions, 'sessIn'>>;

  constructor(stderr: Writable, o: Pick<CliOptions, 'json' | 'quiet' | 'trace'> & Partial<Pick<CliOptions, 'sessIn'>>) {
    this.#stderr = stderr;
    this.#o = o;
  }

  /** An event: text lines, or one JSON object {"event": name, ...fields}. Silent with --quiet. */
  say(event: string, fields: Fields, lines: string[]): void {
    if (this.#o.json) this.#stderr.write(`${JSON.stringify({ event, ...fields })}\n`);
    else if (!this.#o.quiet) for (const l of lines) this.#stderr.write(`${l}\n`);
  }

  /** A failure, always printed: "dtls-stream: ..." or {"event":"error"}. */
  error(message: string, fields: Fields = {}): void {
    if (this.#o.json) this.#stderr.write(`${JSON.stringify({ event: 'error', message, ...fields })}\n`);
    else this.#stderr.write(`dtls-stream: ${message}\n`);
  }

  failure(e: unknown, fields: Fields = {}): void {
    this.error(this.#o.json ? describeError(e) : `error: ${describeError(e)}`, fields);
  }

  /** The summary of a completed handshake, and keying material when asked. */
  handshake(dtls: DtlsStream, peer: string, exported: CliOptions['export']): void {
    const info = dtls.info;
    if (info) this.say('handshake', { peer, ...infoFields(info) }, summaryLines(info, this.#o.sessIn !== undefined));
    if (exported) {
      const hex = hexUpper(dtls.exportKeyingMaterial(exported.label, undefined, exported.length));
      this.say('keying_material', { peer, label: exported.label, length: exported.length, hex }, [`Keying material: ${hex}`]);
    }
  }

  /**
   * Listens to a connection's events from its start: the ladder (--trace),
   * flights sent again while nobody answers (so a wait is never silent),
   * alerts and the close (JSON).
   */
  watch(dtls: DtlsStream, role: Role, peer: string): void {
    const tries = new Map<number, number>();
    let handshaking = true;
    dtls.addEventListener('handshake', () => void (handshaking = false));
    if (this.#o.trace) {
      if (!this.#o.json) this.say('trace', {}, [`Trace of the handshake with ${peer}:`, ladderHeader(role)]);
      dtls.addEventListener('trace', (e) => {
        const { direction, what, epoch, bytes } = e.detail;
        this.say('trace', { peer, direction, what, epoch, bytes }, [ladderLine(direction, what, epoch)]);
      });
    }
    dtls.addEventListener('retransmit', (e) => {
      const { flight, reason } = e.detail;
      const n = (tries.get(flight) ?? 1) + 1;
      tries.set(flight, n);
      const fields = { peer, flight, tries: n, reason };
      if (this.#o.trace) this.say('retransmit', fields, [ladderRetransmit(flight, n, reason)]);
      else if (handshaking && reason === 'timeout') {
        this.say('retransmit', fields, [`No answer from ${peer} yet: retransmitting flight ${flight}, ${n} tries`]);
      } else if (this.#o.json) this.say('retransmit', fields, []);
    });
    if (this.#o.json) {
      dtls.addEventListener('alert', (e) => {
        const { level, name, fromPeer } = e.detail;
        this.say('alert', { peer, level, name, from: fromPeer ? 'peer' : 'us' }, []);
      });
      dtls.addEventListener('close', (e) => {
        const error = e.detail.error;
        this.say('close', { peer, clean: !error, ...(error ? { error: describeError(error) } : {}) }, []);
      });
    }
  }
}
