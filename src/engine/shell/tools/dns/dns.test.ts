/**
 * dig and nslookup against a server shaped like the dnsmasq 2.90 of the reference captures
 * (RA set, names compressed, TTL 0, NXDOMAIN not authoritative), in namespaces laid out as the
 * real pl-dns- lab was (server 10.53.0.1, client 10.53.0.2 with the Kubernetes resolv.conf).
 * The expected texts are what bind9-dnsutils 9.18.49 printed on Debian 12, with the id, query
 * time and date normalised.
 */
import { describe, expect, it } from 'vitest';
import { lab, type Lab } from '../../../testing/lab';
import { DNS_TYPE, type DnsRecord } from '../../../dns/message';
import { startDnsServer, staticZone, type DnsServer } from '../../../dns/server';
import { recordLine, questionLine } from './bind';

const rec = (name: string, type: number, data: DnsRecord['data']): DnsRecord => ({
  name,
  type,
  class: 1,
  ttl: 0,
  data,
});

const RECORDS: DnsRecord[] = [
  rec('web.default.svc.cluster.local', DNS_TYPE.A, { kind: 'A', address: '10.53.0.1' }),
  rec('1.0.53.10.in-addr.arpa', DNS_TYPE.PTR, {
    kind: 'PTR',
    target: 'web.default.svc.cluster.local',
  }),
  rec('both.default.svc.cluster.local', DNS_TYPE.A, { kind: 'A', address: '10.53.0.5' }),
  rec('both.default.svc.cluster.local', DNS_TYPE.AAAA, { kind: 'AAAA', address: 'fd00::5' }),
  rec('ext.test', DNS_TYPE.A, { kind: 'A', address: '10.53.0.9' }),
  rec('ext.test', DNS_TYPE.AAAA, { kind: 'AAAA', address: 'fd00::9' }),
  rec('alias.default.svc.cluster.local', DNS_TYPE.CNAME, {
    kind: 'CNAME',
    target: 'web.default.svc.cluster.local',
  }),
];

function dnsmasqLab(
  options = 'options ndots:5',
  records: readonly DnsRecord[] = RECORDS,
): { l: Lab; server: DnsServer } {
  const l = lab();
  l.setup([
    'ip netns add srv',
    'ip netns add cli',
    'ip link add eth0 netns srv type veth peer name eth0 netns cli',
    'ip -n srv addr add 10.53.0.1/24 dev eth0',
    'ip -n cli addr add 10.53.0.2/24 dev eth0',
    'ip -n srv link set lo up',
    'ip -n srv link set eth0 up',
    'ip -n cli link set lo up',
    'ip -n cli link set eth0 up',
  ]);
  const host = l.sh().host;
  host.fs.mkdirp('/etc/netns/cli');
  host.fs.writeFile(
    '/etc/netns/cli/resolv.conf',
    `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.53.0.1\n${options}\n`,
  );
  const server = startDnsServer(host, host.named.get('srv')!, {
    source: staticZone([''], records, { nxdomainAuthoritative: false }),
    recursionAvailable: true,
    compress: 'whole-names',
    echoOptions: false,
    comm: 'dnsmasq',
  });
  if (typeof server === 'string') throw new Error(server);
  return { l, server };
}

const norm = (s: string) =>
  s
    .replace(/id: \d+/, 'id: ID')
    .replace(/Query time: \d+ msec/, 'Query time: 0 msec')
    .replace(/WHEN: .*/, 'WHEN: DATE');

const DIG_HEAD = (args: string) =>
  `\n; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> ${args}\n;; global options: +cmd\n`;
const MDNS =
  ';; WARNING: .local is reserved for Multicast DNS\n;; You are currently testing what happens when an mDNS query is leaked to DNS\n';
const TAIL = (size: number) =>
  `;; Query time: 0 msec\n;; SERVER: 10.53.0.1#53(10.53.0.1) (UDP)\n;; WHEN: DATE\n;; MSG SIZE  rcvd: ${size}\n\n`;

describe('dig', () => {
  it('prints an authoritative answer, with the mDNS warning for .local names', () => {
    const { l } = dnsmasqLab();
    const r = l.run('ip netns exec cli dig web.default.svc.cluster.local');
    expect(r.exitCode).toBe(0);
    expect(norm(r.stdout)).toBe(
      DIG_HEAD('web.default.svc.cluster.local') +
        ';; Got answer:\n' +
        MDNS +
        ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: ID\n' +
        ';; flags: qr aa rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1\n\n' +
        ';; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n' +
        ';; QUESTION SECTION:\n;web.default.svc.cluster.local.\tIN\tA\n\n' +
        ';; ANSWER SECTION:\nweb.default.svc.cluster.local. 0 IN\tA\t10.53.0.1\n\n' +
        TAIL(74),
    );
  });

  it('does not use the search list without +search: web. is NXDOMAIN', () => {
    const { l } = dnsmasqLab();
    const r = l.run('ip netns exec cli dig web');
    expect(norm(r.stdout)).toBe(
      DIG_HEAD('web') +
        ';; Got answer:\n' +
        ';; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: ID\n' +
        ';; flags: qr rd ra; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1\n\n' +
        ';; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n' +
        ';; QUESTION SECTION:\n;web.\t\t\t\tIN\tA\n\n' +
        TAIL(32),
    );
    // ... and +search walks it.
    const s = l.run('ip netns exec cli dig +search web');
    expect(norm(s.stdout)).toContain(
      ';; ANSWER SECTION:\nweb.default.svc.cluster.local. 0 IN\tA\t10.53.0.1\n',
    );
    expect(norm(s.stdout).startsWith(DIG_HEAD('+search web'))).toBe(true);
  });

  it('+short, @server, -x and a CNAME chain', () => {
    const { l } = dnsmasqLab();
    expect(l.run('ip netns exec cli dig +short web.default.svc.cluster.local').stdout).toBe(
      '10.53.0.1\n',
    );
    const at = l.run('ip netns exec cli dig @10.53.0.1 nosuch.default.svc.cluster.local');
    expect(norm(at.stdout)).toBe(
      '\n; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> @10.53.0.1 nosuch.default.svc.cluster.local\n; (1 server found)\n;; global options: +cmd\n' +
        ';; Got answer:\n' +
        MDNS +
        ';; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: ID\n' +
        ';; flags: qr rd ra; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1\n\n' +
        ';; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n' +
        ';; QUESTION SECTION:\n;nosuch.default.svc.cluster.local. IN\tA\n\n' +
        TAIL(61),
    );
    const x = l.run('ip netns exec cli dig -x 10.53.0.1');
    expect(norm(x.stdout)).toBe(
      DIG_HEAD('-x 10.53.0.1') +
        ';; Got answer:\n' +
        ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: ID\n' +
        ';; flags: qr aa rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1\n\n' +
        ';; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n' +
        ';; QUESTION SECTION:\n;1.0.53.10.in-addr.arpa.\t\tIN\tPTR\n\n' +
        ';; ANSWER SECTION:\n1.0.53.10.in-addr.arpa.\t0\tIN\tPTR\tweb.default.svc.cluster.local.\n\n' +
        TAIL(94),
    );
    const c = l.run('ip netns exec cli dig alias.default.svc.cluster.local');
    expect(norm(c.stdout)).toContain(
      ';; flags: qr aa rd ra; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1\n\n' +
        ';; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n' +
        ';; QUESTION SECTION:\n;alias.default.svc.cluster.local. IN\tA\n\n' +
        ';; ANSWER SECTION:\n' +
        'alias.default.svc.cluster.local. 0 IN\tCNAME\tweb.default.svc.cluster.local.\n' +
        'web.default.svc.cluster.local. 0 IN\tA\t10.53.0.1\n\n' +
        TAIL(119),
    );
  });

  it('-t-less type argument: AAAA', () => {
    const { l } = dnsmasqLab();
    expect(norm(l.run('ip netns exec cli dig ext.test AAAA').stdout)).toBe(
      DIG_HEAD('ext.test AAAA') +
        ';; Got answer:\n' +
        ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: ID\n' +
        ';; flags: qr aa rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1\n\n' +
        ';; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n' +
        ';; QUESTION SECTION:\n;ext.test.\t\t\tIN\tAAAA\n\n' +
        ';; ANSWER SECTION:\next.test.\t\t0\tIN\tAAAA\tfd00::9\n\n' +
        TAIL(65),
    );
  });

  it('a silent server: one line per try, then no servers could be reached (exit 9)', () => {
    const { l } = dnsmasqLab('options ndots:5 timeout:1 attempts:2');
    l.setup(['ip netns exec srv iptables -A INPUT -p udp --dport 53 -j DROP']);
    const r = l.run('ip netns exec cli dig web.default.svc.cluster.local');
    expect(r.exitCode).toBe(9);
    expect(r.stdout).toBe(
      ';; communications error to 10.53.0.1#53: timed out\n' +
        ';; communications error to 10.53.0.1#53: timed out\n' +
        DIG_HEAD('web.default.svc.cluster.local') +
        ';; no servers could be reached\n',
    );
    // 2.046 s for real.
    expect((r.endTime - r.startTime) / 1e6).toBeGreaterThanOrEqual(2000);
    expect((r.endTime - r.startTime) / 1e6).toBeLessThan(2100);
  });

  it('a closed port: connection refused three times (the default tries)', () => {
    const { l, server } = dnsmasqLab();
    server.stop();
    const r = l.run('ip netns exec cli dig web.default.svc.cluster.local');
    expect(r.exitCode).toBe(9);
    expect(r.stdout).toBe(
      ';; communications error to 10.53.0.1#53: connection refused\n'.repeat(3) +
        DIG_HEAD('web.default.svc.cluster.local') +
        ';; no servers could be reached\n',
    );
  });
});

describe('nslookup', () => {
  it('applies the search list: web is web.default.svc.cluster.local', () => {
    const { l } = dnsmasqLab();
    const r = l.run('ip netns exec cli nslookup web');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      'Server:\t\t10.53.0.1\nAddress:\t10.53.0.1#53\n\nName:\tweb.default.svc.cluster.local\nAddress: 10.53.0.1\n\n',
    );
  });

  it('NXDOMAIN after every search domain and the name itself (exit 1)', () => {
    const { l } = dnsmasqLab();
    const r = l.run('ip netns exec cli nslookup nosuch');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(
      "Server:\t\t10.53.0.1\nAddress:\t10.53.0.1#53\n\n** server can't find nosuch: NXDOMAIN\n\n",
    );
    // With ndots:5 even the full name goes through the search list first (four A queries).
    const full = l.run('ip netns exec cli nslookup web.default.svc.cluster.local');
    expect(full.stdout).toBe(
      'Server:\t\t10.53.0.1\nAddress:\t10.53.0.1#53\n\nName:\tweb.default.svc.cluster.local\nAddress: 10.53.0.1\n\n',
    );
  });

  it('prints the A answers, then the AAAA ones', () => {
    const { l } = dnsmasqLab();
    expect(l.run('ip netns exec cli nslookup both').stdout).toBe(
      'Server:\t\t10.53.0.1\nAddress:\t10.53.0.1#53\n\n' +
        'Name:\tboth.default.svc.cluster.local\nAddress: 10.53.0.5\n' +
        'Name:\tboth.default.svc.cluster.local\nAddress: fd00::5\n\n',
    );
    expect(l.run('ip netns exec cli nslookup ext.test.').stdout).toBe(
      'Server:\t\t10.53.0.1\nAddress:\t10.53.0.1#53\n\n' +
        'Name:\text.test\nAddress: 10.53.0.9\nName:\text.test\nAddress: fd00::9\n\n',
    );
  });

  it('an address is a PTR query', () => {
    const { l } = dnsmasqLab();
    expect(l.run('ip netns exec cli nslookup 10.53.0.1').stdout).toBe(
      '1.0.53.10.in-addr.arpa\tname = web.default.svc.cluster.local.\n\n',
    );
  });

  it('a silent server: no servers could be reached', () => {
    const { l } = dnsmasqLab('options ndots:5 timeout:1 attempts:2');
    l.setup(['ip netns exec srv iptables -A INPUT -p udp --dport 53 -j DROP']);
    const r = l.run('ip netns exec cli nslookup web');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(
      ';; communications error to 10.53.0.1#53: timed out\n'.repeat(2) +
        ';; no servers could be reached\n\n',
    );
  });
});

describe('ping by name', () => {
  it('names each reply by a PTR query of its own; "a.b.c.d (a.b.c.d)" when there is none', () => {
    const { l } = dnsmasqLab(
      'options ndots:5',
      RECORDS.filter((r) => r.type !== DNS_TYPE.PTR),
    );
    const r = l.run('ip netns exec cli ping -c2 web');
    expect(r.stdout).toMatch(
      /^PING web\.default\.svc\.cluster\.local \(10\.53\.0\.1\) 56\(84\) bytes of data\.\n64 bytes from 10\.53\.0\.1 \(10\.53\.0\.1\): icmp_seq=1 ttl=64 time=\S+ ms\n64 bytes from 10\.53\.0\.1 \(10\.53\.0\.1\): icmp_seq=2 ttl=64 time=\S+ ms\n\n--- web\.default\.svc\.cluster\.local ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss/,
    );
  });
});

describe("BIND's column layout", () => {
  it('indents as masterdump.c does', () => {
    expect(questionLine({ name: 'web', type: 1, class: 1 })).toBe(';web.\t\t\t\tIN\tA');
    expect(
      recordLine(
        rec('cluster.local', DNS_TYPE.SOA, {
          kind: 'SOA',
          mname: 'ns.dns.cluster.local',
          rname: 'hostmaster.cluster.local',
          serial: 1700000000,
          refresh: 7200,
          retry: 1800,
          expire: 86400,
          minimum: 30,
        }),
      ),
    ).toBe(
      'cluster.local.\t\t0\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 30',
    );
  });
});
