// Connection IDs for DTLS 1.2 (RFC 9146), both roles. The hellos negotiate
// them exactly as DTLS 1.3 does (RFC 9147 9 reuses RFC 9146's connection_id
// extension, type 54), so this is cid13.ts's negotiation, reused:
//
//   ClientHello  connection_id = the CID the client wants on records to it (may be empty)
//   ServerHello  connection_id = the CID the server wants on records to it (may be empty)
//   both sent it: negotiated. From epoch 1 on each side sends tls12_cid records
//   carrying the CID the peer asked for (none when it asked for an empty one).
//
// What differs: DTLS 1.2 has no message to change CIDs after the handshake
// (RFC 9146 3: "no dedicated CID update message"), so the 1.3 methods that
// send NewConnectionId or RequestConnectionId are refused here.
import type { ResolvedOptions } from '../options.ts';
import type { HandshakeAction } from './machine.ts';
import { ExtensionType, type HandshakeMessage } from '../wire/types.ts';
import { DtlsError } from '../errors.ts';
import { findExtension } from '../wire/extensions/index.ts';
import { decodeClientHello } from '../wire/messages/client-hello.ts';
import { decodeConnectionIdExtension } from '../wire/extensions13/connection-id.ts';
import { ConnectionIds13 } from './cid13.ts';

const FIXED = 'DTLS 1.2 connection IDs (RFC 9146) are fixed for the session: NewConnectionId and RequestConnectionId are DTLS 1.3 (RFC 9147 9)';

export class ConnectionIds12 extends ConnectionIds13 {
  /** `own`: the CID to offer instead of the one options.connectionId gives (the one a 1.3 ClientHello already offered). */
  constructor(o: ResolvedOptions, own?: Uint8Array) {
    const refuse = (): never => {
      throw new TypeError(FIXED);
    };
    super(own === undefined ? o : { ...o, connectionId: own }, refuse, () => 1);
  }

  override onMessage(_m: HandshakeMessage): HandshakeAction[] {
    throw new DtlsError('unexpected_message', FIXED);
  }
  override issue(_count: number, _usage: 'immediate' | 'spare'): HandshakeAction[] {
    throw new TypeError(FIXED);
  }
  override request(_count: number): HandshakeAction[] {
    throw new TypeError(FIXED);
  }
  /** The peer never gives spare CIDs in DTLS 1.2: none to switch to (the connection reports false). */
  override switchPeer(): HandshakeAction[] {
    return [];
  }
}

/**
 * The CIDs of a 1.2 role, or undefined when it takes no part. `offered`: the
 * ClientHello a 1.3 client already sent (falling back to 1.2): its CID is the
 * one to continue with, whatever the options would draw now.
 */
export function connectionIds12(o: ResolvedOptions, offered?: HandshakeMessage): ConnectionIds12 | undefined {
  if (o.connectionId === undefined) return undefined;
  if (!offered) return new ConnectionIds12(o);
  const e = findExtension(decodeClientHello(offered.body).extensions, ExtensionType.connection_id);
  return e ? new ConnectionIds12(o, decodeConnectionIdExtension(e.data).slice()) : undefined;
}
