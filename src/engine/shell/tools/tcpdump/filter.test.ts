/**
 * parseFilter/matchFilter against libpcap 1.10.3 as Debian 12's tcpdump 4.99.3 uses it: which
 * frames of each capture it kept for each expression, and the message it printed for the
 * expressions it refused (testdata/filters.ts, generated from the same pcaps as captures.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EthernetFrame } from '../../../net/packet';
import { type Filter, matchFilter, parseFilter } from './filter';
import { ETHERNET_CAPTURES } from './testdata/captures';
import { COOKED_FILTER_ERRORS, FILTER_CASES, FILTER_ERRORS } from './testdata/filters';

function parsed(expr: string): Filter {
  const f = parseFilter(expr === '' ? [] : [expr]);
  if ('error' in f) throw new Error(`${expr}: ${f.error}`);
  return f;
}

describe.each(FILTER_CASES)('filter "$expr"', ({ expr, matches }) => {
  it.each(ETHERNET_CAPTURES.map((c) => [c.name, c] as const))(
    'keeps what tcpdump kept of %s',
    (_name, capture) => {
      const f = parsed(expr);
      const kept = capture.frames.flatMap((cf, i) => (matchFilter(f, cf.frame) ? [i] : []));
      expect(kept).toEqual(matches[capture.name] ?? []);
    },
  );
});

describe('refused expressions', () => {
  it.each(FILTER_ERRORS.map((e) => [e.expr, e.error] as const))('%s', (expr, error) => {
    expect(parseFilter([expr])).toEqual({ error });
  });

  it.each(COOKED_FILTER_ERRORS.map((e) => [e.expr, e.error] as const))(
    '%s on -i any',
    (expr, error) => {
      expect(parseFilter([expr], { cooked: true })).toEqual({ error });
    },
  );

  it('says so, in its own name, for primitives the simulator leaves out', () => {
    expect(parseFilter(['vlan'])).toEqual({
      error: "packet-life: tcpdump filters with 'vlan' are not modelled",
    });
    expect(parseFilter(['ether', 'broadcast'])).toEqual({
      error: "packet-life: tcpdump filters with 'broadcast' are not modelled",
    });
  });
});

describe('expression arguments', () => {
  it('are joined with spaces, as tcpdump does with argv', () => {
    const a = parsed('tcp and dst port 8080');
    const b = parseFilter(['tcp', 'and', 'dst', 'port', '8080']);
    expect(b).toEqual(a);
  });

  it('may be empty: every frame is kept', () => {
    const f = parseFilter([]);
    expect('error' in f).toBe(false);
    if (!('error' in f)) expect(ALL_FRAMES.every((fr) => matchFilter(f, fr))).toBe(true);
  });
});

const ALL_FRAMES: readonly EthernetFrame[] = ETHERNET_CAPTURES.flatMap((c) =>
  c.frames.map((f) => f.frame),
);

/** Expressions that parse on their own and can be combined freely. */
const ATOMS = [
  'arp', 'ip', 'icmp', 'tcp', 'udp', 'host 10.0.1.1', 'src host 10.0.1.2', 'dst 10.0.2.2',
  'net 10.0.2.0/24', 'port 8080', 'src port 80', 'dst port 4789', 'ether host 02:00:00:00:01:01',
  'ether dst ff:ff:ff:ff:ff:ff', 'tcp[tcpflags] & tcp-syn != 0', 'tcp[tcpflags] & tcp-ack = 0',
  'less 60', 'greater 100', 'ip proto 4', 'icmp[icmptype] = icmp-echo',
]; // prettier-ignore

const atom = fc.constantFrom(...ATOMS);
const frame = fc.constantFrom(...ALL_FRAMES);

describe('algebra', () => {
  it('not X keeps exactly the frames X drops', () => {
    fc.assert(
      fc.property(atom, frame, (x, fr) => {
        expect(matchFilter(parsed(`not (${x})`), fr)).toBe(!matchFilter(parsed(x), fr));
      }),
    );
  });

  it('X and Y keeps the frames both keep; X or Y those either keeps', () => {
    fc.assert(
      fc.property(atom, atom, frame, (x, y, fr) => {
        const both = parseFilter([`(${x}) and (${y})`]);
        const either = parsed(`(${x}) or (${y})`);
        const mx = matchFilter(parsed(x), fr);
        const my = matchFilter(parsed(y), fr);
        // A combination no packet can satisfy is refused outright, as tcpdump does.
        if ('error' in both) expect(both.error).toBe('tcpdump: expression rejects all packets');
        else expect(matchFilter(both, fr)).toBe(mx && my);
        expect(matchFilter(either, fr)).toBe(mx || my);
      }),
    );
  });

  it('and/or group left to right at equal precedence', () => {
    fc.assert(
      fc.property(atom, atom, atom, frame, (x, y, z, fr) => {
        const flat = parsed(`${x} or ${y} or ${z}`);
        const grouped = parsed(`(${x} or ${y}) or ${z}`);
        expect(matchFilter(flat, fr)).toBe(matchFilter(grouped, fr));
        const mixed = parseFilter([`${x} or ${y} and ${z}`]);
        const left = parseFilter([`(${x} or ${y}) and ${z}`]);
        if (!('error' in mixed) && !('error' in left)) {
          expect(matchFilter(mixed, fr)).toBe(matchFilter(left, fr));
        }
      }),
    );
  });

  it('&&, || and ! are and, or and not', () => {
    fc.assert(
      fc.property(atom, atom, frame, (x, y, fr) => {
        expect(matchFilter(parsed(`! (${x}) || ${y}`), fr)).toBe(
          matchFilter(parsed(`not (${x}) or ${y}`), fr),
        );
      }),
    );
  });
});
