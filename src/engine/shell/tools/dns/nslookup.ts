/**
 * nslookup (bind9-dnsutils 9.18.49 on Debian 12), non-interactive: `nslookup NAME [SERVER]`.
 * Checked in pl-dns- namespaces against dnsmasq: it applies the resolv.conf search list (a name
 * with fewer than ndots dots goes through it first, as given last; with ndots or more, as given
 * first — and with ndots:5 even "web.default.svc.cluster.local" is searched first), one A query
 * per name on a fresh socket with no EDNS, then an AAAA query for the name that answered; an
 * address argument becomes a PTR query. Output as it prints it, including
 * "** server can't find NAME: NXDOMAIN" (exit 1) and ";; no servers could be reached".
 */
import { type Ipv4, formatIpv4, parseIpv4 } from '../../../net/ipv4';
import {
  DNS_TYPE,
  type DnsMessage,
  RCODE,
  fqdn,
  makeQuery,
  reverseName,
} from '../../../dns/message';
import type { Tool } from '../../tool';
import { type BindOutcome, bindConf, bindExchange } from './bind';

export const nslookup: Tool = (ctx) => {
  const { proc } = ctx;
  const args = ctx.argv.slice(1).filter((a) => !a.startsWith('-'));
  const target = args[0];
  if (target === undefined) {
    proc.writeErr('packet-life: only non-interactive `nslookup NAME [SERVER]` is modelled\n');
    return proc.exit(1);
  }
  const conf = bindConf(proc);
  let servers: readonly Ipv4[] = conf.servers;
  if (args[1] !== undefined) {
    const ip = parseIpv4(args[1]);
    if (ip === undefined) {
      proc.writeErr(`;; Got SERVFAIL reply from ${args[1]}, trying next server\n`);
      return proc.exit(1);
    }
    servers = [ip];
  }
  const rng = proc.host.world.rng;
  // Every reply without RA to our RD query is noted as it arrives (checked against a
  // CoreDNS-shaped server: one line per reply, before what the reply makes nslookup print).
  const ask = (name: string, type: number, cb: (o: BindOutcome) => void) =>
    bindExchange(
      proc,
      servers,
      makeQuery(rng.int(0, 0xffff), name, type),
      { timeout: conf.timeout, tries: conf.tries },
      (o) => {
        if (o.ok && !o.msg.flags.ra)
          proc.write(`;; Got recursion not available from ${formatIpv4(o.server)}\n`);
        cb(o);
      },
    );
  const noServers = () => {
    proc.write(';; no servers could be reached\n\n');
    proc.exit(1);
  };
  const header = (server: Ipv4) =>
    `Server:\t\t${formatIpv4(server)}\nAddress:\t${formatIpv4(server)}#53\n\n`;

  const addr = parseIpv4(target);
  if (addr !== undefined) {
    const rev = reverseName(formatIpv4(addr));
    ask(rev, DNS_TYPE.PTR, (o) => {
      if (!o.ok) return noServers();
      if (o.msg.flags.rcode !== RCODE.NOERROR) {
        proc.write(`** server can't find ${rev}: ${rcodeText(o.msg.flags.rcode)}\n\n`);
        return proc.exit(1);
      }
      let out = o.msg.flags.aa ? '' : 'Non-authoritative answer:\n';
      for (const r of o.msg.answers)
        if (r.data.kind === 'PTR') out += `${r.name}\tname = ${fqdn(r.data.target)}\n`;
      proc.write(`${out}\n`);
      proc.exit(0);
    });
    return;
  }

  const bare = target.replace(/\.$/, '');
  const dots = bare.split('.').length - 1;
  const names: string[] = [];
  if (target.endsWith('.')) names.push(bare);
  else {
    if (dots >= conf.ndots) names.push(bare);
    for (const d of conf.search) names.push(`${bare}.${d}`);
    if (dots < conf.ndots) names.push(bare);
  }
  const tryName = (i: number): void => {
    const n = names[i]!;
    ask(n, DNS_TYPE.A, (o) => {
      if (!o.ok) return noServers();
      const rc = o.msg.flags.rcode;
      if (rc === RCODE.NXDOMAIN && i + 1 < names.length) return tryName(i + 1);
      if (rc !== RCODE.NOERROR) {
        proc.write(`${header(o.server)}** server can't find ${target}: ${rcodeText(rc)}\n\n`);
        return proc.exit(1);
      }
      let out = header(o.server);
      if (!o.msg.flags.aa) out += 'Non-authoritative answer:\n';
      const lines = (m: DnsMessage) => {
        let t = '';
        for (const r of m.answers) {
          if (r.data.kind === 'CNAME') t += `${r.name}\tcanonical name = ${fqdn(r.data.target)}\n`;
          else if (r.data.kind === 'A' || r.data.kind === 'AAAA')
            t += `Name:\t${r.name}\nAddress: ${r.data.address}\n`;
        }
        return t;
      };
      const a = lines(o.msg);
      proc.write(out + a);
      ask(n, DNS_TYPE.AAAA, (o6) => {
        const aaaa = o6.ok && o6.msg.flags.rcode === RCODE.NOERROR ? lines(o6.msg) : '';
        if (!a && !aaaa) proc.write(`*** Can't find ${target}: No answer\n`);
        proc.write(`${aaaa}\n`);
        proc.exit(0);
      });
    });
  };
  tryName(0);
};

function rcodeText(rc: number): string {
  return ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'][rc] ?? `RCODE${rc}`;
}
