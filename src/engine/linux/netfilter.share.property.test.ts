/**
 * Rules shared between namespaces (one iptables-restore text parsed once, as kube-proxy's sync
 * does on every node) count packets exactly as rules of a namespace's own do, and only where the
 * packets went: a random rule set restored with a share into two namespaces and without into a
 * third; packets through the first and the third leave the same counters, the second none.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iptablesRestore } from '../shell/tools/iptables/index';
import { RestoreShare } from '../shell/tools/iptables/restoreShare';
import { freshNetfilters, inputVerdicts, savedWithCounters } from '../testing/netfilter';
import type { Netfilter } from './netfilter';

const SOURCES = ['10.0.0.1', '10.0.0.2', '10.244.1.7'];

const rule = (chain: string) =>
  fc
    .record({
      src: fc.option(fc.constantFrom('10.0.0.0/31', '10.244.0.0/16', '10.0.0.2/32'), {
        nil: undefined,
      }),
      tcp: fc.option(fc.constantFrom(80, 443), { nil: undefined }),
      target: fc.constantFrom('ACCEPT', 'DROP', 'RETURN', 'U1', 'U2'),
    })
    .filter((r) => !(chain !== 'INPUT' && r.target === chain))
    .map(
      (r) =>
        `-A ${chain}${r.src ? ` -s ${r.src}` : ''}${r.tcp ? ` -p tcp -m tcp --dport ${r.tcp}` : ''} -j ${r.target}`,
    );

const packet = fc.record({
  src: fc.constantFrom(...SOURCES),
  dport: fc.constantFrom(80, 443, 8080),
});

describe('shared rules', () => {
  it('count like a namespace’s own rules, and only in the namespace the packet crossed', () => {
    fc.assert(
      fc.property(
        fc.array(rule('INPUT'), { maxLength: 6 }),
        fc.array(rule('U1'), { maxLength: 4 }),
        fc.array(rule('U2'), { maxLength: 4 }),
        fc.array(packet, { maxLength: 8 }),
        (input, u1, u2, packets) => {
          // U1 may jump to U2 and U2 to U1: a loop the walk's guard ends; keep it one-way.
          const u2Safe = u2.filter((l) => !l.endsWith('-j U1'));
          const text = [
            '*filter',
            ':U1 - [0:0]',
            ':U2 - [0:0]',
            ...input,
            ...u1,
            ...u2Safe,
            'COMMIT',
            '',
          ].join('\n');
          const [a, b, c] = freshNetfilters(3) as [Netfilter, Netfilter, Netfilter];
          const share = new RestoreShare();
          expect(iptablesRestore(a, text, false, share)).toEqual({ ok: true });
          expect(iptablesRestore(b, text, false, share)).toEqual({ ok: true });
          expect(iptablesRestore(c, text, false)).toEqual({ ok: true });
          const save = savedWithCounters;
          const untouched = save(b);
          expect(inputVerdicts(a, packets)).toEqual(inputVerdicts(c, packets));
          expect(save(a)).toBe(save(c));
          expect(save(b)).toBe(untouched);
        },
      ),
      { numRuns: 150 },
    );
  });
});
