/**
 * The statistic match: nth as the kernel counts (checked on 6.18: ping -c 8 through the two rules
 * below lost icmp_seq 1, 4, 5 and 7), and random drawn from the world's seeded generator, so a
 * kube-proxy style cascade spreads connections evenly and a scenario replays identically.
 */
import { describe, expect, it } from 'vitest';
import { ipv4 } from '../net/ipv4';
import type { Ipv4Packet } from '../net/packet';
import { VETH_PAIR, lab } from '../testing/lab';

describe('-m statistic', () => {
  it('--mode nth matches packet number PACKET of every EVERY, counting from 0', () => {
    const l = lab();
    l.setup([
      ...VETH_PAIR,
      'ip netns exec b iptables -A INPUT -p icmp -m statistic --mode nth --every 3 --packet 0 -j DROP',
      'ip netns exec b iptables -A INPUT -p icmp -m statistic --mode nth --every 4 --packet 2 -j DROP',
    ]);
    const ping = l.run('ip netns exec a ping -c 8 -i 0.05 -W 1 10.0.0.12').stdout;
    expect(ping.match(/icmp_seq=\d+/g)).toEqual([
      'icmp_seq=2',
      'icmp_seq=3',
      'icmp_seq=6',
      'icmp_seq=8',
    ]);
    expect(l.run('ip netns exec b iptables -L INPUT -v -n -x').stdout).toBe(
      'Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n' +
        '    pkts      bytes target     prot opt in     out     source               destination         \n' +
        '       3      252 DROP       1    --  *      *       0.0.0.0/0            0.0.0.0/0            statistic mode nth every 3\n' +
        '       1       84 DROP       1    --  *      *       0.0.0.0/0            0.0.0.0/0            statistic mode nth every 4 packet 2\n',
    );
  });

  /** Which backend each of `n` new UDP flows is sent to by a three-way cascade. */
  function cascade(seed: number, n: number): string[] {
    const l = lab({ seed });
    l.setup(VETH_PAIR);
    const rules = [
      '-A PREROUTING -p udp -m statistic --mode random --probability 0.33333333349 -j DNAT --to-destination 10.0.0.21',
      '-A PREROUTING -p udp -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 10.0.0.22',
      '-A PREROUTING -p udp -j DNAT --to-destination 10.0.0.23',
    ];
    for (const r of rules) l.setup([`ip netns exec b iptables -t nat ${r}`]);
    const ns = l.world.host('h')!.named.get('b')!;
    const vb = ns.device('vb')!;
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const ip: Ipv4Packet = {
        kind: 'ipv4',
        src: ipv4('10.0.0.11'),
        dst: ipv4('10.96.0.10'),
        ttl: 64,
        protocol: 17,
        id: i,
        tos: 0,
        df: true,
        payload: { kind: 'udp', sport: 10000 + i, dport: 53, payload: { kind: 'data', data: 'q' } },
      };
      const r = ns.netfilter.run('PREROUTING', { id: i + 1, flowId: i + 1, ip, mark: 0 }, vb);
      if (r.verdict !== 'ACCEPT') throw new Error('dropped');
      out.push(String(r.skb.ip!.dst >>> 24 === 10 ? r.skb.ip!.dst & 0xff : -1));
    }
    return out;
  }

  it('--mode random spreads new connections evenly and replays the same with the same seed', () => {
    const a = cascade(7, 900);
    const counts = ['21', '22', '23'].map((b) => a.filter((x) => x === b).length);
    // Each backend's expected share is 300; 4 standard deviations is about ±57.
    for (const c of counts) {
      expect(c).toBeGreaterThan(240);
      expect(c).toBeLessThan(360);
    }
    expect(cascade(7, 900)).toEqual(a);
    expect(cascade(8, 900)).not.toEqual(a);
  });
});
