/**
 * The node agents' command lines are split as /"([^"]*)"|(\S+)/g splits them (what they were
 * first split with), on any line of quotes, spaces, tabs and ordinary characters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitQuoted } from './cni';

const byRegExp = (line: string) => [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);

describe('splitQuoted', () => {
  it('splits as the regular expression does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('"', ' ', '\t', 'a', '-', '/'), { maxLength: 20 }),
        (c) => {
          const line = c.join('');
          expect(splitQuoted(line)).toEqual(byRegExp(line));
        },
      ),
      { numRuns: 3000 },
    );
    expect(
      splitQuoted(
        'iptables -t nat -A KIND-MASQ-AGENT -m comment --comment "kind-masq-agent: x y" -j RETURN',
      ),
    ).toEqual([
      'iptables',
      '-t',
      'nat',
      '-A',
      'KIND-MASQ-AGENT',
      '-m',
      'comment',
      '--comment',
      'kind-masq-agent: x y',
      '-j',
      'RETURN',
    ]);
  });
});
