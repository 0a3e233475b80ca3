/**
 * Properties of the netfilter model: a random rule set, written with the iptables tool, gives the
 * verdict a direct reading of iptables' semantics gives; and NAT followed by the reply's reverse
 * translation restores the original tuple.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv4 } from '../net/ipv4';
import type { Ipv4Packet } from '../net/packet';
import { VETH_PAIR, lab } from '../testing/lab';
import { tupleOf } from './conntrack';
import type { Skb } from './skb';
import { tcpSyn } from '../testing/packets';

// --- the model iptables is checked against

interface RuleModel {
  readonly src?: { readonly cidr: string; readonly neg: boolean };
  readonly dst?: { readonly cidr: string; readonly neg: boolean };
  readonly proto?: 'tcp' | 'udp' | 'icmp';
  /** Only with tcp or udp. */
  readonly dport?: number;
  readonly inIf?: { readonly name: string; readonly neg: boolean };
  readonly target: 'ACCEPT' | 'DROP' | 'RETURN' | 'jump U1' | 'jump U2' | 'goto U2';
}

interface PacketModel {
  readonly src: string;
  readonly proto: 'tcp' | 'udp' | 'icmp';
  readonly dport: number;
}

const DST = '10.0.0.12';
const IN_DEV = 'vb';

function inCidr(addr: string, cidr: string): boolean {
  const [net, len] = cidr.split('/') as [string, string];
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (ipv4(addr) & mask) >>> 0 === (ipv4(net) & mask) >>> 0;
}

function ifMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

function matches(r: RuleModel, p: PacketModel): boolean {
  if (r.src && inCidr(p.src, r.src.cidr) === r.src.neg) return false;
  if (r.dst && inCidr(DST, r.dst.cidr) === r.dst.neg) return false;
  if (r.proto && r.proto !== p.proto) return false;
  if (r.dport !== undefined && r.dport !== p.dport) return false;
  if (r.inIf && ifMatches(r.inIf.name, IN_DEV) === r.inIf.neg) return false;
  return true;
}

type Chains = Record<'INPUT' | 'U1' | 'U2', readonly RuleModel[]>;

/**
 * iptables' traversal: ACCEPT and DROP end it; RETURN (or the end of a user chain) goes back to
 * the rule after the jump that entered the chain; `-g` enters a chain without a way back, so its
 * RETURN goes back to whoever called the chain that did the goto; the end of INPUT is its policy.
 */
function referenceVerdict(chains: Chains, policy: 'ACCEPT' | 'DROP', p: PacketModel): string {
  const walk = (name: keyof Chains): 'ACCEPT' | 'DROP' | 'RETURN' => {
    for (const r of chains[name]) {
      if (!matches(r, p)) continue;
      if (r.target === 'ACCEPT' || r.target === 'DROP') return r.target;
      if (r.target === 'RETURN') return 'RETURN';
      const [how, sub] = r.target.split(' ') as ['jump' | 'goto', 'U1' | 'U2'];
      const v = walk(sub);
      if (v !== 'RETURN') return v;
      if (how === 'goto') return 'RETURN';
    }
    return 'RETURN';
  };
  const v = walk('INPUT');
  return v === 'RETURN' ? policy : v;
}

// --- generators

const cidrs = ['10.0.0.0/24', '10.0.0.11/32', '192.168.0.0/16', '0.0.0.0/0', '10.0.0.12/32'];
const neg = fc.boolean();
const rule = (chain: keyof Chains): fc.Arbitrary<RuleModel> =>
  fc
    .record(
      {
        src: fc.record({ cidr: fc.constantFrom(...cidrs), neg }),
        dst: fc.record({ cidr: fc.constantFrom(...cidrs), neg }),
        proto: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const),
        dport: fc.constantFrom(22, 80, 8080),
        inIf: fc.record({ name: fc.constantFrom('vb', 'v+', 'eth0', 'eth+'), neg }),
        target: fc.constantFrom(
          ...((chain === 'INPUT'
            ? ['ACCEPT', 'DROP', 'RETURN', 'jump U1', 'jump U2', 'goto U2']
            : chain === 'U1'
              ? ['ACCEPT', 'DROP', 'RETURN', 'jump U2', 'goto U2']
              : ['ACCEPT', 'DROP', 'RETURN']) as RuleModel['target'][]),
        ),
      },
      { requiredKeys: ['target'] },
    )
    // --dport needs -p tcp or -p udp, as iptables insists.
    .map((r) =>
      r.dport !== undefined && r.proto !== 'tcp' && r.proto !== 'udp'
        ? { ...r, dport: undefined }
        : r,
    );

const packet: fc.Arbitrary<PacketModel> = fc.record({
  src: fc.constantFrom('10.0.0.11', '10.0.0.99', '192.168.1.5'),
  proto: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const),
  dport: fc.constantFrom(22, 80, 8080),
});

function ruleArgs(chain: string, r: RuleModel): string {
  const a = [`-A ${chain}`];
  if (r.src) a.push(`${r.src.neg ? '! ' : ''}-s ${r.src.cidr}`);
  if (r.dst) a.push(`${r.dst.neg ? '! ' : ''}-d ${r.dst.cidr}`);
  if (r.inIf) a.push(`${r.inIf.neg ? '! ' : ''}-i ${r.inIf.name}`);
  if (r.proto) a.push(`-p ${r.proto}`);
  if (r.dport !== undefined) a.push(`--dport ${r.dport}`);
  const [how, sub] = r.target.split(' ');
  a.push(sub ? `${how === 'goto' ? '-g' : '-j'} ${sub}` : `-j ${how}`);
  return a.join(' ');
}

function ipPacket(p: PacketModel): Ipv4Packet {
  const base = { kind: 'ipv4', src: ipv4(p.src), dst: ipv4(DST), ttl: 64, id: 1, tos: 0, df: true };
  if (p.proto === 'icmp')
    return {
      ...base,
      protocol: 1,
      payload: { kind: 'icmp', type: 8, code: 0, id: 7, seq: 1, dataLen: 56 },
    } as Ipv4Packet;
  if (p.proto === 'udp')
    return {
      ...base,
      protocol: 17,
      payload: { kind: 'udp', sport: 40000, dport: p.dport, payload: { kind: 'data', data: 'x' } },
    } as Ipv4Packet;
  return tcpSyn(p.src, DST, p.dport);
}

let skbIds = 1;
const skbOf = (ip: Ipv4Packet): Skb => ({ id: skbIds++, flowId: 1, ip, mark: 0 });

describe('netfilter against a reference reading of iptables', () => {
  it('gives every packet the verdict the rules say, through jumps, gotos and returns', () => {
    fc.assert(
      fc.property(
        fc.array(rule('INPUT'), { maxLength: 6 }),
        fc.array(rule('U1'), { maxLength: 4 }),
        fc.array(rule('U2'), { maxLength: 4 }),
        fc.constantFrom('ACCEPT' as const, 'DROP' as const),
        fc.array(packet, { minLength: 1, maxLength: 6 }),
        (input, u1, u2, policy, packets) => {
          const l = lab();
          l.setup(VETH_PAIR);
          const ipt = (args: string) => {
            const r = l.run(`ip netns exec b iptables ${args}`);
            if (r.exitCode !== 0) throw new Error(`iptables ${args}: ${r.stderr}`);
          };
          ipt('-N U1');
          ipt('-N U2');
          ipt(`-P INPUT ${policy}`);
          const chains: Chains = { INPUT: input, U1: u1, U2: u2 };
          for (const [name, rules] of Object.entries(chains))
            for (const r of rules) ipt(ruleArgs(name, r));
          const ns = l.world.host('h')!.named.get('b')!;
          const dev = ns.device(IN_DEV)!;
          for (const p of packets) {
            const got = ns.netfilter.run('INPUT', skbOf(ipPacket(p)), dev);
            expect(got.verdict, JSON.stringify({ chains, policy, p })).toBe(
              referenceVerdict(chains, policy, p),
            );
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('goto, as the kernel does it (checked in namespaces on 6.18)', () => {
  it('ends at the policy when a chain entered by -g returns, skipping the rest of INPUT', () => {
    const l = lab();
    l.setup([...VETH_PAIR, 'ip -n b link set lo up', 'ip -n a link set lo up']);
    const ipt = (args: string) =>
      expect(l.run(`ip netns exec b iptables ${args}`).exitCode, args).toBe(0);
    ipt('-N U2');
    ipt('-A INPUT -g U2');
    ipt('-P INPUT DROP');
    // U2 is empty: its end returns past INPUT to the policy, DROP.
    expect(l.run('ip netns exec a ping -c 1 -W 1 10.0.0.12').stdout).toContain(
      '1 packets transmitted, 0 received, 100% packet loss',
    );
    ipt('-P INPUT ACCEPT');
    ipt('-A U2 -j RETURN');
    ipt('-A INPUT -j DROP');
    // RETURN from U2 does not come back to INPUT's next rule (the DROP): the policy accepts.
    expect(l.run('ip netns exec a ping -c 1 -W 1 10.0.0.12').stdout).toContain(
      '1 packets transmitted, 1 received, 0% packet loss',
    );
    expect(l.run('ip netns exec b iptables -S').stdout).toBe(
      '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N U2\n-A INPUT -g U2\n-A INPUT -j DROP\n-A U2 -j RETURN\n',
    );
  });
});

describe('NAT and the reply', () => {
  it('restores the original tuple on the reply, for any DNAT and SNAT pair', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('tcp' as const, 'udp' as const),
        fc.integer({ min: 1024, max: 65535 }),
        fc.constantFrom(80, 8080, 443),
        fc.constantFrom('10.0.0.50', '10.0.0.12'),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        fc.boolean(),
        (proto, sport, dport, to, toPort, masquerade) => {
          const l = lab();
          l.setup(VETH_PAIR);
          const ns = l.world.host('h')!.named.get('b')!;
          const vb = ns.device('vb')!;
          const rules = [
            `-t nat -A PREROUTING -p ${proto} --dport ${dport} -j DNAT --to-destination ${to}${toPort ? `:${toPort}` : ''}`,
            masquerade
              ? '-t nat -A POSTROUTING -o vb -j MASQUERADE'
              : '-t nat -A POSTROUTING -o vb -j SNAT --to-source 10.0.0.12',
          ];
          for (const r of rules) expect(l.run(`ip netns exec b iptables ${r}`).exitCode, r).toBe(0);
          const original = ipPacket({ src: '10.0.0.11', proto, dport });
          const withSport = {
            ...original,
            payload: { ...original.payload, sport },
          } as Ipv4Packet;
          const pre = ns.netfilter.run('PREROUTING', skbOf(withSport), vb);
          expect(pre.verdict).toBe('ACCEPT');
          if (pre.verdict !== 'ACCEPT') return;
          const post = ns.netfilter.run('POSTROUTING', pre.skb, undefined, vb);
          expect(post.verdict).toBe('ACCEPT');
          if (post.verdict !== 'ACCEPT') return;
          const out = tupleOf(post.skb.ip!)!;
          expect(out.dst).toBe(ipv4(to));
          if (toPort) expect(out.dport).toBe(toPort);
          // The backend answers the translated packet: swap its addresses and ports.
          const reply = {
            ...post.skb.ip!,
            src: post.skb.ip!.dst,
            dst: post.skb.ip!.src,
            payload: {
              ...post.skb.ip!.payload,
              sport: out.dport,
              dport: out.sport,
              ...(proto === 'tcp' ? { flags: { syn: true, ack: true } } : {}),
            },
          } as Ipv4Packet;
          const back1 = ns.netfilter.run('PREROUTING', skbOf(reply), vb);
          if (back1.verdict !== 'ACCEPT') throw new Error('reply dropped');
          const back2 = ns.netfilter.run('POSTROUTING', back1.skb, undefined, vb);
          if (back2.verdict !== 'ACCEPT') throw new Error('reply dropped');
          const seen = tupleOf(back2.skb.ip!)!;
          const sent = tupleOf(withSport)!;
          // The client sees the reply come from where it sent, to where it sent from.
          expect(seen).toMatchObject({
            src: sent.dst,
            dst: sent.src,
            sport: sent.dport,
            dport: sent.sport,
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});
