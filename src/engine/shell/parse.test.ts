import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ShellSyntaxError, parseScript } from './parse';

const words = (src: string) =>
  parseScript(src).items[0]!.first.commands[0]!.words.map((w) =>
    w.parts
      .map((p) => (p.kind === 'lit' ? p.text : p.kind === 'var' ? `$${p.name}` : `$(${p.source})`))
      .join(''),
  );

describe('parseScript', () => {
  it('splits words and keeps quotes together', () => {
    expect(words(`docker inspect -f "{{ .NetworkSettings.IPAddress }}" web`)).toEqual([
      'docker',
      'inspect',
      '-f',
      '{{ .NetworkSettings.IPAddress }}',
      'web',
    ]);
    expect(words(`echo 'a  b' c\\ d`)).toEqual(['echo', 'a  b', 'c d']);
  });

  it('recognises variables, command substitution and backticks', () => {
    expect(words('ip link add $BR type bridge')).toEqual([
      'ip',
      'link',
      'add',
      '$BR',
      'type',
      'bridge',
    ]);
    expect(words('curl `cat /var/lib/cni/networks/demo_br/last_reserved_ip`')).toEqual([
      'curl',
      '$(cat /var/lib/cni/networks/demo_br/last_reserved_ip)',
    ]);
    expect(words('ln -sv ${container_netns} /var/run/netns/${container_id}')).toEqual([
      'ln',
      '-sv',
      '$container_netns',
      '/var/run/netns/$container_id',
    ]);
  });

  it('parses assignments, pipes, lists and background jobs', () => {
    const s = parseScript(
      'BR=bridge1\nip link list | grep veth && echo ok; nohup python3 -m http.server 8080 &',
    );
    expect(s.items).toHaveLength(3);
    expect(s.items[0]!.first.commands[0]!.assigns[0]!.name).toBe('BR');
    expect(s.items[1]!.first.commands).toHaveLength(2);
    expect(s.items[1]!.rest[0]!.op).toBe('&&');
    expect(s.items[2]!.background).toBe(true);
  });

  it('collects heredocs and redirections', () => {
    const s = parseScript(
      'cat > /tmp/00-demo.conf <<"EOF"\n{\n"name": "demo_br"\n}\nEOF\necho 1 > /proc/sys/net/ipv4/ip_forward',
    );
    const cat = s.items[0]!.first.commands[0]!;
    expect(cat.redirects.map((r) => r.op)).toEqual(['>', '<<']);
    expect(cat.redirects[1]!.heredoc).toEqual({ body: '{\n"name": "demo_br"\n}\n', quoted: true });
    expect(s.items[1]!.first.commands[0]!.redirects[0]!.op).toBe('>');
  });

  it('reports syntax errors in bash words', () => {
    expect(() => parseScript('ip link | | grep x')).toThrow(
      "syntax error near unexpected token `|'",
    );
    expect(() => parseScript('echo "unterminated')).toThrow(ShellSyntaxError);
  });

  it('never throws anything but ShellSyntaxError (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (src) => {
        try {
          parseScript(src);
        } catch (e) {
          return e instanceof ShellSyntaxError;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});
