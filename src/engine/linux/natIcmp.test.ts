/**
 * An ICMP error about a DNATed connection, checked on kernel 6.18 in pl-nat- namespaces: a client
 * curls 10.96.0.50:80, a router DNATs it to 10.0.2.2:8080, where INPUT REJECTs it. Conntrack
 * finds the connection from the error's quoted packet (inverted: the quote carries the translated
 * addresses) and nf_nat translates both the error's source and the quote back, so the client's
 * socket gets ECONNREFUSED at once: curl exits 7 "after 0 ms", as on the kernel.
 */
import { describe, expect, it } from 'vitest';
import { lab } from '../testing/lab';
import { captureLinesOf } from '../testing/capture';

describe('ICMP errors through DNAT', () => {
  it('reach the client translated back to the address it connected to', () => {
    const l = lab();
    l.setup([
      'ip netns add c',
      'ip netns add r',
      'ip netns add s',
      'ip link add cr type veth peer name rc',
      'ip link add rs type veth peer name sr',
      'ip link set cr netns c',
      'ip link set rc netns r',
      'ip link set rs netns r',
      'ip link set sr netns s',
      'ip -n c link set cr name eth0',
      'ip -n r link set rc name eth0',
      'ip -n r link set rs name eth1',
      'ip -n s link set sr name eth0',
      'ip -n c link set lo up',
      'ip -n r link set lo up',
      'ip -n s link set lo up',
      'ip -n c addr add 10.0.1.2/24 dev eth0',
      'ip -n c link set eth0 up',
      'ip -n c route add default via 10.0.1.1',
      'ip -n r addr add 10.0.1.1/24 dev eth0',
      'ip -n r addr add 10.0.2.1/24 dev eth1',
      'ip -n r link set eth0 up',
      'ip -n r link set eth1 up',
      'ip netns exec r sysctl -qw net.ipv4.ip_forward=1',
      'ip -n s addr add 10.0.2.2/24 dev eth0',
      'ip -n s link set eth0 up',
      'ip -n s route add default via 10.0.2.1',
      'ip netns exec r iptables -t nat -A PREROUTING -d 10.96.0.50/32 -p tcp --dport 80 -j DNAT --to-destination 10.0.2.2:8080',
      'ip netns exec s iptables -A INPUT -p tcp --dport 8080 -j REJECT',
    ]);
    const r = l.run('ip netns exec c curl -sS -m 3 http://10.96.0.50/');
    expect(r).toMatchObject({
      exitCode: 7,
      stderr:
        "curl: (7) Failed to connect to 10.96.0.50 port 80 after 0 ms: Couldn't connect to server\n",
    });
    const icmp = (ns: string, dev: string) =>
      captureLinesOf(l.world, r, 'h', ns, dev)
        .filter((x) => x.includes('ICMP'))
        .map((x) => x.slice(x.indexOf('length 102: ') + 'length 102: '.length).split('\n')[0]);
    expect(icmp('r', 'eth1')).toEqual([
      '10.0.2.2 > 10.0.1.2: ICMP 10.0.2.2 tcp port 8080 unreachable, length 68',
    ]);
    expect(icmp('c', 'eth0')).toEqual([
      '10.96.0.50 > 10.0.1.2: ICMP 10.96.0.50 tcp port 80 unreachable, length 68',
    ]);
    expect(l.run('ip netns exec r conntrack -L').stdout).toMatch(
      /^tcp {6}6 \d+ SYN_SENT src=10\.0\.1\.2 dst=10\.96\.0\.50 sport=\d+ dport=80 \[UNREPLIED\] src=10\.0\.2\.2 dst=10\.0\.1\.2 sport=8080 dport=\d+ mark=0 use=1\n$/,
    );
  });
});
