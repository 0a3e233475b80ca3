import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LineState, applyKey, emptyLine, parseInput, render } from './lineEditor';

function type(st: LineState, data: string) {
  const effects = [];
  for (const k of parseInput(data)) {
    const r = applyKey(st, k);
    st = r.state;
    if (r.effect) effects.push(r.effect);
  }
  return { st, effects };
}

describe('line editor', () => {
  it('types, edits in the middle and submits', () => {
    let { st } = type(emptyLine(), 'ip adr');
    ({ st } = type(st, '\x1b[D\x1b[Dd')); // left, left, insert "d" → "ip addr"
    expect(st.buffer).toBe('ip addr');
    const r = type(st, '\r');
    expect(r.effects).toEqual([{ kind: 'submit', line: 'ip addr' }]);
    expect(r.st.buffer).toBe('');
    expect(r.st.history).toEqual(['ip addr']);
  });

  it('browses history with up and down, keeping the draft', () => {
    let { st } = type(emptyLine(['ip link', 'ip route']), 'pi');
    ({ st } = type(st, '\x1b[A'));
    expect(st.buffer).toBe('ip route');
    ({ st } = type(st, '\x1b[A'));
    expect(st.buffer).toBe('ip link');
    ({ st } = type(st, '\x1b[B\x1b[B'));
    expect(st.buffer).toBe('pi');
  });

  it('does not store blank lines or immediate repeats', () => {
    const { st } = type(emptyLine(), 'ls\r\rls\r  \r');
    expect(st.history).toEqual(['ls']);
  });

  it('supports the usual readline keys', () => {
    let { st } = type(emptyLine(), 'ping -c 1 10.0.0.12');
    ({ st } = type(st, '\x17')); // ctrl-w deletes a word
    expect(st.buffer).toBe('ping -c 1 ');
    ({ st } = type(st, '\x01')); // ctrl-a
    expect(st.cursor).toBe(0);
    ({ st } = type(st, '\x0b')); // ctrl-k
    expect(st.buffer).toBe('');
    const c = type(emptyLine(), 'abc\x03');
    expect(c.effects).toEqual([{ kind: 'interrupt' }]);
  });

  it('splits a pasted block into lines', () => {
    const { effects } = type(emptyLine(), 'ip netns add a\r\nip netns add b\n');
    expect(effects).toEqual([
      { kind: 'submit', line: 'ip netns add a' },
      { kind: 'submit', line: 'ip netns add b' },
    ]);
  });

  it('keeps the cursor within the buffer whatever is typed (property)', () => {
    const keys = fc.constantFrom(
      'a',
      'b',
      ' ',
      '\x7f',
      '\x1b[C',
      '\x1b[D',
      '\x1b[H',
      '\x1b[F',
      '\x1b[3~',
      '\x15',
      '\x0b',
      '\x17',
      '\x1b[A',
      '\x1b[B',
    );
    fc.assert(
      fc.property(fc.array(keys, { maxLength: 60 }), (seq) => {
        const { st } = type(emptyLine(['one', 'two']), seq.join(''));
        expect(st.cursor).toBeGreaterThanOrEqual(0);
        expect(st.cursor).toBeLessThanOrEqual(st.buffer.length);
      }),
    );
  });

  it('redraws the line with the cursor in place', () => {
    const { st } = type(emptyLine(), 'abc\x1b[D');
    expect(render('$ ', st)).toBe('\r\x1b[K$ abc\x1b[1D');
  });
});
