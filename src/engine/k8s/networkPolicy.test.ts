/**
 * NetworkPolicy enforced by kube-router's rules (v2.9.0) on a three-node testbed: http-echo "web"
 * on kind-worker2, clients on kind-worker and the control plane, one in namespace "team".
 * A refused connection is kube-router's `-j REJECT` (icmp-port-unreachable), which curl 7.88.1
 * reports as (7) "Couldn't connect to server" after 0 ms.
 */
import { describe, expect, it } from 'vitest';
import { formatIpv4 } from '../net/ipv4';
import type { NetfilterDecision } from '../sim/trace';
import { Shell } from '../shell/session';
import { networkPolicyChainName, podFirewallChainName } from './networkPolicy';
import type { ManifestData } from './objects';
import { lab } from '../testing/lab';
import { testbed } from './testbed';

const pod = (
  name: string,
  node: string,
  labels: Record<string, string>,
  namespace?: string,
): ManifestData => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels, ...(namespace ? { namespace } : {}) },
  spec: {
    nodeName: node,
    containers: [{ name: 'curl', image: 'curlimages/curl', command: ['sleep', 'infinity'] }],
  },
});

const web: ManifestData = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    nodeName: 'kind-worker2',
    containers: [
      {
        name: 'echo',
        image: 'hashicorp/http-echo',
        args: ['-text=hello', '-listen=:8080'],
        ports: [{ containerPort: 8080, name: 'http' }],
      },
    ],
  },
};

const policy = (
  name: string,
  spec: Extract<ManifestData, { kind: 'NetworkPolicy' }>['spec'],
): ManifestData => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name },
  spec,
});

function bed() {
  const { world, cluster } = testbed({
    nodes: 3,
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { team: 'blue' } } },
      web,
      pod('client', 'kind-worker', { role: 'client' }),
      pod('other', 'kind-worker', { role: 'other' }),
      pod('teamclient', 'kind-worker', { role: 'client' }, 'team'),
      pod('cp', 'kind-control-plane', { role: 'cp' }),
      pod('near', 'kind-worker2', { role: 'near' }),
    ],
  });
  const sh = (host: string) => new Shell(world, world.host(host)!);
  const ip = formatIpv4(cluster.pods.get('default/web')!.podIP!);
  const curl = (from: string, ns = 'default') =>
    sh('kind-control-plane').run(
      `kubectl exec -n ${ns} ${from} -- curl -sS -m 3 http://${ip}:8080/`,
    );
  const refused = `curl: (7) Failed to connect to ${ip} port 8080 after 0 ms: Couldn't connect to server\ncommand terminated with exit code 7\n`;
  const apply = (m: ManifestData) => {
    const r = cluster.apply(m);
    if (!r.ok) throw new Error(r.error);
    expect(cluster.errors).toEqual([]);
  };
  return { world, cluster, sh, ip, curl, refused, apply };
}

const denyIngress = policy('deny-all', {
  podSelector: { matchLabels: { app: 'web' } },
  policyTypes: ['Ingress'],
});

describe('kube-router network policy rules', () => {
  it('leaves the filter table alone until the first NetworkPolicy', () => {
    const { sh, curl } = bed();
    expect(curl('client').stdout).toBe('hello\n');
    expect(sh('kind-worker2').run('iptables-save -t filter').stdout).not.toContain('KUBE-ROUTER');
    expect(sh('kind-worker2').run('ipset list -n').stdout).toBe('');
  });

  it('rejects every source once a default-deny ingress policy selects the pod', () => {
    const { curl, refused, apply, sh, ip } = bed();
    apply(denyIngress);
    for (const [c, ns] of [
      ['client', 'default'],
      ['other', 'default'],
      ['teamclient', 'team'],
      ['cp', 'default'],
      ['near', 'default'],
    ] as const)
      expect(curl(c, ns)).toMatchObject({ exitCode: 7, stdout: '', stderr: refused });
    const save = sh('kind-worker2').run('iptables-save -t filter').stdout;
    const rules = save.split('\n');
    // The jumps from the built-in chains come first; kube-proxy's follow.
    expect(rules.find((l) => l.startsWith('-A FORWARD'))).toMatch(
      /^-A FORWARD -m comment --comment "kube-router netpol - [A-Z2-7]{16}" -j KUBE-ROUTER-FORWARD$/,
    );
    expect(
      rules.filter((l) => l.startsWith('-A KUBE-ROUTER-INPUT') && !l.includes('KUBE-POD-FW')),
    ).toEqual([
      expect.stringMatching(
        /^-A KUBE-ROUTER-INPUT -d 10\.96\.0\.0\/12 -m comment --comment "allow traffic to primary\/secondary cluster IP range - [A-Z2-7]{16}" -j RETURN$/,
      ),
      expect.stringMatching(
        /^-A KUBE-ROUTER-INPUT -p tcp -m comment --comment "allow LOCAL TCP traffic to node ports - [A-Z2-7]{16}" -m addrtype --dst-type LOCAL -m multiport --dports 30000:32767 -j RETURN$/,
      ),
      expect.stringMatching(/^-A KUBE-ROUTER-INPUT -p udp .*LOCAL UDP/),
      expect.stringMatching(/^-A KUBE-ROUTER-INPUT -p sctp .*LOCAL SCTP/),
      '-A KUBE-ROUTER-INPUT -m comment --comment "rule to explicitly ACCEPT traffic that comply to network policies" -m mark --mark 0x20000/0x20000 -j ACCEPT',
    ]);
    const fw = /-j (KUBE-POD-FW-[A-Z2-7]{16})$/.exec(
      rules.find((l) => l.includes('destined to POD name:web '))!,
    )![1]!;
    const pol = /^:(KUBE-NWPLCY-[A-Z2-7]{16}) - \[0:0\]$/.exec(
      rules.find((l) => /^:KUBE-NWPLCY-(?!COMMON|DEFAULT)/.test(l))!,
    )![1]!;
    // web and near run on kind-worker2: two pod chains there.
    expect(rules.filter((l) => l.startsWith(':KUBE-POD-FW-'))).toHaveLength(2);
    expect(rules.filter((l) => l.startsWith(`-A ${fw} `))).toEqual([
      `-A ${fw} -m comment --comment "common bi-directional traffic policy rules" -j KUBE-NWPLCY-COMMON`,
      `-A ${fw} -d ${ip}/32 -m comment --comment "rule to permit the traffic traffic to pods when source is the pod\\'s local node" -m addrtype --src-type LOCAL -j ACCEPT`,
      `-A ${fw} -s ${ip}/32 -m comment --comment "run through default egress network policy chain" -j KUBE-NWPLCY-DEFAULT`,
      `-A ${fw} -d ${ip}/32 -m comment --comment "run through nw policy deny-all" -j ${pol}`,
      `-A ${fw} -m comment --comment "rule to log dropped traffic POD name:web namespace: default" -m mark ! --mark 0x10000/0x10000 -m limit --limit 10/min --limit-burst 10 -j NFLOG --nflog-group 100`,
      `-A ${fw} -m comment --comment "rule to REJECT traffic destined for POD name:web namespace: default" -m mark ! --mark 0x10000/0x10000 -j REJECT --reject-with icmp-port-unreachable`,
      `-A ${fw} -j MARK --set-xmark 0x0/0x10000`,
      `-A ${fw} -m comment --comment "set mark to ACCEPT traffic that comply to network policies" -j MARK --set-xmark 0x20000/0x20000`,
    ]);
    expect(rules.filter((l) => l.startsWith(`-A ${pol} `))).toEqual([]);
    expect(rules.filter((l) => l.startsWith('-A KUBE-NWPLCY-COMMON'))).toEqual([
      '-A KUBE-NWPLCY-COMMON -m comment --comment "\\"rule to drop invalid state for pod\\"" -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-NWPLCY-COMMON -m comment --comment "\\"rule for stateful firewall for pod\\"" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A KUBE-NWPLCY-COMMON -p icmp -m comment --comment "allow icmp echo requests" -m icmp --icmp-type 8 -j ACCEPT',
      '-A KUBE-NWPLCY-COMMON -p icmp -m comment --comment "allow icmp destination unreachable messages" -m icmp --icmp-type 3 -j ACCEPT',
      '-A KUBE-NWPLCY-COMMON -p icmp -m comment --comment "allow icmp time exceeded messages" -m icmp --icmp-type 11 -j ACCEPT',
    ]);
    expect(rules.filter((l) => l.includes(`-j ${fw}`))).toEqual([
      `-A KUBE-ROUTER-FORWARD -d ${ip}/32 -m comment --comment "rule to jump traffic destined to POD name:web namespace: default to chain ${fw}" -j ${fw}`,
      `-A KUBE-ROUTER-FORWARD -d ${ip}/32 -m physdev --physdev-is-bridged -m comment --comment "rule to jump traffic destined to POD name:web namespace: default to chain ${fw}" -j ${fw}`,
      `-A KUBE-ROUTER-FORWARD -s ${ip}/32 -m comment --comment "rule to jump traffic from POD name:web namespace: default to chain ${fw}" -j ${fw}`,
      `-A KUBE-ROUTER-FORWARD -s ${ip}/32 -m physdev --physdev-is-bridged -m comment --comment "rule to jump traffic from POD name:web namespace: default to chain ${fw}" -j ${fw}`,
      `-A KUBE-ROUTER-INPUT -s ${ip}/32 -m comment --comment "rule to jump traffic from POD name:web namespace: default to chain ${fw}" -j ${fw}`,
      `-A KUBE-ROUTER-OUTPUT -d ${ip}/32 -m comment --comment "rule to jump traffic destined to POD name:web namespace: default to chain ${fw}" -j ${fw}`,
      `-A KUBE-ROUTER-OUTPUT -s ${ip}/32 -m comment --comment "rule to jump traffic from POD name:web namespace: default to chain ${fw}" -j ${fw}`,
    ]);
    // kube-proxy's rules survive kube-router's full restore.
    expect(save).toContain('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP');
    // The policy's destination set holds web.
    expect(sh('kind-worker2').run('ipset list -n').stdout).toMatch(/^KUBE-DST-[A-Z2-7]{16}\n$/);
  });

  it('still answers ping: KUBE-NWPLCY-COMMON accepts ICMP echo requests', () => {
    const { apply, sh, ip } = bed();
    apply(denyIngress);
    const r = sh('kind-control-plane').run(`kubectl exec client -- ping -c 1 -W 1 ${ip}`);
    // The client is curlimages/curl: BusyBox's ping prints its statistics its own way.
    expect(r.stdout).toContain('1 packets transmitted, 1 packets received, 0% packet loss');
  });

  it('names the pod and the policy in the trace of the rejected SYN', () => {
    const { world, curl, apply, cluster } = bed();
    apply(denyIngress);
    const r = curl('client');
    const events = world.trace
      .since(r.traceFrom)
      .filter((e) => e.decision?.kind === 'netfilter' && e.decision.verdict === 'REJECT');
    expect(events).toHaveLength(1);
    const d = events[0]!.decision as NetfilterDecision;
    expect(d.hook).toBe('FORWARD');
    const walks = d.walks
      .filter((w) => w.table === 'filter')
      .map((w) => `${w.chain}: ${w.outcome}${w.matched ? ` (${w.matched})` : ''}`);
    expect(walks[0]).toMatch(/^FORWARD: jump KUBE-ROUTER-FORWARD/);
    expect(walks.map((w) => w.replace(/ \(.*$/, ''))).toEqual([
      'FORWARD: jump KUBE-ROUTER-FORWARD',
      expect.stringMatching(/^KUBE-ROUTER-FORWARD: jump KUBE-POD-FW-/),
      expect.stringMatching(/^KUBE-POD-FW-[A-Z2-7]{16}: jump KUBE-NWPLCY-COMMON$/),
      'KUBE-NWPLCY-COMMON: end of chain: return',
      expect.stringMatching(/^KUBE-POD-FW-[A-Z2-7]{16}: jump KUBE-NWPLCY-[A-Z2-7]{16}$/),
      expect.stringMatching(/^KUBE-NWPLCY-[A-Z2-7]{16}: end of chain: return$/),
      expect.stringMatching(/^KUBE-POD-FW-[A-Z2-7]{16}: REJECT$/),
    ]);
    expect(walks[4]).toContain('--comment "run through nw policy deny-all"');
    expect(walks.at(-1)).toMatch(
      /^KUBE-POD-FW-[A-Z2-7]{16}: REJECT \(-A KUBE-POD-FW-[A-Z2-7]{16} -m comment --comment "rule to REJECT traffic destined for POD name:web namespace: default" -m mark ! --mark 0x10000\/0x10000 -j REJECT --reject-with icmp-port-unreachable\)$/,
    );
    expect(events[0]!.where.host).toBe('kind-worker2');
    void cluster;
  });

  it('lets the pods a podSelector picks through, and no other', () => {
    const { curl, refused, apply } = bed();
    apply(
      policy('allow-client', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
      }),
    );
    expect(curl('client')).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
    expect(curl('other')).toMatchObject({ exitCode: 7, stderr: refused });
    // A podSelector alone means the policy's own namespace.
    expect(curl('teamclient', 'team')).toMatchObject({ exitCode: 7, stderr: refused });
  });

  it('matches ports: the allowed port passes, another is refused', () => {
    const { curl, refused, apply, cluster } = bed();
    apply(
      policy('port-9090', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ protocol: 'TCP', port: 9000, endPort: 9100 }] }],
      }),
    );
    expect(curl('client')).toMatchObject({ exitCode: 7, stderr: refused });
    apply(
      policy('port-http', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ port: 'http' }] }],
      }),
    );
    expect(curl('client')).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
    expect(cluster.errors).toEqual([]);
  });

  it('selects peers by namespace labels', () => {
    const { curl, refused, apply } = bed();
    apply(
      policy('from-team', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'blue' } } }] }],
      }),
    );
    expect(curl('teamclient', 'team')).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
    expect(curl('client')).toMatchObject({ exitCode: 7, stderr: refused });
  });

  it('admits an ipBlock but not its except', () => {
    const { curl, refused, apply, sh } = bed();
    apply(
      policy('from-block', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.1.0/24'] } }] }],
      }),
    );
    // cp runs on the control plane (10.244.0.0/24); client on kind-worker (10.244.1.0/24).
    expect(curl('cp')).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
    expect(curl('client')).toMatchObject({ exitCode: 7, stderr: refused });
    const list = sh('kind-worker2').run('ipset list').stdout;
    expect(list).toContain('Type: hash:net\n');
    expect(list).toContain('Members:\n10.244.0.0/16 timeout 0\n10.244.1.0/24 timeout 0 nomatch\n');
  });

  it('rejects a pod egress policy denies, on the client node', () => {
    const { curl, refused, apply, world } = bed();
    apply(
      policy('client-egress', {
        podSelector: { matchLabels: { role: 'client' } },
        policyTypes: ['Egress'],
      }),
    );
    const r = curl('client');
    expect(r).toMatchObject({ exitCode: 7, stderr: refused });
    const ev = world.trace
      .since(r.traceFrom)
      .find((e) => e.decision?.kind === 'netfilter' && e.decision.verdict === 'REJECT')!;
    expect(ev.where.host).toBe('kind-worker');
    expect((ev.decision as NetfilterDecision).walks.at(-1)!.matched).toContain(
      'rule to REJECT traffic destined for POD name:client namespace: default',
    );
    expect(curl('other')).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
  });

  it('lets traffic flow again once the policy is deleted, and cleans its chains and sets', () => {
    const { curl, refused, apply, cluster, sh } = bed();
    apply(denyIngress);
    expect(curl('client')).toMatchObject({ exitCode: 7, stderr: refused });
    expect(cluster.delete('networkpolicy', 'default', 'deny-all')).toBeUndefined();
    expect(cluster.errors).toEqual([]);
    expect(curl('client')).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
    const save = sh('kind-worker2').run('iptables-save -t filter').stdout;
    expect(save).not.toMatch(/:KUBE-NWPLCY-(?!COMMON|DEFAULT)/);
    expect(save).toMatch(/run through default ingress network policy chain/);
    expect(sh('kind-worker2').run('ipset list -n').stdout).toBe('');
  });

  it('names chains as kube-router hashes them', () => {
    expect(podFirewallChainName('default', 'web', '1')).toMatch(/^KUBE-POD-FW-[A-Z2-7]{16}$/);
    expect(networkPolicyChainName('default', 'deny-all', '1')).not.toBe(
      networkPolicyChainName('default', 'deny-all', '2'),
    );
  });
});

describe('the kernel behaviour egress rejection rests on', () => {
  it("sends REJECT's ICMP error through OUTPUT as RELATED, so a rule dropping INVALID lets it by", () => {
    // Recorded on 6.18 in pl-np- namespaces: client c (10.78.1.2), router r, server s (10.78.2.2).
    const l = lab();
    l.setup([
      'ip netns add c',
      'ip netns add r',
      'ip netns add s',
      'ip -n c link add eth0 type veth peer name vc netns r',
      'ip -n s link add eth0 type veth peer name vs netns r',
      'ip -n c addr add 10.78.1.2/24 dev eth0',
      'ip -n r addr add 10.78.1.1/24 dev vc',
      'ip -n s addr add 10.78.2.2/24 dev eth0',
      'ip -n r addr add 10.78.2.1/24 dev vs',
      'ip -n c link set eth0 up',
      'ip -n s link set eth0 up',
      'ip -n s link set lo up',
      'ip -n r link set vc up',
      'ip -n r link set vs up',
      'ip -n c route add default via 10.78.1.1',
      'ip -n s route add default via 10.78.2.1',
      'ip netns exec r sysctl -qw net.ipv4.ip_forward=1',
      'ip netns exec s python3 -m http.server 8080 &',
      'ip netns exec r iptables -A FORWARD -s 10.78.1.2 -p tcp --dport 8080 -j REJECT',
      'ip netns exec r iptables -A OUTPUT -d 10.78.1.2 -m conntrack --ctstate INVALID -j DROP',
      'ip netns exec r iptables -A OUTPUT -d 10.78.1.2 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      'ip netns exec r iptables -A OUTPUT -d 10.78.1.2 -m conntrack --ctstate NEW -j ACCEPT',
    ]);
    const r = l.run('ip netns exec c curl -sS -m 3 -o /dev/null http://10.78.2.2:8080/');
    expect([r.exitCode, r.stderr]).toEqual([
      7,
      "curl: (7) Failed to connect to 10.78.2.2 port 8080 after 0 ms: Couldn't connect to server\n",
    ]);
    expect(l.run('ip netns exec r iptables -L OUTPUT -n -v').stdout).toBe(
      'Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)\n' +
        ' pkts bytes target     prot opt in     out     source               destination         \n' +
        '    0     0 DROP       0    --  *      *       0.0.0.0/0            10.78.1.2            ctstate INVALID\n' +
        '    1    88 ACCEPT     0    --  *      *       0.0.0.0/0            10.78.1.2            ctstate RELATED,ESTABLISHED\n' +
        '    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            10.78.1.2            ctstate NEW\n',
    );
  });
});
