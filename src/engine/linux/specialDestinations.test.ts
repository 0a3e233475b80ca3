/**
 * Routes to 0.0.0.0 and to broadcast addresses. 0.0.0.0, on kernel 6.18 in a pl- namespace with
 * only lo up: `ip route get` answered `local 0.0.0.0 dev lo src 127.0.0.1`, iputils ping printed
 * `PING 0.0.0.0 (127.0.0.1)` and was answered by 127.0.0.1, and a Python socket connect()ed to
 * 0.0.0.0 (TCP or UDP) had 127.0.0.1 as its peer. Broadcasts, held to kernel 6.18 in two pl- namespaces (a: 10.244.1.5/24 on
 * eth0, default via 10.244.1.1; the veth's other end up in b): `ip route get 255.255.255.255`
 * answered a broadcast out of eth0 with no gateway (__mkroute_output turns the default route's
 * result into RTN_BROADCAST and drops its nexthop), like the subnet's own 10.244.1.255; a TCP
 * connect() to either got ENETUNREACH at once (tcp_v4_connect refuses RTCF_BROADCAST), so curl
 * 7.88.1 failed with exit 7; iputils ping asked for -b.
 */
import { describe, expect, it } from 'vitest';
import { lab } from '../testing/lab';

function pod() {
  const l = lab();
  l.setup([
    'ip netns add a',
    'ip netns add b',
    'ip -n a link add eth0 type veth peer name v9 netns b',
    'ip -n a addr add 10.244.1.5/24 dev eth0',
    'ip -n a link set eth0 up',
    'ip -n a link set lo up',
    'ip -n b link set v9 up',
    'ip -n a route add default via 10.244.1.1',
  ]);
  return l;
}

describe('broadcast destinations', () => {
  it('routes 255.255.255.255 as a broadcast out of the default route’s device, gateway dropped', () => {
    const l = pod();
    for (const dst of ['255.255.255.255', '10.244.1.255'])
      expect(l.run(`ip -n a route get ${dst}`)).toMatchObject({
        exitCode: 0,
        stdout: `broadcast ${dst} dev eth0 src 10.244.1.5 uid 0 \n    cache <local,brd> \n`,
      });
    // A unicast destination still goes by the gateway.
    expect(l.run('ip -n a route get 10.9.9.9').stdout).toBe(
      '10.9.9.9 via 10.244.1.1 dev eth0 src 10.244.1.5 uid 0 \n    cache \n',
    );
  });

  it('refuses a TCP connection to a broadcast address at connect(), before any SYN', () => {
    const l = pod();
    for (const dst of ['255.255.255.255', '10.244.1.255']) {
      const r = l.run(`ip netns exec a curl -sS http://${dst}/`);
      expect(r).toMatchObject({
        exitCode: 7,
        stderr: `curl: (7) Failed to connect to ${dst} port 80 after 0 ms: Couldn't connect to server\n`,
      });
      expect(l.world.trace.since(r.traceFrom).some((e) => e.stage === 'tcp_transmit_skb')).toBe(
        false,
      );
    }
  });

  it('has ping ask for -b before pinging 255.255.255.255', () => {
    const l = pod();
    expect(l.run('ip netns exec a ping -c 1 255.255.255.255')).toMatchObject({
      exitCode: 2,
      stderr:
        'ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules\n',
    });
  });

  it('takes 0.0.0.0 to mean this host, reached as 127.0.0.1 through lo', () => {
    const l = lab();
    l.setup(['ip netns add a', 'ip -n a link set lo up']);
    expect(l.run('ip -n a route get 0.0.0.0')).toMatchObject({
      exitCode: 0,
      stdout: 'local 0.0.0.0 dev lo src 127.0.0.1 uid 0 \n    cache <local> \n',
    });
    const ping = l.run('ip netns exec a ping -c 1 0.0.0.0');
    expect(ping.exitCode).toBe(0);
    expect(ping.stdout).toMatch(
      /^PING 0\.0\.0\.0 \(127\.0\.0\.1\) 56\(84\) bytes of data\.\n64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64 time=[\d.]+ ms\n\n--- 0\.0\.0\.0 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss/,
    );
  });
});
