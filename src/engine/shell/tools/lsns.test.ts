/**
 * lsns -t net and its output options, as util-linux 2.38.1 printed them on the reference machine
 * (kernel 6.18) inside a pl- namespace: the initial namespace is 4026531833, -n drops the
 * headings, -o picks columns (case-insensitive; an unknown one is named as given), -r separates
 * columns by one space and escapes spaces as \x20, -J writes libsmartcols JSON with numbers bare,
 * an empty NSFS null and "},{" between objects. Without -t, every type: `ip netns exec`'s
 * command has a mount namespace of its own besides the network one, and `lsns -p` shows the
 * host's namespaces for the rest (checked the same way). What the model cannot list it says so.
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

  it('lists every type without -t: the command ip netns exec ran has its own mnt namespace', () => {
    const l = bed();
    const out = l.run('lsns').stdout.split('\n');
    expect(out[0]).toMatch(/^ {8}NS TYPE {3}NPROCS +PID USER COMMAND$/);
    expect(out.slice(1, 9).map((r) => r.split(/ +/).slice(0, 2).join(' '))).toEqual([
      '4026531832 mnt',
      '4026531833 net',
      '4026531834 time',
      '4026531835 cgroup',
      '4026531836 pid',
      '4026531837 user',
      '4026531838 uts',
      '4026531839 ipc',
    ]);
    expect(out[9]).toMatch(/^40265\d{5} net +1 +(\d+) root sleep 100$/);
    expect(out[10]).toMatch(/^40265\d{5} mnt +1 +(\d+) root sleep 100$/);
    const pid = /(\d+) root sleep/.exec(out[9]!)![1]!;
    const mine = l.run(`lsns -p ${pid}`).stdout.split('\n');
    expect(mine.slice(1, -1).map((r) => r.split(/ +/)[1])).toEqual([
      'time',
      'cgroup',
      'pid',
      'user',
      'uts',
      'ipc',
      'net',
      'mnt',
    ]);
    expect(l.run('lsns -t uts -o NS,TYPE,PATH,UID').stdout).toBe(
      '        NS TYPE PATH           UID\n4026531838 uts  /proc/1/ns/uts   0\n',
    );
  });

  it("gives lsns's own errors, and says what the model does not list", () => {
    const l = bed();
    expect(l.run('lsns -x').stderr).toBe(
      "lsns: invalid option -- 'x'\nTry 'lsns --help' for more information.\n",
    );
    expect(l.run('lsns -t foo').stderr).toBe('lsns: unknown namespace type: foo\n');
    expect(l.run('lsns -p abc')).toMatchObject({
      exitCode: 1,
      stderr: "lsns: invalid PID argument: 'abc'\n",
    });
    // A PID that does not exist: nothing at all, and success.
    expect(l.run('lsns -p 999999')).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    for (const cmd of ['lsns 4026531833', 'lsns -T parent', 'lsns -o NS,PPID'])
      expect(l.run(cmd)).toMatchObject({
        exitCode: 1,
        stdout: '',
        stderr: expect.stringMatching(/^packet-life: lsns .*not modelled/),
      });
  });
});
