/**
 * Who a connection comes from, for the budgets kept per client address
 * (docs/protocol.md, "Budgets"): the socket's peer, or, when that peer is a
 * proxy the operator trusts (TRUSTED_PROXIES), the nearest address in
 * `X-Forwarded-For` that is not itself a trusted proxy. Anything a client
 * wrote further left is not believed: only trusted proxies append.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** `::ffff:10.0.0.1` is the IPv4 address 10.0.0.1 as an IPv6 socket reports it. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export class ClientAddresses {
  private readonly trusted: BlockList | undefined;

  /** `proxies`: addresses and CIDR blocks, validated by config.ts. */
  constructor(proxies: readonly string[]) {
    if (proxies.length === 0) return;
    this.trusted = new BlockList();
    for (const entry of proxies) {
      const [address = '', bits] = entry.split('/');
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.trusted.addAddress(address, type);
      else this.trusted.addSubnet(address, Number(bits), type);
    }
  }

  private isTrusted(address: string): boolean {
    const family = isIP(address);
    return (
      this.trusted !== undefined &&
      family !== 0 &&
      this.trusted.check(address, family === 6 ? 'ipv6' : 'ipv4')
    );
  }

  /** How the browser reached us: TLS here, or a trusted proxy's X-Forwarded-Proto. */
  scheme(req: IncomingMessage): 'http:' | 'https:' {
    if ((req.socket as { encrypted?: boolean }).encrypted === true) return 'https:';
    if (!this.isTrusted(plain(req.socket.remoteAddress ?? ''))) return 'http:';
    const proto = req.headers['x-forwarded-proto'];
    const last = (Array.isArray(proto) ? proto.join(',') : (proto ?? ''))
      .split(',')
      .at(-1)
      ?.trim()
      .toLowerCase();
    return last === 'https' ? 'https:' : 'http:';
  }

  of(req: IncomingMessage): string {
    const peer = plain(req.socket.remoteAddress ?? 'unknown');
    if (!this.isTrusted(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((hop) => plain(hop.trim()))
      .filter((hop) => isIP(hop) !== 0);
    for (let at = hops.length - 1; at >= 0; at--) {
      const hop = hops[at] as string;
      if (!this.isTrusted(hop)) return hop;
    }
    // Every hop is a trusted proxy: the first one is as close to the client as we know.
    return hops[0] ?? peer;
  }
}
