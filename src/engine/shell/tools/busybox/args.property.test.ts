/**
 * BusyBox's argument parsing, over generated input: getopt's numbers (xatou, xatou_range,
 * parse_duration_str), nslookup's abbreviated options (index_in_substrings) and ip's prefixes
 * (get_prefix), held to what busybox 1.35.0 accepted and refused in pl- namespaces (see
 * ping.test.ts, nslookup.test.ts, ip.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lab } from '../../../testing/lab';
import { BbIp, BbIpExit, getPrefix } from './ipArgs';
import { optionIndex } from './nslookup';
import { duration, xatou } from './ping';

const UINT_MAX = 4294967295;

describe('BusyBox numbers', () => {
  it('xatou takes every unsigned 32-bit decimal, leading zeros too, and nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: UINT_MAX }), fc.nat(3), (n, zeros) => {
        expect(xatou('0'.repeat(zeros) + String(n))).toBe(n);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: BigInt(UINT_MAX) + 1n, max: 10n ** 30n }), (n) => {
        expect(xatou(String(n))).toBe(`ping: invalid number '${n}'\n`);
      }),
    );
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^[0-9]+$/.test(s)),
        (s) => {
          expect(xatou(s)).toBe(`ping: invalid number '${s}'\n`);
        },
      ),
    );
  });

  it('xatou_range names the range for a number outside it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 65536, max: UINT_MAX }), (n) => {
        expect(xatou(String(n), 0, 65535)).toBe(`ping: number ${n} is not in 0..65535 range\n`);
      }),
    );
  });

  it('-i takes a decimal with an optional s, m, h or d, and nothing negative', () => {
    const units = { '': 1, s: 1, m: 60, h: 3600, d: 86400 } as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 999 }),
        fc.constantFrom('', 's', 'm', 'h', 'd'),
        (whole, frac, unit) => {
          const text = `${whole}.${frac}${unit}`;
          expect(duration(text)).toBeCloseTo(
            Number(`${whole}.${frac}`) * units[unit as keyof typeof units],
            6,
          );
        },
      ),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (n) => {
        expect(duration(`-${n}`)).toBe(`ping: invalid number '-${n}'\n`);
      }),
    );
  });
});

describe("nslookup's options", () => {
  const OPTIONS = ['type', 'querytype', 'port', 'retry', 'debug', 't', 'timeout'];

  it('any unambiguous beginning of an option names it; t alone is -t, the timeout', () => {
    fc.assert(
      fc.property(fc.constantFrom(...OPTIONS.keys()), fc.nat(20), (i, cut) => {
        const name = OPTIONS[i]!;
        const prefix = name.slice(0, Math.max(1, cut % (name.length + 1)));
        const starts = OPTIONS.filter((o) => o.startsWith(prefix));
        const expected = OPTIONS.includes(prefix)
          ? OPTIONS.indexOf(prefix)
          : starts.length === 1
            ? OPTIONS.indexOf(starts[0]!)
            : -1;
        expect(optionIndex(prefix)).toBe(expected);
      }),
    );
    // What the real applet did: -q=a was the query type, -t=2 the timeout, -ti the timeout.
    expect(optionIndex('q')).toBe(1);
    expect(optionIndex('t')).toBe(5);
    expect(optionIndex('ti')).toBe(6);
    expect(optionIndex('ty')).toBe(0);
  });

  it('a word no option begins with is refused', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !OPTIONS.some((o) => o.startsWith(s))),
        (s) => {
          expect(optionIndex(s)).toBe(-1);
        },
      ),
    );
  });
});

describe("ip's prefixes", () => {
  const c = () => new BbIp(lab().sh().host.rootNs, 'unspec', false, false, false);
  const quad = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
  const mask = (len: number) =>
    [24, 16, 8, 0].map((s) => ((len ? (0xffffffff << (32 - len)) >>> 0 : 0) >>> s) & 255).join('.');

  it('reads ADDR/LEN and ADDR/NETMASK alike, for every length', () => {
    fc.assert(
      fc.property(quad, fc.integer({ min: 0, max: 32 }), (a, len) => {
        for (const text of [`${a}/${len}`, `${a}/${mask(len)}`]) {
          const p = getPrefix(c(), text, 'unspec');
          expect(p).toMatchObject({ family: 'inet', bitlen: len, bytelen: 4 });
          expect(p.bytes.slice(0, 4).join('.')).toBe(a);
        }
      }),
    );
  });

  it('dies on a length over 32 or a mask with a hole, naming the address without it', () => {
    fc.assert(
      fc.property(
        quad,
        fc.oneof(
          // Not 128, 192, …, 255: as a one-part dotted quad those are masks (/128 is /1).
          fc
            .integer({ min: 33, max: 100_000 })
            .filter((n) => ![128, 192, 224, 240, 248, 252, 254, 255].includes(n))
            .map(String),
          fc
            .integer({ min: 1, max: 0xfffffffe })
            .filter((m) => ((~m >>> 0) & ((~m >>> 0) + 1)) >>> 0 !== 0)
            .map((m) => [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.')),
        ),
        (a, len) => {
          expect(() => getPrefix(c(), `${a}/${len}`, 'unspec')).toThrow(
            new BbIpExit(1, `ip: an inet prefix is expected rather than "${a}"\n`),
          );
        },
      ),
    );
  });

  it('takes a word that is no address as inet, length 0, without complaint', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[g-z][a-z]*$/).filter((s) => !['default', 'all', 'any'].includes(s)),
        (w) => {
          expect(getPrefix(c(), w, 'unspec')).toMatchObject({
            family: 'inet',
            bitlen: 0,
            bytelen: 0,
          });
        },
      ),
    );
  });
});
