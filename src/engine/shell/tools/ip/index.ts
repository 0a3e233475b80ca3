/** The `ip` command of iproute2 6.1.0: global options and dispatch to the object handlers. */
import { unshareNs } from '../../../linux/namespaces';
import type { Tool } from '../../tool';
import { IpCtx, IpExit, type IpOptions, matches, openNetns } from './common';
import { ipAddr } from './addr';
import { ipLink } from './link';
import { ipNeigh } from './neigh';
import { ipNetns } from './netns';
import { ipRoute } from './route';

export const IP_USAGE = `Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
       ip [ -force ] -batch filename
where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp | link |
                   macsec | maddress | monitor | mptcp | mroute | mrule |
                   neighbor | neighbour | netconf | netns | nexthop | ntable |
                   ntbl | route | rule | sr | tap | tcpmetrics |
                   token | tunnel | tuntap | vrf | xfrm }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |
                    -h[uman-readable] | -iec | -j[son] | -p[retty] |
                    -f[amily] { inet | inet6 | mpls | bridge | link } |
                    -4 | -6 | -M | -B | -0 |
                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |
                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |
                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |
                    -c[olor]}
`;

/** Objects in ip.c's table order; the first whose name starts with the argument wins. */
const OBJECTS = [
  'address',
  'addrlabel',
  'maddress',
  'route',
  'rule',
  'neighbor',
  'neighbour',
  'ntable',
  'ntbl',
  'link',
  'l2tp',
  'fou',
  'ila',
  'macsec',
  'tunnel',
  'tunl',
  'tuntap',
  'tap',
  'token',
  'tcpmetrics',
  'tcp_metrics',
  'monitor',
  'xfrm',
  'mroute',
  'mrule',
  'netns',
  'netconf',
  'vrf',
  'sr',
  'nexthop',
  'mptcp',
  'ioam',
  'help',
  'stats',
];

export const ip: Tool = (ctx) => {
  const argv = ctx.argv.slice(1);
  const opts: IpOptions = {
    family: 'all',
    brief: false,
    details: false,
    stats: 0,
    oneline: false,
    json: false,
  };
  let nsName: string | undefined;
  let i = 0;
  const proc = ctx.proc;
  try {
    while (i < argv.length && argv[i]!.startsWith('-')) {
      let o = argv[i]!;
      if (o === '--') {
        i++;
        break;
      }
      if (o.startsWith('--')) o = o.slice(1);
      const name = o.slice(1);
      if (name === '4') opts.family = 'inet';
      else if (name === '6') opts.family = 'inet6';
      else if (matches(name, 'netns') || name === 'n') {
        nsName = argv[++i];
        if (nsName === undefined) throw new IpExit(255, 'Option "-netns" requires argument\n');
      } else if (name.length >= 2 && matches(name, 'brief')) opts.brief = true;
      else if (matches(name, 'details')) opts.details = true;
      else if (matches(name, 'statistics') || name === 'stats') opts.stats++;
      else if (matches(name, 'oneline')) opts.oneline = true;
      else if (matches(name, 'json')) opts.json = true;
      else if (
        matches(name, 'color') ||
        matches(name, 'pretty') ||
        matches(name, 'resolve') ||
        matches(name, 'Numeric') ||
        matches(name, 'all')
      ) {
        /* accepted, no effect on our output */
      } else if (matches(name, 'family')) {
        const f = argv[++i];
        if (f === 'inet') opts.family = 'inet';
        else if (f === 'inet6') opts.family = 'inet6';
        else throw new IpExit(255, `Error: argument "${f}" is wrong: invalid protocol family\n`);
      } else if (matches(name, 'Version')) {
        proc.write('ip utility, iproute2-6.1.0, libbpf 1.1.2\n');
        proc.exit(0);
        return;
      } else if (matches(name, 'help')) {
        throw new IpExit(0, IP_USAGE);
      } else {
        throw new IpExit(255, `Option "${argv[i]}" is unknown, try "ip -help".\n`);
      }
      i++;
    }
    if (opts.json) throw new IpExit(255, 'packet-life: ip -json is not modelled yet\n');
    const host = proc.host;
    const ns = nsName !== undefined ? openNetns(host, nsName) : proc.ns;
    const c = new IpCtx(host, ns, opts, proc.caps.has('NET_ADMIN'));
    const objArg = argv[i];
    if (objArg === undefined) throw new IpExit(255, IP_USAGE);
    const obj = OBJECTS.find((o) => matches(objArg, o));
    const rest = argv.slice(i + 1);
    switch (obj) {
      case 'address':
        ipAddr(c, rest);
        break;
      case 'route':
        ipRoute(c, rest);
        break;
      case 'neighbor':
      case 'neighbour':
        ipNeigh(c, rest);
        break;
      case 'link':
        ipLink(c, rest);
        break;
      case 'netns': {
        const req = ipNetns(c, rest, ctx);
        flush(c);
        if (req) {
          proc.ns = req.ns;
          // netns_switch: unshare(CLONE_NEWNS) to remount /sys and bind /etc/netns/NAME files.
          proc.spaces = unshareNs(proc.host, proc.spaces, ['mnt']);
          ctx.exec(req.argv);
          return;
        }
        break;
      }
      case 'help':
        throw new IpExit(255, IP_USAGE);
      case undefined:
        throw new IpExit(1, `Object "${objArg}" is unknown, try "ip help".\n`);
      default:
        throw new IpExit(2, `packet-life: "ip ${obj}" is not modelled yet\n`);
    }
    flush(c);
    proc.exit(0);
  } catch (e) {
    if (!(e instanceof IpExit)) throw e;
    if (e.code === 0) proc.write(e.stderr);
    else proc.writeErr(e.stderr);
    proc.exit(e.code);
  }

  function flush(c: IpCtx): void {
    if (c.err.length) proc.writeErr(c.err.join(''));
    c.err.length = 0;
    if (c.out.length) proc.write(`${c.out.join('\n')}\n`);
    c.out.length = 0;
  }
};
