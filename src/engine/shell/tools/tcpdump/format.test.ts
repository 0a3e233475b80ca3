/**
 * formatFrame against real tcpdump 4.99.3: every capture in testdata/captures.ts is a pcap
 * recorded in network namespaces (or hand-built and read by tcpdump), rebuilt frame by frame as
 * model values, together with what `tcpdump -r FILE -nn -t [flags]` printed for it.
 */
import { describe, expect, it } from 'vitest';
import { type FormatOptions, TcpdumpState, formatFrame } from './format';
import { ANY_CAPTURES, type Capture, ETHERNET_CAPTURES } from './testdata/captures';
import { echo, eth, ip, tcp } from './testdata/build';

/** "-nn -t -e -vv" → { link: true, verbose: 2 }. */
function optionsFor(flags: string): FormatOptions {
  const words = flags.split(' ');
  const verbose = words.filter((w) => /^-v+$/.test(w)).reduce((n, w) => n + w.length - 1, 0);
  return { link: words.includes('-e'), verbose };
}

/** One tcpdump run over the capture: a single state, frames in order. */
function render(capture: Capture, flags: string): string {
  const state = new TcpdumpState();
  const opts = optionsFor(flags);
  return capture.frames
    .map(({ frame, any }) => formatFrame(frame, any === undefined ? opts : { ...opts, any }, state))
    .join('\n');
}

describe.each([...ETHERNET_CAPTURES, ...ANY_CAPTURES])('$name: $description', (capture) => {
  it.each(Object.keys(capture.outputs))('tcpdump %s', (flags) => {
    expect(render(capture, flags)).toBe(capture.outputs[flags]);
  });
});

describe('the fixtures', () => {
  it('cover every flag combination for every capture', () => {
    for (const c of [...ETHERNET_CAPTURES, ...ANY_CAPTURES]) {
      expect(Object.keys(c.outputs)).toEqual([
        '-nn -t',
        '-nn -t -e',
        '-nn -t -v',
        '-nn -t -e -v',
        '-nn -t -vv',
        '-nn -t -e -vv',
      ]);
      expect(c.frames.length).toBeGreaterThan(0);
    }
  });
});

describe('TcpdumpState', () => {
  const syn = eth(
    '02:00:00:00:01:02',
    '02:00:00:00:01:01',
    ip(
      { src: '10.0.1.2', dst: '10.0.2.2', ttl: 64, id: 1, tos: 0, df: true },
      tcp({ sport: 40000, dport: 80, flags: 'S.', seq: 10, ack: 20, win: 1 }, []),
    ),
  );
  const ack = eth(
    '02:00:00:00:01:02',
    '02:00:00:00:01:01',
    ip(
      { src: '10.0.1.2', dst: '10.0.2.2', ttl: 64, id: 2, tos: 0, df: true },
      tcp({ sport: 40000, dport: 80, flags: '.', seq: 15, ack: 25, win: 1 }, []),
    ),
  );
  const opts: FormatOptions = { link: false, verbose: 0 };

  it('is per capture: a fresh state prints absolute numbers again', () => {
    const state = new TcpdumpState();
    formatFrame(syn, opts, state);
    expect(formatFrame(ack, opts, state)).toContain('ack 6,');
    expect(formatFrame(ack, opts, new TcpdumpState())).toContain('ack 25,');
  });

  it('is not touched by frames that are not TCP', () => {
    const state = new TcpdumpState();
    const ping = eth(
      '02:00:00:00:01:02',
      '02:00:00:00:01:01',
      ip({ src: '10.0.1.2', dst: '10.0.2.2', ttl: 64, id: 3, tos: 0, df: true }, echo(8, 1, 1, 56)),
    );
    formatFrame(syn, opts, state);
    formatFrame(ping, opts, state);
    expect(formatFrame(ack, opts, state)).toContain('ack 6,');
  });
});
