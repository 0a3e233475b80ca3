/**
 * IP-in-IP tunnels (net/ipv4/ipip.c on net/ipv4/ip_tunnel.c) as Calico uses them: loading the
 * `ipip` module gives every namespace, existing and new, the fallback device `tunl0@NONE` (no
 * local, no remote, TTL inherit, nopmtudisc, MTU 1500 − 20); `ip link add … type ipip remote A
 * local B [dev D] [ttl N]` adds point-to-point tunnels. Transmit (ipip_tunnel_xmit →
 * ip_tunnel_xmit → iptunnel_xmit) puts the inner packet behind a 20-byte outer header, protocol 4,
 * to the tunnel's remote or, for a tunnel without one (NBMA, like tunl0), to the gateway of the
 * route that chose the device (`via 192.168.1.11 dev tunl0 onlink`). Receive is the protocol 4
 * handler (tunnel4_rcv → ipip_rcv): ip_tunnel_lookup finds the tunnel by the outer addresses, or
 * the fallback tunl0 for any sender, and ip_tunnel_rcv hands the inner packet to the stack on
 * that device.
 *
 * The reference machine's kernel (6.18) is built without CONFIG_NET_IPIP, so this model follows
 * the kernel source (ipip.c, ip_tunnel.c, ip_tunnel_core.c, tunnel4.c) and iproute2 6.1.0's
 * ip/link_iptnl.c rather than a capture; tcpdump 4.99.3's printing of the frames was checked by
 * feeding it crafted pcaps (Ethernet with IPIP inside, and LINKTYPE_RAW as tunl0 captures).
 */
import { type Ipv4, IPV4_ANY, formatIpv4 } from '../net/ipv4';
import { MAC_ZERO } from '../net/mac';
import {
  ETH_HEADER_LEN,
  type EthernetFrame,
  IPPROTO_IPIP,
  type Ipv4Packet,
  frameLength,
  ipv4Length,
} from '../net/packet';
import { us } from '../sim/time';
import { icmpSend } from './icmp';
import { ipLocalOut } from './ip';
import type { Host } from './host';
import type { NetNs } from './netns';
import type { RtnlResult } from './rtnl';
import { ipRouteOutput, isOutputError } from './route';
import type { Skb } from './skb';
import { drop, emit } from './tracing';
import { TunnelDevice } from './tunnel';
import type { Device } from './device';

/** The parameters of one tunnel (struct ip_tunnel_parm as ipip uses it). */
export interface IpipParms {
  /** The outer destination; IPV4_ANY (0.0.0.0) for a tunnel with no remote (NBMA). */
  readonly remote: Ipv4;
  /** The outer source; IPV4_ANY lets the route choose it. */
  readonly local: Ipv4;
  /** The underlay device (`dev eth0`, parms.link), if bound to one. */
  readonly link?: Device;
  /** Outer TTL; 0 is "inherit" (the inner packet's TTL). */
  readonly ttl: number;
  /** Outer TOS; 1 is "inherit". */
  readonly tos: number;
  /** IFLA_IPTUN_PMTUDISC: the outer header always carries DF. */
  readonly pmtudisc: boolean;
  /** IFLA_IPTUN_PROTO: 4 (ipip) or 0 (any; the fallback device's). */
  readonly proto: 0 | 4;
}

/** The outer IPv4 header an IPIP tunnel adds. */
export const IPIP_HLEN = 20;
/** IP_MAX_MTU less the outer header: ip_tunnel_change_mtu's ceiling. */
const IPIP_MAX_MTU = 0xffff - IPIP_HLEN;

export class IpipDevice extends TunnelDevice {
  readonly kind = 'ipip' as const;
  parms: IpipParms;
  /** The per-namespace fallback device (tunl0): matches any sender, cannot move or go away. */
  readonly fallback: boolean;

  constructor(ns: NetNs, name: string, parms: IpipParms, fallback: boolean, mtu: number) {
    // ARPHRD_TUNNEL has a 4-byte "hardware address" (the local address): no MAC at all.
    super(ns, name, MAC_ZERO, 'set', mtu);
    this.parms = parms;
    this.fallback = fallback;
    // ipip_tunnel_setup: IFF_NOARP only, and IFF_POINTOPOINT once bound to a remote.
    this.noarp = true;
  }

  /** IFF_POINTOPOINT: set by ip_tunnel_bind_dev when the tunnel has a remote. */
  get pointopoint(): boolean {
    return this.parms.remote !== IPV4_ANY;
  }

  /** ip_tunnel_xmit's tx_error: not sent after all, counted in tx_errors (and maybe a cause). */
  private txError(frame: EthernetFrame, cause?: 'txCarrierErrors' | 'collisions'): void {
    this.stats.txPackets--;
    this.stats.txBytes -= frameLength(frame) - ETH_HEADER_LEN;
    this.stats.txErrors = (this.stats.txErrors ?? 0) + 1;
    if (cause) this.stats[cause] = (this.stats[cause] ?? 0) + 1;
  }

  /** ipip_tunnel_xmit → ip_tunnel_xmit: wrap the inner packet and send it with ip_local_out. */
  xmit(skb: Skb, frame: EthernetFrame): void {
    const ns = this.ns;
    const inner = frame.payload;
    if (inner.kind !== 'ipv4') {
      this.txError(frame);
      drop(ns, skb, 'NOT_SPECIFIED', `${this.name} carries only IPv4`, this);
      return;
    }
    const p = this.parms;
    let dst = p.remote;
    if (dst === IPV4_ANY) {
      // NBMA tunnel: the outer destination is the next hop of the inner packet's route.
      const hit = ns.fib.lookup(inner.dst, { oif: this });
      dst = hit?.route.dev === this ? (hit.route.gateway ?? inner.dst) : inner.dst;
    }
    const rt = ipRouteOutput(ns, dst, {
      src: p.local === IPV4_ANY ? undefined : p.local,
      oif: p.link,
    });
    if (isOutputError(rt)) {
      // No route to the far end: tx_carrier_errors.
      this.txError(frame, 'txCarrierErrors');
      drop(ns, skb, 'IP_OUTNOROUTES', `no route to the tunnel's far end ${formatIpv4(dst)}`, this);
      return;
    }
    if (rt.dev === this) {
      // The outer packet would go back into the tunnel: collisions.
      this.txError(frame, 'collisions');
      drop(ns, skb, 'TUNNEL_LOOP', `the route to ${formatIpv4(dst)} leads back into ${this.name}`);
      return;
    }
    // tnl_update_pmtu: with pmtudisc the path MTU less the outer header, else the device's MTU.
    const mtu = p.pmtudisc ? rt.dev.mtu - IPIP_HLEN : this.mtu;
    if (inner.df && ipv4Length(inner) > mtu) {
      this.txError(frame);
      drop(ns, skb, 'PKT_TOO_BIG', `${ipv4Length(inner)} bytes exceed the tunnel MTU ${mtu}`);
      icmpSend(ns, { ...skb, ip: inner }, 3, 4, { mtu });
      return;
    }
    // ip_tunnel_ecn_encap (INET_ECN_encapsulate): the inner ECN bits are copied, CE as ECT(0).
    const ecn = (inner.tos & 3) === 3 ? 2 : inner.tos & 3;
    const tos = ((p.tos & 1 ? inner.tos : p.tos) & ~3) | ecn;
    const outer: Ipv4Packet = {
      kind: 'ipv4',
      src: p.local !== IPV4_ANY ? p.local : rt.src,
      dst,
      ttl: p.ttl || inner.ttl,
      protocol: IPPROTO_IPIP,
      // __ip_select_ident, whatever DF says.
      id: (ns.ipIdCounter = (ns.ipIdCounter + 1) & 0xffff),
      tos,
      // The tunnel's own DF (pmtudisc) or, unless ignore_df, the inner packet's.
      df: p.pmtudisc || inner.df,
      payload: { kind: 'ipip', inner },
    };
    const out: Skb = {
      ...skb,
      frame: undefined,
      ip: outer,
      local: true,
      pktType: undefined,
      inDev: undefined,
      // skb_scrub_packet
      ct: undefined,
    };
    emit(
      ns,
      'ipip_tunnel_xmit',
      out,
      `${this.name} wraps ${formatIpv4(inner.src)} → ${formatIpv4(inner.dst)} in IP-in-IP: ${formatIpv4(outer.src)} → ${formatIpv4(dst)}, protocol 4, TTL ${outer.ttl}${outer.df ? ', DF' : ''}`,
      this,
    );
    ipLocalOut(ns, out, rt);
  }

  /** ip_tunnel_rcv: the inner packet enters the stack on this device. */
  rcv(skb: Skb, outer: Ipv4Packet, inner: Ipv4Packet): void {
    const ns = this.ns;
    emit(
      ns,
      'ip_tunnel_rcv',
      skb,
      `IP-in-IP from ${formatIpv4(outer.src)}: ${formatIpv4(inner.src)} → ${formatIpv4(inner.dst)} enters ${this.name}`,
      this,
    );
    const next: Skb = {
      ...skb,
      frame: { src: MAC_ZERO, dst: MAC_ZERO, payload: inner },
      ip: undefined,
      pktType: undefined,
      inDev: undefined,
      brInPort: undefined,
      brNfPrerouted: undefined,
      ct: undefined,
      local: undefined,
    };
    // gro_cells_receive: the device's NAPI queue, then netif_receive_skb on the tunnel.
    ns.world.sched.schedule(us(1), `ip_tunnel_rcv ${this.name}`, () => {
      ns.receiveFrame(this, next);
    });
  }
}

function ipipDevices(ns: NetNs): IpipDevice[] {
  return ns.devices.filter((d): d is IpipDevice => d instanceof IpipDevice);
}

/** The namespace's fallback tunnel (tunl0), once the module is loaded. */
export function ipipFallback(ns: NetNs): IpipDevice | undefined {
  return ipipDevices(ns).find((d) => d.fallback);
}

/**
 * ip_tunnel_lookup for a keyless packet from `remote` to `local` that arrived on `link`: a tunnel
 * with both addresses, then one with that remote and no local, then one with that local and no
 * remote (a tunnel bound to the arrival device wins within each step); else the fallback device.
 * Only tunnels that are up take packets.
 */
export function ipipLookup(
  ns: NetNs,
  link: Device | undefined,
  remote: Ipv4,
  local: Ipv4,
): IpipDevice | undefined {
  const tunnels = ipipDevices(ns).filter((t) => t.adminUp && !t.fallback);
  let cand: IpipDevice | undefined;
  const steps: ((t: IpipDevice) => boolean)[] = [
    (t) => t.parms.local === local && t.parms.remote === remote,
    (t) => t.parms.remote === remote && t.parms.local === IPV4_ANY,
    (t) => t.parms.local === local && t.parms.remote === IPV4_ANY,
  ];
  for (const step of steps) {
    for (const t of tunnels) {
      if (!step(t)) continue;
      if (t.parms.link === link) return t;
      cand ??= t;
    }
  }
  if (cand) return cand;
  const fb = ipipFallback(ns);
  return fb && fb.adminUp ? fb : undefined;
}

/**
 * tunnel4_rcv → ipip_rcv: an IP packet with protocol 4 delivered locally. The matching tunnel
 * takes its inner packet; with none, tunnel4 answers ICMP port unreachable and drops it.
 */
export function ipipRcv(ns: NetNs, skb: Skb, dev: Device): void {
  const outer = skb.ip!;
  if (outer.payload.kind !== 'ipip') return;
  const inner = outer.payload.inner;
  const t = ipipLookup(ns, dev, outer.src, outer.dst);
  if (!t) {
    drop(ns, skb, 'NO_SOCKET', `no IP-in-IP tunnel takes packets from ${formatIpv4(outer.src)}`);
    icmpSend(ns, skb, 3, 3);
    return;
  }
  if (t.parms.proto !== IPPROTO_IPIP && t.parms.proto !== 0) {
    // ipip_tunnel_rcv: a tunnel for another inner protocol drops it without a word.
    drop(ns, skb, 'NOT_SPECIFIED', `${t.name} does not carry IPv4 in IPv4`, t);
    return;
  }
  t.rcv(skb, outer, inner);
}

/** The parameters of the fallback device: everything zero. */
const FALLBACK_PARMS: IpipParms = {
  remote: IPV4_ANY,
  local: IPV4_ANY,
  ttl: 0,
  tos: 0,
  pmtudisc: false,
  proto: 0,
};

/**
 * ipip_init_net → ip_tunnel_init_net: the module's per-namespace setup creates `tunl0`, down,
 * MTU 1500 − 20 (ip_tunnel_bind_dev with no underlay). Called for every namespace when the module
 * loads and for each namespace created afterwards.
 */
export function ipipInitNet(ns: NetNs): IpipDevice {
  const have = ipipFallback(ns);
  if (have) return have;
  const dev = new IpipDevice(ns, 'tunl0', FALLBACK_PARMS, true, 1500 - IPIP_HLEN);
  ns.attach(dev);
  return dev;
}

/** ip_tunnel_bind_dev: the MTU a new tunnel gets from the device that reaches its remote. */
export function ipipBindMtu(ns: NetNs, parms: IpipParms): number {
  let lower: Device | undefined;
  if (parms.remote !== IPV4_ANY) {
    const rt = ipRouteOutput(ns, parms.remote, {
      src: parms.local === IPV4_ANY ? undefined : parms.local,
      oif: parms.link,
    });
    if (!isOutputError(rt)) lower = rt.dev;
  }
  lower ??= parms.link;
  const mtu = (lower ? Math.min(lower.mtu, 0xffff) : 1500) - IPIP_HLEN;
  return Math.max(mtu, 68);
}

/** ip_tunnel_find: a tunnel with the same local, remote and underlay already exists. */
export function ipipFind(ns: NetNs, parms: IpipParms): IpipDevice | undefined {
  return ipipDevices(ns).find(
    (t) =>
      t.parms.local === parms.local &&
      t.parms.remote === parms.remote &&
      t.parms.link === parms.link,
  );
}

/** __ip_tunnel_change_mtu (strict): between 68 and IP_MAX_MTU less the outer header. */
export function ipipMtuValid(mtu: number): boolean {
  return mtu >= 68 && mtu <= IPIP_MAX_MTU;
}

const ok = <T>(value: T): RtnlResult<T> => ({ ok: true, value });

/** What `ip link add NAME type ipip …` asks for (IFLA_IPTUN_*); absent fields take the kernel's defaults. */
export interface IpipOptions {
  readonly remote?: Ipv4;
  readonly local?: Ipv4;
  /** The underlay device (IFLA_IPTUN_LINK). */
  readonly link?: Device;
  /** 0 (the default) is "inherit". */
  readonly ttl?: number;
  /** 1 is "inherit". */
  readonly tos?: number;
  /** Absent means on (ip_tunnel_netlink_parms); a non-zero TTL forces it on. */
  readonly pmtudisc?: boolean;
  /** IFLA_IPTUN_PROTO: iproute2 always sends 0 ("any") unless given `mode ipip`. */
  readonly proto?: 0 | 4;
  readonly mtu?: number;
}

/**
 * Loads the ipip module the way rtnetlink's request_module("rtnl-link-ipip") does: every
 * namespace of the machine gets its fallback tunl0 (see ipipInitNet).
 */
export function modprobeIpip(host: Host): void {
  host.loadModule('ipip');
}

/**
 * ipip_newlink → ip_tunnel_newlink: an IP-in-IP tunnel. The module loads first if it is not
 * yet (so tunl0 appears too). A tunnel with the same local, remote and underlay as an existing
 * one, the fallback tunl0 included, is EEXIST; the MTU comes from the device that reaches the
 * remote, less 20.
 */
export function linkAddIpip(
  ns: NetNs,
  name: string | undefined,
  opts: IpipOptions = {},
): RtnlResult<IpipDevice> {
  modprobeIpip(ns.host);
  let n = name;
  // dev_alloc_name for "ipip%d": the first free ipipN.
  for (let i = 0; n === undefined; i++) if (!ns.device(`ipip${i}`)) n = `ipip${i}`;
  if (ns.device(n)) return { ok: false, errno: 'EEXIST' };
  const ttl = opts.ttl ?? 0;
  const parms: IpipParms = {
    remote: opts.remote ?? IPV4_ANY,
    local: opts.local ?? IPV4_ANY,
    link: opts.link,
    ttl,
    tos: opts.tos ?? 0,
    pmtudisc: ttl !== 0 || (opts.pmtudisc ?? true),
    proto: opts.proto ?? 4,
  };
  if (ipipFind(ns, parms)) return { ok: false, errno: 'EEXIST' };
  let mtu = ipipBindMtu(ns, parms);
  if (opts.mtu !== undefined) mtu = Math.min(Math.max(opts.mtu, 68), 0xffff - 20);
  const dev = new IpipDevice(ns, n, parms, false, mtu);
  ns.attach(dev);
  return ok(dev);
}
