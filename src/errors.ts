// Typed errors. A DtlsError carries a code; the code maps to the alert that is
// sent (or was received) in one table, so handlers never pick alert numbers.
// API misuse stays TypeError/RangeError and never becomes an alert.

/** Alert descriptions (RFC 5246 7.2, RFC 5746, RFC 7301, RFC 8446 6). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  decompression_failure: 30,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  too_many_cids_requested: 52,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
/** The name of a TLS alert (RFC 5246 7.2), e.g. 'handshake_failure'. */
export type AlertName = keyof typeof AlertDescription;

const alertNames = new Map<number, AlertName>(Object.entries(AlertDescription).map(([k, v]) => [v, k as AlertName]));
/** The name of an alert description number, or 'alert_N' for an unknown one. */
export function alertName(code: number): string {
  return alertNames.get(code) ?? `alert_${code}`;
}

/**
 * Error codes. Most are alert names (a protocol failure that is signalled to
 * the peer); the rest are local conditions with no alert to send.
 */
export type DtlsErrorCode =
  | AlertName
  | 'handshake_timeout' // RFC 6347 4.2.4: gave up retransmitting
  | 'idle_timeout' // nothing received for options.idleTimeout ms
  | 'peer_alert' // the peer sent a fatal alert (see `alert`)
  | 'closed' // the connection was closed before the operation finished
  | 'aborted' // the application ended the connection with abort() (see `alert` for what was sent)
  | 'verification_failed'; // certificate or fingerprint check failed

/** Which alert a local failure sends to the peer. */
const codeToAlert: Partial<Record<DtlsErrorCode, number>> = {
  handshake_timeout: undefined,
  idle_timeout: undefined,
  peer_alert: undefined,
  closed: undefined,
  aborted: undefined,
  verification_failed: AlertDescription.bad_certificate,
};

/** The error of a failed DTLS connection: a `code`, the alert sent or received, and who sent it. */
export class DtlsError extends Error {
  readonly code: DtlsErrorCode;
  /** The alert description sent to (or received from) the peer, if any. */
  readonly alert: number | undefined;
  /** True when the peer sent the alert; false when we did (or none was sent). */
  readonly fromPeer: boolean;

  constructor(code: DtlsErrorCode, message: string, opts: { alert?: number; fromPeer?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DtlsError';
    this.code = code;
    this.fromPeer = opts.fromPeer ?? false;
    this.alert = opts.alert ?? (code in codeToAlert ? codeToAlert[code] : (AlertDescription as Record<string, number>)[code]);
  }
}

/** The peer sent a fatal alert. */
export function peerAlertError(description: number): DtlsError {
  return new DtlsError('peer_alert', `peer sent fatal alert ${alertName(description)} (${description})`, {
    alert: description,
    fromPeer: true,
  });
}
