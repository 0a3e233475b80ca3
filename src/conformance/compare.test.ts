import { describe, expect, it } from 'vitest';
import { type Tagged, summarizeCloses } from './compare';
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
