/**
 * tcpdump refuses a filter that can never match ("expression rejects all packets"): libpcap's
 * optimizer proves it by following equal loads and constants through the BPF program. This
 * mirrors what that optimizer sees: the packet class (ethertype, IP protocol) and equality tests
 * on addresses, ports and MACs are tracked, a single header byte compared in relations is tried
 * with every value, and what the optimizer cannot reason about (masked networks, port ranges,
 * other relations) is left free. So `tcp and udp`, `src host A and src host B`,
 * `port 80 and not port 80` and `tcp[13] = 2 and tcp[13] = 18` are refused while
 * `src host 10.0.0.1 and src net 11.0.0.0/8` is accepted, as real tcpdump does.
 */
import type { Arith, FilterNode } from './filterAst';
import {
  type NetClass,
  type Probe,
  compare,
  computeArith,
  evaluate,
  layerApplies,
  loadsIn,
  usesLength,
} from './filterEval';
import { ETHERTYPE_ARP, ETHERTYPE_IP, ETHERTYPE_IPV6, ETHERTYPE_REVARP } from './filterGen';

/** Beyond this many made-up packets the check gives up and lets the filter through. */
const MAX_PROBES = 400_000;
const OTHER_MAC = 'other';
const OTHER_ETHERTYPE = 0x88b5;
const OTHER_PROTO = 255;
const OTHER_PORT = -1;

interface PacketClass {
  readonly net: NetClass;
  readonly ethertype: number;
  readonly proto: number | undefined;
}

interface Domains {
  readonly classes: readonly PacketClass[];
  readonly macs: readonly string[];
  readonly addrs: readonly (number | undefined)[];
  readonly ports: readonly number[];
  /** The one header byte relations compare, if there is exactly one. */
  readonly byteLoad: string | undefined;
  readonly freeAtoms: readonly string[];
}

type RelNode = Extract<FilterNode, { t: 'rel' }>;

export function rejectsEverything(root: FilterNode): boolean {
  const d = domains(root);
  const size =
    d.classes.length *
    d.macs.length ** 2 *
    d.addrs.length ** 2 *
    d.ports.length ** 2 *
    (d.byteLoad === undefined ? 1 : 256) *
    2 ** d.freeAtoms.length;
  if (size > MAX_PROBES) return false;
  return !someProbeMatches(root, d);
}

function someProbeMatches(root: FilterNode, d: Domains): boolean {
  for (const cls of d.classes) {
    const hasAddrs = cls.net === 'ip' || cls.net === 'arp' || cls.net === 'rarp';
    const hasPorts =
      (cls.net === 'ip' || cls.net === 'ip6') && [6, 17, 132].includes(cls.proto ?? 0);
    for (const ethSrc of d.macs)
      for (const ethDst of d.macs)
        for (const src of hasAddrs ? d.addrs : [undefined])
          for (const dst of hasAddrs ? d.addrs : [undefined])
            for (const sport of hasPorts ? d.ports : [OTHER_PORT])
              for (const dport of hasPorts ? d.ports : [OTHER_PORT])
                for (const byte of d.byteLoad === undefined ? [0] : range(256))
                  for (let atoms = 0; atoms < 2 ** d.freeAtoms.length; atoms++) {
                    const probe = new MadeUpPacket(
                      cls,
                      ethSrc,
                      ethDst,
                      src,
                      dst,
                      sport,
                      dport,
                      byte,
                      d,
                      atoms,
                    );
                    if (evaluate(root, probe)) return true;
                  }
  }
  return false;
}

class MadeUpPacket implements Probe {
  readonly net: NetClass;
  readonly ethertype: number;
  readonly proto: number | undefined;

  constructor(
    cls: PacketClass,
    readonly ethSrc: string,
    readonly ethDst: string,
    readonly src: number | undefined,
    readonly dst: number | undefined,
    readonly sport: number,
    readonly dport: number,
    private readonly byte: number,
    private readonly d: Domains,
    private readonly atoms: number,
  ) {
    this.net = cls.net;
    this.ethertype = cls.ethertype;
    this.proto = cls.proto;
  }

  private atom(key: string): boolean {
    const i = this.d.freeAtoms.indexOf(key);
    return i >= 0 && (this.atoms & (1 << i)) !== 0;
  }

  inNet(field: 'src' | 'dst', addr: number, mask: number): boolean {
    return this.atom(netKey(this.net, field, addr, mask));
  }

  portInRange(field: 'sport' | 'dport', lo: number, hi: number): boolean {
    return this.atom(`range:${field}:${lo}-${hi}`);
  }

  host6(field: 'src' | 'dst', addr: string): boolean {
    return this.atom(`host6:${field}:${addr}`);
  }

  relation(node: RelNode): boolean {
    const loads = [...loadsIn(node.a), ...loadsIn(node.b)];
    if (!loads.every((l) => layerApplies(l.layer, this.net, this.proto))) return false;
    if (isFreeRelation(node, this.d.byteLoad)) return this.atom(relationKey(node));
    const value = (a: Arith): number => computeArith(a, () => this.byte, 0);
    return compare(node.op, value(node.a), value(node.b));
  }
}

function domains(root: FilterNode): Domains {
  const nodes = allNodes(root);
  const macs = new Set<string>([OTHER_MAC]);
  const addrs = new Set<number | undefined>([undefined]);
  const ports = new Set<number>([OTHER_PORT]);
  const free = new Set<string>();
  const byteLoads = new Set<string>();
  for (const n of nodes) {
    if (n.t === 'ether') macs.add(n.mac);
    if (n.t === 'host' && n.mask === 0xffffffff) addrs.add(n.addr);
    if (n.t === 'port' && n.lo === n.hi) ports.add(n.lo);
    if (n.t === 'rel') {
      const key = singleByteLoad(n);
      if (key !== undefined) byteLoads.add(key);
    }
  }
  const byteLoad = byteLoads.size === 1 ? [...byteLoads][0] : undefined;
  for (const n of nodes) for (const key of freeAtomKeys(n, byteLoad)) free.add(key);
  return {
    classes: packetClasses(nodes),
    macs: [...macs],
    addrs: [...addrs],
    ports: [...ports],
    byteLoad,
    freeAtoms: [...free],
  };
}

function freeAtomKeys(n: FilterNode, byteLoad: string | undefined): string[] {
  switch (n.t) {
    case 'host':
      if (n.mask === 0xffffffff) return [];
      return (['src', 'dst'] as const).map((f) => netKey(n.family, f, n.addr, n.mask));
    case 'host6':
      return [`host6:src:${n.addr}`, `host6:dst:${n.addr}`];
    case 'port':
      return n.lo === n.hi ? [] : [`range:sport:${n.lo}-${n.hi}`, `range:dport:${n.lo}-${n.hi}`];
    case 'rel':
      return isFreeRelation(n, byteLoad) ? [relationKey(n)] : [];
    default:
      return [];
  }
}

/** Ethertypes and IP protocols worth trying: the common ones and any the filter names. */
function packetClasses(nodes: readonly FilterNode[]): PacketClass[] {
  const v4 = new Set([1, 6, 17, 132, OTHER_PROTO]);
  const v6 = new Set([6, 17, 58, 132, OTHER_PROTO]);
  const ethertypes = new Set([OTHER_ETHERTYPE]);
  for (const n of nodes) {
    if (n.t === 'ipproto') {
      v4.add(n.proto);
      v6.add(n.proto);
    }
    if (n.t === 'ethertype') ethertypes.add(n.type);
  }
  const classes: PacketClass[] = [
    ...[...v4].map((proto) => ({ net: 'ip' as const, ethertype: ETHERTYPE_IP, proto })),
    ...[...v6].map((proto) => ({ net: 'ip6' as const, ethertype: ETHERTYPE_IPV6, proto })),
    { net: 'arp', ethertype: ETHERTYPE_ARP, proto: undefined },
    { net: 'rarp', ethertype: ETHERTYPE_REVARP, proto: undefined },
  ];
  const known = new Set([ETHERTYPE_IP, ETHERTYPE_IPV6, ETHERTYPE_ARP, ETHERTYPE_REVARP]);
  for (const t of ethertypes)
    if (!known.has(t)) classes.push({ net: 'other', ethertype: t, proto: undefined });
  return classes;
}

/** "tcp:13" when every load in the relation is that one byte at a constant offset. */
function singleByteLoad(n: RelNode): string | undefined {
  const loads = [...loadsIn(n.a), ...loadsIn(n.b)];
  if (loads.length === 0 || usesLength(n.a) || usesLength(n.b)) return undefined;
  const keys = new Set(
    loads.map((l) => (l.size === 1 && l.offset.t === 'num' ? `${l.layer}:${l.offset.v}` : '')),
  );
  const [only] = keys;
  return keys.size === 1 && only !== '' ? only : undefined;
}

function isFreeRelation(n: RelNode, byteLoad: string | undefined): boolean {
  const hasLoads = loadsIn(n.a).length + loadsIn(n.b).length > 0;
  if (!hasLoads && !usesLength(n.a) && !usesLength(n.b)) return false;
  return singleByteLoad(n) === undefined || singleByteLoad(n) !== byteLoad;
}

function relationKey(n: RelNode): string {
  return `rel:${JSON.stringify(n)}`;
}

function netKey(family: string, field: string, addr: number, mask: number): string {
  return `net:${family}:${field}:${addr}/${mask}`;
}

function allNodes(n: FilterNode): FilterNode[] {
  switch (n.t) {
    case 'and':
    case 'or':
      return [n, ...allNodes(n.a), ...allNodes(n.b)];
    case 'not':
      return [n, ...allNodes(n.a)];
    default:
      return [n];
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
