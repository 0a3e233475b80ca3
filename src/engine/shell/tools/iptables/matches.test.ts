/**
 * Every match and target of the filter and mangle tables on one host, with the traffic that
 * exercises them, against what iptables-nft 1.8.9 on kernel 6.18 printed after the same commands
 * in scratch namespaces (UDP sent with bash's /dev/udp there, nc -u here: the same datagrams).
 */
import { describe, expect, it } from 'vitest';
import { VETH_PAIR, lab } from '../../../testing/lab';

const RULES = [
  'ip netns exec b iptables -N CHECKS',
  'ip netns exec b iptables -A INPUT -m comment --comment "count everything"',
  'ip netns exec b iptables -A INPUT -i lo -j ACCEPT',
  'ip netns exec b iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  'ip netns exec b iptables -A INPUT -m state --state INVALID -j DROP',
  'ip netns exec b iptables -A INPUT -p icmp -j CHECKS',
  'ip netns exec b iptables -A INPUT -p tcp -m multiport --dports 8080,9090 -j ACCEPT',
  'ip netns exec b iptables -A INPUT -p tcp --dport 9999 -j REJECT --reject-with tcp-reset',
  'ip netns exec b iptables -A INPUT -m mark --mark 0x1/0x1 -j DROP',
  'ip netns exec b iptables -A INPUT -p udp --dport 5353 -j REJECT',
  'ip netns exec b iptables -A INPUT -s 10.0.0.0/24 ! -d 10.0.0.12 -j DROP',
  'ip netns exec b iptables -A INPUT -m addrtype --dst-type LOCAL -j LOG --log-prefix "local: "',
  'ip netns exec b iptables -A CHECKS -m statistic --mode nth --every 2 --packet 1 -j DROP',
  'ip netns exec b iptables -A CHECKS -j ACCEPT',
  'ip netns exec b iptables -t mangle -A PREROUTING -p udp --dport 7777 -j MARK --set-xmark 0x1/0xffffffff',
  'ip netns exec b iptables -P INPUT DROP',
  'ip netns exec b python3 -m http.server 8080 &',
];

const KERNEL_S =
  '-P INPUT DROP\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N CHECKS\n-A INPUT -m comment --comment "count everything"\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -m state --state INVALID -j DROP\n-A INPUT -p icmp -j CHECKS\n-A INPUT -p tcp -m multiport --dports 8080,9090 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 9999 -j REJECT --reject-with tcp-reset\n-A INPUT -m mark --mark 0x1/0x1 -j DROP\n-A INPUT -p udp -m udp --dport 5353 -j REJECT --reject-with icmp-port-unreachable\n-A INPUT -s 10.0.0.0/24 ! -d 10.0.0.12/32 -j DROP\n-A INPUT -m addrtype --dst-type LOCAL -j LOG --log-prefix "local: "\n-A CHECKS -m statistic --mode nth --every 2 --packet 1 -j DROP\n-A CHECKS -j ACCEPT\n';

const KERNEL_L =
  'Chain INPUT (policy DROP 0 packets, 0 bytes)\nnum      pkts      bytes target     prot opt in     out     source               destination         \n1           8      516            0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* count everything */\n2           0        0 ACCEPT     0    --  lo     *       0.0.0.0/0            0.0.0.0/0           \n3           3      252 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED\n4           0        0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            state INVALID\n5           1       84 CHECKS     1    --  *      *       0.0.0.0/0            0.0.0.0/0           \n6           1       60 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 8080,9090\n7           1       60 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:9999 reject-with tcp-reset\n8           1       30 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match 0x1/0x1\n9           1       30 REJECT     17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:5353 reject-with icmp-port-unreachable\n10          0        0 DROP       0    --  *      *       10.0.0.0/24         !10.0.0.12           \n11          0        0 LOG        0    --  *      *       0.0.0.0/0            0.0.0.0/0            ADDRTYPE match dst-type LOCAL LOG flags 0 level 4 prefix "local: "\n\nChain FORWARD (policy ACCEPT 0 packets, 0 bytes)\nnum      pkts      bytes target     prot opt in     out     source               destination         \n\nChain OUTPUT (policy ACCEPT 0 packets, 0 bytes)\nnum      pkts      bytes target     prot opt in     out     source               destination         \n\nChain CHECKS (1 references)\nnum      pkts      bytes target     prot opt in     out     source               destination         \n1           0        0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            statistic mode nth every 2 packet 1\n2           1       84 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           \n';

const KERNEL_MANGLE =
  'Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)\n    pkts      bytes target     prot opt in     out     source               destination         \n       1       30 MARK       17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:7777 MARK set 0x1\n';

const KERNEL_SAVE =
  '*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n[1:30] -A PREROUTING -p udp -m udp --dport 7777 -j MARK --set-xmark 0x1/0xffffffff\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:CHECKS - [0:0]\n[8:516] -A INPUT -m comment --comment "count everything"\n[0:0] -A INPUT -i lo -j ACCEPT\n[3:252] -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n[0:0] -A INPUT -m state --state INVALID -j DROP\n[1:84] -A INPUT -p icmp -j CHECKS\n[1:60] -A INPUT -p tcp -m multiport --dports 8080,9090 -j ACCEPT\n[1:60] -A INPUT -p tcp -m tcp --dport 9999 -j REJECT --reject-with tcp-reset\n[1:30] -A INPUT -m mark --mark 0x1/0x1 -j DROP\n[1:30] -A INPUT -p udp -m udp --dport 5353 -j REJECT --reject-with icmp-port-unreachable\n[0:0] -A INPUT -s 10.0.0.0/24 ! -d 10.0.0.12/32 -j DROP\n[0:0] -A INPUT -m addrtype --dst-type LOCAL -j LOG --log-prefix "local: "\n[0:0] -A CHECKS -m statistic --mode nth --every 2 --packet 1 -j DROP\n[1:84] -A CHECKS -j ACCEPT\nCOMMIT\n';

describe('iptables matches and targets, counted as the kernel counts them', () => {
  it('accepts, rejects, drops, marks and logs what the kernel did, with its counters', () => {
    const l = lab();
    l.setup([...VETH_PAIR, 'ip -n a link set lo up', 'ip -n b link set lo up', ...RULES]);
    const ping = l.run('ip netns exec a ping -c 4 -i 0.2 -W 1 10.0.0.12');
    // Only the first echo is NEW: the rest are ESTABLISHED, so the nth rule never sees one.
    expect(ping.stdout).toContain('4 packets transmitted, 4 received, 0% packet loss');
    // Nothing listens on 9090: the SYN is accepted by the multiport rule and answered by a reset
    // (a port with a server would end in a close whose last ACK races, 13 or 14 packets).
    expect(l.run('ip netns exec a curl -sS -m 2 10.0.0.12:9090').exitCode).toBe(7);
    expect(l.run('ip netns exec a curl -sS -m 2 10.0.0.12:9999')).toMatchObject({
      exitCode: 7,
      stderr:
        "curl: (7) Failed to connect to 10.0.0.12 port 9999 after 0 ms: Couldn't connect to server\n",
    });
    l.run('echo x | ip netns exec a nc -u -w1 10.0.0.12 7777');
    l.run('echo x | ip netns exec a nc -u -w1 10.0.0.12 5353');
    expect(l.run('ip netns exec b iptables -S').stdout).toBe(KERNEL_S);
    expect(l.run('ip netns exec b iptables -L -n -v -x --line-numbers').stdout).toBe(KERNEL_L);
    expect(l.run('ip netns exec b iptables -t mangle -L PREROUTING -n -v -x').stdout).toBe(
      KERNEL_MANGLE,
    );
    const save = l.run('ip netns exec b iptables-save -c').stdout;
    expect(save.replace(/^#.*\n/gm, '')).toBe(KERNEL_SAVE);
  });

  it('counts a built-in chain policy only once -P or -Z wrote the chain, as iptables-nft does', () => {
    const l = lab();
    l.setup([
      ...VETH_PAIR,
      'ip netns exec b iptables -A INPUT -s 1.2.3.4',
      'ip netns exec b iptables -P OUTPUT ACCEPT',
    ]);
    l.run('ip netns exec a ping -c 2 -W 1 10.0.0.12');
    const heads = () =>
      l
        .run('ip netns exec b iptables-save -c')
        .stdout.split('\n')
        .filter((x) => x.startsWith(':'));
    expect(heads()).toEqual([
      ':INPUT ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [2:168]',
    ]);
    l.run('ip netns exec b iptables -Z');
    l.run('ip netns exec a ping -c 3 -W 1 10.0.0.12');
    expect(heads()).toEqual([
      ':INPUT ACCEPT [3:252]',
      ':FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [3:252]',
    ]);
  });
});
