/**
 * Behaviour checked against the real kernel (6.18, iproute2 6.1.0, iputils 20221126, curl 7.88.1)
 * in scratch namespaces on the development machine. The expected strings are what it printed.
 */
import { describe, expect, it } from 'vitest';
import { VETH_PAIR, lab } from '../testing/lab';
import { captureLinesOf } from '../testing/capture';

describe('neighbour resolution failure', () => {
  it('reports Destination Host Unreachable after three probes when lo is up', () => {
    const l = lab();
    l.setup([...VETH_PAIR, 'ip -n a link set lo up']);
    const r = l.run('ip netns exec a ping -c 3 10.0.0.99');
    expect(r.stdout).toBe(
      'PING 10.0.0.99 (10.0.0.99) 56(84) bytes of data.\n' +
        'From 10.0.0.11 icmp_seq=1 Destination Host Unreachable\n' +
        'From 10.0.0.11 icmp_seq=2 Destination Host Unreachable\n' +
        'From 10.0.0.11 icmp_seq=3 Destination Host Unreachable\n\n' +
        '--- 10.0.0.99 ping statistics ---\n' +
        '3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2000ms\n' +
        'pipe 3\n',
    );
    expect(r.exitCode).toBe(1);
    // The kernel gave up at 3 s (3 broadcast probes, 1 s apart): ping finished then.
    expect((r.endTime - r.startTime) / 1e9).toBeCloseTo(3, 0);
    const arp = captureLinesOf(l.world, r, 'h', 'a', 'va').filter((x) =>
      x.includes('who-has 10.0.0.99'),
    );
    expect(arp).toHaveLength(3);
    expect(l.run('ip netns exec a ip neigh').stdout).toBe('10.0.0.99 dev va FAILED \n');
  });

  it('stays silent when lo is down: the error never reaches ping, which waits out its 10 s', () => {
    const l = lab();
    l.setup(VETH_PAIR);
    const r = l.run('ip netns exec a ping -c 3 10.0.0.99');
    expect(r.stdout).toContain(
      '3 packets transmitted, 0 received, 100% packet loss, time 2000ms\n',
    );
    expect(r.stdout).not.toContain('Unreachable');
    expect((r.endTime - r.startTime) / 1e9).toBeCloseTo(12, 0);
  });
});

describe('routes and addresses', () => {
  it('prints routes with iproute2 6.1.0 trailing spaces and kernel ordering', () => {
    const l = lab();
    l.setup([
      ...VETH_PAIR,
      'ip -n a route add default via 10.0.0.1',
      'ip -n a route add 1.1.1.1 via 10.0.0.1 dev va',
      'ip -n a route add 10.9.0.0/16 dev va',
      'ip -n a route add blackhole 10.8.0.0/16',
      'ip -n a route add 10.7.0.0/16 via 10.0.0.1 metric 100',
      'ip -n a route add 10.6.0.0/16 via 10.0.0.1 dev va onlink',
      'ip -n a route add 10.5.0.0/16 via 10.0.0.1 proto static',
    ]);
    expect(l.run('ip -n a route').stdout).toBe(
      'default via 10.0.0.1 dev va \n1.1.1.1 via 10.0.0.1 dev va \n10.0.0.0/24 dev va proto kernel scope link src 10.0.0.11 \n10.5.0.0/16 via 10.0.0.1 dev va proto static \n10.6.0.0/16 via 10.0.0.1 dev va onlink \n10.7.0.0/16 via 10.0.0.1 dev va metric 100 \nblackhole 10.8.0.0/16 \n10.9.0.0/16 dev va scope link \n',
    );
    expect(l.run('ip -n a route show table local').stdout).toBe(
      'local 10.0.0.11 dev va proto kernel scope host src 10.0.0.11 \nbroadcast 10.0.0.255 dev va proto kernel scope link src 10.0.0.11 \n',
    );
    expect(l.run('ip -n a route get 8.8.8.8').stdout).toBe(
      '8.8.8.8 via 10.0.0.1 dev va src 10.0.0.11 uid 0 \n    cache \n',
    );
    expect(l.run('ip -n a route get 10.0.0.11').stdout).toBe(
      'local 10.0.0.11 dev lo src 10.0.0.11 uid 0 \n    cache <local> \n',
    );
  });

  it('keeps the local route of a down device and flushes every other route through it', () => {
    const l = lab();
    l.setup([...VETH_PAIR, 'ip -n a route add default via 10.0.0.1', 'ip -n a link set va down']);
    expect(l.run('ip -n a route').stdout).toBe('');
    expect(l.run('ip -n a route show table local').stdout).toBe(
      'local 10.0.0.11 dev va proto kernel scope host src 10.0.0.11 \n',
    );
    l.run('ip -n a link set va up');
    // The static default route does not come back.
    expect(l.run('ip -n a route').stdout).toBe(
      '10.0.0.0/24 dev va proto kernel scope link src 10.0.0.11 \n',
    );
  });

  it('has no local table in a fresh namespace', () => {
    const l = lab();
    l.setup(['ip netns add x']);
    const r = l.run('ip netns exec x ip route show table local');
    expect([r.exitCode, r.stderr]).toEqual([
      2,
      'Error: ipv4: FIB table does not exist.\nDump terminated\n',
    ]);
    expect(l.run('ip netns exec x ping -c 1 127.0.0.1').stderr).toBe(
      'ping: connect: Network is unreachable\n',
    );
  });

  it('refuses bad requests with the kernel and iproute2 texts', () => {
    const l = lab();
    l.setup(VETH_PAIR);
    const cases: [string, number, string][] = [
      ['ip -n a route add 10.0.0.0/24 dev va', 2, 'RTNETLINK answers: File exists\n'],
      ['ip -n a route add 5.5.5.0/24 via 10.9.9.9', 2, 'Error: Nexthop has invalid gateway.\n'],
      ['ip -n a route del 4.4.4.4', 2, 'RTNETLINK answers: No such process\n'],
      [
        'ip -n a route add 5.5.5.1/24 dev va',
        2,
        'Error: Invalid prefix for given prefix length.\n',
      ],
      [
        'ip -n a route add 5.5.5.0/33 dev va',
        1,
        'Error: any valid prefix is expected rather than "5.5.5.0/33".\n',
      ],
      ['ip -n a route add bogus', 1, 'Error: any valid prefix is expected rather than "bogus".\n'],
      ['ip -n a addr add 10.0.0.11/24 dev va', 2, 'Error: ipv4: Address already assigned.\n'],
      ['ip -n a addr del 10.0.0.99/24 dev va', 2, 'Error: ipv4: Address not found.\n'],
      [
        'ip -n a addr add 10.0.0.300/24 dev va',
        1,
        'Error: any valid prefix is expected rather than "10.0.0.300/24".\n',
      ],
      ['ip -n a route get 8.8.8.8', 2, 'RTNETLINK answers: Network is unreachable\n'],
      ['ip link set nosuch up', 1, 'Cannot find device "nosuch"\n'],
    ];
    for (const [cmd, code, err] of cases) {
      const r = l.run(cmd);
      expect({ cmd, code: r.exitCode, err: r.stderr }).toEqual({ cmd, code, err });
    }
  });
});

describe('links', () => {
  it('shows a veth pair in one namespace with @peer names and M-DOWN', () => {
    const l = lab();
    l.setup(['ip link add veth-client type veth peer name veth-server']);
    expect(l.run('ip link list').stdout).toContain(
      '2: veth-server@veth-client: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n',
    );
  });

  it('marks a veth without carrier LOWERLAYERDOWN, or DOWN when its peer has the same index', () => {
    const l = lab();
    l.setup([
      'ip netns add x',
      'ip netns add y',
      'ip -n x link add d0 type veth peer name p0 netns y',
      'ip -n x link set d0 up',
    ]);
    // Both ends got index 2 (one in each namespace): default_operstate says DOWN.
    expect(l.run('ip -n x link show d0').stdout).toContain(
      '2: d0@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN',
    );
    l.setup([
      'ip link add c1 type veth peer name c1-br',
      'ip link set c1 netns x',
      'ip link set c1-br up',
    ]);
    expect(l.run('ip link show c1-br').stdout).toContain('state LOWERLAYERDOWN');
  });

  it('lets a bridge take its lowest port MAC, and reports carrier from its ports', () => {
    const l = lab();
    l.setup([
      'ip link add bridge1 type bridge',
      'ip link add a1 type veth peer name a1-br',
      'ip link add b1 type veth peer name b1-br',
      'ip link set a1-br master bridge1',
      'ip link set b1-br master bridge1',
    ]);
    const macs = ['a1-br', 'b1-br']
      .map((d) => /link\/ether (\S+)/.exec(l.run(`ip link show ${d}`).stdout)![1]!)
      .sort();
    expect(l.run('ip link show bridge1').stdout).toContain(`link/ether ${macs[0]} `);
    l.run('ip link set bridge1 up');
    expect(l.run('ip link show bridge1').stdout).toContain(
      '<NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN',
    );
    l.setup(['ip link set a1-br up', 'ip link set a1 up']);
    expect(l.run('ip link show bridge1').stdout).toContain(
      '<BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP',
    );
    expect(l.run('bridge link').stdout).toMatch(
      /^\d+: a1-br@a1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master bridge1 state forwarding priority 32 cost 2 \n\d+: b1-br@b1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 master bridge1 state disabled priority 32 cost 2 \n$/,
    );
  });
});

describe('forwarding', () => {
  const ROUTER = [
    'ip netns add c',
    'ip netns add r',
    'ip netns add s',
    'ip link add c0 type veth peer name r0',
    'ip link add s0 type veth peer name r1',
    'ip link set c0 netns c',
    'ip link set r0 netns r',
    'ip link set r1 netns r',
    'ip link set s0 netns s',
    'ip -n c addr add 10.0.1.2/24 dev c0',
    'ip -n r addr add 10.0.1.1/24 dev r0',
    'ip -n r addr add 10.0.2.1/24 dev r1',
    'ip -n s addr add 10.0.2.2/24 dev s0',
    'ip -n c link set c0 up',
    'ip -n r link set r0 up',
    'ip -n r link set r1 up',
    'ip -n s link set s0 up',
    'ip -n c link set lo up',
    'ip -n c route add default via 10.0.1.1',
    'ip -n s route add default via 10.0.2.1',
  ];

  it('drops silently at a router with ip_forward=0 (InAddrErrors)', () => {
    const l = lab();
    l.setup(ROUTER);
    const r = l.run('ip netns exec c ping -c 1 -W 1 10.0.2.2');
    expect(r.stdout).toContain('1 packets transmitted, 0 received, 100% packet loss');
    expect(r.stdout).not.toContain('From');
    expect(l.world.host('h')!.named.get('r')!.snmp.InAddrErrors).toBe(1);
  });

  it('decrements TTL, answers with ttl=63, and reports Time to live exceeded for -t 1', () => {
    const l = lab();
    l.setup([...ROUTER, 'ip netns exec r sysctl -w net.ipv4.ip_forward=1']);
    expect(l.run('ip netns exec c ping -c 1 10.0.2.2').stdout).toContain(
      '64 bytes from 10.0.2.2: icmp_seq=1 ttl=63 time=',
    );
    expect(l.run('ip netns exec c ping -c 1 -t 1 10.0.2.2').stdout).toContain(
      'From 10.0.1.1 icmp_seq=1 Time to live exceeded\n',
    );
    expect(l.run('ip netns exec c ping -c 1 -W 1 10.0.9.9').stdout).toContain(
      'From 10.0.1.1 icmp_seq=1 Destination Net Unreachable\n',
    );
  });

  it('limits net-unreachable errors twice per sender (ip_error, then icmp_send)', () => {
    // Kernel 6.18, the same router: ping -c 9 -i 0.7 got "+3 errors" (icmp_seq 1-3), and after a
    // 3 s pause ping -c 4 -i 1 got three again. ip_error (1 s a message, burst 5 s) and
    // inet_peer_xrlim_allow (1 s, burst 6 s) spend the tokens of one inet_peer, the sender's, so
    // each error costs it 2 s; a steady 1/s stream got four errors, then none.
    const l = lab();
    l.setup([...ROUTER, 'ip netns exec r sysctl -w net.ipv4.ip_forward=1']);
    const first = l.run('ip netns exec c ping -c 9 -i 0.7 -W 1 10.0.9.9').stdout;
    expect(first.match(/Destination Net Unreachable/g)).toHaveLength(3);
    expect(first).toContain('From 10.0.1.1 icmp_seq=3 Destination Net Unreachable\n');
    expect(first).toContain('9 packets transmitted, 0 received, +3 errors, 100% packet loss');
    l.run('sleep 3');
    const second = l.run('ip netns exec c ping -c 4 -i 1 -W 1 10.0.9.9').stdout;
    expect(second).toContain('4 packets transmitted, 0 received, +3 errors, 100% packet loss');
  });

  it('gives a new namespace the host root namespace ip_forward', () => {
    const l = lab({ hosts: [{ name: 'node', ipForward: true }] });
    l.setup(['ip netns add p']);
    expect(l.run('ip netns exec p sysctl net.ipv4.ip_forward').stdout).toBe(
      'net.ipv4.ip_forward = 1\n',
    );
    l.setup(['sysctl -w net.ipv4.ip_forward=0', 'ip netns add q']);
    expect(l.run('ip netns exec q cat /proc/sys/net/ipv4/ip_forward').stdout).toBe('0\n');
  });
});

describe('TCP on loopback, as curl and http.server exchange it', () => {
  it('produces the flag sequence the kernel showed', () => {
    const l = lab();
    l.setup([
      'ip netns add x',
      'ip netns exec x ip link set lo up',
      'ip netns exec x python3 -m http.server 8080 &',
    ]);
    const r = l.run('ip netns exec x curl -s localhost:8080');
    expect(r.exitCode).toBe(0);
    const flags = captureLinesOf(l.world, r, 'h', 'x', 'lo').map(
      (x) => /Flags \[([^\]]+)\]/.exec(x)?.[1],
    );
    // Recorded with tcpdump -i lo on the lab machine: each data segment is acknowledged at once,
    // the server closes first and the client's FIN carries its ACK.
    expect(flags).toEqual(['S', 'S.', '.', 'P.', '.', 'P.', '.', 'P.', '.', 'F.', 'F.', '.']);
    expect(captureLinesOf(l.world, r, 'h', 'x', 'lo')[0]).toMatch(
      /length 74: 127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.8080: Flags \[S\], seq \d+, win 65495, options \[mss 65495,sackOK,TS val \d+ ecr 0,nop,wscale 10\], length 0$/,
    );
  });

  it('refuses a closed port with a reset, and curl says so in its 7.88.1 words', () => {
    const l = lab();
    l.setup(['ip netns add x', 'ip netns exec x ip link set lo up']);
    const r = l.run('ip netns exec x curl -v localhost:8080');
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toBe(
      "*   Trying 127.0.0.1:8080...\n* connect to 127.0.0.1 port 8080 failed: Connection refused\n*   Trying [::1]:8080...\n* connect to ::1 port 8080 failed: Connection refused\n* Failed to connect to localhost port 8080 after 0 ms: Couldn't connect to server\n* Closing connection 0\ncurl: (7) Failed to connect to localhost port 8080 after 0 ms: Couldn't connect to server\n",
    );
  });

  it('reports an immediate failure when lo is down', () => {
    const l = lab();
    l.setup(['ip netns add x']);
    const r = l.run('ip netns exec x curl -v -m 2 localhost:8080');
    expect(r.stderr).toContain(
      '* Immediate connect fail for 127.0.0.1: Network is unreachable\n*   Trying [::1]:8080...\n* Immediate connect fail for ::1: Cannot assign requested address\n',
    );
  });

  it('lists the directory the way Debian 12 Python 3.11 does', () => {
    const l = lab();
    l.setup([
      'ip netns add x',
      'ip netns exec x ip link set lo up',
      'mkdir -p /srv/empty',
      'cd /srv/empty && ip netns exec x python3 -m http.server 8080 &',
    ]);
    expect(l.run('ip netns exec x curl -s localhost:8080').stdout).toBe(
      '<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Directory listing for /</title>\n</head>\n<body>\n<h1>Directory listing for /</h1>\n<hr>\n<ul>\n</ul>\n<hr>\n</body>\n</html>\n',
    );
    expect(l.run('ip netns exec x curl -sI localhost:8080').stdout).toMatch(
      /^HTTP\/1\.0 200 OK\r\nServer: SimpleHTTP\/0\.6 Python\/3\.11\.2\r\nDate: .* GMT\r\nContent-type: text\/html; charset=utf-8\r\nContent-Length: 187\r\n\r\n$/,
    );
  });
});

describe('NAT', () => {
  it('masquerades forwarded traffic and conntrack shows both tuples', () => {
    const l = lab();
    l.setup([
      'ip netns add c',
      'ip netns add r',
      'ip netns add s',
      'ip link add c0 type veth peer name r0',
      'ip link add s0 type veth peer name r1',
      'ip link set c0 netns c',
      'ip link set r0 netns r',
      'ip link set r1 netns r',
      'ip link set s0 netns s',
      'ip -n c addr add 10.0.1.2/24 dev c0',
      'ip -n r addr add 10.0.1.1/24 dev r0',
      'ip -n r addr add 192.168.9.1/24 dev r1',
      'ip -n s addr add 192.168.9.2/24 dev s0',
      'ip -n c link set c0 up',
      'ip -n r link set r0 up',
      'ip -n r link set r1 up',
      'ip -n s link set s0 up',
      'ip -n s link set lo up',
      'ip -n c route add default via 10.0.1.1',
      'ip netns exec r sysctl -w net.ipv4.ip_forward=1',
      'ip netns exec r iptables -t nat -A POSTROUTING -s 10.0.1.0/24 -o r1 -j MASQUERADE',
      'ip netns exec s python3 -m http.server 8080 &',
    ]);
    const r = l.run('ip netns exec c curl -s 192.168.9.2:8080');
    expect(r.exitCode).toBe(0);
    const ct = l.run('ip netns exec r conntrack -L');
    expect(ct.stdout).toMatch(
      /^tcp {6}6 120 TIME_WAIT src=10\.0\.1\.2 dst=192\.168\.9\.2 sport=(\d+) dport=8080 src=192\.168\.9\.2 dst=192\.168\.9\.1 sport=8080 dport=\1 \[ASSURED\] mark=0 use=1\n$/,
    );
    expect(ct.stderr).toBe('conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n');
    expect(l.run('ip netns exec r iptables -t nat -L POSTROUTING -n -v').stdout).toContain(
      'MASQUERADE  0    --  *      r1      10.0.1.0/24          0.0.0.0/0',
    );
  });
});

describe('bridge fdb show', () => {
  // Recorded with random MACs; the test pins the same ones so the lines read alike.
  const V1 = '6a:88:a6:a9:f8:78';
  const V1P = 'be:ef:c5:65:49:3b';
  const setup = [
    'ip netns add s',
    'ip -n s link add br0 type bridge',
    `ip -n s link add v1 address ${V1} type veth peer name v1p address ${V1P}`,
    'ip -n s link add v2 type veth peer name v2p',
    'ip -n s link set v1 master br0',
  ];
  const show = (l: ReturnType<typeof lab>, args = '') =>
    l
      .run(`ip netns exec s bridge fdb show ${args}`)
      .stdout.split('\n')
      .filter((x) => !/ dev v2p? /.test(x))
      .join('\n');

  it('lists each device in order: entries behind a port newest first, then its multicast list', () => {
    const l = lab();
    l.setup(setup);
    expect(show(l)).toBe(
      `33:33:00:00:00:01 dev br0 self permanent\n33:33:00:00:00:01 dev v1p self permanent\n${V1} dev v1 master br0 permanent\n33:33:00:00:00:01 dev v1 self permanent\n`,
    );
    l.run('ip -n s link set br0 up');
    l.run('ip -n s link set v1 up');
    expect(show(l)).toBe(
      `33:33:00:00:00:01 dev br0 self permanent\n01:00:5e:00:00:6a dev br0 self permanent\n33:33:00:00:00:6a dev br0 self permanent\n01:00:5e:00:00:01 dev br0 self permanent\n33:33:00:00:00:01 dev v1p self permanent\n${V1} dev v1 master br0 permanent\n33:33:00:00:00:01 dev v1 self permanent\n01:00:5e:00:00:01 dev v1 self permanent\n`,
    );
    l.run('ip -n s link set v1p up');
    l.run('ip netns exec s sleep 3');
    // v1p sent IPv6 router solicitations after DAD in the kernel: the bridge learned its MAC.
    // The engine sends no IPv6, so a frame from v1p teaches it here instead.
    l.run('ip -n s addr add 10.9.0.2/24 dev v1p');
    l.run('ip netns exec s ping -c1 -W1 -I v1p 10.9.0.9');
    expect(show(l)).toBe(
      `33:33:00:00:00:01 dev br0 self permanent\n01:00:5e:00:00:6a dev br0 self permanent\n33:33:00:00:00:6a dev br0 self permanent\n01:00:5e:00:00:01 dev br0 self permanent\n33:33:ff:a9:f8:78 dev br0 self permanent\n33:33:00:00:00:01 dev v1p self permanent\n01:00:5e:00:00:01 dev v1p self permanent\n33:33:ff:65:49:3b dev v1p self permanent\n${V1P} dev v1 master br0 \n${V1} dev v1 master br0 permanent\n33:33:00:00:00:01 dev v1 self permanent\n01:00:5e:00:00:01 dev v1 self permanent\n33:33:ff:a9:f8:78 dev v1 self permanent\n`,
    );
    // An explicit bridge MAC is the bridge's own entry; its link-local address keeps the old one.
    l.run('ip -n s link set br0 address 02:11:22:33:44:55');
    expect(show(l, 'br br0')).toContain(
      '33:33:ff:a9:f8:78 dev br0 self permanent\n02:11:22:33:44:55 dev br0 master br0 permanent\n',
    );
    expect(l.run('ip netns exec s bridge fdb show dev v1').stdout).toBe(
      `${V1P} master br0 \n${V1} master br0 permanent\n33:33:00:00:00:01 self permanent\n01:00:5e:00:00:01 self permanent\n33:33:ff:a9:f8:78 self permanent\n`,
    );
    // A bridge going down forgets what it learned and leaves its groups.
    l.run('ip -n s link set br0 down');
    expect(show(l, 'br br0')).toBe(
      `02:11:22:33:44:55 dev br0 master br0 permanent\n${V1} dev v1 master br0 permanent\n33:33:00:00:00:01 dev v1 self permanent\n01:00:5e:00:00:01 dev v1 self permanent\n33:33:ff:a9:f8:78 dev v1 self permanent\n`,
    );
  });

  it('rejoins IPv4 before IPv6 after a down/up cycle, and IPv6 only with carrier', () => {
    const l = lab();
    l.setup([...setup, 'ip -n s link set v1 up', 'ip -n s link set v1p up']);
    l.run('ip -n s link set v1 down');
    l.run('ip -n s link set v1p down');
    l.run('ip -n s link set v1 up');
    expect(l.run('ip netns exec s bridge fdb show dev v1').stdout).toBe(
      `${V1} master br0 permanent\n01:00:5e:00:00:01 self permanent\n`,
    );
    l.run('ip -n s link set v1p up');
    expect(l.run('ip netns exec s bridge fdb show dev v1').stdout).toBe(
      `${V1} master br0 permanent\n01:00:5e:00:00:01 self permanent\n33:33:00:00:00:01 self permanent\n33:33:ff:a9:f8:78 self permanent\n`,
    );
  });

  it('adds entries with the state words of bridge fdb add', () => {
    const l = lab();
    l.setup([...setup, 'ip -n s link set v1 up', 'ip -n s link set br0 up']);
    l.run('ip netns exec s bridge fdb add 02:00:00:00:09:09 dev v1 master static');
    l.run('ip netns exec s bridge fdb add 02:00:00:00:09:0a dev v1');
    l.run('ip netns exec s bridge fdb add 02:00:00:00:09:0c dev v1 master');
    expect(l.run('ip netns exec s bridge fdb show dev v1').stdout).toBe(
      `02:00:00:00:09:0c master br0 permanent\n02:00:00:00:09:09 master br0 static\n${V1} master br0 permanent\n02:00:00:00:09:0a self permanent\n33:33:00:00:00:01 self permanent\n01:00:5e:00:00:01 self permanent\n`,
    );
  });
});

describe('SYN-ACKs waiting on an unanswered ARP', () => {
  // A client routed in from another subnet, but with an address the server believes is on its
  // own link: the server's SYN-ACKs queue behind ARP, which never gets an answer.
  const setup = [
    'ip netns add s',
    'ip netns add r',
    'ip netns add c',
    'ip link add s0 netns s type veth peer name r0 netns r',
    'ip link add c0 netns c type veth peer name r1 netns r',
    'ip -n s link set lo up',
    'ip -n s link set s0 up',
    'ip -n r link set r0 up',
    'ip -n r link set r1 up',
    'ip -n c link set c0 up',
    'ip -n s addr add 10.9.0.2/24 dev s0',
    'ip -n r addr add 10.9.0.254/24 dev r0',
    'ip -n r addr add 192.168.5.1/24 dev r1',
    'ip -n c addr add 192.168.5.2/24 dev c0',
    'ip -n c addr add 10.9.0.1/32 dev c0',
    'ip -n c route add 10.9.0.2 via 192.168.5.1 src 10.9.0.1',
    'ip netns exec r sysctl -qw net.ipv4.ip_forward=1',
    'ip netns exec s python3 -m http.server 8080 &',
  ];

  it('come back as ICMP host unreachable on lo, one per queued SYN-ACK, after three probes', () => {
    const l = lab();
    l.setup(setup);
    l.run('ip netns exec s sleep 1');
    // Kernel: SYN-ACKs at 0 s, twice at 1 s (the SYN-ACK timer and the retransmitted SYN, which
    // also restarts the timer), then at 3 s; the neighbour fails after three broadcasts, and
    // every queued SYN-ACK turns into an error sent to ourselves through lo.
    const r = l.run('ip netns exec c curl -s -m 2 10.9.0.2:8080');
    expect(r.exitCode).toBe(28);
    const w = l.run('ip netns exec s sleep 3');
    const both = { captureFrom: r.captureFrom, captureTo: w.captureTo };
    const arp = captureLinesOf(l.world, both, 'h', 's', 's0').filter((x) =>
      x.includes('Request who-has 10.9.0.1 tell 10.9.0.2'),
    );
    expect(arp).toHaveLength(3);
    const icmp = captureLinesOf(l.world, both, 'h', 's', 'lo');
    expect(icmp).toHaveLength(4);
    for (const x of icmp)
      expect(x).toContain('10.9.0.2 > 10.9.0.2: ICMP host 10.9.0.1 unreachable');
    expect(l.run('ip netns exec s ip neigh show 10.9.0.1').stdout).toBe(
      '10.9.0.1 dev s0 FAILED \n',
    );
  });
});

describe('SYN retransmission (Linux 6.x linear timeouts)', () => {
  it('retries at 1 s five times, then backs off, and connect gives up after about 131 s', () => {
    const l = lab();
    l.setup([...VETH_PAIR, 'ip netns exec b iptables -A INPUT -p tcp --dport 8080 -j DROP']);
    const r = l.run('ip netns exec a curl 10.0.0.12:8080');
    expect(r.exitCode).toBe(28);
    // Kernel: "after 133574 ms" (each timer fires a little late on the timer wheel).
    expect(r.stderr).toMatch(
      /^curl: \(28\) Failed to connect to 10\.0\.0\.12 port 8080 after 13\d{4} ms: Couldn't connect to server\n$/,
    );
    const syns = l.world.captures
      .since(r.captureFrom)
      .filter((c) => c.dev === 'va' && c.frame.payload.kind === 'ipv4')
      .map((c) => (c.time - r.startTime) / 1e9);
    // Recorded on the kernel: 0, +1, +2, +3, +4, +5, +7, +11.3, +19.5, +35.6, +67.9 s.
    const expected = [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67];
    expect(syns).toHaveLength(expected.length);
    syns.forEach((t, i) => {
      expect(t).toBeGreaterThanOrEqual(expected[i]!);
      expect(t).toBeLessThan(expected[i]! * 1.04 + 0.05);
    });
  });
});

describe('a SYN waiting on ARP', () => {
  it('is not retransmitted while queued, and fails the connect with No route to host', () => {
    const l = lab();
    l.setup([...VETH_PAIR, 'ip -n a link set lo up']);
    const r = l.run('ip netns exec a curl -s 10.0.0.99:8080');
    // Kernel: three ARP requests 1 s apart, one ICMP host unreachable on lo (only the first SYN
    // was ever queued: skb_still_in_host_queue held back the retransmission), curl exit 7
    // "after 3062 ms".
    expect(r.exitCode).toBe(7);
    const lo = captureLinesOf(l.world, r, 'h', 'a', 'lo');
    expect(lo).toHaveLength(1);
    expect(lo[0]).toContain('10.0.0.11 > 10.0.0.11: ICMP host 10.0.0.99 unreachable');
    const va = captureLinesOf(l.world, r, 'h', 'a', 'va');
    expect(va.filter((x) => x.includes('Request who-has 10.0.0.99'))).toHaveLength(3);
    expect(va.filter((x) => x.includes('Flags [S]'))).toHaveLength(0);
    const v = l.run('ip netns exec a curl -v 10.0.0.99:8080');
    expect(v.stderr).toContain('* connect to 10.0.0.99 port 8080 failed: No route to host\n');
    expect(v.stderr).toMatch(
      /Failed to connect to 10\.0\.0\.99 port 8080 after 30\d\d ms: Couldn't connect to server/,
    );
  });
});

describe('when connection tracking runs', () => {
  // Kernel: conntrack's hooks register only for rules that need them.
  const cases: [string, number][] = [
    ['true', 0],
    ['iptables -L -n', 0],
    ['iptables -t nat -L -n', 0],
    ['iptables -P FORWARD DROP', 0],
    ['iptables -A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT', 1],
    ['iptables -A INPUT -m state --state NEW -j ACCEPT', 1],
    ['iptables -t nat -A POSTROUTING -o eth9 -j MASQUERADE', 1],
    ['iptables -t raw -A PREROUTING -j NOTRACK', 0],
  ];
  it.each(cases)('after "%s" a local ping leaves %i entries', (rule, entries) => {
    const l = lab();
    l.setup(['ip netns add c', 'ip -n c link set lo up']);
    l.run(`ip netns exec c ${rule}`);
    l.run('ip netns exec c ping -c1 -W1 127.0.0.1');
    expect(l.run('ip netns exec c conntrack -L').stderr).toBe(
      `conntrack v1.4.7 (conntrack-tools): ${entries} flow entries have been shown.\n`,
    );
  });
});

describe('br_netfilter', () => {
  const bridged = [
    'ip netns add br',
    'ip netns add a',
    'ip netns add b',
    'ip -n br link add br0 type bridge',
    'ip -n br link set br0 up',
    'ip -n br link add pa type veth peer name ea netns a',
    'ip -n br link add pb type veth peer name eb netns b',
    'ip -n br link set pa master br0',
    'ip -n br link set pb master br0',
    'ip -n br link set pa up',
    'ip -n br link set pb up',
    'ip -n a link set ea up',
    'ip -n b link set eb up',
    'ip -n a addr add 10.5.0.1/24 dev ea',
    'ip -n b addr add 10.5.0.2/24 dev eb',
    'ip netns exec br iptables -P FORWARD DROP',
  ];

  it('is absent until loaded: no net.bridge sysctls, and iptables never sees bridged frames', () => {
    const l = lab();
    l.setup(bridged);
    const s = l.run('ip netns exec br sysctl net.bridge.bridge-nf-call-iptables');
    expect(s.exitCode).toBe(255);
    expect(s.stderr).toBe(
      'sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\n',
    );
    expect(l.run('ip netns exec a ping -c1 -W1 10.5.0.2').stdout).toContain('1 received');
  });

  it('once loaded, sends bridged IPv4 through FORWARD (as on Docker hosts and Kubernetes nodes)', () => {
    const l = lab();
    l.setup(bridged);
    expect(l.run('modprobe br_netfilter').exitCode).toBe(0);
    expect(l.run('ip netns exec br sysctl net.bridge.bridge-nf-call-iptables').stdout).toBe(
      'net.bridge.bridge-nf-call-iptables = 1\n',
    );
    expect(l.run('ip netns exec a ping -c1 -W1 10.5.0.2').stdout).toContain('0 received');
    expect(l.run('ip netns exec br iptables -L FORWARD -v -n').stdout).toContain(
      'Chain FORWARD (policy DROP 1 packets, 84 bytes)',
    );
    l.run('ip netns exec br sysctl -qw net.bridge.bridge-nf-call-iptables=0');
    expect(l.run('ip netns exec a ping -c1 -W1 10.5.0.2').stdout).toContain('1 received');
    expect(l.run('modprobe nosuchmod').stderr).toBe(
      'modprobe: FATAL: Module nosuchmod not found in directory /lib/modules/6.18.44-fc-v595\n',
    );
  });

  it('undoes a masquerade as the reply enters the bridge, so tcpdump on it sees the real client', () => {
    const setup = [
      'ip netns add r',
      'ip netns add a',
      'ip netns add c',
      'ip -n r link add br0 type bridge',
      'ip -n r link set br0 up',
      'ip -n r addr add 10.5.0.254/24 dev br0',
      'ip -n r link add pa type veth peer name ea netns a',
      'ip -n r link set pa master br0',
      'ip -n r link set pa up',
      'ip -n a link set ea up',
      'ip -n a addr add 10.5.0.1/24 dev ea',
      'ip -n a route add default via 10.5.0.254',
      'ip -n r link add rc type veth peer name ec netns c',
      'ip -n r link set rc up',
      'ip -n r addr add 192.168.9.1/24 dev rc',
      'ip -n c link set ec up',
      'ip -n c addr add 192.168.9.2/24 dev ec',
      'ip -n c route add default via 192.168.9.1',
      'ip netns exec r sysctl -qw net.ipv4.ip_forward=1',
      'ip netns exec r iptables -t nat -A POSTROUTING -o br0 -j MASQUERADE',
    ];
    // Kernel, tcpdump -i br0 icmp: with bridge-nf-call-iptables=1 the reply shows as
    // 10.5.0.1 > 192.168.9.2; with 0 it shows as 10.5.0.1 > 10.5.0.254.
    for (const [on, reply] of [
      [true, '10.5.0.1 > 192.168.9.2: ICMP echo reply'],
      [false, '10.5.0.1 > 10.5.0.254: ICMP echo reply'],
    ] as const) {
      const l = lab({ hosts: [{ name: 'h' }] });
      l.setup(['modprobe br_netfilter', ...setup]);
      if (!on) l.run('ip netns exec r sysctl -qw net.bridge.bridge-nf-call-iptables=0');
      const p = l.run('ip netns exec c ping -c1 -W1 10.5.0.1');
      expect(p.stdout).toContain('1 received');
      const br0 = captureLinesOf(l.world, p, 'h', 'r', 'br0');
      expect(br0.some((x) => x.includes('10.5.0.254 > 10.5.0.1: ICMP echo request'))).toBe(true);
      expect(br0.some((x) => x.includes(reply))).toBe(true);
    }
  });
});
