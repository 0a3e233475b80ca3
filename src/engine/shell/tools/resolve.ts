/**
 * Name resolution as glibc 2.36's getaddrinfo does it (checked on Debian 12 in pl-dns-
 * namespaces against dnsmasq, with tcpdump):
 *
 * - a dotted quad is its own answer, without any lookup;
 * - /etc/nsswitch.conf `hosts:` gives the sources in order ("files dns" when absent);
 * - files: /etc/hosts, the first name on a line is the canonical name;
 * - dns: /etc/resolv.conf `nameserver` (up to three; 127.0.0.1 when none), `search`/`domain`,
 *   `options ndots:N timeout:N attempts:N` (defaults 1, 5, 2). A name with fewer dots than ndots
 *   goes through the search list first and is tried as given last; a name with at least ndots
 *   dots is tried as given first; a trailing dot means only as given. NXDOMAIN or an empty
 *   answer moves on to the next name; a timeout ends the search list (the name as given is still
 *   tried); ECONNREFUSED (an ICMP port unreachable) gives up at once.
 * - For AF_UNSPEC (curl, ping, nc and getent ahosts all ask so) the A and AAAA queries leave
 *   back to back on one connected UDP socket, with ids from the world's rng, and the answer is
 *   complete when both replies are in; a new socket for each name tried; a retry resends both on
 *   the same socket after `timeout` seconds (the first server's timeout does not double, as the
 *   real one does not: 2 × 1 s with timeout:1 attempts:2). AF_INET sends only the A query.
 *
 * `ip netns exec NAME` bind-mounts /etc/netns/NAME/{resolv.conf,nsswitch.conf,hosts} over /etc;
 * readEtc models that for processes in a named namespace.
 *
 * IPv6 is not modelled: AAAA answers are read but the engine connects over IPv4 only.
 */
import { type Ipv4, formatIpv4, parseIpv4 } from '../../net/ipv4';
import type { Process } from '../../linux/process';
import type { Errno } from '../../linux/socket';
import { seconds } from '../../sim/time';
import { DNS_PORT, type DnsClientSocket, openClientSocket } from '../../dns/client';
import {
  DNS_TYPE,
  type DnsMessage,
  RCODE,
  canonicalName,
  makeQuery,
  reverseName,
} from '../../dns/message';

/** A file under /etc as the process sees it: /etc/netns/<ns>/<file> first (ip netns exec). */
export function readEtc(proc: Process, file: string): string | undefined {
  if (!proc.ns.isInit) {
    const over = proc.host.fs.readFile(`/etc/netns/${proc.ns.label}/${file}`, proc.ns);
    if (over.ok) return over.data;
  }
  const r = proc.host.fs.readFile(`/etc/${file}`, proc.ns);
  return r.ok ? r.data : undefined;
}

export interface ResolvConf {
  readonly nameservers: readonly Ipv4[];
  readonly search: readonly string[];
  readonly ndots: number;
  /** Seconds per try (RES_TIMEOUT, at most 30). */
  readonly timeout: number;
  /** Tries per server (RES_DFLRETRY, at most 5). */
  readonly attempts: number;
  /**
   * `options single-request`: A, then AAAA once A is answered, on the same socket;
   * `single-request-reopen`: the AAAA on a new socket (checked). Kubernetes users set these
   * against the conntrack race of two datagrams leaving one socket at once.
   */
  readonly singleRequest?: 'same-socket' | 'reopen';
}

/** res_init's reading of resolv.conf (resolv_conf.c / res_init.c). */
export function parseResolvConf(text: string | undefined, hostname = ''): ResolvConf {
  const nameservers: Ipv4[] = [];
  let search: string[] | undefined;
  let ndots = 1;
  let timeout = 5;
  let attempts = 2;
  let singleRequest: ResolvConf['singleRequest'];
  for (const raw of (text ?? '').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [kw, ...args] = line.split(/\s+/);
    if (kw === 'nameserver' && args[0] !== undefined) {
      const a = parseIpv4(args[0]);
      if (a !== undefined && nameservers.length < 3) nameservers.push(a);
    } else if (kw === 'domain' && args[0] !== undefined) search = [args[0].replace(/\.$/, '')];
    else if (kw === 'search') search = args.slice(0, 6).map((d) => d.replace(/\.$/, ''));
    else if (kw === 'options') {
      for (const o of args) {
        if (o === 'single-request') singleRequest ??= 'same-socket';
        if (o === 'single-request-reopen') singleRequest = 'reopen';
        const m = /^(ndots|timeout|attempts):([0-9]+)$/.exec(o);
        if (!m) continue;
        const v = Number(m[2]);
        if (m[1] === 'ndots') ndots = Math.min(v, 15);
        else if (m[1] === 'timeout') timeout = Math.min(Math.max(v, 1), 30);
        else attempts = Math.min(Math.max(v, 1), 5);
      }
    }
  }
  // Without search or domain, the local domain is what follows the first dot of the hostname.
  if (search === undefined) {
    const dot = hostname.indexOf('.');
    search = dot >= 0 ? [hostname.slice(dot + 1)] : [];
  }
  if (nameservers.length === 0) nameservers.push(parseIpv4('127.0.0.1')!);
  return { nameservers, search, ndots, timeout, attempts, singleRequest };
}

export function readResolvConf(proc: Process): ResolvConf {
  return parseResolvConf(readEtc(proc, 'resolv.conf'), proc.host.name);
}

/** The `hosts:` sources of nsswitch.conf ("files dns" when the file or the line is missing). */
export function hostsSources(proc: Process): ('files' | 'dns')[] {
  const text = readEtc(proc, 'nsswitch.conf');
  for (const raw of (text ?? '').split('\n')) {
    const m = /^\s*hosts\s*:(.*)$/.exec(raw.replace(/#.*/, ''));
    if (!m) continue;
    return m[1]!.split(/\s+/).filter((w): w is 'files' | 'dns' => w === 'files' || w === 'dns');
  }
  return ['files', 'dns'];
}

export interface AddrInfo {
  readonly addrs: readonly Ipv4[];
  /** AAAA answers (IPv6 is not modelled beyond printing them: getent). */
  readonly addrs6?: readonly string[];
  /** ai_canonname: the name the answer was found under. */
  readonly canonical: string;
}

/** /etc/hosts: the IPv4 addresses of lines naming `name`, and that line's first name. */
export function lookupHostsFile(proc: Process, name: string): AddrInfo | undefined {
  const text = readEtc(proc, 'hosts');
  if (text === undefined) return undefined;
  const want = name.replace(/\.$/, '').toLowerCase();
  const addrs: Ipv4[] = [];
  let canonical: string | undefined;
  for (const line of text.split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    if (fields.length < 2) continue;
    const addr = parseIpv4(fields[0]!);
    if (addr === undefined) continue;
    if (fields.slice(1).some((f) => f.toLowerCase() === want)) {
      addrs.push(addr);
      canonical ??= fields[1]!;
    }
  }
  return addrs.length ? { addrs, canonical: canonical! } : undefined;
}

/** getaddrinfo's failures, with gai_strerror's texts. */
export type GaiError = 'EAI_NONAME' | 'EAI_AGAIN' | 'EAI_NODATA';
export const GAI_STRERROR: Record<GaiError, string> = {
  EAI_NONAME: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_NODATA: 'No address associated with hostname',
};

export type GaiResult =
  ({ readonly ok: true } & AddrInfo) | { readonly ok: false; readonly error: GaiError };

/**
 * The names res_search tries, in order, for `name` (res_query.c __res_context_search). `asIs`
 * marks the name as given, which a timeout does not stop.
 */
export function searchNames(name: string, conf: ResolvConf): { name: string; asIs: boolean }[] {
  if (name.endsWith('.')) return [{ name: name.slice(0, -1), asIs: true }];
  const dots = name.split('.').length - 1;
  const out: { name: string; asIs: boolean }[] = [];
  if (dots >= conf.ndots) out.push({ name, asIs: true });
  for (const d of conf.search) out.push({ name: d ? `${name}.${d}` : name, asIs: false });
  if (dots < conf.ndots) out.push({ name, asIs: true });
  return out;
}

type QueryOutcome =
  | { kind: 'answer'; addrs: Ipv4[]; addrs6: string[]; canonical: string }
  | { kind: 'nxdomain' }
  | { kind: 'nodata' }
  | { kind: 'servfail' }
  | { kind: 'timeout' }
  | { kind: 'refused' };

/**
 * One res_nquery for `qname` (A and, for AF_UNSPEC, AAAA in parallel): every server in turn,
 * `attempts` rounds, the whole exchange on one socket per server until an error closes it.
 */
export function resQuery(
  proc: Process,
  conf: ResolvConf,
  qname: string,
  types: readonly number[],
  done: (o: QueryOutcome) => void,
): void {
  const rng = proc.host.world.rng;
  const queries = types.map((t) => makeQuery(rng.int(0, 0xffff), qname, t));
  let attempt = 0;
  let server = 0;
  let sock: DnsClientSocket | undefined;
  let sockServer = -1;
  let timer: ReturnType<typeof proc.after> | undefined;
  let finished = false;
  let replies: (DnsMessage | undefined)[] = [];
  let anyRefused = false;

  const finish = (o: QueryOutcome) => {
    if (finished) return;
    finished = true;
    proc.cancel(timer);
    sock?.close();
    done(o);
  };

  const interpret = () => {
    const a = replies[0]!;
    if (a.flags.rcode === RCODE.NXDOMAIN) return finish({ kind: 'nxdomain' });
    if (a.flags.rcode === RCODE.SERVFAIL) return finish({ kind: 'servfail' });
    const addrs: Ipv4[] = [];
    const addrs6: string[] = [];
    let canonical: string | undefined;
    for (const r of replies) {
      for (const rr of r?.answers ?? []) {
        if (rr.data.kind === 'A') {
          const ip = parseIpv4(rr.data.address);
          if (ip !== undefined) {
            canonical ??= rr.name;
            addrs.push(ip);
          }
        } else if (rr.data.kind === 'AAAA') {
          canonical ??= rr.name;
          addrs6.push(rr.data.address);
        }
      }
    }
    if (addrs.length || addrs6.length)
      return finish({ kind: 'answer', addrs, addrs6, canonical: canonical ?? qname });
    finish({ kind: 'nodata' });
  };

  const nextTry = (): void => {
    proc.cancel(timer);
    if (server >= conf.nameservers.length) {
      server = 0;
      attempt++;
    }
    if (attempt >= conf.attempts)
      return finish(anyRefused ? { kind: 'refused' } : { kind: 'timeout' });
    const ns = conf.nameservers[server]!;
    const idx = server;
    const open = (): DnsClientSocket | Errno =>
      openClientSocket(proc, ns, DNS_PORT, {
        onMessage: (m) => {
          if (finished || sockServer !== idx) return;
          const i = queries.findIndex(
            (q) =>
              q.id === m.id &&
              m.flags.qr &&
              m.questions.length === 1 &&
              canonicalName(m.questions[0]!.name) === canonicalName(qname) &&
              m.questions[0]!.type === q.questions[0]!.type,
          );
          if (i < 0 || replies[i]) return;
          replies[i] = m;
          if (replies.filter(Boolean).length === queries.length) return interpret();
          // single-request: the next query only now, on this socket or a new one.
          const nextQ = queries[i + 1];
          if (conf.singleRequest && nextQ && !replies[i + 1]) {
            if (conf.singleRequest === 'reopen') {
              sock?.close();
              const s2 = open();
              if (typeof s2 === 'string') return;
              sock = s2;
            }
            sock?.send(nextQ);
          }
        },
        onError: (errno: Errno) => {
          if (finished || sockServer !== idx) return;
          // send_dg: an ICMP error closes the socket and moves on to the next server.
          if (errno === 'ECONNREFUSED') anyRefused = true;
          sock?.close();
          sock = undefined;
          sockServer = -1;
          server++;
          nextTry();
        },
      });
    if (!sock || sockServer !== idx) {
      sock?.close();
      const s = open();
      if (typeof s === 'string') {
        server++;
        return nextTry();
      }
      sock = s;
      sockServer = idx;
    }
    replies = queries.map(() => undefined);
    for (const q of conf.singleRequest ? queries.slice(0, 1) : queries) {
      const err = sock.send(q);
      if (err) {
        sock.close();
        sock = undefined;
        sockServer = -1;
        server++;
        return nextTry();
      }
    }
    // send_dg: the first server waits `timeout`; the others (timeout << n) / nscount.
    const secs =
      server === 0
        ? conf.timeout
        : Math.max(1, Math.floor((conf.timeout << server) / conf.nameservers.length));
    timer = proc.after(seconds(secs), 'resolver timeout', () => {
      server++;
      nextTry();
    });
  };
  nextTry();
}

/**
 * getaddrinfo(name): calls `cb` with the IPv4 addresses (and canonical name) or the error.
 * Literals and /etc/hosts answers come back synchronously, before getaddrinfo returns; DNS
 * answers arrive later in simulated time.
 */
export function getaddrinfo(
  proc: Process,
  name: string,
  opts: { family?: 'unspec' | 'inet' },
  cb: (r: GaiResult) => void,
): void {
  const lit = parseIpv4(name);
  if (lit !== undefined) return cb({ ok: true, addrs: [lit], canonical: name });
  const sources = hostsSources(proc);
  let lastError: GaiError = 'EAI_NONAME';
  const next = (i: number): void => {
    const src = sources[i];
    if (src === undefined) return cb({ ok: false, error: lastError });
    if (src === 'files') {
      const h = lookupHostsFile(proc, name);
      if (h) return cb({ ok: true, ...h });
      return next(i + 1);
    }
    resSearch(
      proc,
      name,
      opts.family === 'inet' ? [DNS_TYPE.A] : [DNS_TYPE.A, DNS_TYPE.AAAA],
      (r) => {
        // Only IPv4 is modelled for connecting: IPv6 addresses alone leave nothing to use.
        if (r.ok && r.addrs.length) return cb(r);
        lastError = r.ok ? 'EAI_NODATA' : r.error;
        next(i + 1);
      },
    );
  };
  next(0);
}

/** res_search over the search list (see searchNames), mapping the outcome as getaddrinfo does. */
export function resSearch(
  proc: Process,
  name: string,
  types: readonly number[],
  cb: (r: GaiResult) => void,
): void {
  const conf = readResolvConf(proc);
  const names = searchNames(name, conf);
  let gotNodata = false;
  let gotServfail = false;
  let stopSearch = false;
  let last: QueryOutcome = { kind: 'nxdomain' };
  const fail = () => {
    const error: GaiError =
      last.kind === 'timeout' || last.kind === 'refused' || (gotServfail && !gotNodata)
        ? 'EAI_AGAIN'
        : gotNodata
          ? 'EAI_NODATA'
          : 'EAI_NONAME';
    cb({ ok: false, error });
  };
  const step = (i: number): void => {
    let j = i;
    while (j < names.length && stopSearch && !names[j]!.asIs) j++;
    const n = names[j];
    if (n === undefined) return fail();
    resQuery(proc, conf, n.name, types, (o) => {
      last = o;
      if (o.kind === 'answer')
        return cb({ ok: true, addrs: o.addrs, addrs6: o.addrs6, canonical: o.canonical });
      if (o.kind === 'refused') return fail();
      if (o.kind === 'nodata') gotNodata = true;
      else if (o.kind === 'servfail') gotServfail = true;
      else if (o.kind === 'timeout') stopSearch = true;
      step(j + 1);
    });
  };
  step(0);
}

/** gethostbyaddr / getnameinfo(NI_NAMEREQD) for an IPv4 address: /etc/hosts, then a PTR query. */
export function reverseLookup(
  proc: Process,
  addr: Ipv4,
  cb: (name: string | undefined) => void,
): void {
  const text = formatIpv4(addr);
  const sources = hostsSources(proc);
  const next = (i: number): void => {
    const src = sources[i];
    if (src === undefined) return cb(undefined);
    if (src === 'files') {
      for (const line of (readEtc(proc, 'hosts') ?? '').split('\n')) {
        const f = line.replace(/#.*/, '').trim().split(/\s+/);
        if (f.length >= 2 && parseIpv4(f[0]!) === addr) return cb(f[1]!);
      }
      return next(i + 1);
    }
    const conf = readResolvConf(proc);
    resQueryPtr(proc, conf, reverseName(text), (n) => (n === undefined ? next(i + 1) : cb(n)));
  };
  next(0);
}

function resQueryPtr(
  proc: Process,
  conf: ResolvConf,
  qname: string,
  cb: (name: string | undefined) => void,
): void {
  // A PTR query is a plain res_query (no search list), answered with the first PTR target.
  const rng = proc.host.world.rng;
  const q = makeQuery(rng.int(0, 0xffff), qname, DNS_TYPE.PTR);
  let timer: ReturnType<typeof proc.after> | undefined;
  let attempt = 0;
  let done = false;
  const finish = (n: string | undefined) => {
    if (done) return;
    done = true;
    proc.cancel(timer);
    if (typeof sock !== 'string') sock.close();
    cb(n);
  };
  const ns = conf.nameservers[0]!;
  const sock = openClientSocket(proc, ns, DNS_PORT, {
    onMessage: (m) => {
      if (m.id !== q.id || !m.flags.qr) return;
      const ptr = m.answers.find((r) => r.data.kind === 'PTR');
      finish(ptr && ptr.data.kind === 'PTR' ? ptr.data.target : undefined);
    },
    onError: () => finish(undefined),
  });
  if (typeof sock === 'string') return cb(undefined);
  const send = () => {
    if (attempt++ >= conf.attempts) return finish(undefined);
    if (sock.send(q)) return finish(undefined);
    timer = proc.after(seconds(conf.timeout), 'resolver timeout', send);
  };
  send();
}

/**
 * The synchronous part of resolution: a dotted quad, or /etc/hosts when `files` is a source.
 * Undefined means "needs DNS or fails": callers that can wait use getaddrinfo.
 */
export function resolveHost(proc: Process, name: string): Ipv4[] | undefined {
  const lit = parseIpv4(name);
  if (lit !== undefined) return [lit];
  if (!hostsSources(proc).includes('files')) return undefined;
  return lookupHostsFile(proc, name)?.addrs.slice();
}
