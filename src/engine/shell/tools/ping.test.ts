/**
 * iputils ping's -I, held to what iputils 20221126 printed as root in two pl- namespaces on
 * kernel 6.18: a (10.0.1.2/24 on va) and r (10.0.1.1/24 on vra), nothing else routed.
 */
import { describe, expect, it } from 'vitest';
import { lab } from '../../testing/lab';

function pair() {
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
  ]);
  return l;
}

const masked = (s: string) =>
  s
    .replace(/time=[\d.]+ ms/g, 'time=T ms')
    .replace(/= [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/, '= T ms');

const lost = (dst: string, header: string, n = 1, time = 0) =>
  `PING ${dst} (${dst}) ${header}56(84) bytes of data.\n\n--- ${dst} ping statistics ---\n${n} packets transmitted, 0 received, 100% packet loss, time ${time}ms\n\n`;

describe('iputils ping -I', () => {
  it('names the source, and the device when -I gave one, in its first line', () => {
    const l = pair();
    const ok = (header: string) =>
      `PING 10.0.1.1 (10.0.1.1) ${header}56(84) bytes of data.\n64 bytes from 10.0.1.1: icmp_seq=1 ttl=64 time=T ms\n\n--- 10.0.1.1 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = T ms\n`;
    let r = l.run('ip netns exec a ping -c1 -W1 -I va 10.0.1.1');
    expect({ ...r, stdout: masked(r.stdout) }).toMatchObject({
      stdout: ok('from 10.0.1.2 va: '),
      stderr: '',
      exitCode: 0,
    });
    r = l.run('ip netns exec a ping -c1 -W1 -I 10.0.1.2 10.0.1.1');
    expect(masked(r.stdout)).toBe(ok('from 10.0.1.2 : '));
    expect(l.run('ip netns exec a ping -c1 -W1 -I 10.9.9.9 10.0.1.1')).toMatchObject({
      stdout: '',
      stderr: 'ping: bind: Cannot assign requested address\n',
      exitCode: 2,
    });
    expect(l.run('ip netns exec a ping -c1 -W1 -I vq 10.0.1.1')).toMatchObject({
      stdout: '',
      stderr: 'ping: SO_BINDTODEVICE vq: No such device\n',
      exitCode: 2,
    });
  });

  it('warns when the source it found is not on the -I device, and nothing comes back', () => {
    const l = pair();
    expect(l.run('ip netns exec a ping -c1 -W1 -I lo 10.0.1.1')).toMatchObject({
      stdout: lost('10.0.1.1', 'from 10.0.1.2 lo: '),
      stderr: 'ping: Warning: source address might be selected on device other than: lo\n',
      exitCode: 1,
    });
  });

  it('counts an echo whose sendto failed as sent, without a word (no probe with an -I address)', () => {
    const l = pair();
    // A 127/8 source may not leave by va: sendto fails with EINVAL.
    expect(l.run('ip netns exec a ping -c1 -W1 -I 127.0.0.1 10.0.1.1')).toMatchObject({
      stdout: lost('10.0.1.1', 'from 127.0.0.1 : '),
      stderr: '',
      exitCode: 1,
    });
    expect(l.run('ip netns exec a ping -c2 -i 0.2 -W1 -I 127.0.0.1 10.0.1.1').stdout).toBe(
      lost('10.0.1.1', 'from 127.0.0.1 : ', 2, 200),
    );
    // No route at all: the same silence where a probe would have said "connect: Network is
    // unreachable" (as it does without -I).
    expect(l.run('ip netns exec a ping -c1 -W1 -I 10.0.1.2 10.0.2.2')).toMatchObject({
      stdout: lost('10.0.2.2', 'from 10.0.1.2 : '),
      stderr: '',
      exitCode: 1,
    });
    expect(l.run('ip netns exec a ping -c1 -W1 10.0.2.2')).toMatchObject({
      stdout: '',
      stderr: 'ping: connect: Network is unreachable\n',
      exitCode: 2,
    });
    // To its own address a 127.0.0.1 source is fine: the route is through lo.
    expect(l.run('ip netns exec a ping -c1 -W1 -I 127.0.0.1 10.0.1.2').stdout).toContain(
      '1 packets transmitted, 1 received',
    );
  });
});
