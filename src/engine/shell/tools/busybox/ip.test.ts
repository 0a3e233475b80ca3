/**
 * BusyBox ip, held to what Debian's busybox 1.35.0 printed on kernel 6.18 in pl- namespaces built
 * like a pod and its node: pl-bbh-node (veth pair x1@x0 as indexes 2 and 3, then vethbbh, index 4,
 * 10.244.1.1/24) and pl-bbh-pod (its peer eth0, index 2, 10.244.1.5/24, default via 10.244.1.1).
 * The lab below builds the same namespaces with the same commands, names and MACs, so every
 * expectation is the real output as it was printed. "Unprivileged" runs were made with
 * `setpriv --inh-caps=-net_admin --ambient-caps=-net_admin --bounding-set=-net_admin`
 * (CapEff without bit 12), and the read-only /proc/sys of a container with a read-only bind.
 */
import { describe, expect, it } from 'vitest';
import { CONTAINER_CAPS, CONTAINER_READONLY_PATHS, unshareNs } from '../../../linux/namespaces';
import { type Lab, lab } from '../../../testing/lab';
import { type ProgramRun, runIn } from '../../../testing/runIn';
import type { Tool } from '../../tool';
import { TOOLS } from '../index';
import { busyboxIp } from './ip';

function podLab(): Lab {
  const l = lab();
  l.setup([
    'ip netns add pl-bbh-node',
    'ip netns add pl-bbh-pod',
    'ip -n pl-bbh-node link add x0 type veth peer name x1',
    'ip -n pl-bbh-node link add vethbbh type veth peer name eth0 netns pl-bbh-pod',
    'ip -n pl-bbh-node link set vethbbh address 06:4b:80:2b:de:d4',
    'ip -n pl-bbh-pod link set eth0 address 9a:08:15:4e:90:30',
    'ip -n pl-bbh-node link set lo up',
    'ip -n pl-bbh-node link set vethbbh up',
    'ip -n pl-bbh-node addr add 10.244.1.1/24 dev vethbbh',
    'ip -n pl-bbh-pod link set lo up',
    'ip -n pl-bbh-pod link set eth0 up',
    'ip -n pl-bbh-pod addr add 10.244.1.5/24 dev eth0',
    'ip -n pl-bbh-pod route add default via 10.244.1.1',
    // Past duplicate address detection: the link-local address is no longer tentative.
    'sleep 3',
  ]);
  return l;
}

/**
 * Runs `ip ARGS` (split on spaces) with BusyBox's applet in `ns`: as root, as root without
 * CAP_NET_ADMIN (setpriv), or as a container (no CAP_NET_ADMIN, /proc/sys read-only).
 */
function ip(
  l: Lab,
  line: string,
  who: 'root' | 'nocap' | 'container' = 'root',
  ns = 'pl-bbh-pod',
): ProgramRun {
  const tool: Tool = (ctx) => {
    if (who !== 'root') ctx.proc.caps = CONTAINER_CAPS;
    if (who === 'container')
      ctx.proc.spaces = unshareNs(ctx.proc.host, ctx.proc.spaces, ['mnt'], {
        readOnly: CONTAINER_READONLY_PATHS,
      });
    busyboxIp(ctx);
  };
  const argv = ['ip', ...line.split(' ').filter((w) => w !== '')];
  return runIn(l, ns, argv, (n) => (n === 'ip' ? tool : TOOLS[n]));
}

const ok = (stdout: string) => ({ stdout, stderr: '', code: 0 });
const fails = (stderr: string, code: number, stdout = '') => ({ stdout, stderr, code });

const USAGE = `BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.

Usage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]

OPTIONS := -f[amily] inet|inet6|link | -o[neline]

ip addr add|del IFADDR dev IFACE | show|flush [dev IFACE] [to PREFIX]
ip route list|flush|add|del|change|append|replace|test ROUTE
ip link set IFACE [up|down] [arp on|off] [multicast on|off]
\t[promisc on|off] [mtu NUM] [name NAME] [qlen NUM] [address MAC]
\t[master IFACE | nomaster] [netns PID]
ip tunnel add|change|del|show [NAME]
\t[mode ipip|gre|sit] [remote ADDR] [local ADDR] [ttl TTL]
ip neigh show|flush [to PREFIX] [dev DEV] [nud STATE]
ip rule [list] | add|del SELECTOR ACTION
`;

// The pod's links and addresses, as `busybox ip addr` printed them.
const LO = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
`;
const LO_V4 = `    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
`;
const LO_V6 = `    inet6 ::1/128 scope host 
       valid_lft forever preferred_lft forever
`;
const ETH0 = `2: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue qlen 1000
    link/ether 9a:08:15:4e:90:30 brd ff:ff:ff:ff:ff:ff
`;
const ETH0_V4 = `    inet 10.244.1.5/24 scope global eth0
       valid_lft forever preferred_lft forever
`;
const ETH0_V6 = `    inet6 fe80::9808:15ff:fe4e:9030/64 scope link 
       valid_lft forever preferred_lft forever
`;
const ROUTES = `default via 10.244.1.1 dev eth0 
10.244.1.0/24 dev eth0 scope link  src 10.244.1.5 
`;

describe('busybox ip: addresses and links', () => {
  it('lists links without state, mode or group, the peer as @ifN with M-DOWN, and every address', () => {
    const l = podLab();
    const all = LO + LO_V4 + LO_V6 + ETH0 + ETH0_V4 + ETH0_V6;
    for (const line of [
      'a',
      'addr',
      'address show',
      'addr list',
      'addr lst',
      'a s',
      '-- a',
      'addr show up',
    ])
      expect(ip(l, line), line).toMatchObject(ok(all));
    expect(ip(l, 'addr show dev eth0')).toMatchObject(ok(ETH0 + ETH0_V4 + ETH0_V6));
    expect(ip(l, 'addr show lo')).toMatchObject(ok(LO + LO_V4 + LO_V6));
    expect(ip(l, 'link')).toMatchObject(ok(LO + ETH0));
    for (const line of ['l', 'link show', 'link sh', 'link lst', 'link list', 'link show up'])
      expect(ip(l, line), line).toMatchObject(ok(LO + ETH0));
    expect(ip(l, 'link show dev eth0')).toMatchObject(ok(ETH0));
  });

  it('filters by scope, prefix and label; a family keeps only links with such an address', () => {
    const l = podLab();
    expect(ip(l, 'addr show scope link')).toMatchObject(ok(LO + ETH0 + ETH0_V6));
    expect(ip(l, 'addr show scope global')).toMatchObject(ok(LO + ETH0 + ETH0_V4));
    expect(ip(l, 'addr show scope host')).toMatchObject(ok(LO + LO_V4 + LO_V6 + ETH0));
    const eth0Header =
      '2: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue qlen 1000\n';
    expect(ip(l, 'addr show to 10.244.0.0/16')).toMatchObject(ok(eth0Header + ETH0_V4));
    // "foo" is no address, and no error: get_addr_1 has set the family to inet already.
    const loHeader = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\n';
    expect(ip(l, 'addr show to foo')).toMatchObject(ok(loHeader + LO_V4 + eth0Header + ETH0_V4));
    expect(ip(l, 'addr show label eth*')).toMatchObject(ok(ETH0 + ETH0_V4 + ETH0_V6));
  });

  it('takes -4, -6, -0, -f and -o: the IPv6 link dump has no qdisc, -o joins lines with \\', () => {
    const l = podLab();
    const v4 = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000
${LO_V4}2: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue qlen 1000
${ETH0_V4}`;
    const v6 = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qlen 1000
${LO_V6}2: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qlen 1000
${ETH0_V6}`;
    for (const line of ['-4 a', '-f inet a', '-family inet a', '-6 -4 a', '-0 -4 a'])
      expect(ip(l, line), line).toMatchObject(ok(v4));
    for (const line of ['-6 a', '-f inet6 addr', '-4 -6 a'])
      expect(ip(l, line), line).toMatchObject(ok(v6));
    for (const line of ['-0 a', '-f link addr', '-fam link a', '-4 link', '-6 link'])
      expect(ip(l, line), line).toMatchObject(ok(LO + ETH0));
    expect(ip(l, '-o a')).toMatchObject(
      ok(`1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever
2: eth0    inet 10.244.1.5/24 scope global eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet6 fe80::9808:15ff:fe4e:9030/64 scope link \\       valid_lft forever preferred_lft forever
`),
    );
    expect(ip(l, '-o -6 a')).toMatchObject(
      ok(`1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever
2: eth0    inet6 fe80::9808:15ff:fe4e:9030/64 scope link \\       valid_lft forever preferred_lft forever
`),
    );
    const oneline = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue qlen 1000\\    link/ether 9a:08:15:4e:90:30 brd ff:ff:ff:ff:ff:ff
`;
    for (const line of ['-o link', '-oneline link', '-o -0 a', '--o link'])
      expect(ip(l, line), line).toMatchObject(ok(oneline));
  });

  it('names the peer by its index in its own namespace: eth0@eth0, vethbbh@x1, M-DOWN as they are', () => {
    const l = podLab();
    // A second pod whose veth peer has the same index (2) as its own eth0.
    l.setup([
      'ip netns add pl-bbh-node2',
      'ip netns add pl-bbh-pod2',
      'ip -n pl-bbh-node2 link add vethq type veth peer name eth0 netns pl-bbh-pod2',
      'ip -n pl-bbh-pod2 link set eth0 address c2:90:18:18:0a:13',
      'ip -n pl-bbh-node2 link set vethq up',
      'ip -n pl-bbh-pod2 link set lo up',
      'ip -n pl-bbh-pod2 addr add 10.244.2.7/24 dev eth0',
    ]);
    // Down: the "peer" found here is eth0 itself, down, so M-DOWN.
    expect(ip(l, 'link', 'root', 'pl-bbh-pod2')).toMatchObject(
      ok(`${LO}2: eth0@eth0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop qlen 1000
    link/ether c2:90:18:18:0a:13 brd ff:ff:ff:ff:ff:ff
`),
    );
    l.run('ip -n pl-bbh-pod2 link set eth0 up');
    // Just up: the link-local address is tentative and has no local route yet; the IPv6 link
    // dump leaves out a peer index equal to the link's own.
    expect(ip(l, '-6 addr show eth0', 'root', 'pl-bbh-pod2')).toMatchObject(
      ok(`2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qlen 1000
    inet6 fe80::c090:18ff:fe18:a13/64 scope link tentative 
       valid_lft forever preferred_lft forever
`),
    );
    expect(ip(l, '-6 route show table all', 'root', 'pl-bbh-pod2')).toMatchObject(
      ok(`fe80::/64 dev eth0  metric 256 
local ::1 dev lo table local  metric 0 
multicast ff00::/8 dev eth0 table local  metric 256 
`),
    );
    l.run('sleep 3');
    expect(ip(l, 'addr show eth0', 'root', 'pl-bbh-pod2')).toMatchObject(
      ok(`2: eth0@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue qlen 1000
    link/ether c2:90:18:18:0a:13 brd ff:ff:ff:ff:ff:ff
    inet 10.244.2.7/24 scope global eth0
       valid_lft forever preferred_lft forever
    inet6 fe80::c090:18ff:fe18:a13/64 scope link 
       valid_lft forever preferred_lft forever
`),
    );
    expect(ip(l, '-o link show eth0', 'root', 'pl-bbh-pod2')).toMatchObject(
      ok(
        '2: eth0@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue qlen 1000\\    link/ether c2:90:18:18:0a:13 brd ff:ff:ff:ff:ff:ff\n',
      ),
    );
    // On the node: vethbbh's peer (index 2 in the pod) is named after x1, index 2 here; x1 is up,
    // so no M-DOWN. x1 has no carrier while x0 is down; promisc shows as a bare 100; a bridge port
    // names its master.
    l.setup([
      'ip -n pl-bbh-node link set x1 address 56:f1:11:72:46:40',
      'ip -n pl-bbh-node link set x0 address 3a:57:dc:54:92:06',
      'ip -n pl-bbh-node link set x1 up',
      'ip -n pl-bbh-node link set x0 promisc on',
      'ip -n pl-bbh-node link add brx type bridge',
      'ip -n pl-bbh-node link set x0 master brx',
      'ip -n pl-bbh-node addr add 192.0.2.1/24 dev x0',
    ]);
    expect(ip(l, 'link', 'root', 'pl-bbh-node')).toMatchObject(
      ok(`${LO}2: x1@x0: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue qlen 1000
    link/ether 56:f1:11:72:46:40 brd ff:ff:ff:ff:ff:ff
3: x0@x1: <BROADCAST,MULTICAST100> mtu 1500 qdisc noop master brx qlen 1000
    link/ether 3a:57:dc:54:92:06 brd ff:ff:ff:ff:ff:ff
4: vethbbh@x1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue qlen 1000
    link/ether 06:4b:80:2b:de:d4 brd ff:ff:ff:ff:ff:ff
5: brx: <BROADCAST,MULTICAST> mtu 1500 qdisc noop qlen 1000
    link/ether 3a:57:dc:54:92:06 brd ff:ff:ff:ff:ff:ff
`),
    );
    // `up` drops the down x0's header but not its address, which lands under x1's.
    expect(ip(l, '-4 addr show up', 'root', 'pl-bbh-node')).toMatchObject(
      ok(`1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000
${LO_V4}    inet 192.0.2.1/24 scope global x0
       valid_lft forever preferred_lft forever
4: vethbbh@x1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue qlen 1000
    inet 10.244.1.1/24 scope global vethbbh
       valid_lft forever preferred_lft forever
`),
    );
  });

  it('fails as BusyBox does: "ip:" messages, exit 1 from addr but 2 from link', () => {
    const l = podLab();
    expect(ip(l, 'addr show nosuch')).toMatchObject(fails("ip: can't find device 'nosuch'\n", 1));
    expect(ip(l, 'addr show dev nosuch')).toMatchObject(
      fails("ip: can't find device 'nosuch'\n", 1),
    );
    expect(ip(l, 'link show nosuch')).toMatchObject(fails("ip: can't find device 'nosuch'\n", 2));
    expect(ip(l, 'addr show eth0 lo')).toMatchObject(
      fails('ip: either "dev" is duplicate, or "lo" is garbage\n', 1),
    );
    expect(ip(l, 'link show eth0 lo')).toMatchObject(
      fails('ip: either "dev" is duplicate, or "lo" is garbage\n', 2),
    );
    expect(ip(l, 'addr show dev')).toMatchObject(
      fails('ip: command line is not complete, try "help"\n', 1),
    );
    expect(ip(l, 'link show dev')).toMatchObject(
      fails('ip: command line is not complete, try "help"\n', 2),
    );
    // Abbreviations that match two commands match none.
    expect(ip(l, 'a l')).toMatchObject(fails("ip: invalid argument 'l' to 'ip'\n", 1));
    expect(ip(l, 'link s')).toMatchObject(fails("ip: invalid argument 's' to 'ip'\n", 2));
    expect(ip(l, 'link eth0')).toMatchObject(fails("ip: invalid argument 'eth0' to 'ip'\n", 2));
    expect(ip(l, 'link help')).toMatchObject(fails("ip: invalid argument 'help' to 'ip'\n", 2));
    expect(ip(l, 'addr foo')).toMatchObject(fails("ip: invalid argument 'foo' to 'ip'\n", 1));
    expect(ip(l, 'a -4')).toMatchObject(fails("ip: invalid argument '-4' to 'ip'\n", 1));
    expect(ip(l, 'addr show scope foo')).toMatchObject(
      fails("ip: invalid argument 'foo' to 'scope'\n", 1),
    );
    expect(ip(l, 'addr show to 10.244.1.5/33')).toMatchObject(
      fails('ip: an inet prefix is expected rather than "10.244.1.5"\n', 1),
    );
    expect(ip(l, 'link show to 10.0.0.0/8')).toMatchObject(
      fails('ip: "10.0.0.0/8" may be inet prefix, but it is not allowed in this context\n', 2),
    );
    expect(ip(l, '-f foo a')).toMatchObject(fails("ip: invalid argument 'foo' to 'family'\n", 1));
  });

  it('shows its usage on stderr for no object, an unknown one, a bad option, and help', () => {
    const l = podLab();
    for (const line of [
      '',
      'help',
      'h',
      'foo',
      '-h',
      '-help',
      '-x a',
      '-',
      '--',
      '-f',
      '-o',
      '-4',
      'tun',
      't',
      '--help a',
    ])
      expect(ip(l, line), line).toMatchObject(fails(USAGE, 1));
    // A lone --help is appletlib's: the same text, exit 0.
    expect(ip(l, '--help')).toMatchObject(fails(USAGE, 0));
  });
});

describe('busybox ip: routes', () => {
  it('prints routes without proto, "scope link  src" with two spaces, and main by default', () => {
    const l = podLab();
    for (const line of [
      'r',
      'route',
      'ro',
      'route show',
      'route list',
      'route l',
      'route s',
      'r sh',
      'route show table main',
      'route show dev eth0',
      '-o route',
      'route show proto kernel',
      'route show proto all',
      'route show iif eth0',
      'route show default',
      'route show all',
      'route show scope all',
    ])
      expect(ip(l, line), line).toMatchObject(ok(ROUTES));
    const local = `local 10.244.1.5 dev eth0 scope host  src 10.244.1.5 
broadcast 10.244.1.255 dev eth0 scope link  src 10.244.1.5 
local 127.0.0.0/8 dev lo scope host  src 127.0.0.1 
local 127.0.0.1 dev lo scope host  src 127.0.0.1 
broadcast 127.255.255.255 dev lo scope link  src 127.0.0.1 
`;
    for (const line of ['route show table local', 'route show table 255'])
      expect(ip(l, line), line).toMatchObject(ok(local));
    // The cache "table" selects nothing by table: every IPv4 route, without a table name.
    expect(ip(l, 'route show cache')).toMatchObject(ok(ROUTES + local));
    const v4all = `${ROUTES}local 10.244.1.5 dev eth0 table local scope host  src 10.244.1.5 
broadcast 10.244.1.255 dev eth0 table local scope link  src 10.244.1.5 
local 127.0.0.0/8 dev lo table local scope host  src 127.0.0.1 
local 127.0.0.1 dev lo table local scope host  src 127.0.0.1 
broadcast 127.255.255.255 dev lo table local scope link  src 127.0.0.1 
`;
    const v6all = `fe80::/64 dev eth0  metric 256 
local ::1 dev lo table local  metric 0 
local fe80::9808:15ff:fe4e:9030 dev eth0 table local  metric 0 
multicast ff00::/8 dev eth0 table local  metric 256 
`;
    // Only "table all" (or -6, -0) asks for IPv6 routes too.
    expect(ip(l, 'r s table all')).toMatchObject(ok(v4all + v6all));
    expect(ip(l, '-4 route show table all')).toMatchObject(ok(v4all));
    expect(ip(l, '-6 route show table all')).toMatchObject(ok(v6all));
    expect(ip(l, '-6 route')).toMatchObject(
      ok('fe80::/64 dev eth0  metric 256 \nmulticast ff00::/8 dev eth0  metric 256 \n'),
    );
    expect(ip(l, '-6 route show table local')).toMatchObject(
      ok('local ::1 dev lo  metric 0 \nlocal fe80::9808:15ff:fe4e:9030 dev eth0  metric 0 \n'),
    );
    expect(ip(l, '-0 route')).toMatchObject(
      ok(`${ROUTES}fe80::/64 dev eth0  metric 256 \nmulticast ff00::/8 dev eth0  metric 256 \n`),
    );
    for (const line of [
      'route show table default',
      'route show table 100',
      'route show dev lo',
      'route show 10.244.1.7',
      'route show from 10.0.0.0/8',
    ])
      expect(ip(l, line), line).toMatchObject(ok(''));
  });

  it('filters as BusyBox does: scope and via are left out of the lines, a non-address is 0/0', () => {
    const l = podLab();
    const onlink = '10.244.1.0/24 dev eth0 scope link  src 10.244.1.5 \n';
    for (const line of [
      'route show scope link',
      'route show scope 253',
      'route show dev eth0 scope link',
    ])
      expect(ip(l, line), line).toMatchObject(ok('10.244.1.0/24 dev eth0  src 10.244.1.5 \n'));
    expect(ip(l, 'route show scope global')).toMatchObject(
      ok('default via 10.244.1.1 dev eth0 \n'),
    );
    // "via" filters nothing; it only hides the gateway it names.
    expect(ip(l, 'route show via 10.244.1.1')).toMatchObject(ok(`default dev eth0 \n${onlink}`));
    for (const line of [
      'route show 10.244.1.0/24',
      'route show exact 10.244.1.0/24',
      'route show root 10.0.0.0/8',
      'route show to root 10.244.0.0/16',
      'route show 10.244.1.0/255.255.255.0',
    ])
      expect(ip(l, line), line).toMatchObject(ok(onlink));
    // A length is read as C reads numbers (hex, octal), and one that is too long as a netmask:
    // /128 is 128.0.0.0, /1.
    for (const line of [
      'route show 10.244.1.0/0x18',
      'route show 10.244.1.0/030',
      'route show root 10.0.0.0/128',
    ])
      expect(ip(l, line), line).toMatchObject(ok(onlink));
    expect(ip(l, 'route show root 200.0.0.0/128')).toMatchObject(ok(''));
    expect(ip(l, 'route show 10.244.1.0/24x')).toMatchObject(
      fails('ip: an inet prefix is expected rather than "10.244.1.0"\n', 1),
    );
    for (const line of ['route show match 10.244.1.7', 'route show to match 10.244.1.7'])
      expect(ip(l, line), line).toMatchObject(ok(ROUTES));
    // A word that is no address still leaves the family inet with length 0: the default route.
    for (const line of [
      'route show foo',
      'route show main',
      'route show x',
      '-4 route show default',
    ])
      expect(ip(l, line), line).toMatchObject(ok('default via 10.244.1.1 dev eth0 \n'));
  });

  it('answers route get from the kernel: src after two spaces, from when asked, connected twice', () => {
    const l = podLab();
    const via = '10.244.2.3 via 10.244.1.1 dev eth0  src 10.244.1.5 \n';
    for (const line of ['route get 10.244.2.3', 'route get to 10.244.2.3', 'r g 10.244.2.3'])
      expect(ip(l, line), line).toMatchObject(ok(via));
    expect(ip(l, 'route get 10.244.1.7')).toMatchObject(
      ok('10.244.1.7 dev eth0  src 10.244.1.5 \n'),
    );
    expect(ip(l, 'route get 10.244.1.5')).toMatchObject(
      ok('local 10.244.1.5 dev lo  src 10.244.1.5 \n'),
    );
    expect(ip(l, 'route get 127.0.0.1')).toMatchObject(
      ok('local 127.0.0.1 dev lo  src 127.0.0.1 \n'),
    );
    expect(ip(l, 'route get 10.244.1.255')).toMatchObject(
      ok('broadcast 10.244.1.255 dev eth0  src 10.244.1.5 \n'),
    );
    // The limited broadcast is one too, out of the default route's device without its gateway.
    expect(ip(l, 'route get 255.255.255.255')).toMatchObject(
      ok('broadcast 255.255.255.255 dev eth0  src 10.244.1.5 \n'),
    );
    expect(ip(l, 'route get 8.8.8.8 oif eth0')).toMatchObject(
      ok('8.8.8.8 via 10.244.1.1 dev eth0  src 10.244.1.5 \n'),
    );
    expect(ip(l, 'route get 1.1.1.1 from 10.244.1.5')).toMatchObject(
      ok('1.1.1.1 from 10.244.1.5 via 10.244.1.1 dev eth0 \n'),
    );
    expect(ip(l, 'route get 10.244.2.3 connected')).toMatchObject(
      ok(`${via}10.244.2.3 from 10.244.1.5 via 10.244.1.1 dev eth0 \n`),
    );
    expect(ip(l, 'route get 10.244.1.0/24')).toMatchObject(
      ok('10.244.1.0 dev eth0  src 10.244.1.5 \n'),
    );
    // The last destination counts; a "from" that is no address is dropped.
    expect(ip(l, 'route get 10.244.2.3 10.244.1.7')).toMatchObject(
      ok('10.244.1.7 dev eth0  src 10.244.1.5 \n'),
    );
    expect(ip(l, 'route get 10.244.2.3 from foo')).toMatchObject(ok(via));
    expect(ip(l, 'route get 10.244.2.3 oif lo')).toMatchObject(
      ok('10.244.2.3 dev lo  src 10.244.1.5 \n'),
    );
    for (const line of [
      'route get',
      'route get foo',
      'route get 300.1.1.1',
      'route get default',
      '-6 route get 10.244.2.3',
    ])
      expect(ip(l, line), line).toMatchObject(fails('ip: need at least destination address\n', 1));
    expect(ip(l, 'route get 10.244.2.3 dev nosuch')).toMatchObject(
      fails("ip: can't find device 'nosuch'\n", 1),
    );
    expect(ip(l, 'route get 10.244.2.3 iif eth0')).toMatchObject(
      fails('ip: RTNETLINK answers: Invalid argument\n', 2),
    );
  });

  it('rejects bad selectors before looking at any route', () => {
    const l = podLab();
    expect(ip(l, 'route show table foo')).toMatchObject(
      fails("ip: invalid argument 'foo' to 'table'\n", 1),
    );
    expect(ip(l, 'route show table 2000')).toMatchObject(
      fails("ip: invalid argument '2000' to 'table'\n", 1),
    );
    expect(ip(l, 'route show proto foo')).toMatchObject(
      fails("ip: invalid argument 'foo' to 'protocol'\n", 1),
    );
    expect(ip(l, 'route show scope foo')).toMatchObject(
      fails("ip: invalid argument 'foo' to 'scope'\n", 1),
    );
    expect(ip(l, 'route show dev nosuch')).toMatchObject(
      fails("ip: can't find device 'nosuch'\n", 1),
    );
    for (const line of ['route show to', 'route show table'])
      expect(ip(l, line), line).toMatchObject(
        fails('ip: command line is not complete, try "help"\n', 1),
      );
    expect(ip(l, 'route show 10.244.1.0/33')).toMatchObject(
      fails('ip: an inet prefix is expected rather than "10.244.1.0"\n', 1),
    );
    expect(ip(l, 'route show 10.244.1.0/255.0.255.0')).toMatchObject(
      fails('ip: an inet prefix is expected rather than "10.244.1.0"\n', 1),
    );
    expect(ip(l, 'route foo')).toMatchObject(fails("ip: invalid argument 'foo' to 'ip'\n", 1));
    expect(ip(l, 'route help')).toMatchObject(fails("ip: invalid argument 'help' to 'ip'\n", 1));
  });
});

describe('busybox ip: neighbours, rules, tunnels', () => {
  it('always prints ref, used 0/0/0 and probes; an address-less entry leaves two spaces', () => {
    const l = podLab();
    l.run('ip netns exec pl-bbh-pod ping -c1 10.244.1.1');
    const reachable =
      '10.244.1.1 dev eth0 lladdr 06:4b:80:2b:de:d4 ref 1 used 0/0/0 probes 4 REACHABLE\n';
    for (const line of [
      'neigh',
      'n',
      'ne',
      'neigh show',
      'neigh s',
      'neigh show 10.244.1.1',
      'neigh show to 10.244.1.0/24',
      'neigh show nud reachable',
      'neigh show nud all',
      '-4 neigh',
      '-o neigh',
      'neigh show proxy',
    ])
      expect(ip(l, line), line).toMatchObject(ok(reachable));
    expect(ip(l, 'neigh show dev eth0')).toMatchObject(
      ok('10.244.1.1 lladdr 06:4b:80:2b:de:d4 ref 1 used 0/0/0 probes 4 REACHABLE\n'),
    );
    for (const line of [
      'neigh show dev lo',
      'neigh show 10.9.9.9',
      'neigh show nud stale',
      'neigh show nud none',
      '-6 neigh',
    ])
      expect(ip(l, line), line).toMatchObject(ok(''));
    // An address that does not answer: INCOMPLETE while probing, then FAILED; REACHABLE ages
    // into STALE, which no timer holds.
    l.run('ip netns exec pl-bbh-pod ping -c1 -W1 10.244.1.99 &');
    expect(ip(l, 'neigh show 10.244.1.99')).toMatchObject(
      ok('10.244.1.99 dev eth0  ref 1 used 0/0/0 probes 4 INCOMPLETE\n'),
    );
    l.run('sleep 60');
    expect(ip(l, 'neigh')).toMatchObject(
      ok(`10.244.1.1 dev eth0 lladdr 06:4b:80:2b:de:d4 used 0/0/0 probes 4 STALE
10.244.1.99 dev eth0  used 0/0/0 probes 6 FAILED
`),
    );
    expect(ip(l, 'neigh show nud failed')).toMatchObject(
      ok('10.244.1.99 dev eth0  used 0/0/0 probes 6 FAILED\n'),
    );
  });

  it('knows show and flush only, and checks nud states and devices', () => {
    const l = podLab();
    for (const w of ['add', 'del', 'list', 'foo', 'help'])
      expect(ip(l, `neigh ${w} 10.244.1.9`), w).toMatchObject(
        fails(`ip: invalid argument '${w}' to 'ip'\n`, 1),
      );
    expect(ip(l, 'neigh show nud foo')).toMatchObject(
      fails("ip: invalid argument 'foo' to 'nud state'\n", 1),
    );
    expect(ip(l, 'neigh show nud')).toMatchObject(
      fails('ip: command line is not complete, try "help"\n', 1),
    );
    expect(ip(l, 'neigh show dev nosuch')).toMatchObject(
      fails("ip: can't find device 'nosuch'\n", 1),
    );
    expect(ip(l, 'neigh flush')).toMatchObject(
      fails('ip: "ip neigh flush" requires an argument\n', 1),
    );
  });

  it('lists the default rules with a tab, and tunnels from /proc/net/dev', () => {
    const l = podLab();
    const rules = '0:\tfrom all lookup local \n32766:\tfrom all lookup main \n';
    for (const line of ['rule', 'rule list', 'rule show', 'rule s', 'rule l'])
      expect(ip(l, line), line).toMatchObject(ok(`${rules}32767:\tfrom all lookup default \n`));
    expect(ip(l, '-6 rule')).toMatchObject(ok(rules));
    expect(ip(l, '-0 rule')).toMatchObject(ok(''));
    expect(ip(l, 'rule show x')).toMatchObject(fails('ip: ignoring all arguments\n', 255));
    expect(ip(l, 'rule foo')).toMatchObject(fails("ip: invalid argument 'foo' to 'ip'\n", 1));
    for (const line of ['tunnel', 'tunnel show', 'tunl', 'tunnel show tunl0'])
      expect(ip(l, line), line).toMatchObject(ok(''));
    expect(ip(l, 'tunnel foo')).toMatchObject(fails("ip: invalid argument 'foo' to 'ip'\n", 1));
    // No ipip module on the reference machine: no tunl0 to ask.
    for (const mode of ['ipip', 'gre'])
      expect(ip(l, `tunnel show mode ${mode}`), mode).toMatchObject(
        fails('ip: SIOCGETTUNNEL: No such device\n', 255),
      );
    expect(ip(l, 'tunnel show mode foo')).toMatchObject(fails("ip: can't guess tunnel mode\n", 1));
  });

  it('lists tunl0 once the ipip module is loaded (from the source: the reference kernel has none)', () => {
    const l = podLab();
    l.run('modprobe ipip');
    expect(ip(l, 'tunnel')).toMatchObject(
      ok('tunl0: ip/ip  remote any  local any  ttl inherit  nopmtudisc\n'),
    );
    expect(ip(l, 'tunnel show mode ipip')).toMatchObject(
      ok('tunl0: ip/ip  remote any  local any  ttl inherit  nopmtudisc\n'),
    );
    expect(ip(l, 'link show tunl0')).toMatchObject(
      ok(
        '3: tunl0@NONE: <NOARP> mtu 1480 qdisc noop qlen 1000\n    link/ipip 0.0.0.0 brd 0.0.0.0\n',
      ),
    );
    expect(ip(l, 'tunnel add t1 mode ipip remote 10.0.0.2', 'container')).toMatchObject(
      fails('ip: SIOCADDTUNNEL: Operation not permitted\n', 1),
    );
  });
});

describe('busybox ip without CAP_NET_ADMIN', () => {
  it('has every address change refused by the kernel, after its own checks', () => {
    const l = podLab();
    const eperm = fails('ip: RTNETLINK answers: Operation not permitted\n', 2);
    for (const line of [
      'addr add 10.9.9.9/32 dev eth0',
      'addr add dev eth0',
      'addr del 10.244.1.5/24 dev eth0',
      'addr delete 10.244.1.5/24 dev eth0',
      'addr change 10.244.1.5/24 dev eth0',
      'addr replace 10.244.1.5/24 dev eth0',
      'a a 10.9.9.9 dev eth0',
      'addr add foo dev eth0',
      'addr add 10.9.9.9/32 dev eth0 brd +',
      'addr add fe80::1/64 dev eth0',
      'addr add 10.9.9.9/24 dev eth0 peer 10.9.9.1',
    ])
      expect(ip(l, line, 'nocap'), line).toMatchObject(eperm);
    for (const [line, err] of [
      ['addr add 10.9.9.9/32', 'ip: need "dev IFACE"\n'],
      ['addr add', 'ip: need "dev IFACE"\n'],
      ['addr del', 'ip: need "dev IFACE"\n'],
      ['addr add 10.9.9.9/32 dev nosuch', "ip: can't find device 'nosuch'\n"],
      ['addr add 10.9.9.9/33 dev eth0', 'ip: an inet prefix is expected rather than "10.9.9.9"\n'],
      ['addr add 10.9.9.9/32 dev eth0 label foo', 'ip: "dev" (eth0) must match "label" (foo)\n'],
      ['addr add 10.9.9.9/32 dev eth0 scope foo', "ip: invalid argument 'foo' to 'scope'\n"],
      [
        'addr add 10.9.9.9/32 10.9.9.8 dev eth0',
        'ip: either "local" is duplicate, or "10.9.9.8" is garbage\n',
      ],
      [
        'addr add 10.9.9.9/24 dev eth0 brd foo',
        'ip: an inet address is expected rather than "foo"\n',
      ],
      ['addr add 10.9.9.9/32 dev eth0 valid_lft 0', 'valid_lft is zero\n'],
      ['addr flush', 'ip: flush requires an argument\n'],
      ['addr flush dev nosuch', "ip: can't find device 'nosuch'\n"],
      ['-0 addr flush dev eth0', "ip: can't flush link addresses\n"],
    ] as const)
      expect(ip(l, line, 'nocap'), line).toMatchObject(fails(err, 1));
    const flush = fails("ip: can't send flush request: Operation not permitted\n", 1);
    for (const line of [
      'addr flush dev eth0',
      'addr flush eth0',
      'addr flush dev lo',
      'addr flush scope link',
      '-6 addr flush dev eth0',
    ])
      expect(ip(l, line, 'nocap'), line).toMatchObject(flush);
    // Nothing selected, nothing sent.
    expect(ip(l, '-4 addr flush scope link', 'nocap')).toMatchObject(ok(''));
  });

  it('sets links through ioctls: nothing to change succeeds, anything else is refused (exit 2)', () => {
    const l = podLab();
    for (const line of [
      'link set eth0 up',
      'link set lo up',
      'link set dev eth0 up',
      'link set eth0',
      'link set eth0 name eth0',
      'link set eth0 arp on',
      'link set eth0 multicast on',
      'link set eth0 down up',
    ])
      expect(ip(l, line, 'nocap'), line).toMatchObject(ok(''));
    for (const [line, err] of [
      ['link set eth0 down', 'ip: SIOCSIFFLAGS: Operation not permitted\n'],
      ['link set eth0 up down', 'ip: SIOCSIFFLAGS: Operation not permitted\n'],
      ['link set eth0 arp off', 'ip: SIOCSIFFLAGS: Operation not permitted\n'],
      ['link set eth0 promisc on', 'ip: SIOCSIFFLAGS: Operation not permitted\n'],
      ['link set eth0 multicast off', 'ip: SIOCSIFFLAGS: Operation not permitted\n'],
      ['link set eth0 mtu 1400', 'ip: SIOCSIFMTU: Operation not permitted\n'],
      ['link set eth0 mtu 1500', 'ip: SIOCSIFMTU: Operation not permitted\n'],
      ['link set nosuch mtu 1400', 'ip: SIOCSIFMTU: Operation not permitted\n'],
      ['link set eth0 name eth1', 'ip: SIOCSIFNAME: Operation not permitted\n'],
      ['link set nosuch name foo', 'ip: SIOCSIFNAME: Operation not permitted\n'],
      ['link set eth0 qlen 500', 'ip: SIOCSIFTXQLEN: Operation not permitted\n'],
      ['link set eth0 address 02:00:00:00:00:01', 'ip: SIOCSIFHWADDR: Operation not permitted\n'],
      ['link set eth0 master lo', 'ip: RTNETLINK answers: Operation not permitted\n'],
      ['link set eth0 nomaster', 'ip: RTNETLINK answers: Operation not permitted\n'],
      ['link set eth0 netns 1', 'ip: RTNETLINK answers: Operation not permitted\n'],
      ['link set nosuch up', 'ip: SIOCGIFFLAGS: No such device\n'],
      ['link set nosuch down', 'ip: SIOCGIFFLAGS: No such device\n'],
      ['link set nosuch address 02:00:00:00:00:01', 'ip: SIOCGIFINDEX: No such device\n'],
      ['link set', 'ip: "dev" requires an argument\n'],
      ['link set eth0 mtu foo', "ip: invalid argument 'foo' to 'mtu'\n"],
      ['link set eth0 qlen foo', "ip: invalid argument 'foo' to 'qlen'\n"],
      ['link set eth0 netns foo', "ip: invalid argument 'foo' to 'netns'\n"],
      ['link set eth0 mtu 1400 mtu 1300', 'ip: duplicate "mtu": "1300" is the second value\n'],
      [
        'link set eth0 txqueuelen 500',
        'ip: either "dev" is duplicate, or "txqueuelen" is garbage\n',
      ],
      ['link set eth0 foo', 'ip: either "dev" is duplicate, or "foo" is garbage\n'],
      ['link set eth0 arp foo', 'ip: argument of "arp" must be "on" or "off"\n'],
      ['link set eth0 master nosuch', "ip: can't find device 'nosuch'\n"],
      ['link set eth0 netns', 'ip: command line is not complete, try "help"\n'],
      ['link set eth0 address foo', 'ip: wrong address (foo) length: expected 6 bytes\n'],
      ['link set eth0 address 02:00:00', 'ip: wrong address (02) length: expected 6 bytes\n'],
      [
        'link set eth0 address 02:00:00:00:00:01:02',
        'ip: wrong address (02) length: expected 6 bytes\n',
      ],
      ['link set eth0 address 1.2.3.4', 'ip: wrong address (1.2.3.4) length: expected 6 bytes\n'],
    ] as const)
      expect(ip(l, line, 'nocap'), line).toMatchObject(fails(err, 2));
    // ll_addr_a2n's own failure exits 1.
    expect(ip(l, 'link set eth0 address zz', 'nocap')).toMatchObject(
      fails('ip: "zz" is invalid lladdr\n', 1),
    );
    const eperm = fails('ip: RTNETLINK answers: Operation not permitted\n', 2);
    for (const line of [
      'link add foo type dummy',
      'link add veth0 type veth peer name veth1',
      'link add name x',
      'link add',
      'link del eth0',
      'link delete eth0',
    ])
      expect(ip(l, line, 'nocap'), line).toMatchObject(eperm);
    expect(ip(l, 'link del nosuch', 'nocap')).toMatchObject(
      fails("ip: can't find device 'nosuch'\n", 2),
    );
    // No device to delete: exit 1, and not a word.
    expect(ip(l, 'link del', 'nocap')).toMatchObject(fails('', 1));
    // Nothing changed.
    expect(ip(l, 'link show eth0', 'nocap')).toMatchObject(ok(ETH0));
  });

  it('has route changes refused after the arguments and the device check', () => {
    const l = podLab();
    const eperm = fails('ip: RTNETLINK answers: Operation not permitted\n', 2);
    for (const line of [
      'route add 10.8.0.0/24 dev eth0',
      'route add 10.8.0.0/24 via 10.244.1.1',
      'route add default via 10.244.1.1',
      'route del default',
      'route delete 10.244.1.0/24',
      'route change default via 10.244.1.1',
      'route replace default via 10.244.1.1',
      'route append 10.8.0.0/24 dev eth0',
      'route prepend 10.8.0.0/24 dev eth0',
      'route test 10.8.0.0/24 dev eth0',
      'r a 10.8.0.0/24 dev eth0',
      'route add foo dev eth0',
      'route add',
      'route add 10.8.0.0/24 mtu lock 1400 dev eth0',
      'route add blackhole 10.8.0.0/24',
    ])
      expect(ip(l, line, 'nocap'), line).toMatchObject(eperm);
    for (const [line, err] of [
      ['route add 10.8.0.0/24 dev nosuch', "ip: can't find device 'nosuch'\n"],
      ['route add 10.8.0.0/24 via foo', 'ip: an inet address is expected rather than "foo"\n'],
      ['route add 10.8.0.0/33 dev eth0', 'ip: an inet prefix is expected rather than "10.8.0.0"\n'],
      [
        'route add 10.8.0.0/24 10.9.0.0/24',
        'ip: either "to" is duplicate, or "10.9.0.0/24" is garbage\n',
      ],
      ['route add 10.8.0.0/24 table foo', "ip: invalid argument 'foo' to 'table'\n"],
      ['route add 10.8.0.0/24 scope foo', "ip: invalid argument 'foo' to 'scope'\n"],
      ['route add 10.8.0.0/24 proto foo', "ip: invalid argument 'foo' to 'protocol'\n"],
      ['route add 10.8.0.0/24 metric foo', "ip: invalid argument 'foo' to 'metric'\n"],
      ['route add 10.8.0.0/24 mtu foo', "ip: invalid argument 'foo' to 'mtu'\n"],
      ['route flush', 'ip: "ip route flush" requires an argument\n'],
    ] as const)
      expect(ip(l, line, 'nocap'), line).toMatchObject(fails(err, 1));
    const flush = fails("ip: can't send flush request: Operation not permitted\n", 1);
    for (const line of [
      'route flush dev eth0',
      'route flush table main',
      '-6 route flush dev eth0',
      'route flush table all',
    ])
      expect(ip(l, line, 'nocap'), line).toMatchObject(flush);
    for (const line of [
      'route flush cache',
      'route flush table cache',
      'route flush dev lo',
      'route flush 10.9.0.0/16',
    ])
      expect(ip(l, line, 'nocap'), line).toMatchObject(ok(''));
    // In a container /proc/sys is read-only: the cache flush cannot open its file, and says so.
    const ro = "ip: can't open '/proc/sys/net/ipv4/route/flush': Read-only file system\n";
    for (const line of ['route flush cache', 'route flush table cache'])
      expect(ip(l, line, 'container'), line).toMatchObject(fails(ro, 0));
  });

  it('lists the neighbours a flush would delete, then fails; refuses rules; finds no tunnel base', () => {
    const l = podLab();
    l.run('ip netns exec pl-bbh-pod ping -c1 10.244.1.1');
    l.run('sleep 60');
    const flush = "ip: can't send flush request: Operation not permitted\n";
    expect(ip(l, 'neigh flush dev eth0', 'nocap')).toMatchObject(
      fails(flush, 1, '10.244.1.1 lladdr 06:4b:80:2b:de:d4 used 0/0/0 probes 4 STALE\n'),
    );
    expect(ip(l, 'neigh flush all', 'nocap')).toMatchObject(
      fails(flush, 1, '10.244.1.1 dev eth0 lladdr 06:4b:80:2b:de:d4 used 0/0/0 probes 4 STALE\n'),
    );
    for (const line of ['neigh flush dev lo', 'neigh flush 10.9.9.9', 'neigh flush nud permanent'])
      expect(ip(l, line, 'nocap'), line).toMatchObject(ok('Nothing to flush\n'));
    expect(ip(l, 'neigh flush dev nosuch', 'nocap')).toMatchObject(
      fails("ip: can't find device 'nosuch'\n", 1),
    );
    const eperm = fails('ip: RTNETLINK answers: Operation not permitted\n', 2);
    for (const line of [
      'rule add from 10.0.0.0/8 table 100',
      'rule add table 100',
      'rule del pref 100',
      'rule add',
      'rule add from foo',
    ])
      expect(ip(l, line, 'nocap'), line).toMatchObject(eperm);
    expect(ip(l, 'rule add foo', 'nocap')).toMatchObject(
      fails("ip: invalid argument 'foo' to 'ip'\n", 1),
    );
    expect(ip(l, 'rule add table foo', 'nocap')).toMatchObject(
      fails("ip: invalid argument 'foo' to 'table ID'\n", 1),
    );
    for (const [line, err] of [
      [
        'tunnel add tun0 mode ipip remote 10.0.0.1 local 10.244.1.5',
        'ip: SIOCADDTUNNEL: No such device\n',
      ],
      ['tunnel add tun0 mode gre remote 10.0.0.1', 'ip: SIOCADDTUNNEL: No such device\n'],
      ['tunnel add tun0', "ip: can't determine tunnel mode (ipip, gre or sit)\n"],
      ['tunnel add tun0 mode foo', "ip: can't guess tunnel mode\n"],
      ['tunnel del tun0', 'ip: SIOCDELTUNNEL: No such device\n'],
      ['tunnel change tun0 mode ipip', 'ip: SIOCGETTUNNEL: No such device\n'],
      [
        'tunnel add tun0 mode ipip ttl 64 nopmtudisc',
        'ip: ttl != 0 and noptmudisc are incompatible\n',
      ],
      ['tunnel add tun0 mode ipip dev nosuch', 'ip: SIOCGIFINDEX: No such device\n'],
      ['tunnel add tun0 mode ipip key 5', 'ip: keys are not allowed with ipip and sit\n'],
    ] as const)
      expect(ip(l, line, 'nocap'), line).toMatchObject(fails(err, 1));
  });
});
