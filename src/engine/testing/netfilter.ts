/** Netfilter fixtures for tests that compare namespaces' rule sets and counters. */
import type { Netfilter } from '../linux/netfilter';
import { iptablesSave } from '../shell/tools/iptables/index';
import { World } from '../sim/world';
import { tcpSyn } from './packets';

/** The netfilter state of `count` fresh namespaces on one host. */
export function freshNetfilters(count: number, seed = 3): Netfilter[] {
  const host = new World({ seed }).addHost({ name: 'h' });
  return Array.from({ length: count }, (_, i) => host.createNetns(`ns${i}`).netfilter);
}

/** iptables-save with counters and a fixed date: equal text, equal rules and counts. */
export const savedWithCounters = (nf: Netfilter) => iptablesSave(nf, { counters: true, unix: 0 });

/** The verdicts INPUT gives TCP SYNs to 10.0.0.12 from each source and port (counting them). */
export function inputVerdicts(
  nf: Netfilter,
  packets: readonly { src: string; dport: number }[],
): string[] {
  return packets.map(
    (p, i) =>
      nf.run('INPUT', { id: i + 1, flowId: 1, ip: tcpSyn(p.src, '10.0.0.12', p.dport), mark: 0 })
        .verdict,
  );
}
