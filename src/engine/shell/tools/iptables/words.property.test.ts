/**
 * iptables' word splitting (restore lines, kube-proxy's generated rules) agrees with the regular
 * expression it was first written as, on any text of quotes, backslashes, spaces of every kind
 * and ordinary characters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { words } from './index';

function byRegExp(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g))
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

const ch = fc.constantFrom(
  '"',
  '\\',
  ' ',
  '\t',
  '\n',
  '\r',
  '\v',
  '\f',
  '\u0085',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200a',
  '\u200b',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
  'a',
  'b',
  '-',
  'é',
);

describe('words', () => {
  it('splits as /"((?:[^"\\\\]|\\\\.)*)"|(\\S+)/g does', () => {
    fc.assert(
      fc.property(fc.array(ch, { maxLength: 24 }), (chars) => {
        const line = chars.join('');
        expect(words(line)).toEqual(byRegExp(line));
      }),
      { numRuns: 5000 },
    );
  });

  it('reads a kube-proxy rule line', () => {
    expect(
      words(
        '-A KUBE-SERVICES -m comment --comment "default/app has no endpoints" -m tcp -p tcp -d 10.96.0.5 --dport 80 -j REJECT',
      ),
    ).toEqual([
      '-A',
      'KUBE-SERVICES',
      '-m',
      'comment',
      '--comment',
      'default/app has no endpoints',
      '-m',
      'tcp',
      '-p',
      'tcp',
      '-d',
      '10.96.0.5',
      '--dport',
      '80',
      '-j',
      'REJECT',
    ]);
  });
});
