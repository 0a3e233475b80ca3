/**
 * BusyBox's `ip tunnel` (iptunnel.c), which works through the tunnel ioctls on the base devices
 * tunl0, gre0 and sit0. The model has IP-in-IP only (tunl0 exists once the ipip module is loaded,
 * as Calico does); gre0 and sit0 never exist. Listing reads /proc/net/dev and asks each tunnel for
 * its parameters; adding, changing and deleting meet EPERM on a base device that exists.
 */
import { IPV4_ANY, formatIpv4 } from '../../../net/ipv4';
import { IpipDevice } from '../../../linux/ipip';
import { type BbIp, dsfieldId, getAddr32, getUnsigned } from './ipArgs';
import { indexInStrings, indexInSubstrings } from './libbb';

type Ioctl = 'SIOCADDTUNNEL' | 'SIOCCHGTUNNEL' | 'SIOCDELTUNNEL' | 'SIOCGETTUNNEL';

export function ipTunnel(c: BbIp, args: readonly string[]): number {
  let rest = args;
  if (args.length) {
    const k = indexInSubstrings(['add', 'change', 'delete', 'show', 'list', 'lst'], args[0]!);
    if (k < 0) c.invarg(args[0]!, 'ip');
    rest = args.slice(1);
    if (k === 0) return tunnelAdd(c, rest, 'SIOCADDTUNNEL');
    if (k === 1) return tunnelAdd(c, rest, 'SIOCCHGTUNNEL');
    if (k === 2) return tunnelDel(c, rest);
  }
  return tunnelShow(c, rest);
}

/** struct ip_tunnel_parm as parse_args fills it (addresses as dotted quads, "" for any). */
interface Parms {
  name: string;
  /** iph.protocol: 4 (ipip), 47 (gre), 41 (sit), 0 unknown. */
  proto: number;
  remote: string;
  local: string;
  link?: number;
  ttl: number;
  tos: number;
  pmtudisc: boolean;
  ikey?: string;
  okey?: string;
}

/** The base device each mode's ioctls go to. */
const BASE: Readonly<Record<number, string>> = { 4: 'tunl0', 47: 'gre0', 41: 'sit0' };

const WORDS = [
  'mode',
  'ipip',
  'ip/ip',
  'gre',
  'gre/ip',
  'sit',
  'ipv6/ip',
  'key',
  'ikey',
  'okey',
  'seq',
  'iseq',
  'oseq',
  'csum',
  'icsum',
  'ocsum',
  'nopmtudisc',
  'pmtudisc',
  'remote',
  'any',
  'local',
  'dev',
  'ttl',
  'inherit',
  'tos',
  'dsfield',
  'name',
];

/** SIOCGETTUNNEL on `name`: the parameters, or the warning and undefined. */
function getTunnel(c: BbIp, name: string): Parms | undefined {
  const dev = c.ns.device(name);
  if (!(dev instanceof IpipDevice)) {
    c.warn(`SIOCGETTUNNEL: ${dev ? 'Operation not supported' : 'No such device'}`);
    return undefined;
  }
  const p = dev.parms;
  const addr = (a: number) => (a === IPV4_ANY ? '' : formatIpv4(a as typeof IPV4_ANY));
  return {
    name: dev.name,
    proto: 4,
    remote: addr(p.remote),
    local: addr(p.local),
    link: p.link?.ifindex,
    ttl: p.ttl,
    tos: p.tos,
    pmtudisc: p.pmtudisc,
  };
}

function parseArgs(c: BbIp, args: readonly string[], cmd: Ioctl): Parms {
  let p: Parms = { name: '', proto: 0, remote: '', local: '', ttl: 0, tos: 0, pmtudisc: true };
  let medium = '';
  const quad = (v: string) => getAddr32(c, v).join('.');
  for (let i = 0, count = 0; i < args.length; i++, count++) {
    const w = WORDS[indexInStrings(WORDS, args[i]!)];
    const next = () => c.next(args, i++);
    if (w === 'mode') {
      const m = WORDS[indexInStrings(WORDS, next())];
      const proto =
        m === 'ipip' || m === 'ip/ip'
          ? 4
          : m === 'gre' || m === 'gre/ip'
            ? 47
            : m === 'sit' || m === 'ipv6/ip'
              ? 41
              : 0;
      if (!proto) c.die("can't guess tunnel mode");
      if (p.proto && p.proto !== proto) c.die('you managed to ask for more than one tunnel mode');
      p.proto = proto;
    } else if (w === 'key' || w === 'ikey' || w === 'okey') {
      const v = next();
      const key = v.includes('.') ? quad(v) : String(getUnsigned(c, v, w));
      if (w !== 'okey') p.ikey = key;
      if (w !== 'ikey') p.okey = key;
    } else if (w === 'nopmtudisc' || w === 'pmtudisc') p.pmtudisc = w === 'pmtudisc';
    else if (w === 'remote' || w === 'local') {
      const v = next();
      if (v !== 'any') p[w] = quad(v);
    } else if (w === 'dev') medium = next();
    else if (w === 'ttl') {
      const v = next();
      if (v !== 'inherit') {
        p.ttl = getUnsigned(c, v, 'TTL');
        if (p.ttl > 255) c.invarg(v, 'TTL');
      }
    } else if (w === 'tos' || w === 'dsfield') {
      const v = next();
      p.tos = v === 'inherit' ? 1 : (dsfieldId(v) ?? c.invarg(v, 'TOS'));
    } else if (w !== undefined && /seq|csum/.test(w)) continue;
    else {
      const v = w === 'name' ? next() : args[i]!;
      if (p.name) c.duparg2('name', v);
      p.name = v.slice(0, 16);
      if (cmd === 'SIOCCHGTUNNEL' && count === 0) p = getTunnel(c, v) ?? c.exit(1);
    }
  }
  if (!p.proto) {
    if (p.name.startsWith('gre')) p.proto = 47;
    else if (p.name.startsWith('ipip')) p.proto = 4;
    else if (p.name.startsWith('sit')) p.proto = 41;
  }
  if ((p.proto === 4 || p.proto === 41) && (p.ikey !== undefined || p.okey !== undefined))
    c.die('keys are not allowed with ipip and sit');
  if (medium) p.link = (c.ns.device(medium) ?? c.die('SIOCGIFINDEX: No such device')).ifindex;
  const first = Number(p.remote.split('.')[0]);
  if (p.remote && first >= 224 && first <= 239 && !p.local)
    c.die('broadcast tunnel requires a source address');
  return p;
}

/** The ioctl on a base device: ENODEV when it does not exist, else the refusal (exit 1). */
function tunnelIoctl(c: BbIp, cmd: Ioctl, base: string): number {
  if (!c.ns.device(base)) c.die(`${cmd}: No such device`);
  return c.refuse(cmd, 1);
}

function tunnelAdd(c: BbIp, args: readonly string[], cmd: Ioctl): number {
  const p = parseArgs(c, args, cmd);
  if (p.ttl && !p.pmtudisc) c.die('ttl != 0 and noptmudisc are incompatible');
  const base = BASE[p.proto];
  if (base === undefined) c.die("can't determine tunnel mode (ipip, gre or sit)");
  return tunnelIoctl(c, cmd, base);
}

function tunnelDel(c: BbIp, args: readonly string[]): number {
  const p = parseArgs(c, args, 'SIOCDELTUNNEL');
  return tunnelIoctl(c, 'SIOCDELTUNNEL', BASE[p.proto] ?? p.name);
}

/** print_tunnel's line. */
function tunnelLine(c: BbIp, p: Parms): string {
  let s = `${p.name}: ip/ip  remote ${p.remote || 'any'}  local ${p.local || 'any'} `;
  if (p.link) {
    const dev = c.ns.deviceByIndex(p.link);
    if (dev) s += ` dev ${dev.name} `;
    else c.warn('SIOCGIFNAME: No such device');
  }
  s += p.ttl ? ` ttl ${p.ttl} ` : ' ttl inherit ';
  if (p.tos) {
    s += ' tos';
    if (p.tos & 1) s += ' inherit';
    if (p.tos & ~1) s += `${p.tos & 1 ? '/' : ' '}${p.tos & ~1} `;
  }
  if (!p.pmtudisc) s += ' nopmtudisc';
  return `${s}\n`;
}

function tunnelShow(c: BbIp, args: readonly string[]): number {
  const want = parseArgs(c, args, 'SIOCGETTUNNEL');
  const base = BASE[want.proto];
  if (base !== undefined) {
    const p = getTunnel(c, want.name || base);
    if (!p) return -1;
    c.print(tunnelLine(c, p));
    return 0;
  }
  // do_tunnels_list: every ARPHRD_TUNNEL device /proc/net/dev lists, as the filter allows.
  for (const dev of c.ns.devices) {
    if (!(dev instanceof IpipDevice)) continue;
    const p = getTunnel(c, dev.name)!;
    if (want.name && want.name !== p.name) continue;
    if (want.link && p.link !== want.link) continue;
    if (want.remote && p.remote !== want.remote) continue;
    if (want.local && p.local !== want.local) continue;
    if (want.ikey && want.ikey !== '0' && want.ikey !== '0.0.0.0') continue;
    c.print(tunnelLine(c, p));
  }
  return 0;
}
