/**
 * A DNS server process: UDP port 53 on 0.0.0.0 in one namespace, answering from a record source
 * and, for names the source is not authoritative for, forwarding to upstream resolvers over the
 * same traced UDP. The replies are built the way CoreDNS (miekg/dns) builds them: the request's
 * id, opcode, RD and question copied back, AA set for authoritative data, RA clear (the
 * kubernetes plugin does not recurse, so dig warns "recursion requested but not available"),
 * no name compression below the UDP fragmentation limit (request.Scrub), and an OPT record
 * when the request had one (SizeAndDo; options other than the client's are dropped here).
 */
import { type Ipv4, IPV4_ANY, formatIpv4 } from '../net/ipv4';
import type { Host } from '../linux/host';
import type { NetNs } from '../linux/netns';
import { Process } from '../linux/process';
import type { Errno } from '../linux/socket';
import { udpBind, udpClose } from '../linux/udp';
import { seconds } from '../sim/time';
import { DNS_PORT, openClientSocket, sendDnsMessage } from './client';
import {
  type Compression,
  DNS_TYPE,
  type DnsMessage,
  type DnsRecord,
  RCODE,
  fromByteString,
  optRecord,
  tryDecodeMessage,
} from './message';

export interface DnsAnswer {
  readonly rcode: 'NOERROR' | 'NXDOMAIN';
  readonly answers: readonly DnsRecord[];
  /** An SOA for negative answers (RFC 2308), NS records for delegations. */
  readonly authority?: readonly DnsRecord[];
  readonly additional?: readonly DnsRecord[];
  /** The AA bit; default true. (dnsmasq's --local NXDOMAIN, for one, is not authoritative.) */
  readonly authoritative?: boolean;
}

/** Where a server's records come from. undefined: not authoritative for the name, forward it. */
export interface DnsZoneSource {
  answer(qname: string, qtype: number): DnsAnswer | undefined;
}

export interface DnsServerOptions {
  readonly source: DnsZoneSource;
  /** Upstream resolvers for names the source does not answer (CoreDNS `forward . <addrs>`). */
  readonly forward?: readonly Ipv4[];
  /** Seconds to wait for an upstream before answering SERVFAIL. Default 5. */
  readonly forwardTimeout?: number;
  readonly port?: number;
  /** The process name ps shows. Default "coredns". */
  readonly comm?: string;
  /**
   * Reply shape. CoreDNS (the default): RA clear, names uncompressed. dnsmasq: RA set and
   * compressed, as the reference captures were made with it.
   */
  readonly recursionAvailable?: boolean;
  readonly compress?: Compression;
  /**
   * EDNS options copied from the request's OPT into the reply's. CoreDNS (the default) reuses
   * the request's OPT and keeps the options it supports by default (NSID, EXPIRE, COOKIE,
   * TCP-KEEPALIVE, PADDING: request.SizeAndDo, plugin/pkg/edns), so a client cookie comes back
   * and dig shows it "(echoed)"; dnsmasq 2.90 sent none back (checked).
   */
  readonly echoOptions?: boolean;
}

/** The EDNS option codes CoreDNS copies back by default: NSID, EXPIRE, COOKIE, KEEPALIVE, PADDING. */
const COREDNS_ECHOED_OPTIONS = new Set([3, 9, 10, 11, 12]);

export interface DnsServer {
  readonly proc: Process;
  /** Questions answered so far ("A web.default.svc.cluster.local."), for tests and narratives. */
  readonly log: string[];
  stop(): void;
}

/** Starts the server; an errno when UDP port 53 cannot be bound. */
export function startDnsServer(host: Host, ns: NetNs, opts: DnsServerOptions): DnsServer | Errno {
  const proc = new Process(host, ns, [opts.comm ?? 'coredns'], new Map(), '/');
  const log: string[] = [];
  const port = opts.port ?? DNS_PORT;
  const sock = udpBind(ns, IPV4_ANY, port, {
    onDatagram: (from, data) => {
      const req = tryDecodeMessage(fromByteString(data));
      if (req instanceof Error || req.flags.qr) return;
      handle(req, from);
    },
  });
  if (typeof sock === 'string') {
    proc.exit(1);
    return sock;
  }
  proc.onCleanup(() => udpClose(sock));

  const echoed = (opt: DnsRecord) =>
    (opts.echoOptions ?? true) && opt.data.kind === 'OPT'
      ? opt.data.options.filter((o) => COREDNS_ECHOED_OPTIONS.has(o.code))
      : [];
  const reply = (req: DnsMessage, to: { ip: Ipv4; port: number }, r: Partial<DnsMessage>) => {
    const reqOpt = req.additional.find((a) => a.type === DNS_TYPE.OPT);
    const m: DnsMessage = {
      id: req.id,
      flags: {
        qr: true,
        opcode: req.flags.opcode,
        aa: r.flags?.aa ?? false,
        tc: false,
        rd: req.flags.rd,
        ra: opts.recursionAvailable ?? false,
        z: false,
        ad: false,
        cd: req.flags.cd,
        rcode: r.flags?.rcode ?? RCODE.NOERROR,
      },
      questions: req.questions,
      answers: r.answers ?? [],
      authority: r.authority ?? [],
      additional: [
        ...(r.additional ?? []).filter((a) => a.type !== DNS_TYPE.OPT),
        ...(reqOpt ? [optRecord(reqOpt.class, echoed(reqOpt))] : []),
      ],
    };
    sendDnsMessage(sock, to.ip, to.port, m, { compress: opts.compress ?? false });
  };

  const handle = (req: DnsMessage, from: { ip: Ipv4; port: number }) => {
    const q = req.questions[0];
    if (req.flags.opcode !== 0 || req.questions.length !== 1 || !q) {
      reply(req, from, { flags: { ...req.flags, rcode: RCODE.NOTIMP } });
      return;
    }
    log.push(`${formatIpv4(from.ip)} ${q.type} ${q.name}.`);
    const a = opts.source.answer(q.name, q.type);
    if (a) {
      reply(req, from, {
        flags: {
          ...req.flags,
          aa: a.authoritative ?? true,
          rcode: a.rcode === 'NXDOMAIN' ? RCODE.NXDOMAIN : 0,
        },
        answers: a.answers,
        authority: a.authority,
        additional: a.additional,
      });
      return;
    }
    forward(req, from);
  };

  /** CoreDNS's forward plugin: the query goes upstream as it came, the answer back as it came. */
  const forward = (req: DnsMessage, from: { ip: Ipv4; port: number }) => {
    const upstream = opts.forward?.[0];
    const servfail = () => reply(req, from, { flags: { ...req.flags, rcode: RCODE.SERVFAIL } });
    if (upstream === undefined) return servfail();
    let done = false;
    const c = openClientSocket(proc, upstream, DNS_PORT, {
      onMessage: (m) => {
        if (done || m.id !== req.id) return;
        done = true;
        proc.cancel(timer);
        c2?.close();
        sendDnsMessage(sock, from.ip, from.port, m, { compress: false });
      },
      onError: () => {
        if (done) return;
        done = true;
        proc.cancel(timer);
        c2?.close();
        servfail();
      },
    });
    const c2 = typeof c === 'string' ? undefined : c;
    if (!c2 || c2.send(req)) {
      c2?.close();
      return servfail();
    }
    const timer = proc.after(seconds(opts.forwardTimeout ?? 5), 'forward timeout', () => {
      if (done) return;
      done = true;
      c2.close();
      servfail();
    });
  };

  return { proc, log, stop: () => proc.exit(0) };
}

/**
 * A fixed set of records: authoritative for `zones` ("" is every name), CNAMEs followed within
 * the set, NXDOMAIN (with `soa` in authority when given) for names it does not hold.
 */
export function staticZone(
  zones: readonly string[],
  records: readonly DnsRecord[],
  opts: { soa?: DnsRecord; nxdomainAuthoritative?: boolean } = {},
): DnsZoneSource {
  const lc = (s: string) => s.toLowerCase().replace(/\.$/, '');
  return {
    answer(qname, qtype) {
      const name = lc(qname);
      const zone = zones.map(lc).find((z) => z === '' || name === z || name.endsWith(`.${z}`));
      if (zone === undefined) return undefined;
      const neg = opts.soa ? [opts.soa] : [];
      if (!records.some((r) => lc(r.name) === name))
        return {
          rcode: 'NXDOMAIN',
          answers: [],
          authority: neg,
          authoritative: opts.nxdomainAuthoritative ?? true,
        };
      const answers: DnsRecord[] = [];
      let cur = name;
      for (let hops = 0; hops < 8; hops++) {
        const owned = records.filter((r) => lc(r.name) === cur);
        const direct = owned.filter((r) => r.type === qtype);
        if (direct.length) {
          answers.push(...direct);
          break;
        }
        const cname = owned.find((r) => r.type === DNS_TYPE.CNAME);
        if (!cname || cname.data.kind !== 'CNAME') break;
        answers.push(cname);
        cur = lc(cname.data.target);
      }
      return answers.length
        ? { rcode: 'NOERROR', answers }
        : { rcode: 'NOERROR', answers: [], authority: neg };
    },
  };
}

/** The first source with an answer wins (a Corefile's plugin chain with fallthrough). */
export function chainSources(...sources: readonly DnsZoneSource[]): DnsZoneSource {
  return {
    answer(qname, qtype) {
      for (const s of sources) {
        const a = s.answer(qname, qtype);
        if (a) return a;
      }
      return undefined;
    },
  };
}
