/**
 * A world numbers its namespaces and devices itself: two worlds built the same way, one after
 * the other in the same process (as the app's worker loads scenario after scenario), give the
 * same ids, so traces and snapshots of a replay name the same things.
 */
import { describe, expect, it } from 'vitest';
import { linkAddVeth } from '../linux/rtnl';
import { World } from './world';

function build() {
  const world = new World({ seed: 4 });
  const host = world.addHost({ name: 'h' });
  const a = host.createNetns('a');
  const b = host.createNetns('b');
  const r = linkAddVeth(a, 'va', 'vb', { peerNs: b });
  if (!r.ok) throw new Error(r.errno);
  return {
    namespaces: host.namespaces.map((ns) => ns.id),
    devices: [a, b].flatMap((ns) => ns.devices.map((d) => d.uid)),
  };
}

describe('World', () => {
  it('gives the same namespace ids and device uids to the same build, every time', () => {
    const first = build();
    expect(build()).toEqual(first);
    expect(first.namespaces).toEqual([1, 2, 3]);
  });
});
