import { describe, expect, it } from 'vitest';
import {
  type KernelRun,
  type Tagged,
  canonicalTcpInterleaving,
  compareCommand,
  compareFrames,
  summarizeCloses,
} from './compare';
import type { LabCommand } from './plan';
import { normalizeOutput, sideBySide } from './normalize';

const tcp = (from: string, to: string, rest: string, t = 0, window = 0): Tagged => ({
  text: `aa > bb, ethertype IPv4 (0x0800), length 66: (tos 0x0, ttl 64, id N, offset 0, flags [DF], proto TCP (6), length 52)\n    ${from} > ${to}: ${rest}`,
  t,
  window,
});

const C = '10.0.0.1.PORT1';
const S = '10.0.0.2.8080';

describe('summarizeCloses', () => {
  it('reads both orders of a simultaneous close as the same close', () => {
    // The server's FIN first (what the engine does and the kernel mostly does)…
    const serverFirst = [
      tcp(S, C, 'Flags [P.], cksum C, seq 156:386, ack 78, win W, options [O], length 230: HTTP'),
      tcp(C, S, 'Flags [.], cksum C, ack 386, win W, options [O], length 0'),
      tcp(S, C, 'Flags [F.], cksum C, seq 386, ack 78, win W, options [O], length 0'),
      tcp(C, S, 'Flags [F.], cksum C, seq 78, ack 387, win W, options [O], length 0'),
      tcp(S, C, 'Flags [.], cksum C, ack 79, win W, options [O], length 0'),
    ];
    // …and curl's first, as the kernel did once in five tries.
    const clientFirst = [
      tcp(S, C, 'Flags [P.], cksum C, seq 156:386, ack 78, win W, options [O], length 230: HTTP'),
      tcp(C, S, 'Flags [.], cksum C, ack 386, win W, options [O], length 0'),
      tcp(C, S, 'Flags [F.], cksum C, seq 78, ack 386, win W, options [O], length 0'),
      tcp(S, C, 'Flags [F.], cksum C, seq 386, ack 78, win W, options [O], length 0'),
      tcp(C, S, 'Flags [.], cksum C, ack 387, win W, options [O], length 0'),
      tcp(S, C, 'Flags [.], cksum C, ack 79, win W, options [O], length 0'),
    ];
    const a = summarizeCloses(serverFirst).map((f) => f.text);
    const b = summarizeCloses(clientFirst).map((f) => f.text);
    expect(a).toEqual(b);
    expect(a).toHaveLength(2);
    expect(a[1]).toBe(
      `TCP close ${C} <> ${S}: FIN from ${C} acknowledged, FIN from ${S} acknowledged`,
    );
  });

  it('absorbs the last data ACK, wherever the race put it', () => {
    const ackAfterFin = [
      tcp(S, C, 'Flags [P.], cksum C, seq 156:386, ack 78, win W, options [O], length 230: HTTP'),
      tcp(S, C, 'Flags [F.], cksum C, seq 386, ack 78, win W, options [O], length 0'),
      tcp(C, S, 'Flags [.], cksum C, ack 386, win W, options [O], length 0'),
      tcp(C, S, 'Flags [F.], cksum C, seq 78, ack 387, win W, options [O], length 0'),
      tcp(S, C, 'Flags [.], cksum C, ack 79, win W, options [O], length 0'),
    ];
    const ackBeforeFin = [
      ackAfterFin[0]!,
      ackAfterFin[2]!,
      ackAfterFin[1]!,
      ...ackAfterFin.slice(3),
    ];
    expect(summarizeCloses(ackAfterFin).map((f) => f.text)).toEqual(
      summarizeCloses(ackBeforeFin).map((f) => f.text),
    );
  });

  it('still tells a close whose last ACK never came', () => {
    const frames = [
      tcp(S, C, 'Flags [F.], cksum C, seq 386, ack 78, win W, options [O], length 0'),
      tcp(C, S, 'Flags [F.], cksum C, seq 78, ack 387, win W, options [O], length 0'),
    ];
    expect(summarizeCloses(frames)[0]!.text).toBe(
      `TCP close ${C} <> ${S}: FIN from ${C} not acknowledged, FIN from ${S} acknowledged`,
    );
  });

  it('leaves a half-close that still carries data alone', () => {
    const frames = [
      tcp(C, S, 'Flags [F.], cksum C, seq 78, ack 1, win W, options [O], length 0'),
      tcp(S, C, 'Flags [P.], cksum C, seq 1:156, ack 79, win W, options [O], length 155: HTTP'),
    ];
    expect(summarizeCloses(frames)).toEqual(frames);
  });
});

describe('canonicalTcpInterleaving', () => {
  const header = tcp(
    S,
    C,
    'Flags [P.], cksum C, seq 1:156, ack 78, win W, options [O], length 155: HTTP',
  );
  const body = tcp(
    S,
    C,
    'Flags [P.], cksum C, seq 156:386, ack 78, win W, options [O], length 230: HTTP',
  );
  const ack156 = tcp(C, S, 'Flags [.], cksum C, ack 156, win W, options [O], length 0');
  const ack386 = tcp(C, S, 'Flags [.], cksum C, ack 386, win W, options [O], length 0');
  const arp = { text: 'aa > ff, ARP, Request who-has 10.0.0.9 tell 10.0.0.1', t: 0, window: 0 };
  const texts = (fs: Tagged[]) => canonicalTcpInterleaving(fs).map((f) => f.text);

  it('reads any causally possible interleaving of the two directions the same', () => {
    // The client's ACK of the header crossing the body (kernel on a slow path) or not.
    const crossed = [header, ack156, body, ack386];
    const bursts = [header, body, ack156, ack386];
    expect(texts(crossed)).toEqual(texts(bursts));
  });

  it('leaves other frames where they were', () => {
    expect(texts([header, arp, ack156, body, ack386])[1]).toBe(arp.text);
  });

  it('never moves an acknowledgement before the data it acknowledges', () => {
    const out = texts([header, body, ack386, ack156]);
    expect(out.indexOf(ack386.text)).toBeGreaterThan(out.indexOf(body.text));
    // …and a different set of segments still reads differently.
    expect(texts([header, body, ack386])).not.toEqual(texts([header, body, ack156, ack386]));
  });
});

describe('normalizeOutput', () => {
  const ctx = { macMap: new Map([['02:00:00:00:00:aa', '02:00:00:00:00:bb']]), physicalNics: [] };

  it('maps kernel MACs and their link-local addresses to the engine', () => {
    expect(
      normalizeOutput(
        '    link/ether 02:00:00:00:00:aa brd ff:ff:ff:ff:ff:ff\n    inet6 fe80::ff:fe00:aa/64 scope link \n',
        'real',
        ctx,
      ),
    ).toBe(
      '    link/ether 02:00:00:00:00:bb brd ff:ff:ff:ff:ff:ff\n    inet6 fe80::ff:fe00:bb/64 scope link ',
    );
  });

  it('drops pty artefacts and replaces timings, ports and ids', () => {
    const real =
      '64 bytes from 10.0.0.12: icmp_seq=1 ttl=64 time=0.061 ms\r\r\n\r\n--- 10.0.0.12 ping statistics ---\r\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\r\nrtt min/avg/max/mdev = 0.061/0.061/0.061/0.000 ms\r\n';
    const sim =
      '64 bytes from 10.0.0.12: icmp_seq=1 ttl=64 time=0.100 ms\n\n--- 10.0.0.12 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.100/0.100/0.100/0.000 ms\n';
    expect(normalizeOutput(real, 'real', ctx)).toBe(normalizeOutput(sim, 'sim', ctx));
  });
});

describe('sideBySide', () => {
  it('prints equal lines once and differing lines in full, engine above kernel', () => {
    expect(sideBySide('same\nttl 64', 'same\nttl 63')).toBe(
      '    same\n  ≠ engine: ttl 64\n    kernel: ttl 63',
    );
  });
});

describe('compareCommand', () => {
  const cmd = (simOutput: string): LabCommand => ({
    id: 'c',
    step: 0,
    host: 'h',
    run: 'ip addr',
    background: false,
    simStartMs: 0,
    simDurationMs: 0,
    simOutput,
    simExit: 0,
    simFrames: {},
    newNetns: [],
    simMacs: {},
    pinMacs: {},
  });
  const kernel = (output: string): KernelRun => ({
    id: 'c',
    exit: 0,
    output,
    frames: {},
    macMap: {},
    timedOut: false,
  });
  const line = (flag: string) =>
    `2: br: <UP>\n    inet6 fe80::1/64 scope link ${flag}\n       valid_lft forever preferred_lft forever\n`;

  it('notes, rather than fails, a link-local address still tentative on one side only', () => {
    const r = compareCommand(cmd(line('')), kernel(line('tentative ')), []);
    expect(r.agree).toBe(true);
    expect(r.notes.join()).toContain('duplicate address detection');
  });

  it('still fails any other difference in the same listing', () => {
    const r = compareCommand(
      cmd(line('')),
      kernel(line('tentative ').replace('fe80::1', 'fe80::2')),
      [],
    );
    expect(r.agree).toBe(false);
  });
});

describe('compareFrames and declared races', () => {
  const arp = (who: string) =>
    `aa:aa:aa:aa:aa:aa > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Ethernet (len 6), IPv4 (len 4), Request who-has ${who} tell 10.0.0.1, length 28`;
  const command = (id: string, lines: string[], race?: string): LabCommand => ({
    id,
    step: 0,
    host: 'h',
    run: `cmd ${id}`,
    background: false,
    ...(race ? { race } : {}),
    simStartMs: 0,
    simDurationMs: 0,
    simOutput: '',
    simExit: 0,
    simFrames: { 'h/root/eth0': lines.map((line, i) => ({ t: i, line })) },
    newNetns: [],
    simMacs: {},
    pinMacs: {},
  });
  const run = (id: string, lines: string[]): KernelRun => ({
    id,
    exit: 0,
    output: '',
    frames: { 'h/root/eth0': lines.map((line, i) => ({ t: 10 + i, line })) },
    macMap: {},
    timedOut: false,
  });

  it('charges a frame only one side has to its command, with both sides shown', () => {
    const r = compareFrames(
      [command('a', [arp('10.0.0.2')]), command('b', [arp('10.0.0.3')])],
      [run('a', [arp('10.0.0.2')]), run('b', [arp('10.0.0.3'), arp('10.0.0.3')])],
      [],
    );
    expect(r.differences[0]).toEqual([]);
    expect(r.differences[1]).toHaveLength(1);
    expect(r.differences[1]![0]!.what).toBe('frames on h/root/eth0 differ (engine 1, kernel 2)');
    expect(r.differences[1]![0]!.detail).toContain('who-has 10.0.0.3');
  });

  it('turns the same difference into a note when the scenario declares a race there', () => {
    const r = compareFrames(
      [command('a', [arp('10.0.0.2')]), command('b', [arp('10.0.0.3')], 'probes race a timer')],
      [run('a', [arp('10.0.0.2')]), run('b', [arp('10.0.0.3'), arp('10.0.0.3')])],
      [],
    );
    expect(r.differences.flat()).toEqual([]);
    expect(r.notes[1]!.join('\n')).toContain('a race the scenario declares: probes race a timer');
  });

  it('keeps an ARP reply after its request however close together they came', () => {
    // By text the reply (from bb:…) would sort before the request (from cc:…).
    const req = arp('10.0.0.3').replace('aa:aa:aa:aa:aa:aa', 'cc:cc:cc:cc:cc:cc');
    const reply =
      'bb:bb:bb:bb:bb:bb > cc:cc:cc:cc:cc:cc, ethertype ARP (0x0806), length 42: Ethernet (len 6), IPv4 (len 4), Reply 10.0.0.3 is-at bb:bb:bb:bb:bb:bb, length 28';
    const engine = command('a', []);
    const simultaneous: LabCommand = {
      ...engine,
      simFrames: { 'h/root/eth0': [req, reply].map((line) => ({ t: 5, line })) },
    };
    const kernel: KernelRun = {
      ...run('a', []),
      frames: { 'h/root/eth0': [req, reply].map((line, i) => ({ t: 9 + i * 0.004, line })) },
    };
    expect(compareFrames([simultaneous], [kernel], []).differences.flat()).toEqual([]);
  });

  it('keeps the packet that waited on ARP after the exchange it waited for', () => {
    const A = 'ae:ca:53:6b:db:a5';
    const B = '8a:38:07:5d:de:b0';
    const lines = [
      `${A} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Ethernet (len 6), IPv4 (len 4), Request who-has 10.0.0.2 tell 10.0.0.1, length 28`,
      `${B} > ${A}, ethertype ARP (0x0806), length 42: Ethernet (len 6), IPv4 (len 4), Reply 10.0.0.2 is-at ${B}, length 28`,
      // By text this SYN (ae… > 8a…) would sort before the request (ae… > ff…).
      `${A} > ${B}, ethertype IPv4 (0x0800), length 74: (tos 0x0, ttl 64, id N, offset 0, flags [DF], proto TCP (6), length 60)\n    10.0.0.1.PORT1 > 10.0.0.2.8080: Flags [S], cksum C, seq ISN, win W, options [O], length 0`,
    ];
    const engine: LabCommand = {
      ...command('a', []),
      simFrames: { 'h/root/eth0': lines.map((line) => ({ t: 5, line })) },
    };
    const kernel: KernelRun = {
      ...run('a', []),
      frames: { 'h/root/eth0': lines.map((line, i) => ({ t: 9 + i * 0.003, line })) },
    };
    expect(compareFrames([engine], [kernel], []).differences.flat()).toEqual([]);
  });
});
