/**
 * normalizePath, whose fast path returns most paths untouched, agrees with POSIX path resolution
 * on any path made of names, ".", ".." and slashes. The reference below rewrites the text until
 * nothing changes, a different route to the same answer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizePath } from './fs';

function resolve(cwd: string, path: string): string {
  let p = path.startsWith('/') ? path : `${cwd}/${path}`;
  for (let before = ''; before !== p;) {
    before = p;
    p = p
      .replace(/\/\/+/g, '/')
      .replace(/\/\.(?=\/|$)/g, '')
      .replace(/^\/\.\.(?=\/|$)/, '')
      .replace(/\/(?!\.\.(?:\/|$))[^/]+\/\.\.(?=\/|$)/, '');
  }
  p = p.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

const part = fc.constantFrom('', '.', '..', 'etc', 'cni', 'net.d', '..a', '.b', 'x');

describe('normalizePath', () => {
  it('resolves a path as POSIX does, from / or from a working directory', () => {
    fc.assert(
      fc.property(
        fc.array(part, { maxLength: 8 }),
        fc.boolean(),
        fc.constantFrom('/', '/root', '/var/lib/'),
        (parts, absolute, cwd) => {
          const path = `${absolute ? '/' : ''}${parts.join('/')}`;
          if (path === '') return;
          expect(normalizePath(path, cwd)).toBe(resolve(cwd, path));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
