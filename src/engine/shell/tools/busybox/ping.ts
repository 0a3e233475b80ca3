/**
 * BusyBox's ping applet (1.35–1.37, FEATURE_FANCY_PING), as BusyBox-based images (busybox,
 * alpine, curlimages/curl) run it as root: a raw ICMP socket with SO_BROADCAST set, seq from 0,
 * replies with µs times, ICMP errors ignored, and statistics without iputils' time and mdev.
 * Checked against Debian's busybox 1.35.0 in pl- namespaces on kernel 6.18
 * (busybox/ping.test.ts holds what it printed).
 */
import { type Ipv4, formatIpv4, parseIpv4 } from '../../../net/ipv4';
import type { IcmpEcho, Ipv4Packet } from '../../../net/packet';
import { icmpEchoOut } from '../../../linux/icmp';
import { ipRouteOutput, isOutputError } from '../../../linux/route';
import type { Device } from '../../../linux/device';
import { type PingSocket, STRERROR } from '../../../linux/socket';
import { type SimDuration, seconds } from '../../../sim/time';
import type { Tool } from '../../tool';
import { getaddrinfo } from '../resolve';
import { busyboxUsage } from './banner';

const PING_USAGE = `Usage: ping [OPTIONS] HOST

Send ICMP ECHO_REQUESTs to HOST

\t-4,-6\t\tForce IP or IPv6 name resolution
\t-c CNT\t\tSend only CNT pings
\t-s SIZE\t\tSend SIZE data bytes in packets (default 56)
\t-i SECS\t\tInterval
\t-A\t\tPing as soon as reply is received
\t-t TTL\t\tSet TTL
\t-I IFACE/IP\tSource interface or IP address
\t-W SEC\t\tSeconds to wait for the first response (default 10)
\t\t\t(after all -c CNT packets are sent)
\t-w SEC\t\tSeconds until ping exits (default:infinite)
\t\t\t(can exit earlier with -c CNT)
\t-q\t\tQuiet, only display output at start/finish
\t-p HEXBYTE\tPayload pattern
`;

/** The largest IPv4 datagram: data + 8 (ICMP) + 20 (IP) beyond it fails with EMSGSIZE. */
const IP_MAXPACKET = 65535;
const UINT_MAX = 4294967295;

interface Options {
  count: number; // 0: until interrupted
  size: number;
  interval: number; // seconds; 0 disarms the timer, so nothing follows the first echo
  ttl?: number;
  iface?: string;
  waitFirst: number; // -W
  deadline: number; // -w; 0: none
  quiet: boolean;
  adaptive: boolean;
  family: 'unspec' | 'inet' | 'inet6';
}

type Parsed = { opts: Options; host: string } | { out: string; err: string; code: number };

/** xatou: a whole unsigned 32-bit decimal, or BusyBox's "invalid number". */
export function xatou(v: string, lo = 0, hi = UINT_MAX): number | string {
  if (!/^[0-9]+$/.test(v) || Number(v) > UINT_MAX) return `ping: invalid number '${v}'\n`;
  const n = Number(v);
  if (n < lo || n > hi) return `ping: number ${v} is not in ${lo}..${hi} range\n`;
  return n;
}

/** parse_duration_str: a non-negative decimal with an optional s, m, h or d suffix. */
export function duration(v: string): number | string {
  const m = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([smhd]?)$/.exec(v);
  if (!m) return `ping: invalid number '${v}'\n`;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]!]!;
  return Number(m[1]) * unit;
}

/** getopt32 with "=1": options anywhere (GNU permutation), exactly one HOST. */
function parseArgs(argv: readonly string[]): Parsed {
  const opts: Options = {
    count: 0,
    size: 56,
    interval: 1,
    waitFirst: 10,
    deadline: 0,
    quiet: false,
    adaptive: false,
    family: 'unspec',
  };
  const usage = (err = ''): Parsed => ({
    out: '',
    err: `${err}${busyboxUsage(PING_USAGE)}`,
    code: 1,
  });
  const hosts: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      hosts.push(...argv.slice(i + 1));
      break;
    }
    // "--help" alone shows the usage and exits 0; getopt knows no other long option.
    if (a === '--help' && argv.length === 1) return { ...usage(), code: 0 };
    if (a.startsWith('--')) return usage(`ping: unrecognized option '${a}'\n`);
    if (!a.startsWith('-') || a === '-') {
      hosts.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j]!;
      if ('qvnA46'.includes(f)) {
        if (f === 'q') opts.quiet = true;
        else if (f === 'A') opts.adaptive = true;
        else if (f === '4') opts.family = 'inet';
        else if (f === '6') opts.family = 'inet6';
        continue;
      }
      if (!'cstwWIpi'.includes(f)) return usage(`ping: invalid option -- '${f}'\n`);
      const v = a.length > j + 1 ? a.slice(j + 1) : argv[++i];
      if (v === undefined) return usage(`ping: option requires an argument -- '${f}'\n`);
      const n =
        f === 'i'
          ? duration(v)
          : f === 'I' || f === 'p'
            ? 0
            : xatou(v, 0, f === 's' ? 65535 : UINT_MAX);
      if (typeof n === 'string') return { out: '', err: n, code: 1 };
      if (f === 'c') opts.count = n;
      else if (f === 's') opts.size = n;
      else if (f === 't') opts.ttl = n;
      else if (f === 'w') opts.deadline = n;
      else if (f === 'W') opts.waitFirst = n;
      else if (f === 'i') opts.interval = n;
      else if (f === 'I') opts.iface = v;
      else {
        // -p HEXBYTE: the payload's fill byte.
        if (!/^[0-9a-fA-F]+$/.test(v))
          return { out: '', err: `ping: invalid number '${v}'\n`, code: 1 };
        if (parseInt(v, 16) > 255)
          return { out: '', err: `ping: number ${v} is not in 0..255 range\n`, code: 1 };
      }
      break;
    }
  }
  if (hosts.length !== 1) return usage();
  return { opts, host: hosts[0]! };
}

/** %u.%03u of a time in µs. */
function usText(us: number): string {
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

export const busyboxPing: Tool = (ctx) => {
  const { proc } = ctx;
  const parsed = parseArgs(ctx.argv.slice(1));
  if ('code' in parsed) {
    if (parsed.out) proc.write(parsed.out);
    if (parsed.err) proc.writeErr(parsed.err);
    proc.exit(parsed.code);
    return;
  }
  const { opts, host } = parsed;
  const ns = proc.ns;
  // -I: an interface by that name binds to it (SO_BINDTODEVICE); otherwise it must be an
  // address, the source to bind.
  let oif: Device | undefined;
  let source: Ipv4 | undefined;
  if (opts.iface !== undefined) {
    oif = ns.device(opts.iface);
    if (!oif) {
      source = parseIpv4(opts.iface);
      if (source === undefined) {
        proc.writeErr(`ping: bad address '${opts.iface}'\n`);
        proc.exit(1);
        return;
      }
    }
  }
  const badAddress = () => {
    proc.writeErr(`ping: bad address '${host}'\n`);
    proc.exit(1);
  };
  if (opts.family === 'inet6') {
    // Only IPv4 is modelled: an IPv4 literal is no IPv6 address, and a name would need AAAA.
    if (parseIpv4(host) !== undefined || host === '') return badAddress();
    proc.writeErr(`ping: -6 (ICMPv6) is not modelled; ping the IPv4 address, or without -6\n`);
    proc.exit(1);
    return;
  }
  getaddrinfo(proc, host, { family: opts.family }, (r) => {
    if (!proc.running) return;
    if (!r.ok || host === '') return badAddress();
    run(r.addrs[0]!);
  });

  function run(dst: Ipv4): void {
    const world = ns.world;
    // The name as typed (not getaddrinfo's canonical one) heads the output and the statistics.
    proc.write(
      `PING ${host} (${formatIpv4(dst)})${source !== undefined ? ` from ${formatIpv4(source)}` : ''}: ${opts.size} data bytes\n`,
    );
    // IP_MULTICAST_IF with the -I address: the kernel wants it to be one of this namespace's.
    if (source !== undefined && !ns.isLocalAddr(source)) {
      proc.writeErr(`ping: can't set multicast source interface\n`);
      proc.exit(1);
      return;
    }
    const flowId = world.newFlowId();
    // A raw socket's echoes carry getpid()'s low 16 bits as their id.
    const id = proc.pid & 0xffff || 1;
    const timed = opts.size >= 4; // the send time rides in the first 4 data bytes
    const sentAt = new Map<number, number>();
    const seen = new Set<number>();
    let transmitted = 0;
    let received = 0;
    let repeats = 0;
    let tmin = Infinity;
    let tmax = 0;
    let tsum = 0;
    let next: ReturnType<typeof proc.after> | undefined;
    const deadlineAt = opts.deadline > 0 ? proc.now + seconds(opts.deadline) : undefined;

    const finish = () => {
      ns.sockets.ping.delete(id);
      let out = `\n--- ${host} ping statistics ---\n`;
      out += `${transmitted} packets transmitted, ${received} packets received, `;
      if (repeats) out += `${repeats} duplicates, `;
      const loss = transmitted ? Math.floor(((transmitted - received) * 100) / transmitted) : 0;
      out += `${loss}% packet loss\n`;
      if (tmin !== Infinity) {
        const avg = Math.floor(tsum / (received + repeats));
        out += `round-trip min/avg/max = ${usText(tmin)}/${usText(avg)}/${usText(tmax)} ms\n`;
      }
      proc.write(out);
      proc.exit(received === 0 || (deadlineAt !== undefined && received < opts.count) ? 1 : 0);
    };

    const sock: PingSocket = {
      id,
      onReply: (packet: Ipv4Packet, echo: IcmpEcho) => {
        if (!proc.running) return;
        const t0 = sentAt.get(echo.seq);
        if (t0 === undefined) return;
        received++;
        const dup = seen.has(echo.seq);
        if (dup) {
          repeats++;
          received--;
        } else seen.add(echo.seq);
        let time = '';
        if (timed) {
          const us = Math.floor((proc.now - t0) / 1000);
          tsum += us;
          tmin = Math.min(tmin, us);
          tmax = Math.max(tmax, us);
          time = ` time=${usText(us)} ms`;
        }
        if (!opts.quiet)
          proc.write(
            `${echo.dataLen + 8} bytes from ${formatIpv4(packet.src)}: seq=${echo.seq} ttl=${packet.ttl}${time}${dup ? ' (DUP!)' : ''}\n`,
          );
        if (opts.count && received >= opts.count) return finish();
        if (opts.adaptive) {
          if (next) proc.cancel(next);
          send();
        }
      },
      // Without -v, BusyBox reads ICMP errors off its raw socket and says nothing of them.
      onError: () => {},
    };
    ns.sockets.ping.set(id, sock);

    const send = () => {
      next = undefined;
      if (deadlineAt !== undefined && proc.now >= deadlineAt) return finish();
      const seq = transmitted & 0xffff;
      transmitted++;
      const fail = (errno: keyof typeof STRERROR) => {
        proc.writeErr(`ping: sendto: ${STRERROR[errno]}\n`);
        ns.sockets.ping.delete(id);
        proc.exit(1);
      };
      if (opts.size + 28 > IP_MAXPACKET) return fail('EMSGSIZE');
      const rt = ipRouteOutput(ns, dst, { src: source, oif });
      if (isOutputError(rt)) return fail(rt.errno);
      sentAt.set(seq, proc.now);
      seen.delete(seq);
      const echo: IcmpEcho = { kind: 'icmp', type: 8, code: 0, id, seq, dataLen: opts.size };
      icmpEchoOut(ns, rt, echo, {
        // IP_TTL outside 1..255 fails and BusyBox does not look: the default stays.
        ttl:
          opts.ttl !== undefined && opts.ttl >= 1 && opts.ttl <= 255
            ? opts.ttl
            : ns.sysctlNumber('net.ipv4.ip_default_ttl'),
        flowId,
      });
      if (!proc.running) return;
      if (opts.count === 0 || transmitted < opts.count) {
        // setitimer with -i 0 disarms the timer: no echo follows (only -A's replies send more).
        if (opts.interval > 0) next = proc.after(seconds(opts.interval), 'next echo', send);
        return;
      }
      // All sent: wait -W seconds when nothing came back, else about two of the slowest round
      // trips (tmax / 512Ki µs, at least 1 s). alarm(0) never rings.
      const expire = received ? Math.max(1, Math.floor(tmax / (512 * 1024))) : opts.waitFirst;
      if (expire > 0) next = proc.after(seconds(expire), 'wait for replies', finish);
    };

    proc.onSignal = (sig) => {
      if (sig !== 'SIGINT') return false;
      if (next) proc.cancel(next);
      finish();
      return true;
    };
    send();
  }

  // A ping that would run until ^C: the terminal interrupts it as a user would.
  if (proc.running && opts.count === 0 && opts.deadline === 0)
    proc.interactiveTimeout = seconds(opts.interval > 0 ? opts.interval * 4.5 : 5) as SimDuration;
};
