/**
 * VXLAN as Flannel sets it up, checked against the real kernel (6.18, iproute2 6.1.0, tcpdump
 * 4.99.3, iputils 20221126) in two namespaces joined by a veth named eth0 on each side. The
 * expected strings are what it printed; MACs, IP ids and the UDP source port (the kernel hashes
 * the inner flow with a boot-time random key) are the engine's own.
 */
import { describe, expect, it } from 'vitest';
import { lab, type Lab } from '../testing/lab';
import { captureLinesOf } from '../testing/capture';
import { TcpdumpState, formatFrame } from '../shell/tools/tcpdump/format';
import type { CommandResult } from '../shell/session';

function macOf(l: Lab, ns: string, dev: string): string {
  const m = /link\/ether (\S+)/.exec(l.run(`ip -n ${ns} link show ${dev}`).stdout);
  if (!m) throw new Error(`no MAC for ${dev}`);
  return m[1]!;
}

/** Two "nodes" with flannel.1 programmed the way flanneld programs it. */
function flannel(): { l: Lab; ma: string; mb: string } {
  const l = lab();
  l.setup([
    'ip netns add a',
    'ip netns add b',
    'ip link add eth0 netns a type veth peer name eth0 netns b',
    'ip -n a addr add 172.18.0.2/16 dev eth0',
    'ip -n b addr add 172.18.0.3/16 dev eth0',
    'ip -n a link set lo up',
    'ip -n a link set eth0 up',
    'ip -n b link set lo up',
    'ip -n b link set eth0 up',
    'ip -n a link add flannel.1 type vxlan id 1 dev eth0 dstport 8472 nolearning local 172.18.0.2',
    'ip -n b link add flannel.1 type vxlan id 1 dev eth0 dstport 8472 nolearning local 172.18.0.3',
    'ip -n a link set flannel.1 mtu 1450',
    'ip -n b link set flannel.1 mtu 1450',
    'ip -n a addr add 10.244.0.0/32 dev flannel.1',
    'ip -n b addr add 10.244.1.0/32 dev flannel.1',
    'ip -n a link set flannel.1 up',
    'ip -n b link set flannel.1 up',
  ]);
  const ma = macOf(l, 'a', 'flannel.1');
  const mb = macOf(l, 'b', 'flannel.1');
  l.setup([
    'ip -n a route add 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink',
    'ip -n b route add 10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink',
    `ip -n a neigh add 10.244.1.0 lladdr ${mb} dev flannel.1 nud permanent`,
    `ip -n b neigh add 10.244.0.0 lladdr ${ma} dev flannel.1 nud permanent`,
    `bridge -n a fdb append ${mb} dev flannel.1 dst 172.18.0.3`,
    `bridge -n b fdb append ${ma} dev flannel.1 dst 172.18.0.2`,
  ]);
  return { l, ma, mb };
}

/** What `tcpdump -nn -e -v -i DEV` printed during `r`, without timestamps. */
function verboseLines(l: Lab, r: CommandResult, ns: string, dev: string): string[] {
  const st = new TcpdumpState();
  return l.world.captures
    .since(r.captureFrom)
    .slice(0, r.captureTo - r.captureFrom)
    .filter((c) => c.netns === ns && c.dev === dev)
    .map((c) => formatFrame(c.frame, { link: true, verbose: 1 }, st));
}

describe('flannel.1 (VXLAN, VNI 1, UDP 8472)', () => {
  it('lists the device, its route, neighbour and FDB entry as the kernel does', () => {
    const { l, ma, mb } = flannel();
    expect(l.run('ip -n a -d link show flannel.1').stdout).toBe(
      '3: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n' +
        `    link/ether ${ma} brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \n` +
        '    vxlan id 1 local 172.18.0.2 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \n',
    );
    expect(l.run('ip -n b link show flannel.1').stdout).toBe(
      '3: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n' +
        `    link/ether ${mb} brd ff:ff:ff:ff:ff:ff\n`,
    );
    expect(l.run('ip -n a route').stdout).toBe(
      '10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink \n' +
        '172.18.0.0/16 dev eth0 proto kernel scope link src 172.18.0.2 \n',
    );
    expect(l.run('ip -n a neigh show dev flannel.1').stdout).toBe(
      `10.244.1.0 lladdr ${mb} PERMANENT \n`,
    );
    expect(l.run('bridge -n a fdb show dev flannel.1').stdout).toBe(
      `${mb} dst 172.18.0.3 self permanent\n`,
    );
    expect(l.run('bridge -n b fdb show dev flannel.1').stdout).toBe(
      `${ma} dst 172.18.0.2 self permanent\n`,
    );
  });

  it('carries a ping inside UDP 8472: outer DF clear, TTL 64, one source port both ways', () => {
    const { l, ma, mb } = flannel();
    const ea = macOf(l, 'a', 'eth0');
    const eb = macOf(l, 'b', 'eth0');
    const r = l.run('ip netns exec a ping -c 2 -i 0.5 10.244.1.0');
    expect(r.stdout).toMatch(
      /^PING 10\.244\.1\.0 \(10\.244\.1\.0\) 56\(84\) bytes of data\.\n64 bytes from 10\.244\.1\.0: icmp_seq=1 ttl=64 time=\S+ ms\n64 bytes from 10\.244\.1\.0: icmp_seq=2 ttl=64 time=\S+ ms\n\n--- 10\.244\.1\.0 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss, time \d+ms\n/,
    );
    // tcpdump -nn -e -i eth0 on node a: ARP for the peer VTEP, then each frame inside OTV
    // (tcpdump names port 8472 OTV) with the inner frame on the next line.
    const eth0 = captureLinesOf(l.world, r, 'h', 'a', 'eth0');
    const sport = /172\.18\.0\.2\.(\d+) > 172\.18\.0\.3\.8472/.exec(eth0.join('\n'))?.[1];
    expect(sport).toBeDefined();
    expect(Number(sport)).toBeGreaterThanOrEqual(32768);
    expect(Number(sport)).toBeLessThan(61000);
    expect(eth0.slice(0, 4)).toEqual([
      `${ea} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 172.18.0.3 tell 172.18.0.2, length 28`,
      `${eb} > ${ea}, ethertype ARP (0x0806), length 42: Reply 172.18.0.3 is-at ${eb}, length 28`,
      `${ea} > ${eb}, ethertype IPv4 (0x0800), length 148: 172.18.0.2.${sport} > 172.18.0.3.8472: OTV, flags [I] (0x08), overlay 0, instance 1\n` +
        `${ma} > ${mb}, ethertype IPv4 (0x0800), length 98: 10.244.0.0 > 10.244.1.0: ICMP echo request, id ${/id (\d+)/.exec(eth0[2]!)?.[1]}, seq 1, length 64`,
      `${eb} > ${ea}, ethertype IPv4 (0x0800), length 148: 172.18.0.3.${sport} > 172.18.0.2.8472: OTV, flags [I] (0x08), overlay 0, instance 1\n` +
        `${mb} > ${ma}, ethertype IPv4 (0x0800), length 98: 10.244.1.0 > 10.244.0.0: ICMP echo reply, id ${/id (\d+)/.exec(eth0[2]!)?.[1]}, seq 1, length 64`,
    ]);
    expect(eth0).toHaveLength(6);
    // -v: the outer header has TTL 64 and no DF; the inner echo request keeps its DF.
    const v = verboseLines(l, r, 'a', 'eth0')[2]!.replace(/ id \d+, offset/g, ' id N, offset');
    expect(v).toBe(
      `${ea} > ${eb}, ethertype IPv4 (0x0800), length 148: (tos 0x0, ttl 64, id N, offset 0, flags [none], proto UDP (17), length 134)\n` +
        `    172.18.0.2.${sport} > 172.18.0.3.8472: OTV, flags [I] (0x08), overlay 0, instance 1\n` +
        `${ma} > ${mb}, ethertype IPv4 (0x0800), length 98: (tos 0x0, ttl 64, id N, offset 0, flags [DF], proto ICMP (1), length 84)\n` +
        `    10.244.0.0 > 10.244.1.0: ICMP echo request, id ${/id (\d+)/.exec(eth0[2]!)?.[1]}, seq 1, length 64`,
    );
    // On flannel.1 only the inner frames show, on both nodes.
    const fl = captureLinesOf(l.world, r, 'h', 'a', 'flannel.1');
    expect(fl).toHaveLength(4);
    expect(fl[0]).toMatch(
      new RegExp(
        `^${ma} > ${mb}, ethertype IPv4 \\(0x0800\\), length 98: 10\\.244\\.0\\.0 > 10\\.244\\.1\\.0: ICMP echo request, id \\d+, seq 1, length 64$`,
      ),
    );
    expect(captureLinesOf(l.world, r, 'h', 'b', 'flannel.1')).toHaveLength(4);
    // The trace names the encapsulation and decapsulation.
    const stages = l.world.trace.since(r.traceFrom).map((e) => e.stage);
    expect(stages.filter((s) => s === 'vxlan_xmit')).toHaveLength(4);
    expect(stages.filter((s) => s === 'vxlan_rcv')).toHaveLength(4);
    expect(l.run('ip -n a neigh').stdout).toContain('10.244.1.0 dev flannel.1 lladdr');
    // Byte counters on flannel.1 start at the inner IP header: 3 echoes are 252 bytes.
    l.run('ip netns exec a ping -c 1 10.244.1.0');
    const stats = l.run('ip -n a -s link show flannel.1').stdout.split('\n');
    expect(stats[3]).toBe('           252       3      0       0       0       0 ');
    expect(stats[5]).toMatch(/^ {11}252 {7}3 {6}0 +\d+ {7}0 {7}0 $/);
  });

  it('drops what has no FDB entry: ARP on flannel.1 never reaches eth0', () => {
    const l = lab();
    l.setup([
      'ip netns add a',
      'ip netns add b',
      'ip link add eth0 netns a type veth peer name eth0 netns b',
      'ip -n a addr add 172.18.0.2/16 dev eth0',
      'ip -n b addr add 172.18.0.3/16 dev eth0',
      'ip -n a link set lo up',
      'ip -n a link set eth0 up',
      'ip -n b link set eth0 up',
      'ip -n a link add flannel.1 type vxlan id 1 dev eth0 dstport 8472 nolearning local 172.18.0.2',
      'ip -n a addr add 10.244.0.0/32 dev flannel.1',
      'ip -n a link set flannel.1 up',
      'ip -n a route add 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink',
    ]);
    const ma = macOf(l, 'a', 'flannel.1');
    const r = l.run('ip netns exec a ping -c 2 10.244.1.0');
    expect(r.stdout).toMatch(
      /^PING 10\.244\.1\.0 \(10\.244\.1\.0\) 56\(84\) bytes of data\.\nFrom 10\.244\.0\.0 icmp_seq=1 Destination Host Unreachable\nFrom 10\.244\.0\.0 icmp_seq=2 Destination Host Unreachable\n\n--- 10\.244\.1\.0 ping statistics ---\n2 packets transmitted, 0 received, \+2 errors, 100% packet loss, time \d+ms\npipe 2\n$/,
    );
    const fl = captureLinesOf(l.world, r, 'h', 'a', 'flannel.1');
    expect(fl).toEqual(
      Array<string>(3).fill(
        `${ma} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.1.0 tell 10.244.0.0, length 28`,
      ),
    );
    expect(captureLinesOf(l.world, r, 'h', 'a', 'eth0')).toEqual([]);
    expect(l.run('ip -n a neigh show dev flannel.1').stdout).toBe('10.244.1.0 FAILED \n');
    // The kernel also counted its IPv6 multicast (7 more drops); the engine sends no IPv6.
    expect(l.run('ip -n a -s link show flannel.1').stdout.split('\n')[5]).toBe(
      '             0       0      0       3       0       0 ',
    );
    // With a neighbour entry but still no FDB entry the echo vanishes without an error.
    l.setup([
      'ip -n a neigh replace 10.244.1.0 lladdr 02:00:00:00:00:09 dev flannel.1 nud permanent',
    ]);
    const p = l.run('ip netns exec a ping -c 1 -W 1 10.244.1.0');
    expect(p.stdout).toBe(
      'PING 10.244.1.0 (10.244.1.0) 56(84) bytes of data.\n\n--- 10.244.1.0 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n',
    );
    expect(l.run('ip -n a -s link show flannel.1').stdout.split('\n')[5]).toBe(
      '             0       0      0       4       0       0 ',
    );
  });

  it('fdb add, append, replace and del behave as on kernel 6.18', () => {
    const l = lab();
    l.setup([
      'ip netns add c',
      'ip link add d0 netns c type veth peer name d1 netns c',
      'ip -n c link add vx0 type vxlan id 5 dev d0 dstport 8472',
    ]);
    const B = 'bridge -n c fdb';
    let r = l.run(`${B} add 02:00:00:00:00:01 dev vx0`);
    expect([r.exitCode, r.stderr]).toEqual([255, 'RTNETLINK answers: Invalid argument\n']);
    l.setup([`${B} add 02:00:00:00:00:02 dev vx0 dst 172.18.0.5`]);
    r = l.run(`${B} add 02:00:00:00:00:02 dev vx0 dst 172.18.0.6`);
    expect([r.exitCode, r.stderr]).toEqual([255, 'RTNETLINK answers: File exists\n']);
    l.setup([
      `${B} append 02:00:00:00:00:02 dev vx0 dst 172.18.0.5`,
      `${B} append 02:00:00:00:00:02 dev vx0 dst 172.18.0.6`,
      `${B} append 02:00:00:00:00:03 dev vx0 dst 172.18.0.7`,
      `${B} append 00:00:00:00:00:00 dev vx0 dst 172.18.0.8`,
    ]);
    expect(l.run(`${B} show dev vx0`).stdout).toBe(
      '00:00:00:00:00:00 dst 172.18.0.8 self permanent\n' +
        '02:00:00:00:00:03 dst 172.18.0.7 self permanent\n' +
        '02:00:00:00:00:02 dst 172.18.0.5 self permanent\n',
    );
    l.setup([`${B} replace 02:00:00:00:00:03 dev vx0 dst 172.18.0.9`]);
    l.setup([`${B} del 02:00:00:00:00:02 dev vx0 dst 172.18.0.5`]);
    expect(l.run(`${B} show dev vx0`).stdout).toBe(
      '00:00:00:00:00:00 dst 172.18.0.8 self permanent\n' +
        '02:00:00:00:00:03 dst 172.18.0.9 self permanent\n',
    );
    l.setup([`${B} del 02:00:00:00:00:03 dev vx0`]);
    r = l.run(`${B} del 02:00:00:00:00:03 dev vx0`);
    expect([r.exitCode, r.stderr]).toEqual([255, 'RTNETLINK answers: No such file or directory\n']);
    l.setup([`${B} add 02:00:00:00:00:04 dev vx0 dst 172.18.0.4 static`]);
    expect(l.run(`${B} show dev vx0`).stdout).toBe(
      '02:00:00:00:00:04 dst 172.18.0.4 self static\n' +
        '00:00:00:00:00:00 dst 172.18.0.8 self permanent\n',
    );
  });

  it('ip link add: the default port warning, a duplicate VNI, a missing id, the MTU ceiling', () => {
    const l = lab();
    l.setup(['ip netns add c', 'ip link add d0 netns c type veth peer name d1 netns c']);
    let r = l.run('ip -n c link add vx0 type vxlan id 5 dev d0');
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(
      "vxlan: destination port not specified\nWill use Linux kernel default (non-standard value)\nUse 'dstport 4789' to get the IANA assigned value\nUse 'dstport 0' to get default and quiet this message\n",
    );
    expect(l.run('ip -n c -d link show vx0').stdout).toContain(
      '    vxlan id 5 dev d0 srcport 0 0 dstport 8472 ttl auto ageing 300 ',
    );
    expect(l.run('ip -n c link show vx0').stdout).toContain(
      'vx0: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n',
    );
    r = l.run('ip -n c link add vx1 type vxlan id 5 dstport 8472');
    expect([r.exitCode, r.stderr]).toEqual([
      2,
      'Error: A VXLAN device with the specified VNI already exists.\n',
    ]);
    expect(l.run('ip -n c link add vx4 type vxlan id 5 dstport 4789').exitCode).toBe(0);
    r = l.run('ip -n c link add vx2 type vxlan dstport 8472');
    expect([r.exitCode, r.stderr]).toEqual([1, 'vxlan: missing virtual network identifier\n']);
    l.setup(['ip -n c link add vx3 type vxlan id 7 dstport 4789 learning ttl 10']);
    expect(l.run('ip -n c -d link show vx3').stdout).toContain('mtu 1500 qdisc noop state DOWN');
    expect(l.run('ip -n c -d link show vx3').stdout).toContain(
      '    vxlan id 7 srcport 0 0 dstport 4789 ttl 10 ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 \n',
    );
    r = l.run('ip -n c link set vx0 mtu 1451');
    expect([r.exitCode, r.stderr]).toEqual([2, 'RTNETLINK answers: Invalid argument\n']);
  });
});
