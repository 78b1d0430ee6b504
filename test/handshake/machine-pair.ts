// Two DTLS 1.2 handshake machines driven through plain records (no
// connection, record layer or timer), up to chosen points of the handshake.
import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/options.ts';
import { createHandshake } from '../../src/handshake/dispatch.ts';
import type { HandshakeAction, HandshakeMachine } from '../../src/handshake/machine.ts';
import type { PlainRecord } from '../../src/record/record-layer.ts';
import { encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { ContentType, HandshakeType, type HandshakeMessage } from '../../src/wire/types.ts';
import { certs } from './helpers.ts';

export type Flight = Extract<HandshakeAction, { kind: 'flight' }>;

export function flightOf(actions: HandshakeAction[]): Flight {
  const f = actions.find((a): a is Flight => a.kind === 'flight');
  assert.ok(f, `a flight in ${actions.map((a) => a.kind).join(', ')}`);
  return f;
}

export function plain(epoch: number, sequenceNumber: number, contentType: number, payload: Uint8Array): PlainRecord {
  return { contentType, epoch, sequenceNumber, payload };
}

/** Hands a flight's records to a machine as the record layer would, unprotected; returns what it asked for. */
export function deliver(m: HandshakeMachine, f: Flight, readEpoch: number, only?: (it: Flight['items'][number]) => boolean): HandshakeAction[] {
  const out: HandshakeAction[] = [];
  f.items.forEach((it, i) => {
    if (only && !only(it)) return;
    const rec =
      it.kind === 'ccs'
        ? plain(it.epoch, i, ContentType.change_cipher_spec, Uint8Array.of(1))
        : plain(it.epoch, i, ContentType.handshake, encodeHandshakeMessage(it.message));
    out.push(...m.handleRecord(1, rec, readEpoch));
  });
  return out;
}

/** A client machine that read the server's ChangeCipherSpec and waits for its Finished (epoch 1), and that Finished. */
export function clientAwaitingFinished(): { client: HandshakeMachine; finished: HandshakeMessage } {
  const c = certs();
  const client = createHandshake(resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [c.server.fingerprint] } }));
  const server = createHandshake(resolveOptions({ role: 'server', versions: ['1.2'], certificate: c.server }));
  const f1 = flightOf(client.start(0));
  const f4 = flightOf(deliver(server, f1, 0));
  const f5 = flightOf(deliver(client, f4, 0));
  // The server reads the ChangeCipherSpec at epoch 0, then the Finished under epoch 1.
  const f6 = flightOf(deliver(server, f5, 0, (it) => it.epoch === 0).concat(deliver(server, f5, 1, (it) => it.epoch === 1)));
  const keys = deliver(client, f6, 0, (it) => it.kind === 'ccs');
  assert.ok(
    keys.some((a) => a.kind === 'read-keys'),
    'the client opened epoch 1',
  );
  const fin = f6.items.find((it) => it.kind === 'handshake' && it.epoch === 1);
  assert.ok(fin && fin.kind === 'handshake' && fin.message.msgType === HandshakeType.finished);
  return { client, finished: fin.message };
}
