import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScript } from '../engine/shell/parse';
import { commandLine, quoteWord } from './commandLine';

/** The words the simulated shell's parser reads from a line (literal parts only). */
const words = (src: string) =>
  parseScript(src).items[0]!.first.commands[0]!.words.map((w) =>
    w.parts.map((p) => (p.kind === 'lit' ? p.text : `<${p.kind}>`)).join(''),
  );

describe('exec command lines', () => {
  it('keeps one argument as a command line, and several as the words they were', () => {
    expect(commandLine(['ip route | grep default'])).toBe('ip route | grep default');
    const argv = ['curl', '-s', '-w', '%{http_code} %{remote_ip}\\n', 'http://10.96.45.120/'];
    expect(words(commandLine(argv))).toEqual(argv);
    expect(commandLine(['ip', 'route'])).toBe('ip route');
  });

  it('quotes any word so the shell reads it back unchanged (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, unit: 'grapheme-ascii' }), {
          minLength: 2,
          maxLength: 5,
        }),
        (argv) => {
          expect(words(argv.map(quoteWord).join(' '))).toEqual(argv);
        },
      ),
      { numRuns: 300 },
    );
  });
});
