/**
 * Wall-clock time for what programs print (HTTP Date headers, server logs): a fixed epoch chosen
 * by the scenario plus simulated time. Computed by hand so the engine never reads the real clock.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface CivilTime {
  readonly year: number;
  readonly month: number; // 1–12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: number; // 0 = Sunday
}

/** Howard Hinnant's civil_from_days, for UTC. */
export function civilFromUnix(unixSeconds: number): CivilTime {
  const secs = Math.floor(unixSeconds);
  const days = Math.floor(secs / 86400);
  const rem = secs - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return {
    year,
    month,
    day,
    hour: Math.floor(rem / 3600),
    minute: Math.floor((rem % 3600) / 60),
    second: rem % 60,
    weekday: (((days + 4) % 7) + 7) % 7,
  };
}

const p2 = (n: number) => String(n).padStart(2, '0');

/** "Mon, 23 Nov 2026 07:39:08 GMT" (RFC 7231 IMF-fixdate). */
export function httpDate(unixSeconds: number): string {
  const c = civilFromUnix(unixSeconds);
  return `${DAYS[c.weekday]}, ${p2(c.day)} ${MONTHS[c.month - 1]} ${c.year} ${p2(c.hour)}:${p2(c.minute)}:${p2(c.second)} GMT`;
}

/** "23/Nov/2026 07:39:08", as Python's http.server logs requests. */
export function logDate(unixSeconds: number): string {
  const c = civilFromUnix(unixSeconds);
  return `${p2(c.day)}/${MONTHS[c.month - 1]}/${c.year} ${p2(c.hour)}:${p2(c.minute)}:${p2(c.second)}`;
}

/** The default epoch: 2024-01-15 10:00:00 UTC. Scenarios may choose their own. */
export const DEFAULT_EPOCH = 1705312800;
