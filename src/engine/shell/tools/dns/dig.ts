/**
 * dig (bind9-dnsutils 9.18.49 on Debian 12): one query (default A) to the resolv.conf servers or
 * @server, with RD and AD set and EDNS (UDP 1232, an 8-byte client cookie), printed as dig
 * prints it; +short, +search (the search list is not used without it), -x, -t, +time, +tries.
 * Checked in pl-dns- namespaces against dnsmasq; the volatile parts (id, query time, date) are
 * the engine's own.
 */
import { formatIpv4, parseIpv4 } from '../../../net/ipv4';
import { civilFromUnix } from '../../../sim/clock';
import {
  DNS_TYPE,
  type DnsMessage,
  EDNS_COOKIE,
  NO_FLAGS,
  canonicalName,
  makeQuery,
  optRecord,
  rcodeName,
  reverseName,
  typeFromName,
} from '../../../dns/message';
import type { Tool } from '../../tool';
import {
  BIND_VERSION,
  type BindOutcome,
  bindConf,
  bindExchange,
  questionLine,
  rdataText,
  recordLine,
} from './bind';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** ";; WHEN:" — strftime("%a %b %d %H:%M:%S %Z %Y") in UTC. */
export function digDate(unix: number): string {
  const c = civilFromUnix(unix);
  return `${DAYS[c.weekday]} ${MONTHS[c.month - 1]} ${p2(c.day)} ${p2(c.hour)}:${p2(c.minute)}:${p2(c.second)} UTC ${c.year}`;
}

const isLocal = (name: string) => {
  const n = canonicalName(name);
  return n === 'local' || n.endsWith('.local');
};

/** The full printout of an answer (dig.c printmessage with the default +cmd style). */
export function digAnswerText(
  m: DnsMessage,
  o: { rttMs: number; server: string; size: number; when: string },
): string {
  const f = m.flags;
  const flags = [
    f.qr && 'qr',
    f.aa && 'aa',
    f.tc && 'tc',
    f.rd && 'rd',
    f.ra && 'ra',
    f.ad && 'ad',
    f.cd && 'cd',
  ].filter(Boolean);
  let s = ';; Got answer:\n';
  if (m.questions.some((q) => isLocal(q.name)))
    s +=
      ';; WARNING: .local is reserved for Multicast DNS\n' +
      ';; You are currently testing what happens when an mDNS query is leaked to DNS\n';
  s += `;; ->>HEADER<<- opcode: QUERY, status: ${rcodeName(f.rcode)}, id: ${m.id}\n`;
  s += `;; flags: ${flags.join(' ')}; QUERY: ${m.questions.length}, ANSWER: ${m.answers.length}, AUTHORITY: ${m.authority.length}, ADDITIONAL: ${m.additional.length}\n`;
  if (f.rd && !f.ra) s += ';; WARNING: recursion requested but not available\n';
  s += '\n';
  const opt = m.additional.find((r) => r.type === DNS_TYPE.OPT);
  if (opt) {
    s += ';; OPT PSEUDOSECTION:\n';
    s += `; EDNS: version: ${(opt.ttl >>> 16) & 0xff}, flags:${opt.ttl & 0x8000 ? ' do' : ''}; udp: ${opt.class}\n`;
    // message.c: our 8-byte client cookie sent back alone is "(echoed)".
    for (const o of opt.data.kind === 'OPT' ? opt.data.options : []) {
      if (o.code !== EDNS_COOKIE) continue;
      const hex = o.data.map((b) => b.toString(16).padStart(2, '0')).join('');
      s += `; COOKIE: ${hex}${o.data.length < 16 ? ' (echoed)' : ''}\n`;
    }
  }
  s += ';; QUESTION SECTION:\n';
  for (const q of m.questions) s += `${questionLine(q)}\n`;
  s += '\n';
  const section = (title: string, rs: DnsMessage['answers']) => {
    if (rs.length === 0) return;
    s += `;; ${title} SECTION:\n`;
    for (const r of rs) s += `${recordLine(r)}\n`;
    s += '\n';
  };
  section('ANSWER', m.answers);
  section('AUTHORITY', m.authority);
  section(
    'ADDITIONAL',
    m.additional.filter((r) => r.type !== DNS_TYPE.OPT),
  );
  s += `;; Query time: ${o.rttMs} msec\n`;
  s += `;; SERVER: ${o.server}#53(${o.server}) (UDP)\n`;
  s += `;; WHEN: ${o.when}\n`;
  s += `;; MSG SIZE  rcvd: ${o.size}\n\n`;
  return s;
}

export const dig: Tool = (ctx) => {
  const { proc } = ctx;
  const args = ctx.argv.slice(1);
  let short = false;
  let search = false;
  let server: string | undefined;
  let name: string | undefined;
  let type: number | undefined;
  let timeout: number | undefined;
  let tries: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('@')) server = a.slice(1);
    else if (a === '+short') short = true;
    else if (a === '+noshort') short = false;
    else if (a === '+search') search = true;
    else if (a === '+nosearch') search = false;
    else if (/^\+time=[0-9]+$/.test(a)) timeout = Math.max(1, Number(a.slice(6)));
    else if (/^\+tries=[0-9]+$/.test(a)) tries = Math.max(1, Number(a.slice(7)));
    else if (/^\+retry=[0-9]+$/.test(a)) tries = Number(a.slice(7)) + 1;
    else if (a === '-x') {
      const ip = args[++i] ?? '';
      if (parseIpv4(ip) === undefined) {
        proc.writeErr(`dig: '${ip}' is not a legal IPv4 address\n`);
        return proc.exit(1);
      }
      name = reverseName(ip);
      type = DNS_TYPE.PTR;
    } else if (a === '-t') {
      const t = typeFromName(args[++i] ?? '');
      if (t === undefined) {
        proc.writeErr(`dig: invalid type ${args[i] ?? ''}\n`);
        return proc.exit(1);
      }
      type = t;
    } else if (a.startsWith('+')) {
      proc.writeErr(
        `Invalid option: ${a}\nUsage:  dig [@global-server] [domain] [q-type] [q-class] {q-opt}\n            {global-d-opt} host [@local-server] {local-d-opt}\n            [ host [@local-server] {local-d-opt} [...]]\n\nUse "dig -h" (or "dig -h | more") for complete list of options\n`,
      );
      return proc.exit(1);
    } else if (
      name !== undefined &&
      type === undefined &&
      typeFromName(a) !== undefined &&
      !/^TYPE/i.test(a)
    )
      type = typeFromName(a);
    else if (name === undefined) name = a;
    else if (type === undefined && typeFromName(a) !== undefined) type = typeFromName(a);
    else name = a;
  }
  const conf = bindConf(proc);
  let servers = conf.servers;
  if (server !== undefined) {
    const ip = parseIpv4(server);
    if (ip === undefined) {
      proc.writeErr(`dig: couldn't get address for '${server}': not found\n`);
      return proc.exit(10);
    }
    servers = [ip];
  }
  const qname = (name ?? '.').replace(/\.$/, '');
  const qtype = type ?? (name === undefined ? DNS_TYPE.NS : DNS_TYPE.A);
  const head =
    `\n; <<>> DiG ${BIND_VERSION} <<>> ${args.join(' ')}\n` +
    (server !== undefined ? '; (1 server found)\n' : '') +
    ';; global options: +cmd\n';
  // +search: the resolv.conf search list for names with fewer than ndots dots, then as given.
  const dots = qname.split('.').length - 1;
  const names =
    search && !(name ?? '').endsWith('.') && dots < conf.ndots
      ? [...conf.search.map((d) => `${qname}.${d}`), qname]
      : [qname];
  const rng = proc.host.world.rng;
  const world = proc.host.world;
  const tryName = (i: number): void => {
    const n = names[i]!;
    const q0 = makeQuery(rng.int(0, 0xffff), n, qtype, [
      optRecord(1232, [{ code: EDNS_COOKIE, data: rng.bytes(8) }]),
    ]);
    const q: DnsMessage = { ...q0, flags: { ...NO_FLAGS, rd: true, ad: true } };
    bindExchange(
      proc,
      servers,
      q,
      { timeout: timeout ?? conf.timeout, tries: tries ?? conf.tries },
      (o: BindOutcome) => {
        if (!o.ok) {
          if (!short) proc.write(`${head};; no servers could be reached\n`);
          else proc.write(';; no servers could be reached\n');
          return proc.exit(9);
        }
        if (o.msg.flags.rcode === 3 && i + 1 < names.length) return tryName(i + 1);
        if (short) {
          proc.write(o.msg.answers.map((r) => `${rdataText(r)}\n`).join(''));
          return proc.exit(0);
        }
        proc.write(
          head +
            digAnswerText(o.msg, {
              rttMs: o.rttMs,
              server: formatIpv4(o.server),
              size: o.size,
              when: digDate(world.unixNow()),
            }),
        );
        proc.exit(0);
      },
    );
  };
  tryName(0);
};
