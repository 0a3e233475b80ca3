/**
 * Making a kernel's output and the engine's comparable: random MACs mapped to the engine's,
 * timings, dates, ephemeral ports, sequence numbers and ids replaced by placeholders, terminal
 * artefacts (\r\n, ^C, job notices) removed. Pure functions, shared by the suite and its tests.
 */
import { type Mac, linkLocalFromMac } from '../engine/net/mac';

export interface NormContext {
  /** Kernel MAC → engine MAC, for devices matched by host, namespace and name. */
  readonly macMap: ReadonlyMap<string, string>;
  /** Host NICs the engine shows as physical cards (the lab makes them veths). */
  readonly physicalNics: readonly string[];
}

const MAC_RE = /\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/g;

/** Replaces kernel MACs (and the link-local addresses derived from them) with the engine's. */
export function mapMacs(text: string, ctx: NormContext): string {
  let out = text.replace(MAC_RE, (m) => ctx.macMap.get(m) ?? m);
  for (const [real, sim] of ctx.macMap) {
    if (real === sim) continue;
    out = out.split(linkLocalFromMac(real as Mac)).join(linkLocalFromMac(sim as Mac));
  }
  return out;
}

/** Numbers that differ run to run (or machine to machine), turned into stable placeholders. */
function placeholders(text: string): string {
  const ports = new Map<string, string>();
  const port = (p: string) => {
    const n = Number(p);
    if (n < 32768 || n > 60999) return p;
    if (!ports.has(p)) ports.set(p, `PORT${ports.size + 1}`);
    return ports.get(p)!;
  };
  const ids = new Map<string, string>();
  const id = (x: string) => {
    if (!ids.has(x)) ids.set(x, `ID${ids.size + 1}`);
    return ids.get(x)!;
  };
  return (
    text
      // ping
      .replace(/time=\d+(\.\d+)? ms/g, 'time=T ms')
      .replace(
        /rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/g,
        'rtt min/avg/max/mdev = T ms',
      )
      .replace(/, time \d+ms/g, ', time Tms')
      // curl
      .replace(/after \d+ ms/g, 'after T ms')
      .replace(/after \d+ milliseconds/g, 'after T milliseconds')
      // dates: HTTP, http.server logs, iptables-save
      .replace(/\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT/g, 'DATE')
      .replace(/\[\d{2}\/\w{3}\/\d{4} \d{2}:\d{2}:\d{2}\]/g, '[DATE]')
      .replace(/on \w{3} \w{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}/g, 'on DATE')
      // conntrack: timeout column
      .replace(/^(tcp|udp|icmp)( +)(\d+) \d+ /gm, '$1$2$3 T ')
      // tcpdump: absolute sequence numbers of SYNs, windows, options, echo ids
      .replace(/cksum 0x[0-9a-f]+ \((?:correct|incorrect[^)]*)\)/g, 'cksum C')
      .replace(/Flags \[S\], (cksum C, )?seq \d+/g, 'Flags [S], $1seq ISN')
      .replace(/Flags \[S\.\], (cksum C, )?seq \d+, ack \d+/g, 'Flags [S.], $1seq ISN, ack ISN')
      .replace(/Flags \[R\.?\], (cksum C, )?seq \d+, ack \d+/g, (m) =>
        m.replace(/seq \d+, ack \d+/, 'seq N, ack N'),
      )
      .replace(/win \d+/g, 'win W')
      // Sequence numbers tcpdump printed absolute (it could not relate the segment to a SYN, e.g.
      // on a bridge where NAT rewrote one direction): only the random ISN differs.
      .replace(
        /\b(seq|ack) (\d{6,})(:(\d{6,}))?/g,
        (_m, k: string, a: string, r: string, b: string) =>
          r ? `${k} ABS+${Number(b) - Number(a)}` : `${k} ABS`,
      )
      // tcpdump -v: the IP id differs run to run; checksums are left to offload on veths
      .replace(/(\(tos 0x[0-9a-f]+, ttl \d+, )id \d+/g, '$1id N')
      .replace(/options \[[^\]]*\]/g, 'options [O]')
      .replace(
        /(ICMP echo (?:request|reply), id )(\d+)/g,
        (_m, a: string, b: string) => `${a}${id(b)}`,
      )
      .replace(/\bid=(\d+)/g, (_m, b: string) => `id=${id(b)}`)
      // ports: tcpdump's addr.port, conntrack's sport=/dport=
      .replace(/(\d+\.\d+\.\d+\.\d+)\.(\d+)\b/g, (_m, a: string, p: string) => `${a}.${port(p)}`)
      .replace(/\b([sd]port)=(\d+)/g, (_m, k: string, p: string) => `${k}=${port(p)}`)
  );
}

/** Terminal output of one command, ready to compare. */
export function normalizeOutput(text: string, side: 'real' | 'sim', ctx: NormContext): string {
  let t = text.replace(/\r+\n/g, '\n').replace(/\r/g, '\n');
  if (side === 'real') {
    t = mapMacs(t, ctx);
    // The lab plugs hosts in with veths; the engine's physical NICs are shown as cards.
    for (const nic of ctx.physicalNics) {
      t = t.replace(
        new RegExp(`^(\\d+: ${nic})@if\\d+:(.*) qdisc noqueue`, 'gm'),
        '$1:$2 qdisc fq_codel',
      );
      t = t.replace(
        new RegExp(`^(\\d+: ${nic}:.*\\n\\s+link/ether \\S+ brd \\S+) link-netnsid \\d+`, 'gm'),
        '$1',
      );
    }
  }
  const lines = t
    .split('\n')
    .filter((l) => l !== '^C' && !/^\[\d+\]\+? +\S/.test(l) && !/^\[\d+\] \d+$/.test(l));
  return placeholders(lines.join('\n')).replace(/\n+$/, '');
}

export function normalizeFrames(
  lines: readonly string[],
  side: 'real' | 'sim',
  ctx: NormContext,
): string[] {
  return lines.map((l) => placeholders(side === 'real' ? mapMacs(l, ctx) : l));
}

/**
 * Two texts paired line by line: equal lines once, differing lines as an engine/kernel pair in
 * full (a side-by-side that does not cut the part that differs).
 */
export function sideBySide(a: string, b: string, width = 100): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  const n = Math.max(la.length, lb.length);
  const cut = (s: string) => (s.length > width ? `${s.slice(0, width - 1)}…` : s);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = la[i];
    const y = lb[i];
    if (x === y) out.push(`    ${cut(x ?? '')}`);
    else {
      out.push(`  ≠ engine: ${x ?? '(nothing)'}`);
      out.push(`    kernel: ${y ?? '(nothing)'}`);
    }
  }
  return out.join('\n');
}
