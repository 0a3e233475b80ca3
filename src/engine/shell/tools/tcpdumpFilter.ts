/**
 * A subset of pcap-filter(7): arp, ip, ip6, icmp, tcp, udp, [src|dst] host A, [src|dst] net N/len,
 * [src|dst] port N, ether host M, with not/!, and/&&, or/|| and parentheses.
 */
import { type Cidr, cidrContains, parseCidr, parseIpv4 } from '../../net/ipv4';
import { parseMac } from '../../net/mac';
import type { EthernetFrame, Ipv4Packet } from '../../net/packet';

export type Filter =
  | { readonly op: 'and' | 'or'; readonly a: Filter; readonly b: Filter }
  | { readonly op: 'not'; readonly a: Filter }
  | { readonly op: 'proto'; readonly proto: 'arp' | 'ip' | 'ip6' | 'icmp' | 'tcp' | 'udp' }
  | { readonly op: 'host' | 'net'; readonly dir: 'src' | 'dst' | 'any'; readonly net: Cidr }
  | {
      readonly op: 'port';
      readonly dir: 'src' | 'dst' | 'any';
      readonly port: number;
      readonly proto?: 'tcp' | 'udp';
    }
  | { readonly op: 'ether'; readonly dir: 'src' | 'dst' | 'any'; readonly mac: string };

const SYNTAX = "tcpdump: can't parse filter expression: syntax error";

export function parseFilter(words: readonly string[]): Filter | { error: string } {
  const toks = words
    .join(' ')
    .replace(/([()])/g, ' $1 ')
    .replace(/&&/g, ' and ')
    .replace(/\|\|/g, ' or ')
    .replace(/!/g, ' not ')
    .split(/\s+/)
    .filter(Boolean);
  let i = 0;
  const fail = (msg = SYNTAX): never => {
    throw new Error(msg);
  };
  const primary = (): Filter => {
    const t = toks[i++];
    if (t === undefined) return fail();
    if (t === '(') {
      const e = orExpr();
      if (toks[i++] !== ')') fail();
      return e;
    }
    if (t === 'not') return { op: 'not', a: primary() };
    let dir: 'src' | 'dst' | 'any' = 'any';
    let word = t;
    if (word === 'src' || word === 'dst') {
      dir = word;
      word = toks[i++] ?? fail();
    }
    let proto: 'tcp' | 'udp' | undefined;
    if (
      (word === 'tcp' || word === 'udp') &&
      (toks[i] === 'port' || toks[i] === 'src' || toks[i] === 'dst')
    ) {
      proto = word;
      word = toks[i++]!;
      if (word === 'src' || word === 'dst') {
        dir = word;
        word = toks[i++] ?? fail();
      }
    }
    if (['arp', 'ip', 'ip6', 'icmp', 'tcp', 'udp'].includes(word) && dir === 'any')
      return { op: 'proto', proto: word as 'arp' };
    if (word === 'host') {
      const a = parseIpv4(toks[i++] ?? '');
      if (a === undefined) fail(`tcpdump: can't parse filter expression: syntax error`);
      return { op: 'host', dir, net: { addr: a!, len: 32 } };
    }
    if (word === 'net') {
      const c = parseCidr(toks[i++] ?? '', 32);
      if (!c) fail();
      return { op: 'net', dir, net: c! };
    }
    if (word === 'port') {
      const p = Number(toks[i++]);
      if (!Number.isInteger(p) || p < 0 || p > 65535)
        fail(`tcpdump: can't parse filter expression: illegal port number ${toks[i - 1]} > 65535`);
      return { op: 'port', dir, port: p, proto };
    }
    if (word === 'ether') {
      let d = dir;
      let k = toks[i++];
      if (k === 'src' || k === 'dst') {
        d = k;
        k = toks[i++];
      }
      if (k !== 'host') fail();
      const m = parseMac(toks[i++] ?? '');
      if (!m) fail();
      return { op: 'ether', dir: d, mac: m! };
    }
    // A bare address is `host A`.
    const a = parseIpv4(word);
    if (a !== undefined) return { op: 'host', dir, net: { addr: a, len: 32 } };
    return fail();
  };
  const andExpr = (): Filter => {
    let e = primary();
    while (toks[i] === 'and' || (toks[i] !== undefined && toks[i] !== 'or' && toks[i] !== ')')) {
      if (toks[i] === 'and') i++;
      e = { op: 'and', a: e, b: primary() };
    }
    return e;
  };
  const orExpr = (): Filter => {
    let e = andExpr();
    while (toks[i] === 'or') {
      i++;
      e = { op: 'or', a: e, b: andExpr() };
    }
    return e;
  };
  try {
    const e = orExpr();
    if (i < toks.length) fail();
    return e;
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function ipOf(f: EthernetFrame): Ipv4Packet | undefined {
  return f.payload.kind === 'ipv4' ? f.payload : undefined;
}

export function matchFilter(f: Filter, frame: EthernetFrame): boolean {
  switch (f.op) {
    case 'and':
      return matchFilter(f.a, frame) && matchFilter(f.b, frame);
    case 'or':
      return matchFilter(f.a, frame) || matchFilter(f.b, frame);
    case 'not':
      return !matchFilter(f.a, frame);
    case 'proto': {
      if (f.proto === 'arp') return frame.payload.kind === 'arp';
      if (f.proto === 'ip6') return false;
      const ip = ipOf(frame);
      if (!ip) return false;
      return f.proto === 'ip' || ip.payload.kind === f.proto;
    }
    case 'host':
    case 'net': {
      const p = frame.payload;
      const [src, dst] = p.kind === 'arp' ? [p.senderIp, p.targetIp] : [p.src, p.dst];
      return (
        (f.dir !== 'dst' && cidrContains(f.net, src)) ||
        (f.dir !== 'src' && cidrContains(f.net, dst))
      );
    }
    case 'port': {
      const ip = ipOf(frame);
      const l4 = ip?.payload;
      if (!l4 || (l4.kind !== 'tcp' && l4.kind !== 'udp')) return false;
      if (f.proto && l4.kind !== f.proto) return false;
      return (f.dir !== 'dst' && l4.sport === f.port) || (f.dir !== 'src' && l4.dport === f.port);
    }
    case 'ether':
      return (f.dir !== 'dst' && frame.src === f.mac) || (f.dir !== 'src' && frame.dst === f.mac);
  }
}
