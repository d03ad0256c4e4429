/**
 * How a client hands over its token at the WebSocket handshake without putting it in the URL:
 * as a subprotocol in `Sec-WebSocket-Protocol`, the one header a browser's `WebSocket` lets a
 * page set. The client offers two subprotocols, `messenger.v1` and `bearer.<jwt>`; the server
 * reads the token from the second and answers with the first (never the token). A JWT is three
 * base64url parts joined by dots, all characters a subprotocol may hold (RFC 6455, section 4.1).
 * `?token=` on the URL still works (the shared contract's form).
 */

/** The subprotocol the server selects and echoes when the client offers it. */
export const MESSENGER_SUBPROTOCOL = 'messenger.v1';

/** Prefix of the subprotocol that carries the token. */
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.';

/** The subprotocols a client offers to connect with `token`. */
export function handshakeSubprotocols(token: string): string[] {
  return [MESSENGER_SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}${token}`];
}

/**
 * The `Sec-WebSocket-Protocol` header of a handshake request's headers, whatever the case of its
 * name (clients and API Gateway spell it differently).
 */
export function subprotocolHeader(headers: Readonly<Record<string, string | undefined>> | null | undefined): string | undefined {
  return Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'sec-websocket-protocol')?.[1];
}

/** The subprotocols offered in a `Sec-WebSocket-Protocol` header value (comma-separated). */
export function offeredSubprotocols(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol !== '');
}

/** The token carried by a `bearer.` subprotocol of the header, if one carries any. */
export function tokenFromSubprotocols(header: string | undefined): string | undefined {
  const bearer = offeredSubprotocols(header).find((protocol) => protocol.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  const token = bearer?.slice(BEARER_SUBPROTOCOL_PREFIX.length);
  return token === '' ? undefined : token;
}
