import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHash, parseHash, sameScenario } from './deepLink';

describe('deep links', () => {
  it('parses the routes the app uses', () => {
    expect(parseHash('')).toEqual({ kind: 'home' });
    expect(parseHash('#/')).toEqual({ kind: 'home' });
    expect(parseHash('#/scenario/veth-pair')).toEqual({ kind: 'scenario', id: 'veth-pair' });
    expect(parseHash('#/scenario/veth-pair?step=5&hop=3')).toEqual({
      kind: 'scenario',
      id: 'veth-pair',
      step: 5,
      hop: 3,
    });
    expect(parseHash('#z=1.abc_-?step=2')).toEqual({ kind: 'payload', data: '1.abc_-', step: 2 });
  });

  it('ignores malformed numbers rather than failing', () => {
    expect(parseHash('#/scenario/veth-pair?step=-1&hop=x')).toEqual({
      kind: 'scenario',
      id: 'veth-pair',
    });
    expect(parseHash('#/scenario/veth-pair?step=2&hop=0')).toEqual({
      kind: 'scenario',
      id: 'veth-pair',
      step: 2,
    });
  });

  it('reports what it does not understand', () => {
    expect(parseHash('#/nope').kind).toBe('unknown');
    expect(parseHash('#/scenario/Bad_Id').kind).toBe('unknown');
    expect(parseHash('#/scenario/%E0%A4%A').kind).toBe('unknown');
    expect(parseHash('#z=').kind).toBe('unknown');
  });

  it('formats and parses back (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
        fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
        (id, step, hop) => {
          const route = {
            kind: 'scenario' as const,
            id,
            ...(step ? { step } : {}),
            ...(step && hop ? { hop } : {}),
          };
          expect(parseHash(formatHash(route))).toEqual(route);
        },
      ),
    );
  });

  it('knows when two links show the same scenario', () => {
    expect(
      sameScenario(parseHash('#/scenario/a?step=1'), parseHash('#/scenario/a?step=4&hop=2')),
    ).toBe(true);
    expect(sameScenario(parseHash('#/scenario/a'), parseHash('#/scenario/b'))).toBe(false);
    expect(sameScenario(parseHash('#z=1.x?step=1'), parseHash('#z=1.x'))).toBe(true);
  });
});

describe('history entries', async () => {
  const { isNewPlace } = await import('./urlSync');
  it('adds an entry for a new step or scenario, not for a new hop', () => {
    const at = (h: string) => parseHash(h);
    expect(isNewPlace(at('#/scenario/a?step=1'), at('#/scenario/a?step=2'))).toBe(true);
    expect(isNewPlace(at('#/scenario/a?step=2'), at('#/scenario/a?step=2&hop=4'))).toBe(false);
    expect(isNewPlace(at('#/scenario/a?step=2'), at('#/scenario/b'))).toBe(true);
    expect(isNewPlace(at(''), at('#/scenario/veth-pair'))).toBe(false);
  });
});
