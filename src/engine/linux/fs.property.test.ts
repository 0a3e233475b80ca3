/**
 * normalizePath, whose fast path returns most paths untouched, agrees with POSIX path resolution
 * on any path made of names, ".", ".." and slashes. The reference below rewrites the text until
 * nothing changes, a different route to the same answer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { World } from '../sim/world';
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

describe('Vfs paths through symbolic links', () => {
  it('follows absolute and relative links, in the middle and at the end of a path', () => {
    const host = new World({ seed: 1 }).addHost({ name: 'h' });
    const fs = host.fs;
    const ns = host.rootNs;
    fs.mkdirp('/a/b');
    fs.writeFile('/a/b/f', 'data');
    expect(fs.symlink('b', '/a/rel')).toBeUndefined();
    expect(fs.symlink('/a', '/abs')).toBeUndefined();
    expect(fs.symlink('../b/f', '/a/b/up')).toBeUndefined();
    expect(fs.symlink('loop2', '/loop1')).toBeUndefined();
    expect(fs.symlink('loop1', '/loop2')).toBeUndefined();
    for (const p of ['/a/rel/f', '/abs/rel/f', '/abs/b/../rel/./f', '//abs//b/up', '/a/b/up'])
      expect(fs.readFile(p, ns)).toEqual({ ok: true, data: 'data' });
    expect(fs.stat('/abs/rel', false)).toMatchObject({ kind: 'symlink', target: 'b' });
    expect(fs.stat('/abs/rel')).toMatchObject({ kind: 'dir' });
    expect(fs.stat('/abs/rel/f', false)).toMatchObject({ kind: 'file', size: 4 });
    expect(fs.readFile('/loop1', ns)).toEqual({ ok: false, error: 'ENOENT' });
    expect(fs.readFile('/a/b/f/x', ns)).toEqual({ ok: false, error: 'ENOENT' });
    expect(fs.stat('/')).toMatchObject({ kind: 'dir' });
  });
});
