/**
 * IPv6 text form, only as far as the engine shows addresses (link-local addresses in `ip addr`):
 * RFC 5952, as inet_ntop prints it — lowercase, no leading zeros, and the longest run of two or
 * more zero groups (the first, on a tie) written as "::".
 */
export function formatIpv6(groups: readonly number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: readonly number[]) => g.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}
