import { describe, expect, it } from 'vitest';
import { formatIpv6 } from './ipv6';
import { linkLocalFromMac } from './mac';
import type { Mac } from './mac';

describe('formatIpv6', () => {
  it('compresses the longest zero run, as inet_ntop does', () => {
    expect(formatIpv6([0xfe80, 0, 0, 0, 0xa8c1, 0xabff, 0xfe12, 0x3456])).toBe(
      'fe80::a8c1:abff:fe12:3456',
    );
    expect(formatIpv6([0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 0xaa])).toBe('fe80::ff:fe00:aa');
    expect(formatIpv6([0xfe80, 0, 0, 0, 0x1, 0, 0, 0x2])).toBe('fe80::1:0:0:2');
    expect(formatIpv6([1, 0, 2, 3, 4, 5, 6, 7])).toBe('1:0:2:3:4:5:6:7');
    expect(formatIpv6([0, 0, 0, 0, 0, 0, 0, 1])).toBe('::1');
  });

  it('derives link-local addresses the way ip addr shows them', () => {
    // Recorded: 02:00:00:00:01:01 → fe80::ff:fe00:101, 62:32:18:f6:ad:51 → fe80::6032:18ff:fef6:ad51
    expect(linkLocalFromMac('02:00:00:00:01:01' as Mac)).toBe('fe80::ff:fe00:101');
    expect(linkLocalFromMac('62:32:18:f6:ad:51' as Mac)).toBe('fe80::6032:18ff:fef6:ad51');
  });
});
