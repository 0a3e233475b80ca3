/**
 * ping from iputils 20221126: ICMP echo through a ping socket, the per-reply lines, errors
 * reported by ICMP ("Destination Host Unreachable"), and the statistics at the end.
 */
import { type Ipv4, formatIpv4, parseIpv4 } from '../../net/ipv4';
import type { IcmpEcho, IcmpError, Ipv4Packet } from '../../net/packet';
import { icmpEchoOut } from '../../linux/icmp';
import { ipRouteOutput, isOutputError } from '../../linux/route';
import type { PingSocket } from '../../linux/socket';
import { STRERROR } from '../../linux/socket';
import { type SimDuration, ms, seconds } from '../../sim/time';
import type { Tool } from '../tool';
import type { Device } from '../../linux/device';
import { GAI_STRERROR, getaddrinfo, reverseLookup } from './resolve';

const USAGE = `
Usage
  ping [options] <destination>

Options:
  <destination>      dns name or ip address
  -a                 use audible ping
  -A                 use adaptive ping
  -B                 sticky source address
  -c <count>         stop after <count> replies
  -C                 call connect() syscall on socket creation
  -D                 print timestamps
  -d                 use SO_DEBUG socket option
  -e <identifier>    define identifier for ping session, default is random for
                     SOCK_RAW and kernel defined for SOCK_DGRAM
                     Imply using SOCK_RAW (for IPv4 only for identifier 0)
  -f                 flood ping
  -h                 print help and exit
  -I <interface>     either interface name or address
  -i <interval>      seconds between sending each packet
  -L                 suppress loopback of multicast packets
  -l <preload>       send <preload> number of packages while waiting replies
  -m <mark>          tag the packets going out
  -M <pmtud opt>     define mtu discovery, can be one of <do|dont|want>
  -n                 no dns name resolution
  -O                 report outstanding replies
  -p <pattern>       contents of padding byte
  -q                 quiet output
  -Q <tclass>        use quality of service <tclass> bits
  -s <size>          use <size> as number of data bytes to be sent
  -S <size>          use <size> as SO_SNDBUF socket option value
  -t <ttl>           define time to live
  -U                 print user-to-user latency
  -v                 verbose output
  -V                 print version and exit
  -w <deadline>      reply wait <deadline> in seconds
  -W <timeout>       time to wait for response

IPv4 options:
  -4                 use IPv4
  -b                 allow pinging broadcast
  -R                 record route
  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>

IPv6 options:
  -6                 use IPv6
  -F <flowlabel>     define flow label, default is random
  -N <nodeinfo opt>  use icmp6 node info query, try <help> as argument

For more details see ping(8).
`;

/** time= as iputils prints it: 3 decimals under 1 ms, 2 under 10, 1 under 100, none above. */
export function formatRtt(msValue: number): string {
  if (msValue >= 100) return `${Math.floor(msValue)}`;
  if (msValue >= 10) return msValue.toFixed(1);
  if (msValue >= 1) return msValue.toFixed(2);
  return msValue.toFixed(3);
}

interface Options {
  count?: number;
  interval: number;
  timeout?: number;
  deadline?: number;
  iface?: string;
  ttl?: number;
  size: number;
  quiet: boolean;
  broadcast: boolean;
  numeric: boolean;
}

/** Parses ping's options; returns the destination or an error message and exit code. */
function parseArgs(
  argv: readonly string[],
): { opts: Options; dest: string } | { error: string; code: number } {
  const opts: Options = {
    interval: 1,
    size: 56,
    quiet: false,
    broadcast: false,
    numeric: false,
  };
  let dest: string | undefined;
  const needsArg = 'cIiWwtsSlmMpQeTF';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const f = a[j]!;
        if (needsArg.includes(f)) {
          const v = a.length > j + 1 ? a.slice(j + 1) : argv[++i];
          if (v === undefined)
            return { error: `ping: option requires an argument -- '${f}'\n${USAGE}`, code: 2 };
          const num = Number(v);
          const bad = (what: string) => ({
            error: `ping: invalid argument: '${v}'${what}\n`,
            code: 1,
          });
          switch (f) {
            case 'c':
              if (!/^[0-9]+$/.test(v) || num < 1)
                return bad(': out of range: 1 <= value <= 9223372036854775807');
              opts.count = num;
              break;
            case 'i':
              if (Number.isNaN(num) || num < 0) return bad('');
              opts.interval = num;
              break;
            case 'W':
              if (Number.isNaN(num) || num < 0) return bad('');
              opts.timeout = num;
              break;
            case 'w':
              if (!/^[0-9]+$/.test(v)) return bad('');
              opts.deadline = num;
              break;
            case 't':
              if (!/^[0-9]+$/.test(v) || num < 1 || num > 255)
                return bad(': out of range: 1 <= value <= 255');
              opts.ttl = num;
              break;
            case 's':
              if (!/^[0-9]+$/.test(v)) return bad('');
              opts.size = num;
              break;
            case 'I':
              opts.iface = v;
              break;
            default:
              break;
          }
          break;
        }
        if (f === 'q') opts.quiet = true;
        else if (f === 'b') opts.broadcast = true;
        else if (f === 'n') opts.numeric = true;
        else if (f === 'h') return { error: USAGE, code: 2 };
        else if (f === 'V') return { error: 'ping from iputils 20221126\n', code: 0 };
        else if ('46nvaAdDfLOrRUBC'.includes(f)) continue;
        else return { error: `ping: invalid option -- '${f}'\n${USAGE}`, code: 2 };
      }
    } else if (dest === undefined) dest = a;
    else dest = a; // iputils uses the last non-option argument
  }
  if (dest === undefined)
    return { error: 'ping: usage error: Destination address required\n', code: 1 };
  return { opts, dest };
}

export const ping: Tool = (ctx) => {
  const { proc } = ctx;
  const parsed = parseArgs(ctx.argv.slice(1));
  if ('error' in parsed) {
    if (parsed.code === 0) proc.write(parsed.error);
    else proc.writeErr(parsed.error);
    proc.exit(parsed.code);
    return;
  }
  const { opts, dest } = parsed;
  const ns = proc.ns;
  // getaddrinfo(AF_UNSPEC, AI_CANONNAME): A and AAAA over DNS when the name is not in /etc/hosts.
  getaddrinfo(proc, dest, { family: 'unspec' }, (r) => {
    if (!proc.running) return;
    if (!r.ok) {
      proc.writeErr(`ping: ${dest}: ${GAI_STRERROR[r.error]}\n`);
      proc.exit(2);
      return;
    }
    run(r.addrs[0]!, r.canonical, parseIpv4(dest) === undefined && !opts.numeric);
  });
  function run(dst: Ipv4, canonical: string, byName: boolean): void {
    // -I: an interface name binds to the device, an address picks the source.
    let oif: Device | undefined;
    let src: Ipv4 | undefined;
    if (opts.iface !== undefined) {
      const asAddr = parseIpv4(opts.iface);
      if (asAddr !== undefined) {
        if (!ns.isLocalAddr(asAddr)) {
          proc.writeErr(`ping: bind: Cannot assign requested address\n`);
          proc.exit(2);
          return;
        }
        src = asAddr;
      } else {
        oif = ns.device(opts.iface);
        if (!oif) {
          proc.writeErr(`ping: SO_BINDTODEVICE ${opts.iface}: No such device\n`);
          proc.exit(2);
          return;
        }
      }
    }
    // Without an -I address, iputils connect()s a UDP probe socket (bound to the -I device, if
    // any) to learn the source address; with one, it binds to that address and probes nothing.
    let source = src;
    if (source === undefined) {
      const probe = ipRouteOutput(ns, dst, { oif });
      if (isOutputError(probe)) {
        proc.writeErr(`ping: connect: ${STRERROR[probe.errno]}\n`);
        proc.exit(2);
        return;
      }
      if (probe.kind === 'broadcast' && !opts.broadcast) {
        proc.writeErr(
          `ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules\n`,
        );
        proc.exit(2);
        return;
      }
      source = probe.src;
      // 0.0.0.0 is this host: the probe's peer, and so the header's address, is 127.0.0.1.
      dst = probe.daddr;
      // The source the route picked lives on another device than the one -I named.
      if (oif && !oif.addrs.some((a) => a.local === probe.src))
        proc.writeErr(
          `ping: Warning: source address might be selected on device other than: ${oif.name}\n`,
        );
    }
    const world = ns.world;
    const flowId = world.newFlowId();
    const id = world.rng.int(1, 0xffff);
    const dstText = formatIpv4(dst);
    const from =
      opts.iface !== undefined ? `from ${formatIpv4(source)} ${oif ? oif.name : ''}: ` : '';
    proc.write(
      `PING ${canonical} (${dstText}) ${from}${opts.size}(${opts.size + 28}) bytes of data.\n`,
    );
    // pr_addr: with a destination given by name (and no -n) every reply line shows getnameinfo's
    // name for its source as "NAME (a.b.c.d)", or "a.b.c.d (a.b.c.d)" when the reverse lookup
    // finds nothing; iputils 20221126 looks it up again for each reply (checked: one PTR query
    // per reply), and the line waits for the answer, as the blocking call does.
    const queue: { addr: Ipv4; print: (name: string | undefined) => void }[] = [];
    const lookupNext = (): void => {
      const head = queue[0];
      if (!head) return;
      reverseLookup(proc, head.addr, (n) => {
        if (!proc.running) return;
        queue.shift();
        head.print(n);
        lookupNext();
      });
    };
    const withAddr = (a: Ipv4, f: (shown: string) => void) => {
      const text = formatIpv4(a);
      if (!byName) return f(text);
      queue.push({ addr: a, print: (n) => f(`${n ?? text} (${text})`) });
      if (queue.length === 1) lookupNext();
    };
    const start = proc.now;
    const sentAt = new Map<number, number>();
    const answered = new Set<number>();
    let transmitted = 0;
    let received = 0;
    let errors = 0;
    let pipe = 0;
    // acknowledge(): a reply or an error for `seq` means this many echoes were out at once.
    const acknowledge = (seq: number) => {
      pipe = Math.max(pipe, transmitted - seq + 1);
    };
    const rtts: number[] = [];
    let lastSend = start;
    let lingerTimer: ReturnType<typeof proc.after> | undefined;

    const finish = (interrupted: boolean) => {
      ns.sockets.ping.delete(id);
      // iputils reports the time from the first to the last transmission (or to ^C).
      const end = interrupted ? proc.now : lastSend;
      const elapsed = Math.round((end - start) / 1e6);
      let out = `\n--- ${canonical} ping statistics ---\n`;
      const loss = transmitted ? ((transmitted - received) * 100) / transmitted : 0;
      out += `${transmitted} packets transmitted, ${received} received`;
      if (errors) out += `, +${errors} errors`;
      out += `, ${formatPercent(loss)}% packet loss, time ${elapsed}ms\n`;
      let tail = '';
      if (received > 0) {
        const min = Math.min(...rtts);
        const max = Math.max(...rtts);
        const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
        const avg2 = rtts.reduce((a, b) => a + b * b, 0) / rtts.length;
        const mdev = Math.sqrt(Math.max(0, avg2 - avg * avg));
        tail = `rtt min/avg/max/mdev = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)}/${mdev.toFixed(3)} ms`;
      }
      if (pipe > 1) tail += `${tail ? ', ' : ''}pipe ${pipe}`;
      // finish() ends with putchar('\n') even when there is nothing to print on that line (iputils
      // 20221126, checked: "1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n").
      out += `${tail}\n`;
      proc.write(out);
      proc.exit(received > 0 ? 0 : 1);
    };

    const maybeDone = () => {
      if (
        opts.count !== undefined &&
        received + errors >= opts.count &&
        transmitted >= opts.count
      ) {
        finish(false);
        return true;
      }
      return false;
    };

    const sock: PingSocket = {
      id,
      onReply: (packet: Ipv4Packet, echo: IcmpEcho) => {
        if (!proc.running) return;
        const t0 = sentAt.get(echo.seq);
        if (t0 === undefined) return;
        const rtt = (proc.now - t0) / 1e6;
        const dup = answered.has(echo.seq);
        answered.add(echo.seq);
        acknowledge(echo.seq);
        if (!dup) {
          received++;
          rtts.push(rtt);
        }
        if (opts.quiet) {
          maybeDone();
          return;
        }
        withAddr(packet.src, (from) => {
          proc.write(
            `${echo.dataLen + 8} bytes from ${from}: icmp_seq=${echo.seq} ttl=${packet.ttl} time=${formatRtt(rtt)} ms${dup ? ' (DUP!)' : ''}\n`,
          );
          maybeDone();
        });
      },
      onError: (packet: Ipv4Packet, err: IcmpError) => {
        if (!proc.running) return;
        const inner = err.original.payload;
        if (inner.kind !== 'icmp' || 'original' in inner) return;
        const text = icmpErrorLine(err);
        if (err.type !== 5) {
          errors++;
          acknowledge(inner.seq);
          answered.add(inner.seq);
        }
        if (!opts.quiet)
          proc.write(`From ${formatIpv4(packet.src)} icmp_seq=${inner.seq} ${text}\n`);
        maybeDone();
      },
    };
    ns.sockets.ping.set(id, sock);

    const sendOne = () => {
      const seq = transmitted + 1;
      const rt = ipRouteOutput(ns, dst, { src: source, oif });
      transmitted++;
      sentAt.set(seq, proc.now);
      // A failed sendto with no ICMP error queued: iputils reads the error queue, finds it empty
      // (EAGAIN) and "pretends we sent packet", silently (checked: -I 127.0.0.1 towards a
      // neighbour, -I 10.0.1.2 with no route).
      if (!isOutputError(rt)) {
        const echo: IcmpEcho = { kind: 'icmp', type: 8, code: 0, id, seq, dataLen: opts.size };
        icmpEchoOut(ns, rt, echo, {
          ttl: opts.ttl ?? ns.sysctlNumber('net.ipv4.ip_default_ttl'),
          flowId,
        });
      }
      lastSend = proc.now;
      if (opts.count !== undefined && transmitted >= opts.count) {
        if (maybeDone()) return;
        // Wait for the last replies: -W, else up to 10 s (MAXWAIT), but no longer than 2×max rtt
        // once every reply is in.
        const linger: SimDuration =
          opts.timeout !== undefined ? seconds(opts.timeout) : seconds(10);
        lingerTimer = proc.after(linger, 'linger', () => finish(false));
        return;
      }
      proc.after(seconds(opts.interval), 'next echo', sendOne);
    };

    if (opts.deadline !== undefined)
      proc.after(seconds(opts.deadline), 'deadline', () => finish(true));
    if (opts.count === undefined && opts.deadline === undefined)
      proc.interactiveTimeout = seconds(opts.interval * 5 - 0.5 * opts.interval) as SimDuration;
    proc.onSignal = (sig) => {
      if (sig === 'SIGINT') {
        if (lingerTimer) proc.cancel(lingerTimer);
        finish(true);
        return true;
      }
      return false;
    };
    void ms;
    sendOne();
  }
};

function formatPercent(p: number): string {
  // iputils prints the loss with %g.
  if (Number.isInteger(p)) return String(p);
  return String(Number(p.toPrecision(6)));
}

/** The text iputils prints for an ICMP error (pr_icmph). */
function icmpErrorLine(err: IcmpError): string {
  if (err.type === 3) {
    switch (err.code) {
      case 0:
        return 'Destination Net Unreachable';
      case 1:
        return 'Destination Host Unreachable';
      case 2:
        return 'Destination Protocol Unreachable';
      case 3:
        return 'Destination Port Unreachable';
      case 4:
        return `Frag needed and DF set (mtu = ${err.mtu ?? 0})`;
      case 13:
        return 'Packet filtered';
      default:
        return `Dest Unreachable, Bad Code: ${err.code}`;
    }
  }
  if (err.type === 11)
    return err.code === 0 ? 'Time to live exceeded' : 'Frag reassembly time exceeded';
  if (err.type === 5) return `Redirect Host(New nexthop: ${formatIpv4(err.gateway!)})`;
  return `Bad ICMP type: ${err.type}`;
}
