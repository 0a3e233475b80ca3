import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lab } from '../testing/lab';

describe('the shell', () => {
  it('expands variables, command substitution and backticks', () => {
    const l = lab();
    l.setup(['BR=bridge1', 'ip link add $BR type bridge']);
    expect(l.run('echo $BR `echo ok`').stdout).toBe('bridge1 ok\n');
    expect(l.run('echo "${BR}x"').stdout).toBe('bridge1x\n');
  });

  it('fails like bash for unknown commands and syntax errors', () => {
    const l = lab();
    expect(l.run('frobnicate now')).toMatchObject({
      exitCode: 127,
      stderr: 'bash: frobnicate: command not found\n',
    });
    expect(l.run('./bridge')).toMatchObject({
      exitCode: 127,
      stderr: 'bash: ./bridge: No such file or directory\n',
    });
    expect(l.run('ip link |')).toMatchObject({ exitCode: 2 });
  });

  it('sets $? after each pipeline, for the next command on the same line', () => {
    const l = lab();
    expect(l.run('ls /nonexist; echo $?; ! false; echo $?; false | true; echo $?').stdout).toBe(
      '2\n0\n0\n',
    );
    expect(l.run('ip link show nope 2>/dev/null || echo $?').stdout).toBe('1\n');
  });

  it('feeds pipes and command substitutions without write errors', () => {
    const l = lab();
    expect(l.run('X=`echo hi`; echo $X $(echo there)')).toMatchObject({
      exitCode: 0,
      stdout: 'hi there\n',
      stderr: '',
    });
    expect(l.run('echo a b | wc -w')).toMatchObject({ stdout: '2\n', stderr: '' });
  });

  it('writes sysctls through /proc/sys redirections', () => {
    const l = lab();
    expect(l.run('echo 1 > /proc/sys/net/ipv4/ip_forward').exitCode).toBe(0);
    expect(l.run('sysctl net.ipv4.ip_forward').stdout).toBe('net.ipv4.ip_forward = 1\n');
    expect(l.run('echo abc > /proc/sys/net/ipv4/ip_forward')).toMatchObject({
      exitCode: 1,
      stderr: 'bash: echo: write error: Invalid argument\n',
    });
    expect(l.run('cat /proc/sys/net/ipv4/nosuch')).toMatchObject({
      exitCode: 1,
      stderr: 'cat: /proc/sys/net/ipv4/nosuch: No such file or directory\n',
    });
    expect(l.run('sysctl nosuch.key')).toMatchObject({
      exitCode: 255,
      stderr: 'sysctl: cannot stat /proc/sys/nosuch/key: No such file or directory\n',
    });
  });

  it('pipes, heredocs and && / ||', () => {
    const l = lab();
    l.setup(['ip link add veth-a type veth peer name veth-b']);
    expect(l.run('ip link | grep -c veth').stdout).toBe('2\n');
    expect(l.run('cat > /tmp/f <<"EOF"\nhello $X\nEOF\ncat /tmp/f').stdout).toBe('hello $X\n');
    expect(l.run('false && echo no || echo yes').stdout).toBe('yes\n');
  });

  it('runs jobs in the background and reports them done', () => {
    const l = lab();
    const r = l.run('sleep 1 &');
    expect(r.stderr).toMatch(/^\[1\] \d+\n$/);
    // bash reports the finished job before its next prompt, i.e. after the command it ended in.
    expect(l.run('sleep 2').stderr).toBe('[1]+  Done                    sleep 1\n');
    expect(l.run('true').stderr).toBe('');
  });

  it('interrupts a ping that would run forever, as a user would with ^C', () => {
    const l = lab();
    l.setup(['ip netns add a', 'ip -n a link set lo up']);
    const r = l.run('ip netns exec a ping 127.0.0.1');
    expect(r.stdout.match(/^64 bytes from/gm)).toHaveLength(5);
    expect(r.stderr).toBe('^C\n');
    expect(r.stdout).toContain('5 packets transmitted, 5 received, 0% packet loss');
  });

  it('stops a broadcast storm on a bridge loop with an explanation', () => {
    const l = lab({ maxEvents: 20_000 });
    // Two bridges joined by two cables: a loop, and STP is off.
    l.setup([
      'ip link add b1 type bridge',
      'ip link add b2 type bridge',
      'ip link add x1 type veth peer name y1',
      'ip link add x2 type veth peer name y2',
      'ip link set x1 master b1',
      'ip link set x2 master b1',
      'ip link set y1 master b2',
      'ip link set y2 master b2',
      'ip addr add 10.9.0.1/24 dev b1',
      'ip link set b1 up',
      'ip link set b2 up',
      'ip link set x1 up',
      'ip link set x2 up',
      'ip link set y1 up',
      'ip link set y2 up',
    ]);
    const r = l.sh().run('ping -c 3 10.9.0.2');
    expect(r.note).toMatch(/stopped after \d+ simulated events/);
    expect(r.stderr).toContain('a loop or a storm?');
    // 20,000 events with captures on every port: seconds on a loaded 2-core machine.
  }, 60_000);
});

/** Commands a learner might type, including nonsense, for the robustness property. */
const WORDS = [
  'ip netns add a',
  'ip netns add b',
  'ip netns del a',
  'ip link add v1 type veth peer name v2',
  'ip link set v1 netns a',
  'ip link set v2 netns b',
  'ip -n a link set v1 up',
  'ip -n b link set v2 up',
  'ip -n a addr add 10.1.0.1/24 dev v1',
  'ip -n b addr add 10.1.0.2/24 dev v2',
  'ip link add br0 type bridge',
  'ip link set br0 up',
  'ip link set v1 master br0',
  'ip link del v1',
  'ip netns exec a ping -c 2 10.1.0.2',
  'ip netns exec b python3 -m http.server 80 &',
  'ip netns exec a curl -m 1 10.1.0.2',
  'ip netns exec a ip route add default via 10.1.0.2',
  'ip route add 10.2.0.0/16 via 10.1.0.9',
  'iptables -t nat -A POSTROUTING -j MASQUERADE',
  'iptables -A FORWARD -j DROP',
  'sysctl -w net.ipv4.ip_forward=1',
  'ip netns exec a nc -w 1 10.1.0.2 80',
  'tcpdump -i br0 -c 1 &',
  'ip addr',
  'ip -d link',
  'bridge fdb',
  'conntrack -L',
  'ip link set lo down',
  'ip -n b link set lo up',
  'kill %1',
  'garbage --with -flags',
  'ip route flush all',
  'ip neigh flush all',
  'echo $((',
];

describe('robustness', () => {
  it('random command sequences never throw and always end within the budget (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 1, max: 1000 }),
        (cmds, seed) => {
          const l = lab({ seed });
          for (const c of cmds) {
            const r = l.run(c);
            if (!Number.isInteger(r.exitCode)) return false;
            if (r.endTime - r.startTime > 601e9) return false;
          }
          return true;
        },
      ),
      { numRuns: 60 },
    );
  });
});
