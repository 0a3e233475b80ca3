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
    if (sim !== real)
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

function canonicalOrder(frames: Tagged[]): void {
  let start = 0;
  for (let i = 1; i <= frames.length; i++) {
    if (i < frames.length && frames[i]!.t - frames[i - 1]!.t < SIMULTANEOUS) continue;
    if (i - start > 1) {
      const burst = frames
        .slice(start, i)
        .sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
      frames.splice(start, burst.length, ...burst);
    }
    start = i;
  }
}

/** The TCP line of a frame as tcpdump -e -v prints it (the line after the IP header). */
const TCP_LINE = /^\s+(\S+) > (\S+): Flags \[([^\]]+)\](.*)$/;

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
  interface Seg {
    readonly i: number;
    readonly from: string;
    readonly flags: string;
    readonly rest: string;
  }
  const byConn = new Map<string, Seg[]>();
  frames.forEach((f, i) => {
    const m = TCP_LINE.exec(f.text.split('\n')[1] ?? '');
    if (!m) return;
    const [, from, to, flags, rest] = m;
    const key = [from!, to!].sort().join(' <> ');
    let list = byConn.get(key);
    if (!list) byConn.set(key, (list = []));
    list.push({ i, from: from!, flags: flags!, rest: rest! });
  });
  const drop = new Set<number>();
  const replace = new Map<number, string>();
  for (const [key, segs] of byConn) {
    // The close: everything after the connection's last SYN or payload, if it holds a FIN.
    let last = -1;
    segs.forEach((g, k) => {
      if (g.flags.includes('S') || /, length [1-9]/.test(g.rest)) last = k;
    });
    const tail = segs.slice(last + 1);
    if (!tail.some((g) => g.flags.includes('F'))) continue;
    const ends = key.split(' <> ');
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
    for (const g of tail) drop.add(g.i);
    replace.set(tail[0]!.i, `TCP close ${key}: ${parts.join(', ')}`);
  }
  const out: Tagged[] = [];
  frames.forEach((f, i) => {
    const r = replace.get(i);
    if (r !== undefined) out.push({ ...f, text: r });
    else if (!drop.has(i)) out.push(f);
  });
  return out;
}

/** Longest common subsequence of two lists of frames: the pairs of indices that match. */
function lcs(a: readonly Tagged[], b: readonly Tagged[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const dp: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      dp[i]![j] =
        a[i]!.text === b[j]!.text
          ? dp[i + 1]![j + 1]! + 1
          : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i]!.text === b[j]!.text) {
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
    sim.splice(0, sim.length, ...summarizeCloses(sim));
    real.splice(0, real.length, ...summarizeCloses(real));
    canonicalOrder(sim);
    canonicalOrder(real);
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
