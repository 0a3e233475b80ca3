/**
 * pcap-filter expressions for the simulated tcpdump: parsed with libpcap 1.10's grammar and
 * error messages, evaluated against model frames.
 *
 * Supported: protocol keywords (ip, ip6, arp, rarp, tcp, udp, sctp, icmp, icmp6, igmp, pim, vrrp,
 * ah, esp), `[proto] [src|dst|src or dst|src and dst] host|net|port|portrange ADDR`, `ether
 * [src|dst] [host] MAC`, `[ip|ip6|ether] proto N`, `less`/`greater`, `not`/`!`, `and`/`&&`,
 * `or`/`||`, parentheses, bare addresses that inherit the previous qualifiers (`host a or b`),
 * and relations on packet bytes such as `tcp[tcpflags] & tcp-syn != 0`. IPv6 is accepted and
 * never matches (the model has none). Other primitives (vlan, broadcast, gateway, …) are
 * refused with a message saying the simulator does not model them.
 */
import { type EthernetFrame, frameLength } from '../../../net/packet';
import type { FilterNode, Layer } from './filterAst';
import {
  OutOfBounds,
  type NetClass,
  type Probe,
  compare,
  computeArith,
  evaluate,
  layerApplies,
  loadsIn,
} from './filterEval';
import { FilterError, parseExpression } from './filterParse';
import { rejectsEverything } from './filterSat';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, frameBytes } from './wire';

export interface Filter {
  readonly kind: 'filter';
  /** The expression as tcpdump received it (its arguments joined by spaces). */
  readonly text: string;
  readonly root: FilterNode;
}

export interface FilterOptions {
  /** A cooked capture (`-i any`): link-layer addresses are refused, as on LINUX_SLL2. */
  readonly cooked?: boolean;
}

/**
 * tcpdump joins its non-option arguments with spaces into one expression. An empty one keeps
 * every frame. On error, `error` is the line tcpdump prints to stderr before exiting with 1.
 */
export function parseFilter(
  expr: readonly string[],
  opts: FilterOptions = {},
): Filter | { error: string } {
  const text = expr.join(' ');
  try {
    const root = parseExpression(text, opts.cooked === true);
    if (root.t !== 'true' && rejectsEverything(root))
      return { error: 'tcpdump: expression rejects all packets' };
    return { kind: 'filter', text, root };
  } catch (e) {
    if (e instanceof FilterError) return { error: e.text };
    throw e;
  }
}

export function matchFilter(f: Filter, frame: EthernetFrame): boolean {
  try {
    return evaluate(f.root, new FrameProbe(frame));
  } catch (e) {
    // A load past the end of the packet makes the BPF program return 0: the frame is dropped,
    // whatever `not` surrounds the test.
    if (e instanceof OutOfBounds) return false;
    throw e;
  }
}

const ETH_HEADER = 14;
const IPV4_HEADER = 20;

class FrameProbe implements Probe {
  readonly ethertype: number;
  readonly net: NetClass;
  readonly proto: number | undefined;
  readonly ethSrc: string;
  readonly ethDst: string;
  readonly src: number | undefined;
  readonly dst: number | undefined;
  readonly sport: number | undefined;
  readonly dport: number | undefined;
  private bytes: Uint8Array | undefined;

  constructor(private readonly frame: EthernetFrame) {
    const p = frame.payload;
    this.ethSrc = frame.src;
    this.ethDst = frame.dst;
    if (p.kind === 'arp') {
      this.ethertype = ETHERTYPE_ARP;
      this.net = 'arp';
      this.proto = undefined;
      this.src = p.senderIp;
      this.dst = p.targetIp;
      this.sport = this.dport = undefined;
    } else {
      this.ethertype = ETHERTYPE_IPV4;
      this.net = 'ip';
      this.proto = p.protocol;
      this.src = p.src;
      this.dst = p.dst;
      const l4 = p.payload;
      const ports = l4.kind === 'tcp' || l4.kind === 'udp' ? l4 : undefined;
      this.sport = ports?.sport;
      this.dport = ports?.dport;
    }
  }

  inNet(field: 'src' | 'dst', addr: number, mask: number): boolean {
    const v = this[field];
    return v !== undefined && (v & mask) >>> 0 === addr;
  }

  portInRange(field: 'sport' | 'dport', lo: number, hi: number): boolean {
    const v = this[field];
    return v !== undefined && v >= lo && v <= hi;
  }

  host6(): boolean {
    return false;
  }

  relation(node: Extract<FilterNode, { t: 'rel' }>): boolean {
    const loads = [...loadsIn(node.a), ...loadsIn(node.b)];
    if (!loads.every((l) => layerApplies(l.layer, this.net, this.proto))) return false;
    const load = (layer: Layer, offset: number, size: number): number =>
      this.load(layer, offset, size);
    const len = frameLength(this.frame);
    return compare(node.op, computeArith(node.a, load, len), computeArith(node.b, load, len));
  }

  /** Big-endian bytes at `offset` into the layer's header (IPv4 headers here are 20 bytes). */
  private load(layer: Layer, offset: number, size: number): number {
    this.bytes ??= frameBytes(this.frame);
    const start = layerStart(layer) + offset;
    if (start + size > this.bytes.length) throw new OutOfBounds();
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + this.bytes[start + i]!;
    return v >>> 0;
  }
}

function layerStart(layer: Layer): number {
  if (layer === 'link') return 0;
  if (layer === 'ip' || layer === 'arp' || layer === 'rarp' || layer === 'ip6') return ETH_HEADER;
  return ETH_HEADER + IPV4_HEADER;
}
