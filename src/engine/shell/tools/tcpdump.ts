/**
 * tcpdump 4.99: prints the frames an interface carries while it runs (live, so a background
 * `tcpdump … &` interleaves with later commands), without timestamps, then its statistics.
 */
import type { CapturedFrame } from '../../sim/capture';
import { seconds } from '../../sim/time';
import type { Tool } from '../tool';
import { TcpdumpState, formatFrame } from './tcpdump/format';
import { matchFilter, parseFilter } from './tcpdump/filter';

export const tcpdump: Tool = (ctx) => {
  const { proc } = ctx;
  const ns = proc.ns;
  let link = false;
  let verbose = 0;
  let iface: string | undefined;
  let count: number | undefined;
  let promisc = true;
  const expr: string[] = [];
  const args = ctx.argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-i' || a === '--interface') iface = args[++i];
    else if (a.startsWith('-i') && a.length > 2 && !a.startsWith('-in')) iface = a.slice(2);
    else if (a === '-c') count = Number(args[++i]);
    else if (
      a === '-s' ||
      a === '-B' ||
      a === '-W' ||
      a === '-C' ||
      a === '-G' ||
      a === '-y' ||
      a === '-T'
    )
      i++;
    else if (a === '-w' || a === '-r') {
      proc.writeErr(
        `packet-life: tcpdump ${a} (pcap files) is not modelled; captures print as text\n`,
      );
      proc.exit(1);
      return;
    } else if (a === '--help' || a === '-h') {
      proc.write(
        'tcpdump version 4.99.3\nlibpcap version 1.10.3 (with TPACKET_V3)\nOpenSSL 3.0.11 19 Sep 2023\n',
      );
      proc.exit(0);
      return;
    } else if (a.startsWith('-') && a.length > 1 && !a.startsWith('--')) {
      for (const f of a.slice(1)) {
        if (f === 'e') link = true;
        else if (f === 'v') verbose++;
        else if (f === 'p') promisc = false;
        else if ('nltqSUKNx'.includes(f) || f === 'A') continue;
        else {
          proc.writeErr(`tcpdump: invalid option -- '${f}'\n`);
          proc.exit(1);
          return;
        }
      }
    } else expr.push(a);
  }
  const any = iface === 'any';
  const filter = expr.length ? parseFilter(expr, { cooked: any }) : undefined;
  if (filter && 'error' in filter) {
    proc.writeErr(`${filter.error}\n`);
    proc.exit(1);
    return;
  }
  const dev = any
    ? undefined
    : iface !== undefined
      ? ns.device(iface)
      : ns.devices.find((d) => d.kind !== 'loopback' && d.adminUp);
  if (!any && !dev) {
    if (iface === undefined) proc.writeErr('tcpdump: no suitable device found\n');
    else
      proc.writeErr(`tcpdump: ${iface}: No such device exists\n(SIOCGIFHWADDR: No such device)\n`);
    proc.exit(1);
    return;
  }
  if (dev && !dev.adminUp) {
    proc.writeErr(`tcpdump: ${dev.name}: That device is not up\n`);
    proc.exit(1);
    return;
  }
  if (any) proc.writeErr('tcpdump: data link type LINUX_SLL2\n');
  if (verbose === 0)
    proc.writeErr('tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n');
  proc.writeErr(
    any
      ? `${verbose ? 'tcpdump: ' : ''}listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes\n`
      : `${verbose ? 'tcpdump: ' : ''}listening on ${dev!.name}, link-type ${dev!.kind === 'ipip' ? 'RAW (Raw IP)' : 'EN10MB (Ethernet)'}, snapshot length 262144 bytes\n`,
  );
  if (dev && promisc) dev.promiscCount++;
  const state = new TcpdumpState();
  let captured = 0;
  const ifindexOf = (c: CapturedFrame) => ns.devices.find((d) => d.uid === c.devId)?.ifindex ?? 0;
  // libpcap maps ARPHRD_TUNNEL (ipip) to DLT_RAW: no link-layer header at all.
  const rawDev = (c: CapturedFrame) => ns.devices.find((d) => d.uid === c.devId)?.kind === 'ipip';
  const stop = ns.world.captures.listen((c) => {
    if (!proc.running) return;
    if (c.netnsId !== ns.id) return;
    if (dev && c.devId !== dev.uid) return;
    if (filter && !matchFilter(filter, c.frame)) return;
    captured++;
    const text = formatFrame(
      c.frame,
      {
        link,
        verbose,
        any: any
          ? { ifname: c.dev, ifindex: ifindexOf(c), dir: c.dir, noLinkAddr: rawDev(c) }
          : undefined,
        raw: !any && rawDev(c),
      },
      state,
    );
    proc.write(`${text}\n`);
    if (count !== undefined && captured >= count) finish();
  });
  const finish = () => {
    stop();
    if (dev && promisc) dev.promiscCount = Math.max(0, dev.promiscCount - 1);
    proc.writeErr(
      `${captured} packet${captured === 1 ? '' : 's'} captured\n${captured} packet${captured === 1 ? '' : 's'} received by filter\n0 packets dropped by kernel\n`,
    );
    proc.exit(0);
  };
  proc.onCleanup(stop);
  proc.onSignal = (sig) => {
    if (sig === 'SIGINT' || sig === 'SIGTERM' || sig === 'SIGHUP') {
      // cleanup() ends the current line on stdout; after ^C the terminal already did.
      if (sig !== 'SIGINT') proc.write('\n');
      finish();
      return true;
    }
    return false;
  };
  if (count === undefined) proc.interactiveTimeout = seconds(5);
};
