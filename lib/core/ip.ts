// IP addresses and blocks, parsed by Node's `net` module: one parser for the compiler (which refuses
// what Istio's webhook would reject) and the analyzer (which matches a client address against the
// ipBlocks of a rule). A hand-written parser accepted `:::::` and refused `::ffff:10.0.0.1`.
import { BlockList, isIP } from 'node:net';

export interface IpBlock {
  readonly address: string;
  /** Prefix length; the full length of the family for a single address. */
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * An address (`10.0.0.1`, `::1`, `::ffff:10.0.0.1`) or CIDR block (`10.8.0.0/16`, `fd00::/8`), or
 * undefined when Istio would not accept it. Zone ids (`fe80::1%eth0`) name an interface of one
 * host and mean nothing in a policy, so they are refused too.
 */
export function parseIpBlock(text: unknown): IpBlock | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = address.includes('%') ? 0 : isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(bits) || Number(bits) > max) return undefined;
    prefix = Number(bits);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The message for a value that is not an address or block, or undefined when it is one. */
export function checkIpBlock(value: unknown): string | undefined {
  if (parseIpBlock(value) !== undefined) return undefined;
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `ip block ${shown} is not an IP address or CIDR (for example "10.0.0.0/16", "fd00::/8" or "::ffff:10.0.0.1")`;
}

/** Parsed block lists, cached: the analyzer tests the same few blocks against many requests. */
const LISTS = new Map<string, BlockList | null>();
const LIST_LIMIT = 10_000;

/**
 * True when `ip` is inside `block`. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) and IPv4
 * addresses match each other, as in Node's BlockList. False for anything that does not parse.
 */
export function ipInBlock(block: string, ip: string): boolean {
  let list = LISTS.get(block);
  if (list === undefined) {
    const parsed = parseIpBlock(block);
    list = parsed ? new BlockList() : null;
    if (list && parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    if (LISTS.size >= LIST_LIMIT) LISTS.clear();
    LISTS.set(block, list);
  }
  const version = typeof ip === 'string' && !ip.includes('%') ? isIP(ip) : 0;
  if (list === null || version === 0) return false;
  return list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
}
