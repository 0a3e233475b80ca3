/**
 * icmp_err_convert: what a Destination Unreachable code (0..15) means to a socket, the errno and
 * whether it is "fatal" (reported even to a socket that did not ask for every error with
 * IP_RECVERR). TCP and UDP both read it.
 */
import type { Errno } from './socket';

const TABLE: readonly { readonly errno: Errno; readonly fatal: boolean }[] = [
  { errno: 'ENETUNREACH', fatal: false }, // net unreachable
  { errno: 'EHOSTUNREACH', fatal: false }, // host unreachable
  { errno: 'ENOPROTOOPT', fatal: true }, // protocol unreachable
  { errno: 'ECONNREFUSED', fatal: true }, // port unreachable
  { errno: 'EMSGSIZE', fatal: false }, // fragmentation needed (PMTU; callers treat it apart)
  { errno: 'EOPNOTSUPP', fatal: false }, // source route failed
  { errno: 'ENETUNREACH', fatal: true }, // net unknown
  { errno: 'EHOSTDOWN', fatal: true }, // host unknown
  { errno: 'ENONET', fatal: true }, // host isolated
  { errno: 'ENETUNREACH', fatal: true }, // net administratively prohibited
  { errno: 'EHOSTUNREACH', fatal: true }, // host administratively prohibited
  { errno: 'ENETUNREACH', fatal: false }, // net unreachable for TOS
  { errno: 'EHOSTUNREACH', fatal: false }, // host unreachable for TOS
  { errno: 'EHOSTUNREACH', fatal: true }, // communication administratively prohibited
  { errno: 'EHOSTUNREACH', fatal: true }, // precedence violation
  { errno: 'EHOSTUNREACH', fatal: true }, // precedence cutoff
];

/** A Destination Unreachable code's errno and fatality; codes past 15 read as host unreachable. */
export function icmpErrConvert(code: number): { readonly errno: Errno; readonly fatal: boolean } {
  return TABLE[code] ?? { errno: 'EHOSTUNREACH', fatal: false };
}
