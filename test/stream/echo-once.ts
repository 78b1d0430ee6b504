// One message out through a DtlsStream and the first plaintext back: the echo
// check the listen() tests share.
import type { DtlsStream } from '../../src/index.ts';

export async function echoOnce(dtls: DtlsStream, message: string): Promise<string> {
  const w = dtls.outbound.writable.getWriter();
  await w.write(new TextEncoder().encode(message));
  w.releaseLock();
  const r = dtls.inbound.readable.getReader();
  const { value } = await r.read();
  r.releaseLock();
  return new TextDecoder().decode(value!);
}
