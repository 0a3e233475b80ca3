/**
 * A CoreDNS-like server in one namespace and a pod-like namespace with the Kubernetes
 * resolv.conf, resolving `web`. What glibc sends (names, order, A and AAAA on one socket, the
 * timeouts) and the tools' error texts were captured on Debian 12 (glibc 2.36, curl 7.88.1,
 * iputils 20221126, netcat-openbsd 1.219, tcpdump 4.99) in pl-dns- namespaces against dnsmasq
 * 2.90; the server's replies here are CoreDNS's (no RA, no compression, SOA on negatives).
 */
import { describe, expect, it } from 'vitest';
import { lab, type Lab } from '../testing/lab';
import type { CommandResult } from '../shell/session';
import { TcpdumpState, formatFrame } from '../shell/tools/tcpdump/format';
import { parseIpv4 } from '../net/ipv4';
import { corednsKubernetesSource, type KubeDnsService } from './coredns';
import { chainSources, startDnsServer, staticZone, type DnsServer } from './server';
import { DNS_TYPE } from './message';

const K8S_RESOLV =
  'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.53.0.1\noptions ndots:5\n';

const SERVICES: KubeDnsService[] = [
  {
    name: 'web',
    namespace: 'default',
    clusterIP: '10.53.0.1',
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: [{ ip: '10.53.0.1' }],
  },
  {
    name: 'db',
    namespace: 'default',
    clusterIP: 'None',
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [{ ip: '10.244.1.5', hostname: 'db-0' }, { ip: '10.244.2.7' }],
  },
];

/** pl-dns-srv (10.53.0.1, the server) and pl-dns-cli (10.53.0.2, the "pod"), as on the real lab. */
function dnsLab(resolv = K8S_RESOLV): { l: Lab; server: DnsServer } {
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
  host.fs.writeFile('/etc/netns/cli/resolv.conf', resolv);
  host.fs.writeFile('/etc/netns/cli/nsswitch.conf', 'hosts: files dns\n');
  const server = startDnsServer(host, host.named.get('srv')!, {
    // Like the real lab's dnsmasq (--local=/#/): every other name is NXDOMAIN here.
    source: chainSources(
      corednsKubernetesSource(SERVICES, { serial: 1700000000 }),
      staticZone([''], []),
    ),
  });
  if (typeof server === 'string') throw new Error(server);
  return { l, server };
}

/** tcpdump -nn -v -i eth0 in cli, DNS lines only (the second line of each -v frame). */
function dnsLines(l: Lab, r: CommandResult): string[] {
  const st = new TcpdumpState();
  return l.world.captures
    .since(r.captureFrom)
    .slice(0, r.captureTo - r.captureFrom)
    .filter((c) => c.netns === 'cli' && c.dev === 'eth0')
    .map((c) => formatFrame(c.frame, { link: false, verbose: 1 }, st))
    .filter((s) => /\.53(:| >)/.test(s))
    .map((s) =>
      s
        .split('\n')[1]!
        .trim()
        .replace(/(10\.53\.0\.2)\.\d+/, '$1.P')
        .replace(/^(\S+ > \S+ )\d+/, '$1ID'),
    );
}

describe('glibc resolver against a CoreDNS-like server', () => {
  it('curl http://web/: web.default.svc.cluster.local A and AAAA first (ndots:5), on one socket', () => {
    const { l } = dnsLab();
    l.setup(['ip netns exec srv python3 -m http.server 80 &']);
    const r = l.run('ip netns exec cli curl -sS http://web/');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Directory listing');
    const lines = dnsLines(l, r);
    expect(lines).toEqual([
      '10.53.0.2.P > 10.53.0.1.53: ID+ A? web.default.svc.cluster.local. (47)',
      '10.53.0.2.P > 10.53.0.1.53: ID+ AAAA? web.default.svc.cluster.local. (47)',
      '10.53.0.1.53 > 10.53.0.2.P: ID*- 1/0/0 web.default.svc.cluster.local. A 10.53.0.1 (92)',
      '10.53.0.1.53 > 10.53.0.2.P: ID*- 0/1/0 (140)',
    ]);
    // Both queries from one source port, and the ids differ.
    const st = new TcpdumpState();
    const raw = l.world.captures
      .since(r.captureFrom)
      .slice(0, r.captureTo - r.captureFrom)
      .filter((c) => c.netns === 'cli' && c.dev === 'eth0')
      .map((c) => formatFrame(c.frame, { link: false, verbose: 0 }, st))
      .filter((s) => s.includes('.53: '));
    const ports = raw.map((s) => /10\.53\.0\.2\.(\d+) >/.exec(s)?.[1]);
    expect(new Set(ports).size).toBe(1);
    const ids = raw.map((s) => /: (\d+)\+/.exec(s)?.[1]);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('walks the search list on NXDOMAIN and tries the name as given last; curl exits 6', () => {
    const { l } = dnsLab();
    const r = l.run('ip netns exec cli curl http://nosuch/ > /dev/null');
    expect(r.exitCode).toBe(6);
    // The progress meter's first line is left unfinished before the error (checked).
    expect(r.stderr).toBe(
      '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n' +
        '                                 Dload  Upload   Total   Spent    Left  Speed\n' +
        '\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0' +
        'curl: (6) Could not resolve host: nosuch\n',
    );
    const queries = dnsLines(l, r).filter((s) => s.includes('?'));
    expect(queries.map((s) => s.replace(/^.*ID\+ /, ''))).toEqual([
      'A? nosuch.default.svc.cluster.local. (50)',
      'AAAA? nosuch.default.svc.cluster.local. (50)',
      'A? nosuch.svc.cluster.local. (42)',
      'AAAA? nosuch.svc.cluster.local. (42)',
      'A? nosuch.cluster.local. (38)',
      'AAAA? nosuch.cluster.local. (38)',
      'A? nosuch. (24)',
      'AAAA? nosuch. (24)',
    ]);
    expect(l.run('ip netns exec cli curl -v http://nosuch/').stderr).toContain(
      '* Could not resolve host: nosuch\n* Closing connection 0\ncurl: (6) Could not resolve host: nosuch\n',
    );
  });

  it('nc -zv names the address it resolved and the service', () => {
    const { l } = dnsLab();
    l.setup(['ip netns exec srv python3 -m http.server 80 &']);
    expect(l.run('ip netns exec cli nc -zv web 80').stderr).toBe(
      'Connection to web (10.53.0.1) 80 port [tcp/http] succeeded!\n',
    );
  });

  it('ping and nc print their getaddrinfo errors', () => {
    const { l } = dnsLab();
    const p = l.run('ip netns exec cli ping -c1 nosuch');
    expect(p.exitCode).toBe(2);
    expect(p.stderr).toBe('ping: nosuch: Name or service not known\n');
    const n = l.run('ip netns exec cli nc nosuch 80');
    expect(n.exitCode).toBe(1);
    expect(n.stderr).toBe('nc: getaddrinfo for host "nosuch" port 80: Name or service not known\n');
  });

  it('ping shows the canonical name and the reverse (PTR) name of the replies', () => {
    const { l } = dnsLab();
    const r = l.run('ip netns exec cli ping -c1 web');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /^PING web\.default\.svc\.cluster\.local \(10\.53\.0\.1\) 56\(84\) bytes of data\.\n64 bytes from web\.default\.svc\.cluster\.local \(10\.53\.0\.1\): icmp_seq=1 ttl=64 time=\S+ ms\n\n--- web\.default\.svc\.cluster\.local ping statistics ---\n1 packets transmitted, 1 received/,
    );
    const q = dnsLines(l, r).filter((s) => s.includes('?'));
    expect(q[q.length - 1]).toBe(
      '10.53.0.2.P > 10.53.0.1.53: ID+ PTR? 1.0.53.10.in-addr.arpa. (40)',
    );
  });

  it('a silent nameserver: two tries of `timeout` per name, the search list cut short', () => {
    const { l, server } = dnsLab(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.53.0.1\noptions ndots:5 timeout:1 attempts:2\n',
    );
    l.setup(['ip netns exec srv iptables -A INPUT -p udp --dport 53 -j DROP']);
    const r = l.run('ip netns exec cli curl -sS http://web/');
    expect(r.exitCode).toBe(6);
    expect(r.stderr).toBe('curl: (6) Could not resolve host: web\n');
    expect(dnsLines(l, r).map((s) => s.replace(/^.*ID\+ /, ''))).toEqual([
      'A? web.default.svc.cluster.local. (47)',
      'AAAA? web.default.svc.cluster.local. (47)',
      'A? web.default.svc.cluster.local. (47)',
      'AAAA? web.default.svc.cluster.local. (47)',
      'A? web. (21)',
      'AAAA? web. (21)',
      'A? web. (21)',
      'AAAA? web. (21)',
    ]);
    // 4.037 s on the real machine: 2 names × 2 tries × 1 s.
    expect((r.endTime - r.startTime) / 1e6).toBeGreaterThanOrEqual(4000);
    expect((r.endTime - r.startTime) / 1e6).toBeLessThan(4100);
    const p = l.run('ip netns exec cli ping -c1 web');
    expect(p.stderr).toBe('ping: web: Temporary failure in name resolution\n');
    expect(p.exitCode).toBe(2);
    const n = l.run('ip netns exec cli nc web 80');
    expect(n.stderr).toBe(
      'nc: getaddrinfo for host "web" port 80: Temporary failure in name resolution\n',
    );
    // -m covers resolution too (checked: exit 28 after exactly the limit).
    const m = l.run('ip netns exec cli curl -sS -m 2 http://web/');
    expect(m.exitCode).toBe(28);
    expect(m.stderr).toBe('curl: (28) Resolving timed out after 2000 milliseconds\n');
    server.stop();
  });

  it('a nameserver port that is closed: ICMP port unreachable, EAI_AGAIN at once', () => {
    const { l, server } = dnsLab();
    server.stop();
    const p = l.run('ip netns exec cli ping -c1 web');
    expect(p.stderr).toBe('ping: web: Temporary failure in name resolution\n');
    expect((p.endTime - p.startTime) / 1e6).toBeLessThan(100);
  });

  it('/etc/hosts answers before DNS, and hosts: dns alone skips it', () => {
    const { l } = dnsLab();
    const host = l.sh().host;
    host.fs.writeFile('/etc/netns/cli/hosts', '127.0.0.1\tlocalhost\n10.53.0.9\tweb\n');
    const r = l.run('ip netns exec cli ping -c1 -W1 web');
    expect(r.stdout).toMatch(/^PING web \(10\.53\.0\.9\)/);
    expect(dnsLines(l, r)).toEqual([]);
    host.fs.writeFile('/etc/netns/cli/nsswitch.conf', 'hosts: dns\n');
    expect(l.run('ip netns exec cli ping -c1 -W1 web').stdout).toMatch(
      /^PING web\.default\.svc\.cluster\.local \(10\.53\.0\.1\)/,
    );
  });
});

// What dig and nslookup printed against a CoreDNS-shaped responder (no RA, no compression, TTL
// 30, the SOA on negative answers) in the pl-dns- lab; id, query time and date normalised.
const norm = (s: string) =>
  s
    .replace(/id: \d+/, 'id: ID')
    .replace(/Query time: \d+ msec/, 'Query time: 0 msec')
    .replace(/WHEN: .*/, 'WHEN: DATE')
    .replace(/COOKIE: [0-9a-f]+/, 'COOKIE: HEX');

describe('dig and nslookup against the CoreDNS-like server', () => {
  const head = (args: string) =>
    `\n; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> ${args}\n;; global options: +cmd\n;; Got answer:\n` +
    ';; WARNING: .local is reserved for Multicast DNS\n;; You are currently testing what happens when an mDNS query is leaked to DNS\n';
  const tail = (size: number) =>
    `;; Query time: 0 msec\n;; SERVER: 10.53.0.1#53(10.53.0.1) (UDP)\n;; WHEN: DATE\n;; MSG SIZE  rcvd: ${size}\n\n`;

  it('dig: aa without ra, and the recursion warning', () => {
    const { l } = dnsLab();
    expect(norm(l.run('ip netns exec cli dig web.default.svc.cluster.local').stdout)).toBe(
      head('web.default.svc.cluster.local') +
        ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: ID\n' +
        ';; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1\n' +
        ';; WARNING: recursion requested but not available\n\n' +
        ';; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n' +
        // CoreDNS sends dig's cookie back (the lab's responder did not: 103 bytes there).
        '; COOKIE: HEX (echoed)\n' +
        ';; QUESTION SECTION:\n;web.default.svc.cluster.local.\tIN\tA\n\n' +
        ';; ANSWER SECTION:\nweb.default.svc.cluster.local. 30 IN\tA\t10.53.0.1\n\n' +
        tail(115),
    );
    expect(norm(l.run('ip netns exec cli dig nosuch.default.svc.cluster.local').stdout)).toBe(
      head('nosuch.default.svc.cluster.local') +
        ';; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: ID\n' +
        ';; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1\n' +
        ';; WARNING: recursion requested but not available\n\n' +
        ';; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n' +
        '; COOKIE: HEX (echoed)\n' +
        ';; QUESTION SECTION:\n;nosuch.default.svc.cluster.local. IN\tA\n\n' +
        ';; AUTHORITY SECTION:\ncluster.local.\t\t30\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 30\n\n' +
        tail(166),
    );
  });

  it('nslookup: one "recursion not available" note per reply', () => {
    const { l } = dnsLab();
    const r = l.run('ip netns exec cli nslookup db');
    expect(r.stdout).toBe(
      ';; Got recursion not available from 10.53.0.1\n' +
        'Server:\t\t10.53.0.1\nAddress:\t10.53.0.1#53\n\n' +
        'Name:\tdb.default.svc.cluster.local\nAddress: 10.244.1.5\n' +
        'Name:\tdb.default.svc.cluster.local\nAddress: 10.244.2.7\n' +
        ';; Got recursion not available from 10.53.0.1\n\n',
    );
    const nx = l.run('ip netns exec cli nslookup nosuch');
    expect(nx.exitCode).toBe(1);
    expect(nx.stdout).toBe(
      ';; Got recursion not available from 10.53.0.1\n'.repeat(3) +
        // The name as given is outside the cluster zone: the lab's fallback answers it, with RA
        // clear too (the real responder answered every name).
        ';; Got recursion not available from 10.53.0.1\n' +
        'Server:\t\t10.53.0.1\nAddress:\t10.53.0.1#53\n\n' +
        "** server can't find nosuch: NXDOMAIN\n\n",
    );
  });
});

describe('getent', () => {
  it('hosts: the AAAA search through the whole list first, then A; ahosts: getaddrinfo', () => {
    const { l } = dnsLab();
    const r = l.run('ip netns exec cli getent hosts web');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('10.53.0.1       web.default.svc.cluster.local\n');
    // As captured: four AAAA queries (NODATA, then NXDOMAIN three times), each on its own
    // socket, then the A query that answers.
    expect(
      dnsLines(l, r)
        .filter((x) => x.includes('?'))
        .map((x) => x.replace(/^.*ID\+ /, '')),
    ).toEqual([
      'AAAA? web.default.svc.cluster.local. (47)',
      'AAAA? web.svc.cluster.local. (39)',
      'AAAA? web.cluster.local. (35)',
      'AAAA? web. (21)',
      'A? web.default.svc.cluster.local. (47)',
    ]);
    const a = l.run('ip netns exec cli getent ahosts web');
    expect(a.stdout).toBe(
      '10.53.0.1       STREAM web.default.svc.cluster.local\n10.53.0.1       DGRAM  \n10.53.0.1       RAW    \n',
    );
    const nx = l.run('ip netns exec cli getent hosts nosuch');
    expect(nx.exitCode).toBe(2);
    expect(nx.stdout).toBe('');
  });
});

describe('forwarding and address families', () => {
  it('names outside the cluster zone go to the upstream over traced UDP, the answer comes back', () => {
    const l = lab();
    l.setup([
      'ip netns add srv',
      'ip netns add cli',
      'ip netns add up',
      'ip link add eth0 netns srv type veth peer name eth0 netns cli',
      'ip link add eth1 netns srv type veth peer name eth0 netns up',
      'ip -n srv addr add 10.53.0.1/24 dev eth0',
      'ip -n srv addr add 10.54.0.1/24 dev eth1',
      'ip -n cli addr add 10.53.0.2/24 dev eth0',
      'ip -n up addr add 10.54.0.2/24 dev eth0',
      'ip -n srv link set eth0 up',
      'ip -n srv link set eth1 up',
      'ip -n cli link set eth0 up',
      'ip -n up link set eth0 up',
    ]);
    const host = l.sh().host;
    host.fs.mkdirp('/etc/netns/cli');
    host.fs.writeFile('/etc/netns/cli/resolv.conf', K8S_RESOLV);
    const upstream = startDnsServer(host, host.named.get('up')!, {
      source: staticZone(
        [''],
        [
          {
            name: 'example.com',
            type: DNS_TYPE.A,
            class: 1,
            ttl: 300,
            data: { kind: 'A', address: '10.54.0.80' },
          },
        ],
      ),
      recursionAvailable: true,
      comm: 'unbound',
    });
    const coredns = startDnsServer(host, host.named.get('srv')!, {
      source: corednsKubernetesSource(SERVICES),
      forward: [parseIpv4('10.54.0.2')!],
    });
    if (typeof upstream === 'string' || typeof coredns === 'string') throw new Error('bind');
    const r = l.run('ip netns exec cli dig +short example.com');
    expect(r.stdout).toBe('10.54.0.80\n');
    const st = new TcpdumpState();
    const upLines = l.world.captures
      .since(r.captureFrom)
      .slice(0, r.captureTo - r.captureFrom)
      .filter((c) => c.netns === 'up' && c.dev === 'eth0')
      .map((c) => formatFrame(c.frame, { link: false, verbose: 0 }, st))
      .filter((x) => x.includes('.53'));
    expect(
      upLines.map((x) =>
        x
          .replace(/^IP /, '')
          .replace(/10\.54\.0\.1\.\d+/, '10.54.0.1.P')
          .replace(/: \d+/, ': ID'),
      ),
    ).toEqual([
      '10.54.0.1.P > 10.54.0.2.53: ID+ [1au] A? example.com. (52)',
      '10.54.0.2.53 > 10.54.0.1.P: ID* 1/0/1 A 10.54.0.80 (79)',
    ]);
    // Cluster names never leave srv.
    expect(l.run('ip netns exec cli dig +short web.default.svc.cluster.local').stdout).toBe(
      '10.53.0.1\n',
    );
  });

  it('options single-request / single-request-reopen: AAAA only after the A answer', () => {
    for (const [opt, samePort] of [
      ['single-request', true],
      ['single-request-reopen', false],
    ] as const) {
      const { l } = dnsLab(`${K8S_RESOLV}options ${opt}\n`);
      const r = l.run('ip netns exec cli curl -s -m 1 http://web/');
      const st = new TcpdumpState();
      const lines = l.world.captures
        .since(r.captureFrom)
        .slice(0, r.captureTo - r.captureFrom)
        .filter((c) => c.netns === 'cli' && c.dev === 'eth0')
        .map((c) => formatFrame(c.frame, { link: false, verbose: 0 }, st))
        .filter((x) => /\.53[: ]/.test(x));
      // As captured: query, answer, query, answer.
      expect(lines.map((x) => (x.includes('?') ? /(A+)\?/.exec(x)![1] : 'answer'))).toEqual([
        'A',
        'answer',
        'AAAA',
        'answer',
      ]);
      const ports = lines
        .filter((x) => x.includes('?'))
        .map((x) => /10\.53\.0\.2\.(\d+) >/.exec(x)![1]);
      expect(ports[0] === ports[1]).toBe(samePort);
    }
  });

  it('curl -4 and nc -4 ask for A only (AF_INET); ping -4 still asks for both', () => {
    const { l } = dnsLab();
    const q = (line: string) =>
      dnsLines(l, l.run(line))
        .filter((x) => x.includes('?'))
        .map((x) => x.replace(/^.*ID\+ /, ''));
    expect(q('ip netns exec cli curl -4 -sS http://web/')).toEqual([
      'A? web.default.svc.cluster.local. (47)',
    ]);
    expect(q('ip netns exec cli nc -4 -z web 80')).toEqual([
      'A? web.default.svc.cluster.local. (47)',
    ]);
    expect(q('ip netns exec cli ping -4 -c1 web').slice(0, 2)).toEqual([
      'A? web.default.svc.cluster.local. (47)',
      'AAAA? web.default.svc.cluster.local. (47)',
    ]);
    expect(q('ip netns exec cli nc -n -z web 80')).toEqual([]);
  });
});

describe('CoreDNS kubernetes source', () => {
  const src = corednsKubernetesSource(SERVICES, { serial: 1700000000 });
  it('answers Services, headless endpoints, SRV and pods; NXDOMAIN with its SOA', () => {
    expect(src.answer('web.default.svc.cluster.local', DNS_TYPE.A)?.answers).toEqual([
      {
        name: 'web.default.svc.cluster.local',
        type: 1,
        class: 1,
        ttl: 30,
        data: { kind: 'A', address: '10.53.0.1' },
      },
    ]);
    expect(
      src.answer('db.default.svc.cluster.local', DNS_TYPE.A)?.answers.map((a) => a.data),
    ).toEqual([
      { kind: 'A', address: '10.244.1.5' },
      { kind: 'A', address: '10.244.2.7' },
    ]);
    expect(src.answer('db-0.db.default.svc.cluster.local', DNS_TYPE.A)?.answers[0]?.data).toEqual({
      kind: 'A',
      address: '10.244.1.5',
    });
    expect(src.answer('10-244-2-7.db.default.svc.cluster.local', DNS_TYPE.A)?.rcode).toBe(
      'NOERROR',
    );
    const srv = src.answer('_pg._tcp.db.default.svc.cluster.local', DNS_TYPE.SRV)!;
    expect(srv.answers.map((a) => a.data)).toEqual([
      {
        kind: 'SRV',
        priority: 0,
        weight: 50,
        port: 5432,
        target: 'db-0.db.default.svc.cluster.local',
      },
      {
        kind: 'SRV',
        priority: 0,
        weight: 50,
        port: 5432,
        target: '10-244-2-7.db.default.svc.cluster.local',
      },
    ]);
    expect(srv.additional?.map((a) => `${a.name} ${a.data.kind}`)).toEqual([
      'db-0.db.default.svc.cluster.local A',
      '10-244-2-7.db.default.svc.cluster.local A',
    ]);
    expect(src.answer('10-1-2-3.default.pod.cluster.local', DNS_TYPE.A)?.answers[0]?.data).toEqual({
      kind: 'A',
      address: '10.1.2.3',
    });
    const nx = src.answer('nosuch.default.svc.cluster.local', DNS_TYPE.A)!;
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authority).toEqual([
      {
        name: 'cluster.local',
        type: DNS_TYPE.SOA,
        class: 1,
        ttl: 30,
        data: {
          kind: 'SOA',
          mname: 'ns.dns.cluster.local',
          rname: 'hostmaster.cluster.local',
          serial: 1700000000,
          refresh: 7200,
          retry: 1800,
          expire: 86400,
          minimum: 30,
        },
      },
    ]);
    // nslookup's first search try: too many labels for parse.go.
    expect(
      src.answer('web.default.svc.cluster.local.default.svc.cluster.local', DNS_TYPE.A)?.rcode,
    ).toBe('NXDOMAIN');
    expect(src.answer('web.default.svc.cluster.local', DNS_TYPE.AAAA)).toMatchObject({
      rcode: 'NOERROR',
      answers: [],
    });
    expect(src.answer('example.com', DNS_TYPE.A)).toBeUndefined();
    expect(src.answer('1.0.53.10.in-addr.arpa', DNS_TYPE.PTR)?.answers[0]?.data).toEqual({
      kind: 'PTR',
      target: 'web.default.svc.cluster.local',
    });
    void parseIpv4;
  });
});
