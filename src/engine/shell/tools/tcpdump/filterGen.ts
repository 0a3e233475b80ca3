/**
 * From a qualified address, number or name to a filter primitive, with the checks and error
 * messages of libpcap 1.10's gencode.c (gen_ncode, gen_mcode, gen_mcode6, gen_ecode, gen_scode,
 * gen_host, gen_proto).
 */
import type { Dir, FilterNode } from './filterAst';
import {
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  lookupEthertype,
  lookupHost,
  lookupNetwork,
  lookupProtocol,
  lookupService,
} from './filterNames';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4 as ETHERTYPE_IP } from './wire';

/** A message tcpdump prints as is ("tcpdump: …"), ending the parse. */
export class FilterError extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

export function fail(message: string): never {
  throw new FilterError(`tcpdump: ${message}`);
}

/** What the simulator leaves out, said plainly rather than passed off as tcpdump's words. */
export function notModelled(what: string): never {
  throw new FilterError(`packet-life: tcpdump filters with '${what}' are not modelled`);
}

export type DirQual = 'default' | Dir;
export type AddrQual =
  'default' | 'host' | 'net' | 'port' | 'portrange' | 'proto' | 'protochain' | 'gateway';

/** A primitive's qualifiers; `undefined` fields are libpcap's Q_UNDEF (nothing to inherit). */
export interface Qual {
  /** 'default' or a protocol keyword ('link' stands for ether/link/ppp/…). */
  readonly proto: string | undefined;
  readonly dir: DirQual | undefined;
  readonly addr: AddrQual | undefined;
}

export const QERR: Qual = { proto: undefined, dir: undefined, addr: undefined };

export { ETHERTYPE_ARP, ETHERTYPE_IPV4 as ETHERTYPE_IP } from './wire';
export const ETHERTYPE_REVARP = 0x8035;
export const ETHERTYPE_IPV6 = 0x86dd;

const FULL_MASK = 0xffffffff;

const and = (a: FilterNode, b: FilterNode): FilterNode => ({ t: 'and', a, b });
const or = (a: FilterNode, b: FilterNode): FilterNode => ({ t: 'or', a, b });

/** A NUM, or a dotted address (HID) read the libpcap way (`s`), under qualifiers. */
export function genNcode(q: Qual, s: string | undefined, num: number): FilterNode {
  let v = num;
  let vlen = 32;
  if (s !== undefined) {
    const parsed = atoin(s);
    if (parsed === undefined) fail(`invalid IPv4 address '${s}'`);
    [v, vlen] = parsed;
  }
  switch (q.addr) {
    case 'default':
    case 'host':
    case 'net':
      return hostOrNet(q, s === undefined, v, vlen);
    case 'port':
      return portNode(q, v, v, "'port'");
    case 'portrange':
      return portNode(q, v, v, "'portrange'");
    case 'gateway':
      return fail("'gateway' requires a name");
    case 'proto':
      return genProto(q, v);
    case 'protochain':
      return notModelled('protochain');
    case undefined:
      return fail('syntax error in filter expression');
  }
}

function hostOrNet(q: Qual, bareNumber: boolean, value: number, vlen: number): FilterNode {
  if (q.proto === 'link') fail('illegal link layer address');
  let v = value >>> 0;
  let mask = FULL_MASK;
  if (bareNumber && q.addr === 'net') {
    // "net 10" is 10.0.0.0/8: a short net number is moved up to the top bytes.
    while (v !== 0 && (v & 0xff000000) === 0) {
      v = (v << 8) >>> 0;
      mask = (mask << 8) >>> 0;
    }
  } else {
    // "host 10.0.1" is 10.0.1.0/24: a short dotted address is promoted the same way.
    v = shiftLeft(v, 32 - vlen);
    mask = shiftLeft(mask, 32 - vlen);
  }
  return genHost(v, mask, q, q.addr === 'net' ? 'net' : 'host');
}

/** `HID/len` and `HID mask HID`: networks only. */
export function genMcode(q: Qual, s1: string, s2: string | undefined, masklen: number): FilterNode {
  const parsed = atoin(s1);
  if (parsed === undefined) fail(`invalid IPv4 address '${s1}'`);
  const n = shiftLeft(parsed[0], 32 - parsed[1]);
  let m: number;
  if (s2 !== undefined) {
    const pm = atoin(s2);
    if (pm === undefined) fail(`invalid IPv4 address '${s2}'`);
    m = shiftLeft(pm[0], 32 - pm[1]);
    if ((n & ~m) >>> 0 !== 0) fail(`non-network bits set in "${s1} mask ${s2}"`);
  } else {
    if (masklen > 32) fail('mask length must be <= 32');
    m = masklen === 0 ? 0 : shiftLeft(FULL_MASK, 32 - masklen);
    if ((n & ~m) >>> 0 !== 0) fail(`non-network bits set in "${s1}/${masklen}"`);
  }
  if (q.addr !== 'net') fail('Mask syntax for networks only');
  return genHost(n, m, q, 'net');
}

const MODIFIER_ERRORS = new Set([
  'sctp', 'tcp', 'udp', 'icmp', 'igmp', 'igrp', 'icmp6', 'ah', 'esp', 'pim', 'vrrp', 'carp',
  'esis', 'isis', 'clnp', 'stp', 'netbeui', 'l1', 'l2', 'iih', 'snp', 'csnp', 'psnp', 'lsp', 'radio',
]); // prettier-ignore

const NOT_IMPLEMENTED: Readonly<Record<string, string>> = {
  atalk: 'AppleTalk',
  lat: 'LAT',
  sca: 'SCA',
  moprc: 'MOPRC',
  mopdl: 'MOPDL',
  aarp: 'AARP',
  iso: 'ISO',
  ipx: 'IPX',
};

/** gen_host: by default an address is looked for in IPv4, ARP and RARP headers alike. */
function genHost(addr: number, mask: number, q: Qual, type: 'host' | 'net'): FilterNode {
  const dir = dirOf(q);
  const host = (family: 'ip' | 'arp' | 'rarp'): FilterNode => ({
    t: 'host',
    family,
    dir,
    addr,
    mask,
  });
  const proto = q.proto ?? 'default';
  if (proto === 'default') return or(or(host('ip'), host('arp')), host('rarp'));
  if (proto === 'ip' || proto === 'arp' || proto === 'rarp') return host(proto);
  if (proto === 'link') fail(`link-layer modifier applied to ${type}`);
  if (proto === 'ip6') fail("'ip6' modifier applied to ip host");
  if (MODIFIER_ERRORS.has(proto)) fail(`'${proto}' modifier applied to ${type}`);
  const what = NOT_IMPLEMENTED[proto];
  if (what !== undefined) fail(`${what} host filtering not implemented`);
  return notModelled(proto);
}

function dirOf(q: Qual): Dir {
  return q.dir === undefined || q.dir === 'default' ? 'or' : q.dir;
}

function portProtos(q: Qual, what: string): number[] {
  switch (q.proto) {
    case 'tcp':
      return [IPPROTO_TCP];
    case 'udp':
      return [IPPROTO_UDP];
    case 'sctp':
      return [IPPROTO_SCTP];
    case 'default':
    case undefined:
      return [];
    default:
      return fail(`illegal qualifier of ${what}`);
  }
}

function portNode(q: Qual, lo: number, hi: number, what: string): FilterNode {
  const protos = portProtos(q, what);
  for (const p of [lo, hi]) if (p > 65535) fail(`illegal port number ${p} > 65535`);
  return { t: 'port', protos, dir: dirOf(q), lo: Math.min(lo, hi), hi: Math.max(lo, hi) };
}

/** `proto N`: the IPv4 protocol / IPv6 next header, or with `ether` the ethertype. */
function genProto(q: Qual, v: number): FilterNode {
  const ipproto = (v4: boolean, v6: boolean): FilterNode => ({ t: 'ipproto', v4, v6, proto: v });
  switch (q.proto) {
    case 'default':
    case undefined:
      return ipproto(true, true);
    case 'ip':
      return ipproto(true, false);
    case 'ip6':
      return ipproto(false, true);
    case 'link':
      return { t: 'ethertype', type: v };
    default:
      return notModelled(`${q.proto} proto`);
  }
}

/** An IPv6 address, with or without a prefix length: checked, then never matched. */
export function genMcode6(q: Qual, s: string, masklen: number): FilterNode {
  const addr = parseIpv6(s);
  if (addr === undefined) fail(`bogus IPv6 address ${s}`);
  if (masklen > 128) fail('mask length must be <= 128');
  const hostBits = (1n << BigInt(128 - masklen)) - 1n;
  if ((addr & hostBits) !== 0n) fail(`non-network bits set in "${s}/${masklen}"`);
  const addrQual = q.addr ?? 'default';
  if ((addrQual === 'default' || addrQual === 'host') && masklen !== 128)
    fail('Mask syntax for networks only');
  if (addrQual !== 'default' && addrQual !== 'host' && addrQual !== 'net') {
    fail('invalid qualifier against IPv6 address');
  }
  const type = addrQual === 'net' ? 'net' : 'host';
  const proto = q.proto ?? 'default';
  if (proto === 'link') fail(`link-layer modifier applied to ip6 ${type}`);
  if (proto !== 'default' && proto !== 'ip6') fail(`'${proto}' modifier applied to ip6 ${type}`);
  return { t: 'host6', dir: dirOf(q), addr: s };
}

/** A MAC address: only with `ether` (or `link`, …) and only on an Ethernet capture. */
export function genEcode(q: Qual, s: string, cooked: boolean): FilterNode {
  if ((q.addr === 'host' || q.addr === 'default') && q.proto === 'link') {
    if (cooked)
      fail(
        'ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel',
      );
    return { t: 'ether', dir: dirOf(q), mac: parseMacText(s) };
  }
  return fail('ethernet address used in non-ether expression');
}

/** A name: a host, network, service, protocol or ether host, looked up in /etc. */
export function genScode(q: Qual, name: string, cooked: boolean): FilterNode {
  switch (q.addr) {
    case 'net':
      return networkByName(q, name);
    case 'default':
    case 'host':
      return q.proto === 'link' ? etherByName(name, cooked) : hostByName(q, name);
    case 'port':
      return portByName(q, name);
    case 'portrange':
      return portRangeByName(q, name);
    case 'proto':
      return protoByName(q, name);
    case 'gateway':
      return notModelled('gateway');
    case 'protochain':
      return notModelled('protochain');
    case undefined:
      return fail('syntax error in filter expression');
  }
}

function networkByName(q: Qual, name: string): FilterNode {
  const net = lookupNetwork(name);
  if (net === undefined) fail(`unknown network '${name}'`);
  return hostOrNet(q, true, net, 32);
}

function etherByName(name: string, cooked: boolean): FilterNode {
  if (cooked)
    fail(
      'only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name',
    );
  return fail(`unknown ether host '${name}'`);
}

function hostByName(q: Qual, name: string): FilterNode {
  const found = lookupHost(name);
  if (found === undefined) fail(`unknown host '${name}'`);
  const proto = q.proto ?? 'default';
  const nodes: FilterNode[] = [];
  if (proto !== 'ip6') nodes.push(...found.v4.map((a) => genHost(a, FULL_MASK, q, 'host')));
  if (proto === 'default' || proto === 'ip6')
    nodes.push(...found.v6.map((a) => genMcode6(q, a, 128)));
  const first = nodes[0];
  if (first === undefined) fail(`unknown host '${name}' for specified address family`);
  return nodes.slice(1).reduce(or, first);
}

/** A service name: refused when it is listed only for the other transport. */
function resolvePort(q: Qual, name: string, unknown: string, what: string): number {
  const found = lookupService(name);
  if (found === undefined) fail(unknown);
  const wanted = q.proto === 'tcp' ? IPPROTO_TCP : q.proto === 'udp' ? IPPROTO_UDP : undefined;
  if (wanted !== undefined && found.only !== undefined && found.only !== wanted) {
    fail(`${what} '${name}' is ${found.only === IPPROTO_TCP ? 'tcp' : 'udp'}`);
  }
  return found.port;
}

function portByName(q: Qual, name: string): FilterNode {
  const protos = portProtos(q, "'port'");
  const port = resolvePort(q, name, `unknown port '${name}'`, 'port');
  // A name listed for one transport only (http is tcp) matches that transport only.
  const only = lookupService(name)?.only;
  const narrowed = protos.length === 0 && only !== undefined ? [only] : protos;
  return { t: 'port', protos: narrowed, dir: dirOf(q), lo: port, hi: port };
}

/**
 * "lo-hi", each side a number or a service name. Unlike `port`, a name listed for the other
 * transport is let through (pcap_nametoportrange forgets the transport when the sides differ).
 */
function portRangeByName(q: Qual, name: string): FilterNode {
  portProtos(q, "'portrange'");
  const m = /^([^-]+)-([^-]+)$/.exec(name);
  if (m === null) fail(`unknown port in range '${name}'`);
  const side = (s: string): number => {
    const port = /^[0-9]+$/.test(s) ? Number(s) : lookupService(s)?.port;
    if (port === undefined) fail(`unknown port in range '${name}'`);
    return port;
  };
  return portNode(q, side(m[1]!), side(m[2]!), "'portrange'");
}

function protoByName(q: Qual, name: string): FilterNode {
  const link = q.proto === 'link';
  const v = link ? lookupEthertype(name) : lookupProtocol(name);
  if (v === undefined) fail(`unknown ${link ? 'ether' : 'ip'} proto '${name}'`);
  return genProto(q, v);
}

/** `less N` / `greater N`: the frame's length. */
export function lengthNode(op: '<=' | '>=', n: number): FilterNode {
  return { t: 'rel', op, a: { t: 'len' }, b: { t: 'num', v: n } };
}

/** A protocol keyword on its own ("tcp", "arp", …): gen_proto_abbrev. */
export function protoAbbrev(name: string): FilterNode {
  const eth = (type: number): FilterNode => ({ t: 'ethertype', type });
  const ipp = (proto: number, v6: boolean): FilterNode => ({ t: 'ipproto', v4: true, v6, proto });
  switch (name) {
    case 'ip':
      return eth(ETHERTYPE_IP);
    case 'ip6':
      return eth(ETHERTYPE_IPV6);
    case 'arp':
      return eth(ETHERTYPE_ARP);
    case 'rarp':
      return eth(ETHERTYPE_REVARP);
    case 'tcp':
      return ipp(IPPROTO_TCP, true);
    case 'udp':
      return ipp(IPPROTO_UDP, true);
    case 'sctp':
      return ipp(IPPROTO_SCTP, true);
    case 'icmp':
      return ipp(1, false);
    case 'igmp':
      return ipp(2, false);
    case 'igrp':
      return ipp(9, false);
    case 'pim':
      return ipp(103, true);
    case 'vrrp':
    case 'carp':
      return ipp(112, false);
    case 'ah':
      return ipp(51, true);
    case 'esp':
      return ipp(50, true);
    case 'icmp6':
      return { t: 'ipproto', v4: false, v6: true, proto: 58 };
    case 'link':
      return fail('link layer applied in wrong context');
    default:
      return notModelled(name);
  }
}

export { and, or };

/**
 * nametoaddr.c __pcap_atoin: up to four dot-separated decimal parts, each at most 255; returns
 * the value and how many bits the parts cover (8 per part).
 */
function atoin(s: string): [number, number] | undefined {
  let value = 0;
  let bits = 0;
  for (const part of s.split('.')) {
    let n = 0;
    for (const ch of part) {
      if (n > 25) return undefined;
      n = n * 10 + (ch.charCodeAt(0) - 48);
    }
    if (n > 255) return undefined;
    value = ((value << 8) | (n & 0xff)) >>> 0;
    bits += 8;
  }
  return [value, bits];
}

/** `x << n` as a uint32, where JavaScript would take a shift of 32 as a shift of 0. */
function shiftLeft(x: number, n: number): number {
  return n >= 32 ? 0 : (x << n) >>> 0;
}

/** Any of the MAC spellings the scanner accepts, as "aa:bb:cc:dd:ee:ff". */
function parseMacText(s: string): string {
  const parts =
    /[:.-]/.test(s) && !/^[0-9A-Fa-f]{4}\./.test(s)
      ? s.split(/[:.-]/)
      : (s.replace(/\./g, '').match(/../g) ?? []);
  return parts.map((p) => p.toLowerCase().padStart(2, '0')).join(':');
}

/** 128-bit value of an IPv6 address written with hex groups and at most one "::". */
function parseIpv6(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined): string[] =>
    h === undefined || h === '' ? [] : h.split(':');
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}
