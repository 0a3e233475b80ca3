/**
 * Which ICMP errors a connected UDP socket hears of, held to kernel 6.18 in two pl- namespaces
 * (a: 10.0.1.2/24 on va, default via 10.0.1.1; r: 10.0.1.1/24 on vra): a Python socket
 * connect()ed and sent one datagram got ECONNREFUSED at once for port unreachable and
 * EHOSTUNREACH for icmp-admin-prohibited, but timed out for host unreachable, net unreachable
 * and a neighbour that never answers ARP. dig 9.18 and getent (glibc) behaved the same way.
 */
import { describe, expect, it } from 'vitest';
import { lab } from '../testing/lab';

function pair(nameserver: string) {
  const l = lab();
  l.setup([
    'ip netns add a',
    'ip netns add r',
    'ip link add va netns a type veth peer name vra netns r',
    'ip -n a link set lo up',
    'ip -n a addr add 10.0.1.2/24 dev va',
    'ip -n a link set va up',
    'ip -n r link set vra up',
    'ip -n r addr add 10.0.1.1/24 dev vra',
    'ip -n a route add default via 10.0.1.1',
    'mkdir -p /etc/netns/a',
    `echo 'nameserver ${nameserver}' > /etc/netns/a/resolv.conf`,
  ]);
  return l;
}

const took = (r: { startTime: number; endTime: number }) => (r.endTime - r.startTime) / 1e9;

describe('ICMP errors and connected UDP sockets', () => {
  it('reports port unreachable and administratively prohibited at once', () => {
    const l = pair('10.0.1.1');
    let r = l.run('ip netns exec a dig +tries=1 +time=3 foo.example');
    expect(r.stdout).toContain(';; communications error to 10.0.1.1#53: connection refused\n');
    expect(took(r)).toBeLessThan(0.1);
    l.run(
      'ip netns exec r iptables -A INPUT -p udp --dport 53 -j REJECT --reject-with icmp-admin-prohibited',
    );
    r = l.run('ip netns exec a dig +tries=1 +time=3 foo.example');
    expect(r.stdout).toContain(';; no servers could be reached\n');
    expect(took(r)).toBeLessThan(0.1);
    r = l.run('ip netns exec a getent hosts foo.example');
    expect(r.exitCode).toBe(2);
    expect(took(r)).toBeLessThan(0.1);
  });

  it('says nothing of net or host unreachable: the client waits out its timeout', () => {
    for (const [server, setup] of [
      ['10.0.1.99', undefined], // no ARP answer: the local stack sends host unreachable
      ['10.9.9.9', undefined], // r has no route: net unreachable from r
      ['10.0.1.1', 'icmp-host-unreachable'],
      ['10.0.1.1', 'icmp-net-unreachable'],
    ] as const) {
      const l = pair(server);
      if (setup)
        l.run(
          `ip netns exec r iptables -A INPUT -p udp --dport 53 -j REJECT --reject-with ${setup}`,
        );
      const r = l.run('ip netns exec a dig +tries=1 +time=5 foo.example');
      expect(r.stdout).toContain(`;; communications error to ${server}#53: timed out\n`);
      expect(took(r)).toBeCloseTo(5, 0);
    }
  });
});
