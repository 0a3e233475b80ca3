import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findJsonError } from './jsonError';

describe('findJsonError', () => {
  it('finds an error exactly when JSON.parse rejects the text (property)', () => {
    const parses = (t: string) => {
      try {
        JSON.parse(t);
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(fc.property(fc.json(), (t) => findJsonError(t) === undefined));
    fc.assert(
      fc.property(
        fc.json(),
        fc.nat(),
        fc.constantFrom('', ',', '}', ']', '"', ':', 'x'),
        (t, at, junk) => {
          const k = at % (t.length + 1);
          const broken = t.slice(0, k) + junk + t.slice(k);
          return (findJsonError(broken) === undefined) === parses(broken);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('points at the offending character', () => {
    expect(findJsonError('{"a": }')).toEqual({ offset: 6, expected: 'a value' });
  });
});
