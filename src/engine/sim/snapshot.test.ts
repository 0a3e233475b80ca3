/**
 * The snapshot's view of containers: which run in a namespace, as their runtime started them,
 * and which pod a sandbox namespace belongs to. The canvas labels namespaces from this.
 */
import { describe, expect, it } from 'vitest';
import { testbed } from '../k8s/testbed';
import type { ManifestData } from '../k8s/objects';
import { bootDocker } from '../runtime/docker';
import { parseCidr } from '../net/ipv4';
import { lab } from '../testing/lab';
import { after, seconds } from './time';
import { snapshot, type NetnsView } from './snapshot';
import type { World } from './world';

const twoContainers = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    nodeName: 'kind-worker',
    containers: [
      { name: 'nginx', image: 'nginx' },
      { name: 'sidecar', image: 'busybox', command: ['sleep', '5'] },
    ],
  },
} as ManifestData;

const namespaceOf = (world: World, host: string, pred: (n: NetnsView) => boolean) =>
  snapshot(world)
    .hosts.find((h) => h.name === host)!
    .namespaces.filter(pred);

describe('snapshot: containers', () => {
  it("names a pod's sandbox namespace after its pod and lists pause first, then its containers", () => {
    const { world, cluster } = testbed({ nodes: 2, objects: [twoContainers] });
    const pod = cluster.pods.get('default/web')!;
    const [ns] = namespaceOf(world, 'kind-worker', (n) => n.label === pod.sandbox!.netnsName);
    expect(ns!.pod).toEqual({ name: 'web', namespace: 'default' });
    expect(ns!.containers.map((c) => [c.name, c.image, c.sandbox])).toEqual([
      ['pause', undefined, true],
      ['nginx', 'nginx', false],
      ['sidecar', 'busybox', false],
    ]);
    // Each is the process the runtime started: pause holds the namespace, nginx is its master.
    const comm = new Map(ns!.processes.map((p) => [p.pid, p.comm]));
    expect(ns!.containers.map((c) => comm.get(c.pid))).toEqual([
      '/pause',
      'nginx: master process nginx -g daemon off;',
      'sleep 5',
    ]);
    // The node's own namespace runs no container of a pod.
    const [root] = namespaceOf(world, 'kind-worker', (n) => n.kind === 'root');
    expect(root!.pod).toBeUndefined();
    expect(root!.containers).toEqual([]);
  });

  it('drops a container that exited, and shows it again once the kubelet restarts it', () => {
    const { world, cluster } = testbed({ nodes: 2, objects: [twoContainers] });
    const label = cluster.pods.get('default/web')!.sandbox!.netnsName;
    const names = () =>
      namespaceOf(world, 'kind-worker', (n) => n.label === label)[0]!.containers.map((c) => c.name);
    const t0 = world.sched.now;
    const at = (s: number) => {
      world.sched.run(() => false, { maxEvents: 1_000_000, until: after(t0, seconds(s)) });
      world.sched.advanceTo(after(t0, seconds(s)));
    };
    at(5.5);
    expect(names()).toEqual(['pause', 'nginx']);
    // The PLEG relist at 6 s sees the exit; the first restart is immediate.
    at(6.5);
    expect(names()).toEqual(['pause', 'nginx', 'sidecar']);
  });

  it('lists a Docker container by its name and image, in the namespace it joined', () => {
    const l = lab({
      hosts: [
        { name: 'host', ipForward: true, nic: { network: 'lab', address: '172.17.0.23/24' } },
      ],
    });
    bootDocker(l.world.host('host')!, { bip: parseCidr('172.18.0.1/24')! });
    l.run('docker run -d --name pause kubernetes/pause', 'host');
    l.run('docker run -d --name web --net=container:pause nginx', 'host');
    const [ns] = namespaceOf(l.world, 'host', (n) => n.containers.length > 0);
    expect(ns!.containers.map((c) => [c.name, c.image, c.sandbox])).toEqual([
      ['pause', 'kubernetes/pause', false],
      ['web', 'nginx', false],
    ]);
    expect(ns!.pod).toBeUndefined();
  });
});
