/**
 * IP-in-IP devices. The reference kernel (6.18) is built without CONFIG_NET_IPIP, so these
 * expectations come from the kernel source (ipip.c, ip_tunnel.c, ip_tunnel_core.c, tunnel4.c),
 * iproute2 6.1.0's ip/link_iptnl.c and published `ip -d link` output of tunl0; the tcpdump lines
 * were checked by reading crafted pcaps with tcpdump 4.99.3 (an Ethernet frame carrying IPIP,
 * and LINKTYPE_RAW as libpcap gives an ARPHRD_TUNNEL device), and its "link-type RAW (Raw IP)"
 * banner on a live tun device.
 */
import { describe, expect, it } from 'vitest';
import { lab, type Lab } from '../testing/lab';
import { TcpdumpState, formatFrame } from '../shell/tools/tcpdump/format';
import type { CommandResult } from '../shell/session';
import { parseIpv4 } from '../net/ipv4';
import { IpipDevice, linkAddIpip, modprobeIpip } from './ipip';
import { echo, eth, ip, ipip } from '../shell/tools/tcpdump/testdata/build';

function macOf(l: Lab, ns: string, dev: string): string {
  const m = /link\/ether (\S+)/.exec(l.run(`ip -n ${ns} link show ${dev}`).stdout);
  if (!m) throw new Error(`no MAC for ${dev}`);
  return m[1]!;
}

function cap(
  l: Lab,
  r: Pick<CommandResult, 'captureFrom' | 'captureTo'>,
  ns: string,
  dev: string,
  opts: { verbose?: number; raw?: boolean; host?: string } = {},
): string[] {
  const st = new TcpdumpState();
  return l.world.captures
    .since(r.captureFrom)
    .slice(0, r.captureTo - r.captureFrom)
    .filter((c) => c.netns === ns && c.dev === dev && (opts.host ?? 'h') === c.host)
    .map((c) => formatFrame(c.frame, { link: true, verbose: opts.verbose ?? 0, raw: opts.raw }, st))
    .map((s) =>
      s.replace(/, id \d+, seq/g, ', id ID, seq').replace(/id \d+, offset/g, 'id N, offset'),
    );
}

const TUNL0_DOWN =
  '2: tunl0@NONE: <NOARP> mtu 1480 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n' +
  '    link/ipip 0.0.0.0 brd 0.0.0.0\n';

/** Two namespaces on one veth (eth0 on each side), each with a tunnel t to the other. */
function pair(tunnel: string): { l: Lab; ea: string; eb: string } {
  const l = lab();
  l.setup([
    'ip netns add a',
    'ip netns add b',
    'ip link add eth0 netns a type veth peer name eth0 netns b',
    'ip -n a addr add 172.18.0.2/16 dev eth0',
    'ip -n b addr add 172.18.0.3/16 dev eth0',
    'ip -n a link set lo up',
    'ip -n b link set lo up',
    'ip -n a link set eth0 up',
    'ip -n b link set eth0 up',
    `ip -n a link add t type ipip remote 172.18.0.3 local 172.18.0.2 ${tunnel}`,
    `ip -n b link add t type ipip remote 172.18.0.2 local 172.18.0.3 ${tunnel}`,
    'ip -n a addr add 10.9.0.1/24 dev t',
    'ip -n b addr add 10.9.0.2/24 dev t',
    'ip -n a link set t up',
    'ip -n b link set t up',
  ]);
  return { l, ea: macOf(l, 'a', 'eth0'), eb: macOf(l, 'b', 'eth0') };
}

describe('the ipip module', () => {
  it('modprobe ipip gives every namespace, existing and new, a tunl0@NONE', () => {
    const l = lab();
    l.setup(['ip netns add a']);
    expect(l.run('ip -n a link show tunl0').stderr).toBe('Device "tunl0" does not exist.\n');
    l.setup(['modprobe ipip', 'ip netns add b']);
    for (const ns of ['a', 'b'])
      expect(l.run(`ip -n ${ns} link show tunl0`).stdout).toBe(TUNL0_DOWN);
    expect(l.run('ip link show tunl0').stdout).toBe(TUNL0_DOWN);
    expect(l.run('ip -n b -d link show tunl0').stdout).toBe(
      '2: tunl0@NONE: <NOARP> mtu 1480 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n' +
        '    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 \n' +
        '    ipip any remote any local any ttl inherit nopmtudisc addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 \n',
    );
    // Up with an address, as Calico leaves it: no IPv6 link-local (ARPHRD_TUNNEL has no EUI-64).
    l.setup(['ip -n a link set tunl0 up', 'ip -n a addr add 10.244.1.0/32 dev tunl0']);
    expect(l.run('ip -n a addr show tunl0').stdout).toBe(
      '2: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN group default qlen 1000\n' +
        '    link/ipip 0.0.0.0 brd 0.0.0.0\n' +
        '    inet 10.244.1.0/32 scope global tunl0\n' +
        '       valid_lft forever preferred_lft forever\n',
    );
    expect(l.run('ip -n a -br link show tunl0').stdout).toBe(
      'tunl0@NONE       UNKNOWN        0.0.0.0 <NOARP,UP,LOWER_UP> \n',
    );
    // The fallback device stays: deleting it does nothing, moving it is refused.
    expect(l.run('ip -n a link del tunl0').exitCode).toBe(0);
    expect(l.run('ip -n a link show tunl0').exitCode).toBe(0);
    const r = l.run('ip -n a link set tunl0 netns b');
    expect([r.exitCode, r.stderr]).toEqual([2, 'RTNETLINK answers: Invalid argument\n']);
    // ip_tunnel_change_mtu: 68 to 65535 − 20.
    expect(l.run('ip -n a link set tunl0 mtu 65515').exitCode).toBe(0);
    for (const mtu of ['65516', '67']) {
      const e = l.run(`ip -n a link set tunl0 mtu ${mtu}`);
      expect([e.exitCode, e.stderr]).toEqual([2, 'RTNETLINK answers: Invalid argument\n']);
    }
  });

  it('ip link add … type ipip: the device, ip -d link, and iproute2’s and the kernel’s errors', () => {
    const l = lab();
    l.setup([
      'ip netns add a',
      'ip netns add c',
      'ip link add eth0 netns a type veth peer name eth0 netns c',
      'ip -n a link set eth0 mtu 9000',
    ]);
    // Creating an ipip link loads the module (request_module "rtnl-link-ipip"): tunl0 appears
    // everywhere first, then the new device.
    l.setup(['ip -n a link add t1 type ipip remote 192.0.2.1 local 192.0.2.2']);
    expect(l.run('ip -n c link show tunl0').stdout).toBe(TUNL0_DOWN.replace('2: ', '3: '));
    expect(l.run('ip -n a -d link show t1').stdout).toBe(
      '4: t1@NONE: <POINTOPOINT,NOARP> mtu 1480 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n' +
        '    link/ipip 192.0.2.2 peer 192.0.2.1 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 \n' +
        '    ipip any remote 192.0.2.1 local 192.0.2.2 ttl inherit pmtudisc addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 \n',
    );
    // Bound to an underlay: named after it, MTU from it, `dev` on the detail line.
    l.setup(['ip -n a link add t2 type ipip local 192.0.2.2 dev eth0 ttl 64 mode ipip']);
    expect(l.run('ip -n a -d link show t2').stdout).toBe(
      '5: t2@eth0: <NOARP> mtu 8980 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n' +
        '    link/ipip 192.0.2.2 brd 0.0.0.0 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 \n' +
        '    ipip ipip remote any local 192.0.2.2 dev eth0 ttl 64 pmtudisc addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 \n',
    );
    l.setup(['ip -n a link add t3 type ipip remote 192.0.2.7 nopmtudisc tos inherit']);
    expect(l.run('ip -n a -d link show t3').stdout).toContain(
      '    ipip any remote 192.0.2.7 local any ttl inherit tos inherit nopmtudisc addrgenmode',
    );
    l.setup(['ip -n a link add type ipip remote 192.0.2.8']);
    expect(l.run('ip -n a link show ipip0').exitCode).toBe(0);
    const cases: [string, number, string][] = [
      // ip_tunnel_find: same local, remote and underlay as t1; and as tunl0 (all zero).
      ['t4 type ipip remote 192.0.2.1 local 192.0.2.2', 2, 'RTNETLINK answers: File exists\n'],
      ['t4 type ipip', 2, 'RTNETLINK answers: File exists\n'],
      ['tunl0 type ipip remote 192.0.2.9', 2, 'RTNETLINK answers: File exists\n'],
      ['t4 type ipip ttl 300', 255, 'Error: argument "300" is wrong: invalid TTL\n\n'],
      ['t4 type ipip ttl 64 nopmtudisc', 255, 'ttl != 0 and nopmtudisc are incompatible\n'],
      ['t4 type ipip remote bogus', 1, 'Error: inet address is expected rather than "bogus".\n'],
      ['t4 type ipip dev nosuch', 255, 'Cannot find device "nosuch"\n'],
      ['t4 type ipip mode gre', 255, 'Error: argument "gre" is wrong: Cannot guess tunnel mode.\n'],
      ['t4 type ipip remote', 255, 'Command line is not complete. Try option "help"\n'],
    ];
    for (const [args, code, err] of cases) {
      const r = l.run(`ip -n a link add ${args}`);
      expect([args, r.exitCode, r.stderr]).toEqual([args, code, err]);
    }
    const r = l.run('ip -n a link add t4 type ipip foo');
    expect(r.exitCode).toBe(255);
    expect(r.stderr.split('\n')[0]).toBe('Usage: ... ipip  \t[ remote ADDR ]');
    expect(r.stderr).toContain(
      '\t\t\t[ mode { ipip | mplsip | any } ]\n\nWhere:\tADDR := { IP_ADDRESS | any }\n',
    );
    // `onlink` is what lets a route through tunl0 name a gateway no subnet of tunl0 holds.
    l.setup(['ip -n a link set tunl0 up']);
    const e = l.run('ip -n a route add 10.244.2.0/26 via 192.168.1.11 dev tunl0');
    expect([e.exitCode, e.stderr]).toEqual([2, 'Error: Nexthop has invalid gateway.\n']);
    l.setup(['ip -n a route add 10.244.2.0/26 via 192.168.1.11 dev tunl0 proto bird onlink']);
    expect(l.run('ip -n a route').stdout).toBe(
      '10.244.2.0/26 via 192.168.1.11 dev tunl0 proto bird onlink \n',
    );
  });

  it('exports rtnl-style functions for the cluster model', () => {
    const l = lab();
    l.setup(['ip netns add a']);
    const ns = l.world.hosts.get('h')!.named.get('a')!;
    modprobeIpip(ns.host);
    expect(ns.device('tunl0')).toBeInstanceOf(IpipDevice);
    const r = linkAddIpip(ns, 'calitun', {
      remote: parseIpv4('192.0.2.1'),
      local: parseIpv4('192.0.2.2'),
      ttl: 64,
    });
    expect(r.ok).toBe(true);
    expect(l.run('ip -n a -d link show calitun').stdout).toContain(
      '    ipip ipip remote 192.0.2.1 local 192.0.2.2 ttl 64 pmtudisc ',
    );
    const again = linkAddIpip(ns, 'other', {
      remote: parseIpv4('192.0.2.1'),
      local: parseIpv4('192.0.2.2'),
    });
    expect(again).toEqual({ ok: false, errno: 'EEXIST' });
  });
});

describe('IP-in-IP on the wire', () => {
  it('a tunnel with a fixed TTL: outer TTL 64 and DF (pmtudisc), source its local address', () => {
    const { l, ea, eb } = pair('ttl 64');
    const r = l.run('ip netns exec a ping -c 1 10.9.0.2');
    expect(r.stdout).toContain('64 bytes from 10.9.0.2: icmp_seq=1 ttl=64 time=');
    expect(cap(l, r, 'a', 'eth0', { verbose: 1 })).toEqual([
      `${ea} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Ethernet (len 6), IPv4 (len 4), Request who-has 172.18.0.3 tell 172.18.0.2, length 28`,
      `${eb} > ${ea}, ethertype ARP (0x0806), length 42: Ethernet (len 6), IPv4 (len 4), Reply 172.18.0.3 is-at ${eb}, length 28`,
      `${ea} > ${eb}, ethertype IPv4 (0x0800), length 118: (tos 0x0, ttl 64, id N, offset 0, flags [DF], proto IPIP (4), length 104)\n    172.18.0.2 > 172.18.0.3: (tos 0x0, ttl 64, id N, offset 0, flags [DF], proto ICMP (1), length 84)\n    10.9.0.1 > 10.9.0.2: ICMP echo request, id ID, seq 1, length 64`,
      // The reply has no DF inside; the tunnel's pmtudisc sets it outside all the same.
      `${eb} > ${ea}, ethertype IPv4 (0x0800), length 118: (tos 0x0, ttl 64, id N, offset 0, flags [DF], proto IPIP (4), length 104)\n    172.18.0.3 > 172.18.0.2: (tos 0x0, ttl 64, id N, offset 0, flags [none], proto ICMP (1), length 84)\n    10.9.0.2 > 10.9.0.1: ICMP echo reply, id ID, seq 1, length 64`,
    ]);
    // Without -v and -e, as tcpdump prints nested IP: "IP outer: IP inner: …".
    const st = new TcpdumpState();
    const plain = l.world.captures
      .since(r.captureFrom)
      .filter((c) => c.netns === 'a' && c.dev === 'eth0' && c.frame.payload.kind === 'ipv4')
      .map((c) => formatFrame(c.frame, { link: false, verbose: 0 }, st));
    expect(plain[0]).toMatch(
      /^IP 172\.18\.0\.2 > 172\.18\.0\.3: IP 10\.9\.0\.1 > 10\.9\.0\.2: ICMP echo request, id \d+, seq 1, length 64$/,
    );
    // The matching tunnel took it, not tunl0 (down, and never counting).
    expect(cap(l, r, 'b', 't', { raw: true })).toEqual([
      'ip: 10.9.0.1 > 10.9.0.2: ICMP echo request, id ID, seq 1, length 64',
      'ip: 10.9.0.2 > 10.9.0.1: ICMP echo reply, id ID, seq 1, length 64',
    ]);
    const t = l.run('ip -n b -s link show t').stdout.split('\n');
    expect([t[3], t[5]]).toEqual([
      '            84       1      0       0       0       0 ',
      '            84       1      0       0       0       0 ',
    ]);
    expect(l.run('ip -n b -s link show tunl0').stdout.split('\n')[3]).toBe(
      '             0       0      0       0       0       0 ',
    );
  });

  it('ttl inherit and nopmtudisc: the outer header copies the inner TTL and DF', () => {
    const { l, ea, eb } = pair('nopmtudisc');
    const r = l.run('ip netns exec a ping -c 1 -t 9 10.9.0.2');
    expect(cap(l, r, 'a', 'eth0', { verbose: 1 }).slice(2)).toEqual([
      `${ea} > ${eb}, ethertype IPv4 (0x0800), length 118: (tos 0x0, ttl 9, id N, offset 0, flags [DF], proto IPIP (4), length 104)\n    172.18.0.2 > 172.18.0.3: (tos 0x0, ttl 9, id N, offset 0, flags [DF], proto ICMP (1), length 84)\n    10.9.0.1 > 10.9.0.2: ICMP echo request, id ID, seq 1, length 64`,
      `${eb} > ${ea}, ethertype IPv4 (0x0800), length 118: (tos 0x0, ttl 64, id N, offset 0, flags [none], proto IPIP (4), length 104)\n    172.18.0.3 > 172.18.0.2: (tos 0x0, ttl 64, id N, offset 0, flags [none], proto ICMP (1), length 84)\n    10.9.0.2 > 10.9.0.1: ICMP echo reply, id ID, seq 1, length 64`,
    ]);
    const stages = l.world.trace.since(r.traceFrom).map((e) => e.stage);
    expect(stages.filter((s) => s === 'ipip_tunnel_xmit')).toHaveLength(2);
    expect(stages.filter((s) => s === 'ip_tunnel_rcv')).toHaveLength(2);
  });

  it('tunl0 takes IPIP from any sender; when it is down the sender gets port unreachable', () => {
    const l = lab();
    l.setup([
      'ip netns add a',
      'ip netns add b',
      'ip link add eth0 netns a type veth peer name eth0 netns b',
      'ip -n a addr add 172.18.0.2/16 dev eth0',
      'ip -n b addr add 172.18.0.3/16 dev eth0',
      'ip -n a link set eth0 up',
      'ip -n b link set eth0 up',
      'ip -n a link add t type ipip remote 172.18.0.3 local 172.18.0.2',
      'ip -n a addr add 10.9.0.1/32 dev t',
      'ip -n a link set t up',
      'ip -n a route add 10.9.0.2 dev t',
      'ip -n b link set tunl0 up',
      'ip -n b addr add 10.9.0.2/32 dev tunl0',
      'ip -n b route add 10.9.0.1 via 172.18.0.2 dev tunl0 onlink',
    ]);
    let r = l.run('ip netns exec a ping -c 1 10.9.0.2');
    expect(r.stdout).toContain('1 packets transmitted, 1 received');
    // b answers through tunl0: an NBMA tunnel sends to the route's gateway, from eth0's address.
    expect(cap(l, r, 'b', 'eth0').slice(-1)[0]).toMatch(
      /length 118: 172\.18\.0\.3 > 172\.18\.0\.2: 10\.9\.0\.2 > 10\.9\.0\.1: ICMP echo reply, id ID, seq 1, length 64$/,
    );
    l.setup(['ip -n b link set tunl0 down']);
    r = l.run('ip netns exec a ping -c 1 -W 1 10.9.0.2');
    expect(r.stdout).toContain('1 packets transmitted, 0 received, 100% packet loss');
    const eb = macOf(l, 'b', 'eth0');
    const ea = macOf(l, 'a', 'eth0');
    expect(cap(l, r, 'a', 'eth0', { verbose: 1 })[1]).toBe(
      `${eb} > ${ea}, ethertype IPv4 (0x0800), length 146: (tos 0xc0, ttl 64, id N, offset 0, flags [none], proto ICMP (1), length 132)\n` +
        '    172.18.0.3 > 172.18.0.2: ICMP 172.18.0.3 protocol 4 port 84 unreachable, length 112\n' +
        '\t(tos 0x0, ttl 64, id N, offset 0, flags [DF], proto IPIP (4), length 104)\n' +
        '    172.18.0.2 > 172.18.0.3: (tos 0x0, ttl 64, id N, offset 0, flags [DF], proto ICMP (1), length 84)\n' +
        '    10.9.0.1 > 10.9.0.2: ICMP echo request, id ID, seq 1, length 64',
    );
  });

  it('no route to the far end, or one back into the tunnel: tx errors, carrier or collisions', () => {
    const l = lab();
    l.setup([
      'ip netns add a',
      'ip -n a link add t type ipip remote 192.0.2.1',
      'ip -n a addr add 10.9.0.1/24 dev t',
      'ip -n a link set t up',
    ]);
    // ip_tunnel_xmit: no route to 192.0.2.1, the packet is dropped without an ICMP error.
    let r = l.run('ip netns exec a ping -c 1 -W 1 10.9.0.2');
    expect(r.stdout).toContain('1 packets transmitted, 0 received, 100% packet loss');
    let tx = l.run('ip -n a -s link show t').stdout.split('\n')[5];
    expect(tx).toBe('             0       0      1       0       1       0 ');
    // The remote reached through the tunnel itself.
    l.setup(['ip -n a route add 192.0.2.0/24 dev t']);
    r = l.run('ip netns exec a ping -c 1 -W 1 10.9.0.2');
    expect(r.stdout).toContain('100% packet loss');
    tx = l.run('ip -n a -s link show t').stdout.split('\n')[5];
    expect(tx).toBe('             0       0      2       0       1       1 ');
  });

  it('a machine without the module answers protocol 4 unreachable', () => {
    const l = lab({
      hosts: [
        { name: 'h1', nic: { network: 'lan', address: '172.18.0.2/16' } },
        { name: 'h2', nic: { network: 'lan', address: '172.18.0.3/16' } },
      ],
    });
    l.setup(
      [
        'ip link add t type ipip remote 172.18.0.3 local 172.18.0.2',
        'ip addr add 10.9.0.1/32 dev t',
        'ip link set t up',
        'ip route add 10.9.0.2 dev t',
      ],
      'h1',
    );
    expect(l.run('ip link show tunl0', 'h2').exitCode).toBe(1);
    const r = l.run('ping -c 1 -W 1 10.9.0.2', 'h1');
    expect(r.stdout).toContain('100% packet loss');
    expect(
      cap(l, r, 'root', 'eth0', { host: 'h1' }).filter((s) => s.includes('unreachable')),
    ).toEqual([
      expect.stringMatching(
        /: 172\.18\.0\.3 > 172\.18\.0\.2: ICMP 172\.18\.0\.3 protocol 4 unreachable, length 112$/,
      ),
    ]);
  });

  it('tcpdump -i tunl0 listens on link-type RAW and prints "ip: " for -e', () => {
    const { l } = pair('');
    l.setup(['ip -n a link set tunl0 up']);
    l.run('ip netns exec b tcpdump -nn -e -i t &');
    const r = l.run('ip netns exec a ping -c 1 10.9.0.2');
    l.run('kill %1');
    expect(r.stdout).toContain('ip: 10.9.0.1 > 10.9.0.2: ICMP echo request, id');
    l.run('ip netns exec b tcpdump -nn -e -i any &');
    const any = l.run('ip netns exec a ping -c 1 10.9.0.2');
    l.run('kill %2');
    expect(any.stdout).toMatch(
      /\nt {5}In {2}ifindex \d+ ethertype IPv4 \(0x0800\), length 104: 10\.9\.0\.1 > 10\.9\.0\.2: ICMP echo request/,
    );
    const t = l.run('ip netns exec a tcpdump -nn -c 1 -i tunl0 &');
    expect(t.stderr).toContain(
      'tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\nlistening on tunl0, link-type RAW (Raw IP), snapshot length 262144 bytes\n',
    );
  });
});

describe('tcpdump 4.99.3 on IPIP packets (read back from crafted pcaps)', () => {
  const inner = ip(
    { src: '10.244.1.5', dst: '10.244.2.7', ttl: 63, id: 777, tos: 0, df: true },
    echo(8, 4660, 1, 56),
  );
  const outer = eth(
    'fa:4b:7d:cf:88:f2',
    'c2:65:23:b5:64:7b',
    ip(
      { src: '192.168.1.10', dst: '192.168.1.11', ttl: 63, id: 4242, tos: 0, df: true },
      ipip(inner),
    ),
  );
  const show = (raw: boolean, link: boolean, verbose: number) =>
    formatFrame(
      raw ? { src: outer.src, dst: outer.dst, payload: inner } : outer,
      { link, verbose, raw },
      new TcpdumpState(),
    );

  it('prints IPIP inside Ethernet as tcpdump -r eth.pcap did', () => {
    expect(show(false, false, 0)).toBe(
      'IP 192.168.1.10 > 192.168.1.11: IP 10.244.1.5 > 10.244.2.7: ICMP echo request, id 4660, seq 1, length 64',
    );
    expect(show(false, true, 0)).toBe(
      'fa:4b:7d:cf:88:f2 > c2:65:23:b5:64:7b, ethertype IPv4 (0x0800), length 118: 192.168.1.10 > 192.168.1.11: 10.244.1.5 > 10.244.2.7: ICMP echo request, id 4660, seq 1, length 64',
    );
    expect(show(false, false, 1)).toBe(
      'IP (tos 0x0, ttl 63, id 4242, offset 0, flags [DF], proto IPIP (4), length 104)\n' +
        '    192.168.1.10 > 192.168.1.11: IP (tos 0x0, ttl 63, id 777, offset 0, flags [DF], proto ICMP (1), length 84)\n' +
        '    10.244.1.5 > 10.244.2.7: ICMP echo request, id 4660, seq 1, length 64',
    );
    expect(show(false, true, 1)).toBe(
      'fa:4b:7d:cf:88:f2 > c2:65:23:b5:64:7b, ethertype IPv4 (0x0800), length 118: (tos 0x0, ttl 63, id 4242, offset 0, flags [DF], proto IPIP (4), length 104)\n' +
        '    192.168.1.10 > 192.168.1.11: (tos 0x0, ttl 63, id 777, offset 0, flags [DF], proto ICMP (1), length 84)\n' +
        '    10.244.1.5 > 10.244.2.7: ICMP echo request, id 4660, seq 1, length 64',
    );
  });

  it('-i any: a device without a link-layer address shows no MAC in the cooked header', () => {
    // As tcpdump -nn -e -i any printed a packet written into a tun device (halen 0, like
    // tunl0): "tun0  In  ifindex 2 ethertype IPv4 (0x0800), length 104: …".
    const text = formatFrame(
      { src: outer.src, dst: outer.dst, payload: inner },
      { link: true, verbose: 0, any: { ifname: 'tunl0', ifindex: 3, dir: 'In', noLinkAddr: true } },
      new TcpdumpState(),
    );
    expect(text).toBe(
      'tunl0 In  ifindex 3 ethertype IPv4 (0x0800), length 104: 10.244.1.5 > 10.244.2.7: ICMP echo request, id 4660, seq 1, length 64',
    );
  });

  it('prints a tunl0 capture (LINKTYPE_RAW) as tcpdump -r raw.pcap did', () => {
    expect(show(true, false, 0)).toBe(
      'IP 10.244.1.5 > 10.244.2.7: ICMP echo request, id 4660, seq 1, length 64',
    );
    expect(show(true, true, 0)).toBe(
      'ip: 10.244.1.5 > 10.244.2.7: ICMP echo request, id 4660, seq 1, length 64',
    );
    expect(show(true, false, 1)).toBe(
      'IP (tos 0x0, ttl 63, id 777, offset 0, flags [DF], proto ICMP (1), length 84)\n' +
        '    10.244.1.5 > 10.244.2.7: ICMP echo request, id 4660, seq 1, length 64',
    );
    expect(show(true, true, 1)).toBe(
      'ip: (tos 0x0, ttl 63, id 777, offset 0, flags [DF], proto ICMP (1), length 84)\n' +
        '    10.244.1.5 > 10.244.2.7: ICMP echo request, id 4660, seq 1, length 64',
    );
  });
});
