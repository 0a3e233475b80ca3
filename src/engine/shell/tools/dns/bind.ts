/**
 * What dig and nslookup (bind9-dnsutils 9.18 on Debian 12) share: how they send a query and wait
 * (checked in pl-dns- namespaces: a new UDP socket for every try, DF clear, `timeout` seconds per
 * try and `attempts` tries from resolv.conf, else 5 s and 3; ";; communications error to
 * S#53: timed out" or "...: connection refused" after each failed try, then
 * ";; no servers could be reached"), and BIND's master-file record text.
 */
import { type Ipv4, formatIpv4 } from '../../../net/ipv4';
import type { Process } from '../../../linux/process';
import { seconds } from '../../../sim/time';
import { DNS_PORT, openClientSocket } from '../../../dns/client';
import { type DnsMessage, type DnsRecord, fqdn, typeName } from '../../../dns/message';
import { readEtc } from '../resolve';

export const BIND_VERSION = '9.18.49-1~deb12u3-Debian';

export interface BindConf {
  readonly servers: readonly Ipv4[];
  readonly search: readonly string[];
  readonly ndots: number;
  readonly timeout: number;
  readonly tries: number;
}

/** irs_resconf: resolv.conf as BIND's tools read it (their own defaults: 5 s, 3 tries). */
export function bindConf(proc: Process): BindConf {
  const text = readEtc(proc, 'resolv.conf') ?? '';
  const servers: Ipv4[] = [];
  let search: string[] = [];
  let ndots = 1;
  let timeout = 5;
  let tries = 3;
  for (const raw of text.split('\n')) {
    const [kw, ...args] = raw.trim().split(/\s+/);
    if (kw === 'nameserver' && args[0]) {
      const p = args[0].split('.').map(Number);
      if (p.length === 4 && p.every((x) => x >= 0 && x <= 255))
        servers.push((((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0) as Ipv4);
    } else if (kw === 'search') search = args.map((d) => d.replace(/\.$/, ''));
    else if (kw === 'domain' && args[0]) search = [args[0].replace(/\.$/, '')];
    else if (kw === 'options')
      for (const o of args) {
        const m = /^(ndots|timeout|attempts):([0-9]+)$/.exec(o);
        if (!m) continue;
        if (m[1] === 'ndots') ndots = Number(m[2]);
        else if (m[1] === 'timeout') timeout = Math.max(1, Number(m[2]));
        else tries = Math.max(1, Number(m[2]));
      }
  }
  if (servers.length === 0) servers.push(0x7f000001 as Ipv4);
  return { servers, search, ndots, timeout, tries };
}

export type BindOutcome =
  | {
      readonly ok: true;
      readonly msg: DnsMessage;
      readonly size: number;
      readonly rttMs: number;
      readonly server: Ipv4;
    }
  | { readonly ok: false };

/**
 * Sends `query` to each server in turn, `tries` times each, a fresh socket per try; reports
 * each failure on stdout as BIND does. `cb` gets the first answer with a matching id.
 */
export function bindExchange(
  proc: Process,
  servers: readonly Ipv4[],
  query: DnsMessage,
  opts: { timeout: number; tries: number },
  cb: (o: BindOutcome) => void,
): void {
  let server = 0;
  let tries = 0;
  const attempt = (): void => {
    if (!proc.running) return;
    if (tries >= opts.tries) {
      server++;
      tries = 0;
    }
    const ip = servers[server];
    if (ip === undefined) return cb({ ok: false });
    tries++;
    const start = proc.now;
    let done = false;
    const timer: { ev?: ReturnType<typeof proc.after> } = {};
    const failed = (why: string) => {
      if (done) return;
      done = true;
      proc.cancel(timer.ev);
      sock.close();
      proc.write(`;; communications error to ${formatIpv4(ip)}#${DNS_PORT}: ${why}\n`);
      attempt();
    };
    const s = openClientSocket(proc, ip, DNS_PORT, {
      onMessage: (m, size) => {
        if (done || m.id !== query.id || !m.flags.qr) return;
        done = true;
        proc.cancel(timer.ev);
        sock.close();
        cb({ ok: true, msg: m, size, rttMs: Math.floor((proc.now - start) / 1e6), server: ip });
      },
      onError: (errno) =>
        failed(errno === 'ECONNREFUSED' ? 'connection refused' : 'host unreachable'),
    });
    if (typeof s === 'string') {
      proc.write(`;; communications error to ${formatIpv4(ip)}#${DNS_PORT}: ${s}\n`);
      return attempt();
    }
    const sock = s;
    if (sock.send(query, { df: false })) return failed('host unreachable');
    timer.ev = proc.after(seconds(opts.timeout), 'dns timeout', () => failed('timed out'));
  };
  attempt();
}

/** masterdump.c indent(): tabs (width 8) then spaces to reach `to`, at least one column. */
function indentTo(col: number, to: number): { text: string; col: number } {
  let from = col;
  const target = Math.max(to, from + 1);
  let text = '';
  const ntabs = Math.floor(target / 8) - Math.floor(from / 8);
  if (ntabs > 0) {
    text += '\t'.repeat(ntabs);
    from = Math.floor(target / 8) * 8;
  }
  text += ' '.repeat(target - from);
  return { text, col: target };
}

export function rdataText(r: DnsRecord): string {
  const d = r.data;
  switch (d.kind) {
    case 'A':
    case 'AAAA':
      return d.address;
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return fqdn(d.target);
    case 'SRV':
      return `${d.priority} ${d.weight} ${d.port} ${fqdn(d.target)}`;
    case 'SOA':
      return `${fqdn(d.mname)} ${fqdn(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'OPT':
      return '';
    case 'raw':
      return `\\# ${d.bytes.length} ${d.bytes.map((b) => b.toString(16).padStart(2, '0')).join('')}`.trim();
  }
}

const CLASS = (c: number) => (c === 1 ? 'IN' : `CLASS${c}`);

/** A record as dig prints it: owner, TTL, class, type, data at columns 24/32/40/48. */
export function recordLine(r: DnsRecord): string {
  let s = fqdn(r.name);
  let col = s.length;
  for (const [field, to] of [
    [String(r.ttl), 24],
    [CLASS(r.class), 32],
    [typeName(r.type), 40],
    [rdataText(r), 48],
  ] as const) {
    const ind = indentTo(col, to);
    s += ind.text + field;
    col = ind.col + field.length;
  }
  return s;
}

/** A question as dig prints it: ";name." then class at column 32 (the ';' not counted). */
export function questionLine(q: { name: string; type: number; class: number }): string {
  const name = fqdn(q.name);
  const a = indentTo(name.length, 32);
  const b = indentTo(a.col + 2, 40);
  return `;${name}${a.text}${CLASS(q.class)}${b.text}${typeName(q.type)}`;
}
