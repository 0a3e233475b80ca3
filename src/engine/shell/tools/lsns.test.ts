/**
 * lsns -t net and its output options, as util-linux 2.38.1 printed them on the reference machine
 * (kernel 6.18) inside a pl- namespace: the initial namespace is 4026531833, -n drops the
 * headings, -o picks columns (case-insensitive; an unknown one is named as given), -r separates
 * columns by one space and escapes spaces as \x20, -J writes libsmartcols JSON with numbers bare,
 * an empty NSFS null and "},{" between objects. What the model cannot list it says so.
 */
import { describe, expect, it } from 'vitest';
import { lab } from '../../testing/lab';

function bed() {
  const l = lab();
  l.run('ip netns add pl-x');
  l.run('ip netns exec pl-x sleep 100 &');
  return l;
}

describe('lsns', () => {
  it('lists network namespaces with their processes, by the command each runs now', () => {
    const l = bed();
    const out = l.run('lsns -t net').stdout.split('\n');
    expect(out[0]).toMatch(/^ {8}NS TYPE NPROCS +PID USER +NETNSID NSFS +COMMAND$/);
    // The NSFS column is as wide as its longest path, plus the one space between columns.
    expect(out[0]!.indexOf('COMMAND') - out[0]!.indexOf('NSFS')).toBe('/run/netns/pl-x'.length + 1);
    expect(out[1]).toMatch(/^4026531833 net +\d+ +1 root unassigned +\/sbin\/init$/);
    // `ip netns exec` execs the command: its command line is sleep's, not ip's.
    expect(out[2]).toMatch(/^40265\d{5} net +1 +\d+ root unassigned \/run\/netns\/pl-x sleep 100$/);
  });

  it('takes -n, -o, -r and -J', () => {
    const l = bed();
    expect(l.run('lsns -t net -n -o ns,type').stdout).toMatch(/^4026531833 net\n40265\d{5} net\n$/);
    expect(l.run('lsns -t net -r -o NS,NPROCS,COMMAND').stdout).toMatch(
      /^NS NPROCS COMMAND\n4026531833 \d+ \/sbin\/init\n40265\d{5} 1 sleep\\x20100\n$/,
    );
    expect(l.run('lsns -t net -J -o NS,NSFS').stdout).toMatch(
      /^\{\n {3}"namespaces": \[\n {6}\{\n {9}"ns": 4026531833,\n {9}"nsfs": null\n {6}\},\{\n {9}"ns": 40265\d{5},\n {9}"nsfs": "\/run\/netns\/pl-x"\n {6}\}\n {3}\]\n\}\n$/,
    );
    expect(l.run('lsns -t net -o ""')).toMatchObject({ exitCode: 0, stdout: '' });
    expect(l.run('lsns -t net -o ns,bogus')).toMatchObject({
      exitCode: 1,
      stderr: 'lsns: unknown column: bogus\n',
    });
  });

  it("gives lsns's own errors, and says what the model does not list", () => {
    const l = bed();
    expect(l.run('lsns -x').stderr).toBe(
      "lsns: invalid option -- 'x'\nTry 'lsns --help' for more information.\n",
    );
    expect(l.run('lsns -t foo').stderr).toBe('lsns: unknown namespace type: foo\n');
    for (const cmd of ['lsns', 'lsns -t mnt', 'lsns -p 1'])
      expect(l.run(cmd)).toMatchObject({
        exitCode: 1,
        stdout: '',
        stderr: expect.stringMatching(/^packet-life: lsns .*not modelled/),
      });
  });
});
