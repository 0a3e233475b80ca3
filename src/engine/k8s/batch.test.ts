/**
 * Cluster.batch / applyAll converge once at the end, yet leave the cluster exactly as the same
 * calls made one by one do: the same generated names and addresses, the same EndpointSlices, the
 * same rules on every node. And kube-proxy's shared restore gives each node rules of its own.
 */
import { describe, expect, it } from 'vitest';
import { iptablesRestore, iptablesSave, words } from '../shell/tools/iptables/index';
import { RestoreReplay, RestoreShare } from '../shell/tools/iptables/restoreShare';
import { World } from '../sim/world';
import { tcpSyn } from '../testing/packets';
import type { Cluster } from './cluster';
import { KubeProxySyncShare, syncKubeProxy } from './kubeProxy';
import type { ManifestData } from './objects';
import { testbed } from './testbed';

const deployment = (name: string, replicas: number, port = 8080): ManifestData => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name, tier: 'web' } },
      spec: {
        containers: [
          {
            name: 'echo',
            image: 'hashicorp/http-echo',
            args: [`-text=${name}`, `-listen=:${port}`],
            ports: [{ containerPort: port, name: 'http' }],
          },
        ],
      },
    },
  },
});

const service = (
  name: string,
  selector: Record<string, string>,
  type = 'ClusterIP',
): ManifestData =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: {
      type,
      selector,
      ports: [{ port: 80, targetPort: 'http' }],
      ...(type !== 'ClusterIP' ? { externalTrafficPolicy: 'Local' } : {}),
    },
  }) as ManifestData;

const pod = (name: string, node?: string): ManifestData => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'solo' } },
  spec: {
    nodeName: node,
    containers: [{ name: 'curl', image: 'curlimages/curl', command: ['sleep', 'infinity'] }],
  },
});

/** Everything a learner could see of the cluster: objects, addresses, and each node's rules. */
function snapshot(world: World, cluster: Cluster): unknown {
  return {
    pods: cluster
      .podList()
      .map((p) => [p.namespace, p.name, p.uid, p.nodeName, p.podIP, p.sandbox?.netnsName]),
    services: cluster.serviceList().map((s) => [s.name, s.clusterIP, s.ports]),
    slices: [...cluster.endpointSlices.values()].map((e) => [e.name, e.endpoints, e.ports]),
    rules: cluster.nodes.map((n) =>
      iptablesSave(n.host.rootNs.netfilter, { counters: true, unix: world.unixNow() }),
    ),
    errors: cluster.errors,
  };
}

function build(
  objects: readonly ManifestData[],
  mode: 'one by one' | 'batch',
  then?: (c: Cluster) => void,
) {
  const { world, cluster } = testbed({ nodes: 4, seed: 11 });
  const results =
    mode === 'batch' ? cluster.applyAll(objects) : objects.map((m) => cluster.apply(m));
  if (then) {
    if (mode === 'batch') cluster.batch(() => then(cluster));
    else then(cluster);
  }
  return { results, snap: snapshot(world, cluster) };
}

describe('Cluster.batch', () => {
  const objects: ManifestData[] = [
    deployment('web', 3),
    service('web', { app: 'web' }),
    // A name that extends another Deployment's: "web-" owners are claimed by both, as before.
    deployment('api', 2, 9090),
    service('api', { app: 'api' }, 'NodePort'),
    service('tier', { tier: 'web' }),
    service('empty', { app: 'nothing' }),
    pod('client', 'kind-worker'),
    pod('floating'),
    deployment('web', 2),
  ];

  it('gives the same names, addresses, slices and rules as applying one by one', () => {
    const a = build(objects, 'one by one');
    const b = build(objects, 'batch');
    expect(b.results).toEqual(a.results);
    expect(b.snap).toEqual(a.snap);
  });

  it('also for deletes and scaling inside the batch', () => {
    const then = (c: Cluster) => {
      c.scale('default', 'api', 4);
      expect(c.delete('service', 'default', 'tier')).toBeUndefined();
      const victim = c.podList().find((p) => p.name.startsWith('web-'))!;
      expect(c.delete('pod', 'default', victim.name)).toBeUndefined();
      c.apply(deployment('web', 3, 8081));
    };
    const a = build(objects, 'one by one', then);
    const b = build(objects, 'batch', then);
    expect(b.snap).toEqual(a.snap);
  });

  it('syncs kube-proxy once, at the end', () => {
    const { cluster } = testbed({ nodes: 2 });
    const nf = cluster.nodes[1]!.host.rootNs.netfilter;
    const chains = () => [...(nf.tables.get('nat')?.chains.keys() ?? [])].length;
    const before = chains();
    cluster.batch(() => {
      cluster.apply(deployment('web', 2));
      cluster.apply(service('web', { app: 'web' }));
      expect(chains()).toBe(before);
      // Nested batches wait for the outermost.
      cluster.batch(() => cluster.apply(pod('client')));
      expect(chains()).toBe(before);
    });
    // KUBE-SVC and two KUBE-SEP chains.
    expect(chains()).toBe(before + 3);
  });
});

describe('RestoreShare', () => {
  it('restores the same rules as parsing each time, each namespace with its own counters', () => {
    const world = new World({ seed: 1 });
    const host = world.addHost({ name: 'h' });
    const a = host.createNetns('a').netfilter;
    const b = host.createNetns('b').netfilter;
    const c = host.createNetns('c').netfilter;
    const text = [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-SVC-X - [0:0]',
      '-A PREROUTING -j KUBE-SERVICES',
      '-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-X',
      '-A KUBE-SVC-X -m statistic --mode random --probability 0.5 -p tcp -j DNAT --to-destination 10.0.0.1:80',
      '-A KUBE-SVC-X -m statistic --mode nth --every 2 --packet 0 -p tcp -j DNAT --to-destination 10.0.0.2:80',
      '[3:180] -A KUBE-SVC-X -p tcp -j DNAT --to-destination 10.0.0.3:80',
      'COMMIT',
      '',
    ].join('\n');
    const share = new RestoreShare();
    expect(iptablesRestore(a, text, false, share)).toEqual({ ok: true });
    expect(iptablesRestore(b, text, false, share)).toEqual({ ok: true });
    expect(iptablesRestore(c, text, false)).toEqual({ ok: true });
    const save = (nf: typeof a) => iptablesSave(nf, { counters: true, unix: 0 });
    expect(save(a)).toBe(save(c));
    expect(save(b)).toBe(save(c));
    const rules = (nf: typeof a, chain: string) => nf.tables.get('nat')!.chains.get(chain)!.rules;
    // One rule object in both namespaces, until a packet counts in one of them.
    expect(rules(a, 'PREROUTING')[0]).toBe(rules(b, 'PREROUTING')[0]);
    // The nth match keeps a counter: never shared.
    expect(rules(a, 'KUBE-SVC-X')[1]).not.toBe(rules(b, 'KUBE-SVC-X')[1]);
    const syn = tcpSyn('10.244.1.5', '10.96.0.10', 80);
    expect(a.run('PREROUTING', { id: 1, flowId: 1, ip: syn, mark: 0 }).verdict).toBe('ACCEPT');
    expect(rules(a, 'PREROUTING')[0]!.pkts).toBe(1);
    expect(rules(b, 'PREROUTING')[0]!.pkts).toBe(0);
    expect(rules(a, 'KUBE-SERVICES')[0]!.pkts).toBe(1);
    expect(rules(b, 'KUBE-SERVICES')[0]!.pkts).toBe(0);
    expect(save(b)).toBe(save(c));
    expect(save(a)).toContain('[1:40] -A PREROUTING -j KUBE-SERVICES');
    // A line that fails is reported as without the share.
    const bad = '*nat\n-A NOPE -j ACCEPT\nCOMMIT\n';
    expect(iptablesRestore(a, bad, false, share)).toEqual(iptablesRestore(c, bad, false));
  });
});

describe('kube-proxy with a share', () => {
  it('leaves each node with the rules a sync of its own would, twice over (stale chains deleted)', () => {
    const objects: ManifestData[] = [
      deployment('web', 3),
      service('web', { app: 'web' }),
      deployment('api', 2, 9090),
      service('api', { app: 'api' }, 'NodePort'),
      service('empty', { app: 'nothing' }),
    ];
    const { world, cluster } = testbed({ nodes: 4, objects });
    const fresh = testbed({ nodes: 4, objects });
    const save = (c: Cluster) =>
      c.nodes.map((n) => iptablesSave(n.host.rootNs.netfilter, { counters: true, unix: 0 }));
    for (let round = 0; round < 2; round++) {
      const { services, endpoints } = cluster.proxyView();
      const share = new KubeProxySyncShare(services, endpoints);
      for (const [i, n] of cluster.nodes.entries()) {
        const node = { nodeName: n.name, nodeIP: String(n.nodeIP), clusterCIDR: '10.244.0.0/16' };
        expect(syncKubeProxy(n.host.rootNs.netfilter, node, services, endpoints, share).ok).toBe(
          true,
        );
        const m = fresh.cluster.nodes[i]!;
        expect(syncKubeProxy(m.host.rootNs.netfilter, node, services, endpoints).ok).toBe(true);
      }
      expect(save(cluster)).toEqual(save(fresh.cluster));
      // The second round runs after the endpoints moved: one web pod replaced.
      const victim = cluster.podList().find((p) => p.name.startsWith('web-'))!;
      cluster.delete('pod', 'default', victim.name);
      const v2 = fresh.cluster.podList().find((p) => p.name === victim.name)!;
      fresh.cluster.delete('pod', 'default', v2.name);
    }
    expect(world.unixNow()).toBe(fresh.world.unixNow());
  });

  it('replays only what iptables-restore would accept, and leaves the rest to it', () => {
    const world = new World({ seed: 1 });
    const host = world.addHost({ name: 'h' });
    const a = host.createNetns('a').netfilter;
    const b = host.createNetns('b').netfilter;
    const replay = new RestoreReplay(new RestoreShare(), words);
    const save = (nf: typeof a) => iptablesSave(nf, { counters: true, unix: 0 });
    const good = [
      '*filter',
      ':INPUT DROP [5:300]',
      ':KUBE-X - [0:0]',
      '-A INPUT -j KUBE-X',
      '-A KUBE-X -p tcp -m tcp --dport 22 -j ACCEPT',
      'COMMIT',
      '*nat',
      ':KUBE-OLD - [0:0]',
      'COMMIT',
      '',
    ].join('\n');
    expect(replay.replay(a, good, true)).toBe(true);
    expect(iptablesRestore(b, good, true)).toEqual({ ok: true });
    expect(save(a)).toBe(save(b));
    const again =
      '*nat\n:KUBE-NEW - [0:0]\n-X KUBE-OLD\nCOMMIT\n*filter\n:KUBE-X - [0:0]\nCOMMIT\n';
    expect(replay.replay(a, again, true)).toBe(true);
    expect(iptablesRestore(b, again, true)).toEqual({ ok: true });
    expect(save(a)).toBe(save(b));
    // Each of these fails or needs more than the plain steps: nothing is touched.
    for (const text of [
      '*nat\n-A NOPE -j ACCEPT\nCOMMIT\n',
      '*nat\n:A - [0:0]\n-A A -j MISSING\nCOMMIT\n',
      '*nat\n-X NOPE\nCOMMIT\n',
      '*filter\n-I INPUT -j ACCEPT\nCOMMIT\n',
      '*filter\n[1:2] -A INPUT -j ACCEPT\nCOMMIT\n',
      '*filter\n-A INPUT -m statistic --mode nth --every 2 -j ACCEPT\nCOMMIT\n',
      '*filter\n:A - [0:0]\n',
    ]) {
      const before = save(a);
      expect(replay.replay(a, text, true)).toBe(false);
      expect(save(a)).toBe(before);
    }
  });
});
