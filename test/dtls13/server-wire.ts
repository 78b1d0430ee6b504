// A scripted DTLS 1.3 client behind its own 1.3 record layer (unified
// header, encrypted record numbers), for tests of the server over the wire.
import { Connection } from '../../src/connection.ts';
import { resolveOptions, type DtlsOptions } from '../../src/options.ts';
import { RecordLayer, type PlainRecord } from '../../src/record/record-layer.ts';
import { Reassembler } from '../../src/reliability/reassembly.ts';
import type { HandshakeAction } from '../../src/handshake/machine.ts';
import type { TrafficKeys13 } from '../../src/record/traffic-keys.ts';
import type { CipherSuite13 } from '../../src/crypto/suites.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { ContentType } from '../../src/wire/types.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { certs, drain } from '../handshake/helpers.ts';

export { drain };
import { ScriptedClient13, type HelloOptions } from './server-peer.ts';

const crypto = nobleProvider;

/**
 * A 1.3 server Connection connected to a WireClient over the wire, both in epoch 3
 * (the handshake's output drained): for tests of what comes after the handshake.
 */
export function connectedServer13(options: DtlsOptions = {}) {
  const server = new Connection(resolveOptions({ role: 'server', certificate: certs().server, versions: ['1.3'], ...options }));
  server.start(0);
  const client = new WireClient();
  server.handleDatagram(0, client.hello());
  const c = client.answer(drain(server));
  for (const d of c.datagrams) server.handleDatagram(0, d);
  if (server.state !== 'connected') throw new Error(`connectedServer13: the server is ${server.state}: ${server.error?.message ?? ''}`);
  client.sealEpoch(3, c.clientAp, c.suite);
  client.openEpoch(3, c.serverAp, c.suite);
  drain(server);
  return { server, client, seq: client.script.nextSeq };
}

/** The scripted client behind its own 1.3 record layer. */
export class WireClient {
  readonly script = new ScriptedClient13(crypto);
  readonly layer = new RecordLayer(crypto, () => {});
  readonly reassembler = new Reassembler();
  /** Handshake messages received, in order, with their epochs. */
  messages: { epoch: number; message: { msgType: number; messageSeq: number; body: Uint8Array } }[] = [];

  constructor() {
    this.layer.protocol = '1.3';
  }

  hello(o: HelloOptions = {}): Uint8Array {
    const rec = this.script.helloRecord(o);
    return this.layer.seal(ContentType.handshake, rec.payload, 0);
  }

  receive(datagrams: Uint8Array[]): PlainRecord[] {
    const out: PlainRecord[] = [];
    for (const d of datagrams) out.push(...this.layer.open(d));
    this.#take(out);
    return out;
  }

  #take(recs: PlainRecord[]): void {
    for (const r of recs) {
      if (r.contentType !== ContentType.handshake) continue;
      for (const f of decodeHandshakeFragments(r.payload)) this.reassembler.add(f);
      for (let m = this.reassembler.poll(); m; m = this.reassembler.poll()) this.messages.push({ epoch: r.epoch, message: m });
    }
  }

  /** The flight as the machine-level helpers take it. */
  flight(): HandshakeAction[] {
    return [{ kind: 'flight', items: this.messages.map((m) => ({ kind: 'handshake', ...m })), number: 4, mode: 'retransmit', sampleRtt: true }];
  }

  /** The handshake keys, from the ServerHello alone (the script's message_seq is left as it was). */
  peekKeys() {
    const seq = this.script.nextSeq;
    const k = this.script.finish(this.flight(), certs().server);
    this.script.nextSeq = seq;
    return k;
  }

  openEpoch(epoch: number, keys: { key: Uint8Array; iv: Uint8Array; sn: Uint8Array }, suite: CipherSuite13) {
    this.#take(this.layer.installRead(epoch, { suite, ...keys } satisfies TrafficKeys13));
  }

  sealEpoch(epoch: number, keys: { key: Uint8Array; iv: Uint8Array; sn: Uint8Array }, suite: CipherSuite13) {
    this.layer.installWrite(epoch, { suite, ...keys } satisfies TrafficKeys13);
  }

  /**
   * Reads the server's flight from `datagrams`, checks it, and returns the
   * client's second flight sealed in epoch 2, with what the client derived.
   */
  answer(datagrams: Uint8Array[], opts: Parameters<ScriptedClient13['finish']>[2] = {}) {
    this.receive(datagrams);
    const peek = this.peekKeys();
    this.openEpoch(2, peek.serverHs, peek.suite);
    const c = this.script.finish(this.flight(), certs().server, opts);
    this.sealEpoch(2, c.clientHs, c.suite);
    return { ...c, datagrams: c.records.map((r) => this.layer.seal(ContentType.handshake, r.payload, 2)) };
  }
}
