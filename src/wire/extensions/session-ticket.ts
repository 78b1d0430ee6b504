// SessionTicket extension (RFC 5077 3.2): the extension_data is the ticket
// itself, with no length prefix of its own. Empty in a ClientHello: "send me
// a ticket"; empty in a ServerHello: "a NewSessionTicket follows".
export function encodeSessionTicket(ticket: Uint8Array): Uint8Array {
  return ticket;
}

/** The ticket (a view); any length up to the extension's own limit is well formed. */
export function decodeSessionTicket(data: Uint8Array): Uint8Array {
  return data;
}
