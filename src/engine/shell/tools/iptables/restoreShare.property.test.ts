/**
 * RestoreReplay against iptablesRestore on random restore texts: whenever the replay takes a
 * text, the namespaces it wrote (which share the declared chains) end exactly as iptables-restore
 * leaves its own namespace (rules, policies, counters, the order of the chains), and whenever it
 * refuses one, nothing changed. Afterwards packets and iptables commands in one sharing namespace
 * change that namespace alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Netfilter } from '../../../linux/netfilter';
import { freshNetfilters, inputVerdicts, savedWithCounters } from '../../../testing/netfilter';
import { iptablesRestore, runIptables, words } from './index';
import { RestoreReplay, RestoreShare } from './restoreShare';

const USER = ['U1', 'U2', 'U3'];
const CHAINS = ['INPUT', ...USER];

/** An append; jumps go only to later chains in CHAINS, so no rule set loops. */
const rule = fc
  .record({
    from: fc.nat(CHAINS.length - 1),
    src: fc.option(fc.constantFrom('10.0.0.0/31', '10.244.0.0/16'), { nil: undefined }),
    dport: fc.option(fc.constantFrom(80, 443), { nil: undefined }),
    target: fc.constantFrom('ACCEPT', 'DROP', 'RETURN', ...USER),
  })
  .filter((r) => !USER.includes(r.target) || CHAINS.indexOf(r.target) > r.from)
  .map(
    (r) =>
      `-A ${CHAINS[r.from]}${r.src ? ` -s ${r.src}` : ''}${r.dport ? ` -p tcp -m tcp --dport ${r.dport}` : ''} -j ${r.target}`,
  );

/** One line of a filter section: mostly appends, and declarations, policies and deletions. */
const line = fc.oneof(
  { arbitrary: rule, weight: 6 },
  { arbitrary: fc.constantFrom(...USER).map((c) => `:${c} - [0:0]`), weight: 2 },
  {
    arbitrary: fc
      .record({ policy: fc.constantFrom('ACCEPT', 'DROP'), n: fc.nat(9) })
      .map((p) => `:INPUT ${p.policy} [${p.n}:${p.n * 60}]`),
    weight: 1,
  },
  { arbitrary: fc.constantFrom(...USER).map((c) => `-X ${c}`), weight: 1 },
);

const text = (lines: readonly string[]) => ['*filter', ...lines, 'COMMIT', ''].join('\n');

const save = savedWithCounters;
const order = (nf: Netfilter) => [...(nf.tables.get('filter')?.chains.keys() ?? [])];

describe('RestoreReplay', () => {
  it('leaves every namespace as iptables-restore would, or refuses and changes nothing', () => {
    fc.assert(
      fc.property(
        fc.array(rule, { maxLength: 8 }),
        fc.array(line, { maxLength: 12 }),
        fc.boolean(),
        fc.array(
          fc.record({
            src: fc.constantFrom('10.0.0.1', '10.244.1.7'),
            dport: fc.constantFrom(80, 443),
          }),
          { maxLength: 6 },
        ),
        (before, lines, noflush, packets) => {
          const [a, b, c] = freshNetfilters(3, 5) as [Netfilter, Netfilter, Netfilter];
          // What the namespaces held before, the same in all three.
          const first = text([...USER.map((u) => `:${u} - [0:0]`), ...before]);
          for (const nf of [a, b, c])
            expect(iptablesRestore(nf, first, false)).toEqual({ ok: true });

          const input = text(lines);
          const replay = new RestoreReplay(new RestoreShare(), words);
          const was = save(a);
          const took = replay.replay(a, input, noflush);
          expect(replay.replay(b, input, noflush)).toBe(took);
          if (!took) {
            expect(save(a)).toBe(was);
            expect(save(b)).toBe(was);
            return;
          }
          expect(iptablesRestore(c, input, noflush)).toEqual({ ok: true });
          expect(save(a)).toBe(save(c));
          expect(save(b)).toBe(save(c));
          expect(order(a)).toEqual(order(c));

          // Packets through a and c count alike; b, which shares a's chains, sees none of it.
          const untouched = save(b);
          expect(inputVerdicts(a, packets)).toEqual(inputVerdicts(c, packets));
          expect(save(a)).toBe(save(c));
          expect(save(b)).toBe(untouched);

          // So do commands that change chains in place.
          for (const argv of [
            ['-F', 'U2'],
            ['-Z'],
            ['-E', 'U3', 'RENAMED'],
            ['-A', 'RENAMED', '-j', 'ACCEPT'],
            ['-I', 'U1', '-s', '10.0.0.9', '-j', 'DROP'],
            ['-D', 'U1', '1'],
            ['-F'],
          ]) {
            let ra: string;
            let rc: string;
            try {
              ra = runIptables(a, argv);
            } catch (e) {
              ra = String(e);
            }
            try {
              rc = runIptables(c, argv);
            } catch (e) {
              rc = String(e);
            }
            expect(ra).toBe(rc);
            expect(save(a)).toBe(save(c));
            expect(save(b)).toBe(untouched);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
