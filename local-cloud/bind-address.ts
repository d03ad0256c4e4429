import { isIP } from 'node:net';

/** Where the local cloud listens unless `LOCAL_BIND_ADDRESS` says otherwise, and where its own functions and tools reach it. */
export const LOOPBACK_ADDRESS = '127.0.0.1';

/** Addresses that listen on every interface, this machine's loopback included. */
const WILDCARD_ADDRESSES = ['0.0.0.0', '::'];

/** What `LOCAL_BIND_ADDRESS` must be. */
export const BIND_ADDRESS_RULE = 'must be an IPv4 or IPv6 address of this machine, such as 127.0.0.1, 192.168.1.20 or 0.0.0.0 (every interface)';

/** Whether `LOCAL_BIND_ADDRESS` is an address to listen on (an IP literal: a host name could resolve anywhere). */
export function isBindAddress(address: string): boolean {
  return isIP(address) !== 0;
}

/** Whether a peer's or a listener's address is this machine's loopback (127.0.0.0/8, ::1, or 127.x mapped into IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const ipv4 = address.toLowerCase().replace(/^::ffff:/, '');
  return address === '::1' || (isIP(ipv4) === 4 && ipv4.startsWith('127.'));
}

/**
 * The addresses to listen on: 127.0.0.1 always, since the functions, the tests and the printed
 * URLs reach the local cloud there, and the setting's address beside it. A wildcard address
 * (0.0.0.0, or :: on a dual-stack machine) already takes in 127.0.0.1, which then cannot be bound twice.
 */
export function listenAddresses(bindAddress: string): string[] {
  if (bindAddress === LOOPBACK_ADDRESS || WILDCARD_ADDRESSES.includes(bindAddress)) return [bindAddress];
  return [LOOPBACK_ADDRESS, bindAddress];
}

/** The warning to print when the setting opens the local cloud to other machines, or undefined when it does not. */
export function exposureWarning(bindAddress: string, port: number): string | undefined {
  if (isLoopbackAddress(bindAddress)) return undefined;
  return [
    `WARNING: LOCAL_BIND_ADDRESS=${bindAddress} opens port ${port} to every machine that can reach this address:`,
    '  the WebSocket endpoint and the web messenger answer them, and anyone there holding a token signed here acts as its user.',
    '  /dev (which signs tokens for anyone) and the @connections API (whose local keys are public) still answer this machine only;',
    '  the stand-ins (DynamoDB Local, Cassandra, ElasticMQ, the SNS stand-in, the IAM proxies) stay on 127.0.0.1.',
  ].join('\n');
}
