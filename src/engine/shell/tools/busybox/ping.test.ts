/**
 * BusyBox ping, held to what Debian's busybox 1.35.0 printed as root in three pl- namespaces on
 * kernel 6.18: a (10.0.1.2/24 on va) — r (10.0.1.1/24, 10.0.2.1/24, forwarding) — b (10.0.2.2/24,
 * default via 10.0.2.1). Round-trip times are the engine's own (masked as T); the elapsed times
 * and exit codes are what the real runs took and returned.
 */
import { describe, expect, it } from 'vitest';
import { lab, type Lab } from '../../../testing/lab';
import { type ProgramRun, runIn } from '../../../testing/runIn';
import { TOOLS } from '../index';
import { busyboxPing } from './ping';

function routed(): Lab {
  const l = lab();
  l.setup([
    'ip netns add a',
    'ip netns add b',
    'ip netns add r',
    'ip link add va netns a type veth peer name vra netns r',
    'ip link add vb netns b type veth peer name vrb netns r',
    'ip -n a addr add 10.0.1.2/24 dev va',
    'ip -n r addr add 10.0.1.1/24 dev vra',
    'ip -n b addr add 10.0.2.2/24 dev vb',
    'ip -n r addr add 10.0.2.1/24 dev vrb',
    'ip -n a link set lo up',
    'ip -n b link set lo up',
    'ip -n r link set lo up',
    'ip -n a link set va up',
    'ip -n r link set vra up',
    'ip -n r link set vrb up',
    'ip -n b link set vb up',
    'ip netns exec r sysctl -qw net.ipv4.ip_forward=1',
    'ip -n b route add default via 10.0.2.1',
  ]);
  return l;
}

/** Runs BusyBox's `ping ARGS` in namespace `ns`; `interruptAt` sends ^C that many seconds in. */
function bbPing(l: Lab, ns: string, args: readonly string[], interruptAt?: number): ProgramRun {
  return runIn(l, ns, ['ping', ...args], (n) => (n === 'ping' ? busyboxPing : TOOLS[n]), {
    interruptAt,
  });
}

const masked = (s: string) =>
  s
    .replace(/time=\d+\.\d{3} ms/g, 'time=T ms')
    .replace(/= \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms/g, '= T ms');

const USAGE = `BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.

Usage: ping [OPTIONS] HOST

Send ICMP ECHO_REQUESTs to HOST

\t-4,-6\t\tForce IP or IPv6 name resolution
\t-c CNT\t\tSend only CNT pings
\t-s SIZE\t\tSend SIZE data bytes in packets (default 56)
\t-i SECS\t\tInterval
\t-A\t\tPing as soon as reply is received
\t-t TTL\t\tSet TTL
\t-I IFACE/IP\tSource interface or IP address
\t-W SEC\t\tSeconds to wait for the first response (default 10)
\t\t\t(after all -c CNT packets are sent)
\t-w SEC\t\tSeconds until ping exits (default:infinite)
\t\t\t(can exit earlier with -c CNT)
\t-q\t\tQuiet, only display output at start/finish
\t-p HEXBYTE\tPayload pattern
`;

const replies = (dst: string, n: number, ttl = 64, size = 56) =>
  Array.from(
    { length: n },
    (_, i) => `${size + 8} bytes from ${dst}: seq=${i} ttl=${ttl} time=T ms\n`,
  ).join('');

const stats = (dst: string, tx: number, rx: number, rtt = rx > 0) =>
  `\n--- ${dst} ping statistics ---\n${tx} packets transmitted, ${rx} packets received, ${Math.floor(((tx - rx) * 100) / tx)}% packet loss\n${rtt ? 'round-trip min/avg/max = T ms\n' : ''}`;

describe('busybox ping', () => {
  it('counts seq from 0 and prints times in µs and round-trip min/avg/max', () => {
    const l = routed();
    const r = bbPing(l, 'a', ['-c', '2', '10.0.1.1']);
    expect(masked(r.stdout)).toBe(
      `PING 10.0.1.1 (10.0.1.1): 56 data bytes\n${replies('10.0.1.1', 2)}${stats('10.0.1.1', 2, 2)}`,
    );
    expect(r.stdout).toMatch(/time=\d+\.\d{3} ms\n/);
    expect(r).toMatchObject({ stderr: '', code: 0 });
    expect(r.took).toBeCloseTo(1, 1);
  });

  it('dies on sendto without a route, and counts the router hop in the reply TTL once routed', () => {
    const l = routed();
    expect(bbPing(l, 'a', ['-c', '2', '10.0.2.2'])).toMatchObject({
      stdout: 'PING 10.0.2.2 (10.0.2.2): 56 data bytes\n',
      stderr: 'ping: sendto: Network is unreachable\n',
      code: 1,
    });
    l.run('ip -n a route add default via 10.0.1.1');
    const r = bbPing(l, 'a', ['-c', '2', '-i', '0.2', '10.0.2.2']);
    expect(masked(r.stdout)).toBe(
      `PING 10.0.2.2 (10.0.2.2): 56 data bytes\n${replies('10.0.2.2', 2, 63)}${stats('10.0.2.2', 2, 2)}`,
    );
    expect(r.took).toBeCloseTo(0.2, 1);
    const q = bbPing(l, 'a', ['-q', '-c', '2', '10.0.2.2']);
    expect(masked(q.stdout)).toBe(
      `PING 10.0.2.2 (10.0.2.2): 56 data bytes\n${stats('10.0.2.2', 2, 2)}`,
    );
  });

  it('says nothing of ICMP errors and waits -W (10 s) after the last echo when none came back', () => {
    const l = routed();
    l.run('ip -n a route add default via 10.0.1.1');
    // TTL 1 dies at the router (Time Exceeded); 10.0.1.9 answers no ARP; a REJECT sends Port
    // Unreachable; a broadcast is ignored (icmp_echo_ignore_broadcasts).
    for (const [args, tx, took] of [
      [['-c', '2', '-t', '1', '10.0.2.2'], 2, 11],
      [['-c', '2', '10.0.1.9'], 2, 11],
      [['-c', '1', '-W', '2', '10.0.1.255'], 1, 2],
      [['-c', '1', '-I', 'lo', '10.0.1.1'], 1, 10],
    ] as const) {
      const dst = args[args.length - 1]!;
      const r = bbPing(l, 'a', args);
      expect(r.stdout).toBe(`PING ${dst} (${dst}): 56 data bytes\n${stats(dst, tx, 0)}`);
      expect(r).toMatchObject({ stderr: '', code: 1 });
      expect(r.took).toBeCloseTo(took, 1);
    }
    l.run('ip netns exec r iptables -A FORWARD -d 10.0.2.2 -j REJECT');
    const r = bbPing(l, 'a', ['-c', '2', '-W', '2', '10.0.2.2']);
    expect(r).toMatchObject({ stdout: expect.stringContaining(stats('10.0.2.2', 2, 0)), code: 1 });
    expect(r.took).toBeCloseTo(3, 1);
  });

  it('keeps -w for the sends: it ends at the deadline, but not once all -c echoes are out', () => {
    const l = routed();
    let r = bbPing(l, 'a', ['-w', '2', '10.0.1.1']);
    expect(masked(r.stdout)).toContain(`${replies('10.0.1.1', 2)}${stats('10.0.1.1', 2, 2)}`);
    expect(r).toMatchObject({ code: 0 });
    expect(r.took).toBeCloseTo(2, 1);
    // Fewer replies than -c by the deadline is a failure.
    r = bbPing(l, 'a', ['-c', '3', '-w', '1', '10.0.1.1']);
    expect(masked(r.stdout)).toContain(stats('10.0.1.1', 1, 1));
    expect(r).toMatchObject({ code: 1 });
    expect(r.took).toBeCloseTo(1, 1);
    r = bbPing(l, 'a', ['-c', '5', '-w', '2', '10.0.1.9']);
    expect(r).toMatchObject({ stdout: expect.stringContaining(stats('10.0.1.9', 2, 0)), code: 1 });
    expect(r.took).toBeCloseTo(2, 1);
    r = bbPing(l, 'a', ['-c1', '-w1', '10.0.1.9']);
    expect(r.took).toBeCloseTo(10, 1);
    // -w 0 is no deadline.
    expect(bbPing(l, 'a', ['-c', '1', '-w', '0', '10.0.1.1']).code).toBe(0);
  });

  it('prints the statistics on ^C, exiting 1 when nothing came back', () => {
    const l = routed();
    let r = bbPing(l, 'a', ['10.0.1.1'], 1.5);
    expect(masked(r.stdout)).toBe(
      `PING 10.0.1.1 (10.0.1.1): 56 data bytes\n${replies('10.0.1.1', 2)}${stats('10.0.1.1', 2, 2)}`,
    );
    expect(r.code).toBe(0);
    r = bbPing(l, 'a', ['10.0.1.9'], 1.5);
    expect(r.stdout).toBe(`PING 10.0.1.9 (10.0.1.9): 56 data bytes\n${stats('10.0.1.9', 2, 0)}`);
    expect(r.code).toBe(1);
    // -c 0 is no count.
    r = bbPing(l, 'a', ['-c', '0', '10.0.1.1'], 3.5);
    expect(masked(r.stdout)).toContain(stats('10.0.1.1', 4, 4));
  });

  it('sends nothing after the first echo with -i 0, and at once on each reply with -A', () => {
    const l = routed();
    // setitimer(0) disarms the timer: one echo, then it waits until ^C (the real one hung).
    let r = bbPing(l, 'a', ['-c', '3', '-i', '0', '10.0.1.1'], 20);
    expect(masked(r.stdout)).toBe(
      `PING 10.0.1.1 (10.0.1.1): 56 data bytes\n${replies('10.0.1.1', 1)}${stats('10.0.1.1', 1, 1)}`,
    );
    // The same with -W 0 and nothing answering: alarm(0) never rings.
    r = bbPing(l, 'a', ['-c', '2', '-W', '0', '10.0.1.9']);
    expect(r.code).toBeUndefined();
    r = bbPing(l, 'a', ['-c2', '-A', '10.0.1.1']);
    expect(masked(r.stdout)).toContain(`${replies('10.0.1.1', 2)}${stats('10.0.1.1', 2, 2)}`);
    expect(r.took).toBeLessThan(0.01);
    // -i takes a duration: 1m is a minute.
    expect(bbPing(l, 'a', ['-i', '1m', '-c1', '10.0.1.1']).code).toBe(0);
  });

  it('sizes: no time under 4 data bytes, the reply counts ICMP header and data, EMSGSIZE past 64 KiB', () => {
    const l = routed();
    let r = bbPing(l, 'a', ['-c', '2', '-s', '3', '10.0.1.1']);
    expect(r.stdout).toBe(
      `PING 10.0.1.1 (10.0.1.1): 3 data bytes\n11 bytes from 10.0.1.1: seq=0 ttl=64\n11 bytes from 10.0.1.1: seq=1 ttl=64\n${stats('10.0.1.1', 2, 2, false)}`,
    );
    expect(r.code).toBe(0);
    r = bbPing(l, 'a', ['-c', '1', '-s', '0', '10.0.1.1']);
    expect(r.stdout).toContain('8 bytes from 10.0.1.1: seq=0 ttl=64\n');
    r = bbPing(l, 'a', ['-c', '1', '-s', '2000', '10.0.1.1']);
    expect(masked(r.stdout)).toContain('2008 bytes from 10.0.1.1: seq=0 ttl=64 time=T ms\n');
    r = bbPing(l, 'a', ['-c', '1', '-s', '65508', '10.0.1.1']);
    expect(r).toMatchObject({
      stdout: 'PING 10.0.1.1 (10.0.1.1): 65508 data bytes\n',
      stderr: 'ping: sendto: Message too long\n',
      code: 1,
    });
    // TTLs the kernel refuses leave the default (the reply still comes back).
    for (const t of ['0', '70000'])
      expect(bbPing(l, 'a', ['-c', '1', '-t', t, '10.0.1.1']).code).toBe(0);
  });

  it('takes -I as an interface when one has the name, else as the source address', () => {
    const l = routed();
    expect(bbPing(l, 'a', ['-c', '1', '-I', 'va', '10.0.1.1']).code).toBe(0);
    expect(bbPing(l, 'a', ['-c', '1', '-I', 'vq', '10.0.1.1'])).toMatchObject({
      stdout: '',
      stderr: "ping: bad address 'vq'\n",
      code: 1,
    });
    const r = bbPing(l, 'a', ['-c', '1', '-I', '10.0.1.2', '10.0.1.1']);
    expect(masked(r.stdout)).toBe(
      `PING 10.0.1.1 (10.0.1.1) from 10.0.1.2: 56 data bytes\n${replies('10.0.1.1', 1)}${stats('10.0.1.1', 1, 1)}`,
    );
    expect(bbPing(l, 'a', ['-c', '1', '-I', '10.9.9.9', '10.0.1.1'])).toMatchObject({
      stdout: 'PING 10.0.1.1 (10.0.1.1) from 10.9.9.9: 56 data bytes\n',
      stderr: "ping: can't set multicast source interface\n",
      code: 1,
    });
    expect(bbPing(l, 'a', ['-c', '1', '-I', '127.0.0.1', '10.0.1.1'])).toMatchObject({
      stdout: 'PING 10.0.1.1 (10.0.1.1) from 127.0.0.1: 56 data bytes\n',
      stderr: 'ping: sendto: Invalid argument\n',
      code: 1,
    });
  });

  it('names: the host as typed heads the output; an unknown one is a bad address', () => {
    const l = routed();
    const r = bbPing(l, 'a', ['-c', '1', 'localhost']);
    expect(masked(r.stdout)).toBe(
      `PING localhost (127.0.0.1): 56 data bytes\n${replies('127.0.0.1', 1)}${stats('localhost', 1, 1)}`,
    );
    for (const host of ['nosuchhost', ''])
      expect(bbPing(l, 'a', ['-c', '1', host])).toMatchObject({
        stdout: '',
        stderr: `ping: bad address '${host}'\n`,
        code: 1,
      });
    expect(bbPing(l, 'a', ['-6', '-c1', '10.0.1.1'])).toMatchObject({
      stderr: "ping: bad address '10.0.1.1'\n",
      code: 1,
    });
    expect(bbPing(l, 'a', ['-4', '-c1', '10.0.1.1']).code).toBe(0);
  });

  it("rejects bad arguments with BusyBox's own words", () => {
    const l = routed();
    const err = (args: string[]) => bbPing(l, 'a', args);
    expect(err([])).toMatchObject({ stdout: '', stderr: USAGE, code: 1 });
    expect(err(['--help'])).toMatchObject({ stdout: '', stderr: USAGE, code: 0 });
    expect(err(['-c1', '--help'])).toMatchObject({
      stderr: `ping: unrecognized option '--help'\n${USAGE}`,
      code: 1,
    });
    expect(err(['-Z', '10.0.1.1'])).toMatchObject({
      stderr: `ping: invalid option -- 'Z'\n${USAGE}`,
      code: 1,
    });
    expect(err(['127.0.0.1', '-c'])).toMatchObject({
      stderr: `ping: option requires an argument -- 'c'\n${USAGE}`,
      code: 1,
    });
    expect(err(['-c', '1', '10.0.1.1', '10.0.1.2'])).toMatchObject({ stderr: USAGE, code: 1 });
    for (const [args, text] of [
      [['-c', 'x'], "ping: invalid number 'x'\n"],
      [['-c', '-1'], "ping: invalid number '-1'\n"],
      [['-c', '4294967296'], "ping: invalid number '4294967296'\n"],
      [['-W', 'x'], "ping: invalid number 'x'\n"],
      [['-i', '1x'], "ping: invalid number '1x'\n"],
      [['-i', '-1'], "ping: invalid number '-1'\n"],
      [['-s', '70000'], 'ping: number 70000 is not in 0..65535 range\n'],
      [['-p', '100'], 'ping: number 100 is not in 0..255 range\n'],
      [['-p', 'zz'], "ping: invalid number 'zz'\n"],
    ] as const)
      expect(err([...args, '127.0.0.1'])).toMatchObject({ stdout: '', stderr: text, code: 1 });
    expect(err(['-c2', '-p', 'ff', '-v', '-n', '10.0.1.1']).code).toBe(0);
  });
});
