/**
 * BusyBox's nslookup applet (FEATURE_NSLOOKUP_BIG, 1.35–1.37), as BusyBox-based images run it:
 * its own resolver, not libc's. A name without a dot is tried under every resolv.conf search
 * domain and never as given (so `nslookup web` finds web.default.svc.cluster.local while
 * `nslookup web.default` is NXDOMAIN); A and AAAA queries all leave at once on one connected
 * socket, every 2.5 s until 5 s have passed; each reply is printed as it arrives. Checked against
 * Debian's busybox 1.35.0 and a small authoritative server in pl- namespaces (busybox/
 * nslookup.test.ts holds what it printed).
 */
import { type Ipv4, formatIpv4, parseIpv4 } from '../../../net/ipv4';
import { DNS_PORT, type DnsClientSocket, openClientSocket } from '../../../dns/client';
import {
  DNS_TYPE,
  type DnsMessage,
  type DnsRecord,
  RCODE,
  makeQuery,
  reverseName,
} from '../../../dns/message';
import { STRERROR } from '../../../linux/socket';
import { ipRouteOutput, isOutputError } from '../../../linux/route';
import type { Process } from '../../../linux/process';
import { ms } from '../../../sim/time';
import type { Tool } from '../../tool';
import { getaddrinfo, readEtc } from '../resolve';
import { busyboxUsage } from './banner';
import { indexInSubstrings } from './libbb';

const USAGE = `Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]

Query DNS about HOST

QUERY_TYPE: soa,ns,a,aaaa,cname,mx,txt,ptr,srv,any
`;

/** -type= names in the order their queries are added. */
const QTYPES: readonly (readonly [string, number])[] = [
  ['SOA', DNS_TYPE.SOA],
  ['NS', DNS_TYPE.NS],
  ['A', DNS_TYPE.A],
  ['AAAA', DNS_TYPE.AAAA],
  ['CNAME', DNS_TYPE.CNAME],
  ['MX', DNS_TYPE.MX],
  ['TXT', DNS_TYPE.TXT],
  ['SRV', DNS_TYPE.SRV],
  ['PTR', DNS_TYPE.PTR],
  ['ANY', DNS_TYPE.ANY],
];

const RCODES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];

const OPTIONS = ['type', 'querytype', 'port', 'retry', 'debug', 't', 'timeout'] as const;

/** index_in_substrings: an exact name, else the one name the key is a prefix of. */
export function optionIndex(key: string): number {
  return indexInSubstrings(OPTIONS, key);
}

interface Query {
  readonly name: string;
  readonly msg: DnsMessage;
  answered: boolean;
}

interface Server {
  /** As given (resolv.conf's nameserver line or the argument): how errors name it. */
  readonly name: string;
  readonly ip: Ipv4;
  readonly port: number;
}

export const busyboxNslookup: Tool = (ctx) => {
  const { proc } = ctx;
  const argv = ctx.argv.slice(1);
  const die = (err: string, code = 1) => {
    proc.writeErr(err);
    proc.exit(code);
  };
  const usage = (code = 1) => die(busyboxUsage(USAGE), code);
  if (argv.length === 1 && argv[0] === '--help') return usage(0);
  const types: number[] = [];
  let port = DNS_PORT;
  let retry = 2;
  let timeoutSec = 5;
  let debug = false;
  let i = 0;
  for (;;) {
    const a = argv[i];
    if (a === undefined) return usage();
    if (!a.startsWith('-')) break;
    i++;
    const eq = a.indexOf('=');
    const key = eq < 0 ? a.slice(1) : a.slice(1, eq);
    const val = eq < 0 ? '' : a.slice(eq + 1);
    const opt = optionIndex(key);
    if (opt < 0) return usage();
    if (opt <= 1) {
      const t = QTYPES.find(([n]) => n === val.toUpperCase());
      if (!t) return die(`nslookup: invalid query type "${val}"\n`);
      if (!types.includes(t[1])) types.push(t[1]);
      continue;
    }
    if (opt === 4) {
      debug = true;
      continue;
    }
    // xatou_range
    const [lo, hi] = opt === 2 ? [1, 65535] : opt === 3 ? [1, 2147483647] : [1, 2147483];
    if (!/^[0-9]+$/.test(val) || Number(val) > 4294967295)
      return die(`nslookup: invalid number '${val}'\n`);
    const n = Number(val);
    if (n < lo || n > hi) return die(`nslookup: number ${val} is not in ${lo}..${hi} range\n`);
    if (opt === 2) port = n;
    else if (opt === 3) retry = n;
    else timeoutSec = n;
  }
  const host = argv[i]!;
  const serverArg = argv[i + 1];
  if (serverArg !== undefined && argv[i + 2] !== undefined) return usage();

  // A server on the command line: resolv.conf is not read at all, so no search list either.
  const conf =
    serverArg === undefined ? parseResolvConf(proc) : { servers: [serverArg], search: undefined };
  const serverNames = conf.servers.length ? conf.servers : ['127.0.0.1'];
  const search = conf.search;

  const rng = proc.host.world.rng;
  const queries: Query[] = [];
  const addQuery = (type: number, name: string) =>
    queries.push({ name, msg: makeQuery(rng.int(0, 0xffff), name, type), answered: false });
  // A name with a dot, or no search list: the name alone. Otherwise only name.domain for each.
  const addWithSearch = (type: number, name: string) => {
    if (type === DNS_TYPE.PTR || !search || name.includes('.')) return addQuery(type, name);
    for (const d of search.split(/[ \t]+/).filter(Boolean)) addQuery(type, `${name}.${d}`);
  };
  if (types.length === 0) {
    const literal = parseIpv4(host);
    if (literal !== undefined && /^[0-9]+(\.[0-9]+){3}$/.test(host))
      addQuery(DNS_TYPE.PTR, reverseName(formatIpv4(literal)));
    else {
      addWithSearch(DNS_TYPE.A, host);
      addWithSearch(DNS_TYPE.AAAA, host);
    }
  } else for (const [, t] of QTYPES) if (types.includes(t)) addWithSearch(t, host);

  let exitCode = 0;
  resolveServers(proc, serverNames, port, (servers) => {
    if (typeof servers === 'string') return die(servers);
    const tryServer = (k: number): void => {
      const server = servers[k];
      if (server === undefined) {
        proc.write(';; connection timed out; no servers could be reached\n\n');
        return proc.exit(1);
      }
      sendQueries(server, (replies) => {
        if (replies > 0) return finish();
        tryServer(k + 1);
      });
    };
    tryServer(0);
  });

  /** After the server that answered: queries it never answered, then the exit code. */
  function finish(): void {
    let out = '';
    for (const q of queries) if (!q.answered) out += `*** Can't find ${q.name}: No answer\n`;
    if (out) out += '\n';
    proc.write(out);
    proc.exit(exitCode);
  }

  /** send_queries: every unanswered query, again every timeout/retry, until the timeout. */
  function sendQueries(server: Server, done: (replies: number) => void): void {
    const start = proc.now;
    const timeoutMs = timeoutSec * 1000;
    const intervalMs = Math.floor(timeoutMs / retry);
    let replies = 0;
    let seen = 0;
    let servfailRetry = 0;
    let ended = false;
    let timer: ReturnType<typeof proc.after> | undefined;
    // Set once the socket is open; the reply handlers only run after that.
    const ref: { sock?: DnsClientSocket } = {};
    const end = (n: number) => {
      if (ended) return;
      ended = true;
      proc.cancel(timer);
      ref.sock?.close();
      done(n);
    };
    // connect(): the route must exist before anything is sent.
    const route = ipRouteOutput(proc.ns, server.ip);
    if (isOutputError(route)) {
      proc.writeErr(
        `nslookup: can't connect to remote host (${formatIpv4(server.ip)}): ${STRERROR[route.errno]}\n`,
      );
      return proc.exit(1);
    }
    const opened = openClientSocket(proc, server.ip, server.port, {
      onMessage: (m) => {
        if (ended || !proc.running) return;
        if (seen++ === 0)
          proc.write(
            `Server:\t\t${server.name}\nAddress:\t${formatIpv4(server.ip)}:${server.port}\n\n`,
          );
        const qn = queries.findIndex((q) => q.msg.id === m.id);
        if (qn < 0 || queries[qn]!.answered) return;
        const q = queries[qn]!;
        const rcode = m.flags.rcode;
        if (rcode === RCODE.SERVFAIL && servfailRetry > 0) {
          servfailRetry--;
          ref.sock!.send(q.msg);
          return;
        }
        q.answered = true;
        let out = '';
        if (debug) out += `Query #${qn} completed in ${Math.floor((proc.now - start) / 1e6)}ms:\n`;
        if (rcode !== RCODE.NOERROR) {
          out += `** server can't find ${q.name}: ${RCODES[rcode] ?? String(rcode)}\n`;
          exitCode = 1;
        } else out += answerText(m, debug);
        proc.write(`${out}\n`);
        if (++replies >= queries.length) end(replies);
      },
      // poll() wakes with POLLERR and read() returns the error; the loop goes on.
      onError: (errno) => {
        if (!ended) proc.writeErr(`nslookup: read: ${STRERROR[errno]}\n`);
      },
    });
    if (typeof opened === 'string') {
      proc.writeErr(`nslookup: bind: ${STRERROR[opened]}\n`);
      return proc.exit(1);
    }
    ref.sock = opened;
    const sendRound = (elapsedMs: number) => {
      if (ended) return;
      for (const q of queries) {
        if (q.answered) continue;
        const err = opened.send(q.msg);
        if (err) {
          proc.writeErr(`nslookup: write to '${server.name}': ${STRERROR[err]}\n`);
          return end(-1);
        }
      }
      servfailRetry = 2 * queries.length;
      const next = elapsedMs + intervalMs;
      if (next < timeoutMs) timer = proc.after(ms(intervalMs), 'resend', () => sendRound(next));
      else timer = proc.after(ms(timeoutMs - elapsedMs), 'timeout', () => end(replies));
    };
    sendRound(0);
  }
};

/** parse_reply: the answer section, in BusyBox's words. */
function answerText(m: DnsMessage, debug: boolean): string {
  let out = !m.flags.aa ? 'Non-authoritative answer:\n' : debug ? 'authoritative answer:\n' : '';
  for (const r of m.answers) out += recordText(r);
  return out;
}

function recordText(r: DnsRecord): string {
  const d = r.data;
  switch (d.kind) {
    case 'A':
    case 'AAAA':
      return `Name:\t${r.name}\nAddress: ${d.address}\n`;
    case 'NS':
      return `${r.name}\tnameserver = ${d.target}\n`;
    case 'CNAME':
      return `${r.name}\tcanonical name = ${d.target}\n`;
    case 'PTR':
      return `${r.name}\tname = ${d.target}\n`;
    case 'SRV':
      return `${r.name}\tservice = ${d.priority} ${d.weight} ${d.port} ${d.target}\n`;
    case 'SOA':
      return `${r.name}\n\torigin = ${d.mname}\n\tmail addr = ${d.rname}\n\tserial = ${d.serial}\n\trefresh = ${d.refresh}\n\tretry = ${d.retry}\n\texpire = ${d.expire}\n\tminimum = ${d.minimum}\n`;
    default:
      // MX and TXT: the modelled servers never answer with them.
      return '';
  }
}

/**
 * parse_resolvconf: "nameserver" lines (the rest of the line, as given), the last "search" (or
 * "domain" when there is no search line); without either, the domain part of the hostname.
 */
function parseResolvConf(proc: Process): { servers: string[]; search: string | undefined } {
  const servers: string[] = [];
  let search: string | undefined;
  let haveSearch = false;
  for (const line of (readEtc(proc, 'resolv.conf') ?? '').split('\n')) {
    const m = /^[ \t]*([^ \t]+)[ \t](.*)$/.exec(line);
    if (!m || !m[2]) continue;
    const [, key, arg] = m as unknown as [string, string, string];
    if (key === 'domain') {
      if (!haveSearch) search = arg;
    } else if (key === 'search') {
      haveSearch = true;
      search = arg;
    } else if (key === 'nameserver') servers.push(arg);
  }
  if (search === undefined) {
    const h = proc.hostname ?? proc.host.name;
    const dot = h.indexOf('.');
    if (dot >= 0) search = h.slice(dot + 1);
  }
  if (search === '.') search = undefined;
  return { servers, search };
}

/** add_ns → xhost2sockaddr: each server as ADDR[:PORT], a name resolved through libc. */
function resolveServers(
  proc: Process,
  names: readonly string[],
  defaultPort: number,
  cb: (r: Server[] | string) => void,
): void {
  const out: Server[] = [];
  const next = (k: number): void => {
    const name = names[k];
    if (name === undefined) return cb(out);
    const m = /^(.*):([0-9]+)$/.exec(name);
    const hostPart = m && !m[1]!.includes(':') ? m[1]! : name;
    const port = m && hostPart !== name ? Number(m[2]) : defaultPort;
    if (port > 65535) return cb(`nslookup: bad port spec '${m![2]}'\n`);
    getaddrinfo(proc, hostPart, { family: 'inet' }, (r) => {
      if (!proc.running) return;
      if (!r.ok || hostPart === '') return cb(`nslookup: bad address '${hostPart}'\n`);
      out.push({ name, ip: r.addrs[0]!, port });
      next(k + 1);
    });
  };
  next(0);
}
