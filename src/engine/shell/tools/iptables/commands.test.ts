/**
 * iptables and iptables-restore commands, their outputs and their errors, in one session, against
 * the transcript iptables-nft 1.8.9 printed on kernel 6.18 for the same session in a scratch
 * namespace: -N -A -I -R -S -X -E -F -L, indexes out of range, chains in use, REJECT, statistic,
 * SNAT/DNAT/MASQUERADE port checks, LOG, restore with counters, --noflush and its errors.
 */
import { describe, expect, it } from 'vitest';
import { lab } from '../../../testing/lab';

type Step =
  | { readonly ipt: string }
  | { readonly restore: string; readonly args: string }
  | { readonly run: string }
  | { readonly echo: string };

const STEPS: readonly Step[] = [
  {
    ipt: '-N U1',
  },
  {
    ipt: '-A INPUT -s 10.0.0.1 -j ACCEPT',
  },
  {
    ipt: '-A INPUT -s 10.0.0.2 -j DROP',
  },
  {
    ipt: '-I INPUT -s 10.0.0.3 -j U1',
  },
  {
    ipt: '-I INPUT 2 -p udp --dport 53 -j ACCEPT',
  },
  {
    ipt: '-I INPUT 9 -j ACCEPT',
  },
  {
    ipt: '-R INPUT 1 -s 10.0.0.4 -j U1',
  },
  {
    ipt: '-R INPUT 7 -j DROP',
  },
  {
    ipt: '-A U1 -j RETURN',
  },
  {
    ipt: '-S',
  },
  {
    ipt: '-X U1',
  },
  {
    ipt: '-E U1 U2',
  },
  {
    ipt: '-S U2',
  },
  {
    ipt: '-F INPUT',
  },
  {
    ipt: '-X U2',
  },
  {
    ipt: '-X U2',
  },
  {
    ipt: '-F NOPE',
  },
  {
    ipt: '-L INPUT --line-numbers -n',
  },
  {
    ipt: '-A INPUT -p tcp -j REJECT --reject-with icmp-host-prohibited',
  },
  {
    ipt: '-A INPUT -p icmp -j REJECT --reject-with icmp-net-unreachable',
  },
  {
    ipt: '-A INPUT -j REJECT --reject-with tcp-reset',
  },
  {
    ipt: '-A INPUT -m statistic --mode random --probability 0.25 -j DROP',
  },
  {
    ipt: '-t nat -A POSTROUTING -s 10.0.0.0/8 -j SNAT --to-source 1.2.3.4:1000-2000',
  },
  {
    ipt: '-t nat -A PREROUTING -p tcp -j DNAT --to-destination 10.1.1.1-10.1.1.3:80',
  },
  {
    ipt: '-A INPUT -j LOG --log-prefix "x: " --log-level 6',
  },
  {
    ipt: '-S',
  },
  {
    ipt: '-t nat -S',
  },
  {
    echo: '--- restore',
  },
  {
    restore:
      '*filter\n:INPUT ACCEPT [5:300]\n:FORWARD DROP [0:0]\n:NEW - [0:0]\n[2:100] -A INPUT -s 10.9.9.9/32 -j NEW\n-A NEW -j ACCEPT\nCOMMIT\n',
    args: '-c',
  },
  {
    run: 'iptables-save -c | grep -v "^#"',
  },
  {
    restore: '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n',
    args: '-n',
  },
  {
    run: 'iptables -S INPUT',
  },
  {
    restore: '*filter\n-A INPUT -j NOPE\nCOMMIT\n',
    args: '',
  },
  {
    restore: '*filter\n-A INPUT -j ACCEPT\n',
    args: '',
  },
  {
    restore: '*filter\n-A INPUT -j ACCEPT\n-A INPUT --bogus\n-A INPUT -j ACCEPT\nCOMMIT\n',
    args: '',
  },
  {
    restore:
      '*filter\n-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n-A INPUT -j REJECT --reject-with tcp-reset\nCOMMIT\n',
    args: '',
  },
  {
    ipt: '-I INPUT -j REJECT --reject-with tcp-reset',
  },
  {
    ipt: '-t nat -A POSTROUTING -j MASQUERADE --to-ports 1000',
  },
  {
    ipt: '-t nat -A POSTROUTING -p udp -j MASQUERADE --to-ports 1000-2000',
  },
  {
    ipt: '-t nat -S POSTROUTING',
  },
];

const KERNEL =
  "$ iptables -N U1\n[exit 0]\n$ iptables -A INPUT -s 10.0.0.1 -j ACCEPT\n[exit 0]\n$ iptables -A INPUT -s 10.0.0.2 -j DROP\n[exit 0]\n$ iptables -I INPUT -s 10.0.0.3 -j U1\n[exit 0]\n$ iptables -I INPUT 2 -p udp --dport 53 -j ACCEPT\n[exit 0]\n$ iptables -I INPUT 9 -j ACCEPT\niptables: Index of insertion too big.\n[exit 1]\n$ iptables -R INPUT 1 -s 10.0.0.4 -j U1\n[exit 0]\n$ iptables -R INPUT 7 -j DROP\niptables: Index of replacement too big.\n[exit 1]\n$ iptables -A U1 -j RETURN\n[exit 0]\n$ iptables -S\n-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N U1\n-A INPUT -s 10.0.0.4/32 -j U1\n-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n-A INPUT -s 10.0.0.1/32 -j ACCEPT\n-A INPUT -s 10.0.0.2/32 -j DROP\n-A U1 -j RETURN\n[exit 0]\n$ iptables -X U1\niptables v1.8.9 (nf_tables):  CHAIN_DEL failed (Device or resource busy): chain U1\n[exit 4]\n$ iptables -E U1 U2\n[exit 0]\n$ iptables -S U2\n-N U2\n-A U2 -j RETURN\n[exit 0]\n$ iptables -F INPUT\n[exit 0]\n$ iptables -X U2\niptables v1.8.9 (nf_tables):  CHAIN_DEL failed (Device or resource busy): chain U2\n[exit 4]\n$ iptables -X U2\niptables v1.8.9 (nf_tables):  CHAIN_DEL failed (Device or resource busy): chain U2\n[exit 4]\n$ iptables -F NOPE\niptables: No chain/target/match by that name.\n[exit 1]\n$ iptables -L INPUT --line-numbers -n\nChain INPUT (policy ACCEPT)\nnum  target     prot opt source               destination         \n[exit 0]\n$ iptables -A INPUT -p tcp -j REJECT --reject-with icmp-host-prohibited\n[exit 0]\n$ iptables -A INPUT -p icmp -j REJECT --reject-with icmp-net-unreachable\n[exit 0]\n$ iptables -A INPUT -j REJECT --reject-with tcp-reset\niptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT\n[exit 4]\n$ iptables -A INPUT -m statistic --mode random --probability 0.25 -j DROP\n[exit 0]\n$ iptables -t nat -A POSTROUTING -s 10.0.0.0/8 -j SNAT --to-source 1.2.3.4:1000-2000\niptables v1.8.9 (nf_tables): Need TCP, UDP, SCTP or DCCP with port specification\nTry `iptables -h' or 'iptables --help' for more information.\n[exit 2]\n$ iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 10.1.1.1-10.1.1.3:80\n[exit 0]\n$ iptables -A INPUT -j LOG --log-prefix x:  --log-level 6\n[exit 0]\n$ iptables -S\n-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N U2\n-A INPUT -p tcp -j REJECT --reject-with icmp-host-prohibited\n-A INPUT -p icmp -j REJECT --reject-with icmp-net-unreachable\n-A INPUT -m statistic --mode random --probability 0.25000000000 -j DROP\n-A INPUT -j LOG --log-prefix \"x: \" --log-level 6\n-A U2 -j RETURN\n[exit 0]\n$ iptables -t nat -S\n-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n-A PREROUTING -p tcp -j DNAT --to-destination 10.1.1.1-10.1.1.3:80\n[exit 0]\n--- restore\n[exit 0]\n*filter\n:INPUT ACCEPT [5:300]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:NEW - [0:0]\n[2:100] -A INPUT -s 10.9.9.9/32 -j NEW\n[0:0] -A NEW -j ACCEPT\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n[0:0] -A PREROUTING -p tcp -j DNAT --to-destination 10.1.1.1-10.1.1.3:80\nCOMMIT\n[exit 0]\n-P INPUT ACCEPT\n-A INPUT -s 10.9.9.9/32 -j NEW\n-A INPUT -j ACCEPT\niptables-restore v1.8.9 (nf_tables): Chain 'NOPE' does not exist\nError occurred at line: 3\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n[exit 2]\niptables-restore: COMMIT expected at line 3\n[exit 1]\niptables-restore v1.8.9 (nf_tables): unknown option \"--bogus\"\nError occurred at line: 3\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n[exit 2]\niptables-restore v1.8.9 (nf_tables): \nline 3: RULE_APPEND failed (Invalid argument): rule in chain INPUT\n[exit 4]\n$ iptables -I INPUT -j REJECT --reject-with tcp-reset\niptables v1.8.9 (nf_tables):  RULE_INSERT failed (Invalid argument): rule in chain INPUT\n[exit 4]\n$ iptables -t nat -A POSTROUTING -j MASQUERADE --to-ports 1000\niptables v1.8.9 (nf_tables): Need TCP, UDP, SCTP or DCCP with port specification\nTry `iptables -h' or 'iptables --help' for more information.\n[exit 2]\n$ iptables -t nat -A POSTROUTING -p udp -j MASQUERADE --to-ports 1000-2000\n[exit 0]\n$ iptables -t nat -S POSTROUTING\n-P POSTROUTING ACCEPT\n-A POSTROUTING -p udp -j MASQUERADE --to-ports 1000-2000\n[exit 0]\n";

describe('iptables commands, as one session', () => {
  it('prints what iptables-nft 1.8.9 printed, error for error and exit code for exit code', () => {
    const l = lab();
    l.setup(['ip netns add p']);
    let out = '';
    for (const s of STEPS) {
      if ('echo' in s) {
        out += `${s.echo}\n`;
        continue;
      }
      if ('run' in s) {
        out += l.run(`ip netns exec p ${s.run}`).stdout;
        continue;
      }
      if ('restore' in s) {
        const cmd = `ip netns exec p iptables-restore ${s.args}`.trim();
        const r = l.run(`${cmd} <<'EOF'\n${s.restore}EOF`);
        out += `${r.stdout}${r.stderr}[exit ${r.exitCode}]\n`;
        continue;
      }
      const r = l.run(`ip netns exec p iptables ${s.ipt}`);
      // The transcript printed each command with its quotes already removed by bash.
      out += `$ iptables ${s.ipt.replace(/"([^"]*)"/g, '$1')}\n${r.stdout}${r.stderr}[exit ${r.exitCode}]\n`;
    }
    expect(out).toBe(KERNEL);
  });
});
