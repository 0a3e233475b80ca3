/**
 * BusyBox's `ip` applet (networking/ip.c and libiproute, 1.35.0 as Debian builds it), the `ip`
 * of the busybox, alpine and curlimages/curl images: its own terse formats (no `state`, `qlen`
 * from an ioctl, `scope link  src` in routes, `used 0/0/0` in neighbours), its keyword
 * abbreviations, and its errors. A container has no CAP_NET_ADMIN, so every change fails the way
 * BusyBox reports the kernel's refusal, after the checks BusyBox makes first. Checked against
 * Debian's busybox 1.35.0 in pl- namespaces on kernel 6.18 (busybox/ip.test.ts holds what it
 * printed).
 */
import { isReadOnly } from '../../../linux/namespaces';
import type { Tool } from '../../tool';
import { BbIp, BbIpExit, type Family, ipUsage } from './ipArgs';
import { indexInStrings, indexInSubstrings } from './libbb';
import { ipAddr } from './ipAddr';
import { ipLink } from './ipLink';
import { ipNeigh } from './ipNeigh';
import { ipRoute } from './ipRoute';
import { ipRule } from './ipRule';
import { ipTunnel } from './ipTunnel';

/** ip_main's objects, matched by index_in_substrings ("r" is route, "t" matches two). */
const OBJECTS = ['address', 'route', 'r', 'link', 'tunnel', 'tunl', 'rule', 'neigh'] as const;
type Run = (c: BbIp, args: readonly string[]) => number;
const RUN: Record<(typeof OBJECTS)[number], Run> = {
  address: ipAddr,
  route: ipRoute,
  r: ipRoute,
  link: ipLink,
  tunnel: ipTunnel,
  tunl: ipTunnel,
  rule: ipRule,
  neigh: ipNeigh,
};

/** ip_parse_common_args: -o[neline], -f[amily] F, -4, -6, -0, "--"; anything else: usage. */
function commonArgs(argv: readonly string[]): { family: Family; oneline: boolean; i: number } {
  let family: Family = 'unspec';
  let oneline = false;
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    let opt = argv[i]!.slice(1);
    if (opt.startsWith('-')) {
      opt = opt.slice(1);
      if (opt === '') {
        i++;
        break;
      }
    }
    const k = indexInSubstrings(['oneline', 'family', '4', '6', '0'], opt);
    if (k < 0) throw ipUsage();
    if (k === 0) oneline = true;
    else if (k === 1) {
      const f = argv[++i];
      if (f === undefined) throw ipUsage();
      const n = indexInStrings(['inet', 'inet6', 'link'], f);
      if (n < 0) throw new BbIpExit(1, `ip: invalid argument '${f}' to 'family'\n`);
      family = (['inet', 'inet6', 'packet'] as const)[n]!;
    } else family = (['inet', 'inet6', 'packet'] as const)[k - 2]!;
  }
  return { family, oneline, i };
}

export const busyboxIp: Tool = (ctx) => {
  const { proc } = ctx;
  const argv = ctx.argv.slice(1);
  let c: BbIp | undefined;
  try {
    // appletlib: "ip --help" and nothing else shows the usage and exits 0.
    if (argv.length === 1 && argv[0] === '--help') throw ipUsage(0);
    const { family, oneline, i } = commonArgs(argv);
    const key = argv[i] === undefined ? -1 : indexInSubstrings(OBJECTS, argv[i]!);
    if (key < 0) throw ipUsage();
    c = new BbIp(
      proc.ns,
      family,
      oneline,
      proc.caps.has('NET_ADMIN'),
      isReadOnly(proc.spaces.mnt, '/proc/sys/net/ipv4/route/flush'),
    );
    const code = RUN[OBJECTS[key]!](c, argv.slice(i + 1));
    if (c.out) proc.write(c.out);
    if (c.err) proc.writeErr(c.err);
    // A return of -1 is exit status 255.
    proc.exit(code & 0xff);
  } catch (e) {
    if (!(e instanceof BbIpExit)) throw e;
    // stdout as a terminal would have shown it by then (line-buffered), then the error.
    if (c?.out) proc.write(c.out);
    if (e.stderr) proc.writeErr(e.stderr);
    proc.exit(e.code & 0xff);
  }
};
