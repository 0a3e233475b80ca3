import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  broadcastOf,
  cidrContains,
  formatBinary,
  formatIpv4,
  formatRouteDst,
  ipv4,
  maskOf,
  networkOf,
  parseCidr,
  parseIpv4,
  parseIpv4Loose,
} from './ipv4';

describe('IPv4 addresses', () => {
  it('parses and prints dotted quads', () => {
    expect(formatIpv4(ipv4('10.0.0.11'))).toBe('10.0.0.11');
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('10.0.0.300')).toBeUndefined();
    expect(parseIpv4('10.0.0')).toBeUndefined();
    expect(parseIpv4('010.0.0.1')).toBeUndefined();
  });

  it('accepts the short forms iproute2 accepts', () => {
    expect(formatIpv4(parseIpv4Loose('10')!)).toBe('10.0.0.0');
    expect(formatIpv4(parseIpv4Loose('10.244')!)).toBe('10.244.0.0');
    expect(parseIpv4Loose('10.0.0.256')).toBeUndefined();
  });

  it('does the mask arithmetic the articles walk through', () => {
    // 172.16.1.1 AND 255.255.255.0 = 172.16.1.0: not 192.168.1.0, so not local.
    expect(formatIpv4(networkOf(ipv4('172.16.1.1'), 24))).toBe('172.16.1.0');
    expect(formatIpv4(networkOf(ipv4('192.168.1.2'), 24))).toBe('192.168.1.0');
    expect(formatIpv4(broadcastOf(ipv4('172.18.0.3'), 24))).toBe('172.18.0.255');
    expect(maskOf(0)).toBe(0);
    expect(maskOf(32)).toBe(0xffffffff);
    expect(formatBinary(ipv4('255.255.255.0'))).toBe('11111111.11111111.11111111.00000000');
  });

  it('prints route destinations like ip route', () => {
    expect(formatRouteDst(parseCidr('0.0.0.0/0')!)).toBe('default');
    expect(formatRouteDst(parseCidr('1.1.1.1/32')!)).toBe('1.1.1.1');
    expect(formatRouteDst(parseCidr('10.0.10.0/24')!)).toBe('10.0.10.0/24');
  });

  it('round-trips every address (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        (n) => parseIpv4(formatIpv4(n as never)) === n,
      ),
    );
  });

  it('cidrContains agrees with comparing the top bits (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        (a, b, len) => {
          const same = len === 0 || a >>> (32 - len) === b >>> (32 - len);
          return cidrContains({ addr: a as never, len }, b as never) === same;
        },
      ),
    );
  });
});
