import { describe, expect, it } from 'vitest';
import type { NetnsView, TopologySnapshot } from '../engine/sim/snapshot';
import { netnsName, placeLabel, podsByNetns } from './format';

const ns = (id: number, label: string, extra: Partial<NetnsView> = {}): NetnsView => ({
  id,
  host: 'kind-worker',
  label,
  kind: label === 'root' ? 'root' : 'named',
  devices: [],
  routes: [],
  localRoutes: [],
  neighbours: [],
  ipForward: true,
  processes: [],
  listening: [],
  containers: [],
  ...extra,
});

const snap: TopologySnapshot = {
  time: 0,
  segments: ['kind'],
  links: [],
  hosts: [
    {
      name: 'kind-worker',
      external: false,
      namespaces: [
        ns(1, 'root'),
        ns(2, 'cni-0b6c6e1a-8a71-4a6e-9d1e-3a5f0c2b7d10', {
          pod: { name: 'client', namespace: 'default' },
        }),
        ns(3, 'scratch'),
      ],
    },
  ],
};

describe('places in the trace', () => {
  it("names a pod's namespace after its pod, and any other by its own name", () => {
    const pods = podsByNetns(snap);
    expect([...pods]).toEqual([[2, 'pod client']]);
    const at = (netnsId: number, netns: string) => ({ host: 'kind-worker', netns, netnsId });
    expect(placeLabel({ ...at(2, 'cni-0b6c6e1a'), dev: 'eth0' }, pods)).toBe(
      'kind-worker · pod client · eth0',
    );
    expect(placeLabel(at(3, 'scratch'), pods)).toBe('kind-worker · scratch');
    expect(placeLabel(at(1, 'root'), pods)).toBe('kind-worker · root ns');
    expect(netnsName(at(1, 'root'), pods)).toBe('root');
    // A namespace the snapshot no longer has (its pod was deleted) keeps its own name.
    expect(netnsName(at(9, 'cni-gone'), pods)).toBe('cni-gone');
    expect(placeLabel({ ...at(0, ''), segment: 'kind' }, pods)).toBe('network kind');
  });

  it('computes the map once per snapshot', () => {
    expect(podsByNetns(snap)).toBe(podsByNetns(snap));
    expect(podsByNetns(null).size).toBe(0);
  });
});
