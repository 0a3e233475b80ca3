/**
 * Comparing one command as the engine ran it with the same command on the kernel: exit status,
 * normalised terminal output, and per interface the normalised frames.
 */
import type { LabCommand, TimedFrame } from './plan';
import { type NormContext, normalizeFrames, normalizeOutput, sideBySide } from './normalize';

/** What the lab recorded for one command. */
export interface KernelRun {
  readonly id: string;
  readonly exit: number;
  readonly output: string;
  /** Captured frames per place key; places that could not be captured are absent. */
  readonly frames: Record<string, readonly TimedFrame[]>;
  /** Kernel MAC → engine MAC after the command. */
  readonly macMap: Record<string, string>;
  readonly timedOut: boolean;
}

export interface Difference {
  readonly what: string;
  readonly detail: string;
}

export interface CommandComparison {
  readonly id: string;
  readonly host: string;
  readonly run: string;
  readonly agree: boolean;
  readonly differences: readonly Difference[];
  readonly notes: readonly string[];
}

export function compareCommand(
  c: LabCommand,
  k: KernelRun,
  physicalNics: readonly string[],
): CommandComparison {
  const ctx: NormContext = { macMap: new Map(Object.entries(k.macMap)), physicalNics };
  const differences: Difference[] = [];
  const notes: string[] = [];
  if (k.timedOut)
    differences.push({ what: 'the kernel run timed out', detail: k.output.slice(-2000) });
  if (c.simExit !== k.exit)
    differences.push({ what: `exit status: engine ${c.simExit}, kernel ${k.exit}`, detail: '' });
  if (c.background) notes.push('background job: its terminal output is not compared');
  else if (c.assignment) notes.push('assignment: only the status is compared');
  else {
    const sim = normalizeOutput(c.simOutput, 'sim', ctx);
    const real = normalizeOutput(k.output, 'real', ctx);
    // The kernel starts IPv6 duplicate address detection after a random delay of up to 1 s
    // (rtr_solicit_delay), so a link-local address stays tentative for 1 to 2 s after link-up:
    // a listing made in that window shows the flag or not by chance, on either side.
    const dad = / tentative(?= $| \w)/gm;
    if (sim !== real && sim.replace(dad, '') === real.replace(dad, ''))
      notes.push('IPv6 duplicate address detection still running on one side only (random start)');
    else if (sim !== real)
      differences.push({ what: 'terminal output differs', detail: sideBySide(sim, real) });
  }
  return {
    id: c.id,
    host: c.host,
    run: c.run,
    agree: differences.length === 0,
    differences,
    notes,
  };
}

export interface Tagged {
  readonly text: string;
  readonly t: number;
  /** Index of the command whose window the frame fell in. */
  readonly window: number;
}

/**
 * Frames less than SIMULTANEOUS apart came from independent timers or queues firing together (a
 * retransmission and an ARP probe set in the same jiffy fire in whatever order the timer wheel
 * keeps them): within such a burst the order carries no meaning, so both sides sort it.
 */
const SIMULTANEOUS = 0.002;

/** The TCP line of a frame as tcpdump -e -v prints it (the line after the IP header). */
const TCP_LINE = /^\s+(\S+) > (\S+): Flags \[([^\]]+)\](.*)$/;

/**
 * A TCP connection's two endpoints by their ports alone: with NAT between the two directions
 * their addresses differ (a request from 10.0.0.0.40000 is answered to 172.18.0.2.40000), the
 * ports do not.
 */
function portPair(from: string, to: string): string {
  const port = (end: string) => end.slice(end.lastIndexOf('.') + 1);
  return [port(from), port(to)].sort().join(' <> ');
}

/** What a frame belongs to, for keeping causally related frames in order. */
function conversationOf(text: string): string | undefined {
  const arp = /who-has (\S+)|Reply (\S+) is-at/.exec(text);
  if (arp) return `arp ${arp[1] ?? arp[2]}`;
  const line = text.split('\n')[1] ?? '';
  const tcp = TCP_LINE.exec(line);
  if (tcp) return `tcp ${portPair(tcp[1]!, tcp[2]!)}`;
  const ip = /^\s+(\d+\.\d+\.\d+\.\d+)(?:\.\w+)? > (\d+\.\d+\.\d+\.\d+)/.exec(line);
  if (ip) return `ip ${[ip[1]!, ip[2]!].sort().join(' ')}`;
  return undefined;
}

function canonicalOrder(frames: Tagged[]): void {
  let start = 0;
  for (let i = 1; i <= frames.length; i++) {
    if (i < frames.length && frames[i]!.t - frames[i - 1]!.t < SIMULTANEOUS) continue;
    if (i - start > 1) {
      // Frames of one conversation move as one unit, in their own order (an ARP reply after its
      // request, a TCP connection's segments as canonicalTcpInterleaving then orders them): only
      // independent conversations that fired together are sorted.
      const burst0 = frames.slice(start, i);
      const keys = burst0.map((f, k) => conversationOf(f.text) ?? `frame ${k}`);
      // An ARP exchange and the packets that waited for it are one causal chain too: join the
      // exchange for X (reply "X is-at M" to requester R) with frames between R and M.
      const parent = new Map<string, string>();
      const find = (k: string): string => {
        let r = k;
        while (parent.has(r)) r = parent.get(r)!;
        return r;
      };
      const macs = burst0.map((f) => /^(\S+) > (\S+),/.exec(f.text));
      burst0.forEach((f, k) => {
        const reply = /Reply \S+ is-at (\S+),/.exec(f.text);
        const requester = macs[k]?.[2];
        if (!reply || !requester) return;
        const pair = [reply[1]!, requester].sort().join(' ');
        burst0.forEach((_g, j) => {
          const m = macs[j];
          if (j === k || !m || keys[j]!.startsWith('arp ')) return;
          if ([m[1]!, m[2]!].sort().join(' ') !== pair) return;
          const a = find(keys[k]!);
          const b = find(keys[j]!);
          if (a !== b) parent.set(b, a);
        });
      });
      const units = new Map<string, Tagged[]>();
      burst0.forEach((f, k) => {
        const key = find(keys[k]!);
        let unit = units.get(key);
        if (!unit) units.set(key, (unit = []));
        unit.push(f);
      });
      const burst = [...units.values()]
        .sort((a, b) => (a[0]!.text < b[0]!.text ? -1 : a[0]!.text > b[0]!.text ? 1 : 0))
        .flat();
      frames.splice(start, burst.length, ...burst);
    }
    start = i;
  }
}

interface TcpSegment {
  /** Index of the frame in the list. */
  readonly pos: number;
  readonly from: string;
  readonly to: string;
  readonly flags: string;
  readonly rest: string;
  /** The connection: both endpoints and which use of that pair of endpoints it is. */
  readonly conn: string;
}

/**
 * The TCP segments among the frames, each with its connection. Ephemeral ports are normalised
 * per command, so two connections from different commands can share endpoints: a new SYN after
 * a connection got past its handshake starts a new one.
 */
function tcpSegments(frames: readonly Tagged[]): TcpSegment[] {
  const uses = new Map<string, { n: number; pastSyn: boolean }>();
  const out: TcpSegment[] = [];
  frames.forEach((f, pos) => {
    const m = TCP_LINE.exec(f.text.split('\n')[1] ?? '');
    if (!m) return;
    const [, from, to, flags, rest] = m;
    const pair = portPair(from!, to!);
    let use = uses.get(pair);
    if (!use) uses.set(pair, (use = { n: 0, pastSyn: false }));
    if (flags === 'S' && use.pastSyn) use = { n: use.n + 1, pastSyn: false };
    if (flags !== 'S') use.pastSyn = true;
    uses.set(pair, use);
    out.push({ pos, from: from!, to: to!, flags: flags!, rest: rest!, conn: `${pair}#${use.n}` });
  });
  return out;
}

/**
 * When both ends of a TCP connection close at nearly the same time, which FIN leaves first is a
 * race between two processes (curl and python's http.server finish within ~20 µs of each other:
 * on this machine the server's FIN came first in 17 of 21 tries across two namespaces). The
 * acknowledgement numbers, the number of segments and where the last data's ACK falls follow
 * from that order. So the end of a connection (every segment after its last data, when a FIN is
 * among them) is compared as one summary: which ends sent a FIN, and whether each was
 * acknowledged.
 */
export function summarizeCloses(frames: readonly Tagged[]): Tagged[] {
  const byConn = new Map<string, TcpSegment[]>();
  for (const g of tcpSegments(frames)) {
    let list = byConn.get(g.conn);
    if (!list) byConn.set(g.conn, (list = []));
    list.push(g);
  }
  const drop = new Set<number>();
  const replace = new Map<number, string>();
  for (const segs of byConn.values()) {
    // The ends as their own segments name them (with NAT between, each direction's source).
    const ends = [...new Set(segs.map((g) => g.from))];
    if (ends.length < 2) ends.push(segs[0]!.to);
    ends.sort();
    const key = ends.join(' <> ');
    // The close: everything after the connection's last SYN or payload, if it holds a FIN.
    let last = -1;
    segs.forEach((g, k) => {
      if (g.flags.includes('S') || /, length [1-9]/.test(g.rest)) last = k;
    });
    const tail = segs.slice(last + 1);
    if (!tail.some((g) => g.flags.includes('F'))) continue;
    const fins = new Map<string, number>();
    const acks = new Map<string, number>();
    for (const g of tail) {
      const seq = /seq (\d+)/.exec(g.rest);
      if (g.flags.includes('F') && seq) fins.set(g.from, Number(seq[1]));
      const ack = /ack (\d+)/.exec(g.rest);
      if (ack) acks.set(g.from, Math.max(acks.get(g.from) ?? 0, Number(ack[1])));
    }
    const parts = ends.map((end) => {
      const fin = fins.get(end);
      if (fin === undefined) return `no FIN from ${end}`;
      const other = ends.find((e) => e !== end)!;
      return `FIN from ${end} ${(acks.get(other) ?? 0) > fin ? 'acknowledged' : 'not acknowledged'}`;
    });
    for (const g of tail) drop.add(g.pos);
    replace.set(tail[0]!.pos, `TCP close ${key}: ${parts.join(', ')}`);
  }
  const out: Tagged[] = [];
  frames.forEach((f, i) => {
    const r = replace.get(i);
    if (r !== undefined) out.push({ ...f, text: r });
    else if (!drop.has(i)) out.push(f);
  });
  return out;
}

/**
 * Where a capture point sees the two directions of one TCP connection interleave is decided by
 * the timing of two independent processes and the path between them: the client's ACK of a
 * response's first segment and the server's second write (python writes the header and the body
 * ~100 µs apart) cross anywhere on a routed path, and a CI machine twice as slow flips them. The
 * kernel's rules decide what each direction sends and what it acknowledges, not that interleaving.
 * So each connection's segments are put into one canonical order consistent with causality (a
 * segment acknowledging byte X comes after the peer's segment that sent it, each direction keeps
 * its own order), preferring to continue the direction last emitted. Two captures holding the same
 * segments in any causally possible order then read the same; a missing, extra or changed segment
 * still shows.
 */
export function canonicalTcpInterleaving(frames: readonly Tagged[]): Tagged[] {
  interface Seg {
    readonly pos: number;
    readonly from: string;
    /** The peer's sequence space this segment needs to have been sent (relative), or 0. */
    readonly needs: number;
    /** This direction's relative sequence end after this segment. */
    end: number;
    /** tcpdump numbered this direction from 0, not 1 (see below). */
    readonly fromZero: boolean;
  }
  const byConn = new Map<string, Map<string, Seg[]>>();
  for (const g of tcpSegments(frames)) {
    const syn = g.flags.includes('S');
    const range = /seq (\d+):(\d+)/.exec(g.rest);
    const seq = /seq (\d+)/.exec(g.rest);
    const ack = /ack (\d+)/.exec(g.rest);
    // Handshake numbers are absolute (normalised to ISN): a SYN-ACK needs the peer's SYN (1).
    const needs = syn ? (g.flags.includes('.') ? 1 : 0) : ack ? Number(ack[1]) : 0;
    let end = syn ? 1 : range ? Number(range[2]) : seq ? Number(seq[1]) : 0;
    if (g.flags.includes('F')) end += 1;
    let conn = byConn.get(g.conn);
    if (!conn) byConn.set(g.conn, (conn = new Map()));
    let list = conn.get(g.from);
    if (!list) conn.set(g.from, (list = []));
    list.push({ pos: g.pos, from: g.from, needs, end, fromZero: /seq 0:/.test(g.rest) });
  }
  const out = [...frames];
  for (const conn of byConn.values()) {
    const dirs = [...conn.entries()];
    if (dirs.length !== 2) continue;
    // When NAT makes the two directions' addresses differ, tcpdump cannot pair them and numbers
    // one direction from its first captured byte (seq 0:77) while the peer acknowledges in the
    // usual numbering (ack 78): shift such a direction by one.
    for (const [, list] of dirs)
      if (list.some((g) => g.fromZero)) for (const g of list) if (g.end > 1) g.end += 1;
    const positions = dirs.flatMap(([, l]) => l.map((s) => s.pos)).sort((a, b) => a - b);
    const next = dirs.map(() => 0);
    const sent = dirs.map(() => 0);
    const order: number[] = [];
    let last = dirs.findIndex(([, l]) => l[0]!.pos === positions[0]);
    while (order.length < positions.length) {
      const ready = (d: number): boolean => {
        const s = dirs[d]![1][next[d]!];
        return s !== undefined && s.needs <= sent[1 - d]!;
      };
      // Continue the last direction when it can; else the other; when neither can (the capture
      // disagrees with causality, e.g. a lost segment), take the earliest captured.
      let d = ready(last) ? last : ready(1 - last) ? 1 - last : -1;
      if (d < 0) {
        const cand = [0, 1].filter((k) => dirs[k]![1][next[k]!] !== undefined);
        d = cand.reduce((a, b) =>
          dirs[a]![1][next[a]!]!.pos < dirs[b]![1][next[b]!]!.pos ? a : b,
        );
      }
      const s = dirs[d]![1][next[d]!]!;
      order.push(s.pos);
      sent[d] = Math.max(sent[d]!, s.end);
      next[d]!++;
      last = d;
    }
    positions.forEach((p, i) => {
      out[p] = frames[order[i]!]!;
    });
  }
  return out;
}

/**
 * Longest common subsequence of two lists of frames: the pairs of indices that match. Among the
 * longest, it prefers pairs from the same command's window: the same ARP exchange in two steps
 * must pair step with step, or the one left over is charged to the wrong command.
 */
function lcs(a: readonly Tagged[], b: readonly Tagged[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  // A match is worth MATCH, plus one when both frames fell in the same window; MATCH exceeds any
  // sum of bonuses, so the number of matches is maximised first.
  const MATCH = Math.min(n, m) + 1;
  const score = (i: number, j: number) => MATCH + (a[i]!.window === b[j]!.window ? 1 : 0);
  const dp: Float64Array[] = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      dp[i]![j] = Math.max(
        a[i]!.text === b[j]!.text ? dp[i + 1]![j + 1]! + score(i, j) : 0,
        dp[i + 1]![j]!,
        dp[i]![j + 1]!,
      );
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i]!.text === b[j]!.text && dp[i]![j] === dp[i + 1]![j + 1]! + score(i, j)) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (dp[i + 1]![j]! >= dp[i]![j + 1]!) i++;
    else j++;
  }
  return pairs;
}

/**
 * Frames compared per interface over the whole run rather than command by command, so that a
 * timer firing a few milliseconds either side of the next command (an ARP probe, a delayed ACK)
 * does not count as a difference: the sequences are aligned, and only frames one side has and
 * the other lacks are differences, charged to the command during (or after) which they appeared.
 * Frames both sides have, but after different commands, become notes.
 */
export function compareFrames(
  commands: readonly LabCommand[],
  runs: readonly KernelRun[],
  physicalNics: readonly string[],
): { differences: Difference[][]; notes: string[][] } {
  const differences: Difference[][] = commands.map(() => []);
  const notes: string[][] = commands.map(() => []);
  const places = new Set<string>();
  for (const c of commands) for (const p of Object.keys(c.simFrames)) places.add(p);
  for (const r of runs) for (const p of Object.keys(r.frames)) places.add(p);
  for (const place of [...places].sort()) {
    const sim: Tagged[] = [];
    const real: Tagged[] = [];
    commands.forEach((c, w) => {
      const k = runs[w];
      const ctx: NormContext = {
        macMap: new Map(Object.entries(k?.macMap ?? {})),
        physicalNics,
      };
      const simLines = c.simFrames[place] ?? [];
      if (!k || !(place in k.frames)) {
        if (simLines.length)
          notes[w]!.push(`${place}: not captured on the kernel during this command (not up yet)`);
        return;
      }
      const tag = (fs: readonly TimedFrame[], side: 'sim' | 'real', into: Tagged[]) => {
        const texts = normalizeFrames(
          fs.map((f) => f.line),
          side,
          ctx,
        );
        fs.forEach((f, i) => into.push({ text: texts[i]!, t: f.t, window: w }));
      };
      tag(simLines, 'sim', sim);
      tag(k.frames[place] ?? [], 'real', real);
    });
    const simRaw = [...sim];
    const realRaw = [...real];
    canonicalOrder(sim);
    canonicalOrder(real);
    sim.splice(0, sim.length, ...summarizeCloses(canonicalTcpInterleaving(sim)));
    real.splice(0, real.length, ...summarizeCloses(canonicalTcpInterleaving(real)));
    const pairs = lcs(sim, real);
    const matchedSim = new Set(pairs.map(([i]) => i));
    const matchedReal = new Set(pairs.map(([, j]) => j));
    const bad = new Set<number>();
    sim.forEach((f, i) => {
      if (!matchedSim.has(i)) bad.add(f.window);
    });
    real.forEach((f, j) => {
      if (!matchedReal.has(j)) bad.add(f.window);
    });
    for (const w of bad) {
      const a = simRaw.filter((f) => f.window === w).map((f) => f.text);
      const b = realRaw.filter((f) => f.window === w).map((f) => f.text);
      const race = commands[w]!.race;
      if (race) {
        notes[w]!.push(
          `${place}: frames differ (engine ${a.length}, kernel ${b.length}), a race the scenario declares: ${race}`,
        );
        continue;
      }
      differences[w]!.push({
        what: `frames on ${place} differ (engine ${a.length}, kernel ${b.length})`,
        detail: sideBySide(a.join('\n'), b.join('\n'), 100),
      });
    }
    for (const [i, j] of pairs) {
      const a = sim[i]!;
      const b = real[j]!;
      if (a.window !== b.window && !bad.has(a.window))
        notes[a.window]!.push(
          `${place}: a frame came after command ${commands[b.window]!.id} on the kernel: ${a.text.split('\n')[0]}`,
        );
    }
  }
  return { differences, notes };
}
