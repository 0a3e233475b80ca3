/**
 * getent (glibc 2.36) for the hosts databases, as checked in pl-dns- namespaces:
 *
 * - `getent hosts NAME`: gethostbyname2(AF_INET6), then gethostbyname2(AF_INET): so the AAAA
 *   search runs through the whole search list first (a query per name, each on its own socket),
 *   then the A search; printed as "%-15s %s" plus aliases. An address argument is looked up
 *   backwards (gethostbyaddr).
 * - `getent ahosts NAME` (and ahostsv4): getaddrinfo, A and AAAA together, three lines per
 *   address (STREAM with the canonical name, DGRAM, RAW).
 *
 * A key that is not found gives exit status 2 and no output.
 */
import { formatIpv4, parseIpv4 } from '../../../net/ipv4';
import { DNS_TYPE } from '../../../dns/message';
import type { Tool } from '../../tool';
import {
  type AddrInfo,
  getaddrinfo,
  hostsSources,
  lookupHostsFile,
  readEtc,
  resSearch,
  reverseLookup,
} from '../resolve';

const pad = (a: string) => a.padEnd(15);

export const getent: Tool = (ctx) => {
  const { proc } = ctx;
  const [db, ...keys] = ctx.argv.slice(1);
  if (db === undefined) {
    proc.writeErr(
      "Usage: getent [OPTION...] database [key ...]\nTry `getent --help' or `getent --usage' for more information.\n",
    );
    return proc.exit(1);
  }
  if (db !== 'hosts' && db !== 'ahosts' && db !== 'ahostsv4') {
    proc.writeErr(
      `Unknown database: ${db}\nTry \`getent --help' or \`getent --usage' for more information.\n`,
    );
    return proc.exit(1);
  }
  if (keys.length === 0) {
    // Enumeration: the files source lists /etc/hosts.
    if (db === 'hosts') {
      for (const line of (readEtc(proc, 'hosts') ?? '').split('\n')) {
        const f = line.replace(/#.*/, '').trim().split(/\s+/);
        if (f.length >= 2) proc.write(`${pad(f[0]!)} ${f.slice(1).join(' ')}\n`);
      }
    }
    return proc.exit(0);
  }
  let status = 0;
  const next = (i: number): void => {
    const key = keys[i];
    if (key === undefined) return proc.exit(status);
    const done = (found: boolean) => {
      if (!found) status = 2;
      next(i + 1);
    };
    if (db === 'hosts') hostsKey(key, done);
    else ahostsKey(key, db === 'ahostsv4', done);
  };

  const hostsKey = (key: string, done: (found: boolean) => void) => {
    const addr = parseIpv4(key);
    if (addr !== undefined) {
      reverseLookup(proc, addr, (name) => {
        if (name !== undefined) proc.write(`${pad(key)} ${name}\n`);
        done(name !== undefined);
      });
      return;
    }
    const sources = hostsSources(proc);
    // gethostbyname2(AF_INET6): /etc/hosts' IPv6 lines, then AAAA over DNS.
    const files6 = (): { addrs: string[]; names: string[] } | undefined => {
      for (const line of (readEtc(proc, 'hosts') ?? '').split('\n')) {
        const f = line.replace(/#.*/, '').trim().split(/\s+/);
        if (f.length >= 2 && f[0]!.includes(':') && f.slice(1).includes(key))
          return { addrs: [f[0]!], names: f.slice(1) };
      }
      return undefined;
    };
    const v6 = (j: number, fallback: () => void): void => {
      const src = sources[j];
      if (src === undefined) return fallback();
      if (src === 'files') {
        const h = files6();
        if (h) {
          for (const a of h.addrs) proc.write(`${pad(a)} ${h.names.join(' ')}\n`);
          return done(true);
        }
        return v6(j + 1, fallback);
      }
      resSearch(proc, key, [DNS_TYPE.AAAA], (r) => {
        if (r.ok && r.addrs6?.length) {
          for (const a of r.addrs6) proc.write(`${pad(a)} ${r.canonical}\n`);
          return done(true);
        }
        v6(j + 1, fallback);
      });
    };
    const v4 = (j: number): void => {
      const src = sources[j];
      if (src === undefined) return done(false);
      if (src === 'files') {
        const h = lookupHostsFile(proc, key);
        if (h) {
          const line = (readEtc(proc, 'hosts') ?? '')
            .split('\n')
            .map((l) => l.replace(/#.*/, '').trim().split(/\s+/))
            .find(
              (f) => f.length >= 2 && parseIpv4(f[0]!) !== undefined && f.slice(1).includes(key),
            );
          const names = line ? line.slice(1).join(' ') : h.canonical;
          for (const a of h.addrs) proc.write(`${pad(formatIpv4(a))} ${names}\n`);
          return done(true);
        }
        return v4(j + 1);
      }
      resSearch(proc, key, [DNS_TYPE.A], (r) => {
        if (r.ok && r.addrs.length) {
          for (const a of r.addrs) proc.write(`${pad(formatIpv4(a))} ${r.canonical}\n`);
          return done(true);
        }
        v4(j + 1);
      });
    };
    v6(0, () => v4(0));
  };

  const ahostsKey = (key: string, v4only: boolean, done: (found: boolean) => void) => {
    getaddrinfo(proc, key, { family: v4only ? 'inet' : 'unspec' }, (r) => {
      if (!r.ok) return done(false);
      const info: AddrInfo = r;
      info.addrs.forEach((a, n) => {
        const t = pad(formatIpv4(a));
        proc.write(`${t} STREAM ${n === 0 ? info.canonical : ''}\n${t} DGRAM  \n${t} RAW    \n`);
      });
      done(true);
    });
  };
  next(0);
};
