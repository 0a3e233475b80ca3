/**
 * Parsed `-A` lines shared between iptables-restore runs of the same text in many namespaces
 * (kube-proxy writing one ruleset to every node). The namespaces' chains hold the same rule
 * objects, marked with netfilter's shareRule: nothing changes them, and the netfilter walk gives a
 * namespace its own copy the moment the rule counts a packet there, so counters stay per
 * namespace. Only rules made of stateless matches are shared (not nth, limit or set, which keep
 * state or look at the namespace): the restore parses the others itself, as it does lines that
 * fail to parse (so their errors read as before).
 *
 * {@link RestoreReplay} goes further for the plainest inputs (tables, chain declarations,
 * shared -A lines, -X, COMMIT: what kube-proxy writes): the text is read once into a list of
 * steps, and each namespace replays them with iptables-restore's semantics. Anything else, or
 * any step that would fail in a namespace, is left to iptablesRestore, which then reports it.
 */
import {
  type Chain,
  type Match,
  type Rule,
  TABLE_CHAINS,
  type Netfilter,
  type TableName,
  shareRule,
} from '../../../linux/netfilter';
import { IptError, kernelRefuses, parseRule, targetAllowed } from './rule';

interface Parsed {
  readonly chain: string;
  readonly jumpTo?: string;
  readonly rule: Rule;
}

/** Matches that hold no state of their own and parse the same in any namespace. */
const STATELESS = new Set<string>([
  'tcp',
  'udp',
  'icmp',
  'multiport',
  'conntrack',
  'state',
  'mark',
  'addrtype',
  'comment',
  'recent',
]);
const shareable = (m: Match) =>
  STATELESS.has(m.kind) || (m.kind === 'statistic' && m.mode === 'random');

export class RestoreShare {
  /** Per table, line → the parse, or null for a line the restore must handle itself. */
  private readonly parsed = new Map<TableName, Map<string, Parsed | null>>();
  private lastInput?: string;
  private lastLines: readonly string[] = [];

  /**
   * The input's lines. The same text gets the same strings back, whose hashes the engine keeps,
   * so looking them up again costs little.
   */
  split(input: string): readonly string[] {
    if (input !== this.lastInput) {
      this.lastInput = input;
      this.lastLines = input.split('\n');
    }
    return this.lastLines;
  }

  /**
   * The rule an `-A CHAIN …` line appends (shared, counters zero) and the chain it names,
   * or undefined when the restore should read the line itself (any other command, counters,
   * an error to report).
   */
  append(
    table: TableName,
    line: string,
    words: (line: string) => string[],
  ): { chain: string; jumpTo?: string; rule: Rule } | undefined {
    const p = this.parsedAppend(table, line, words);
    if (!p) return undefined;
    return { chain: p.chain, jumpTo: p.jumpTo, rule: p.rule };
  }

  /** The shared parse of an `-A` line. */
  parsedAppend(
    table: TableName,
    line: string,
    words: (line: string) => string[],
  ): Parsed | undefined {
    let lines = this.parsed.get(table);
    if (!lines) this.parsed.set(table, (lines = new Map()));
    let p = lines.get(line);
    if (p === undefined) {
      p = parse(table, words(line));
      lines.set(line, p);
    }
    return p ?? undefined;
  }
}

type Step =
  | { readonly op: 'table'; readonly name: TableName }
  | {
      readonly op: 'chain';
      readonly name: string;
      readonly policy: 'ACCEPT' | 'DROP';
      readonly counters?: readonly [number, number];
    }
  | { readonly op: 'append'; readonly parsed: Parsed }
  | { readonly op: 'delete'; readonly name: string }
  | { readonly op: 'commit' };

const TABLES: readonly string[] = ['raw', 'mangle', 'nat', 'filter'];

export class RestoreReplay {
  private readonly programs = new Map<string, readonly Step[] | null>();

  constructor(
    private readonly share: RestoreShare,
    private readonly words: (line: string) => string[],
  ) {}

  /**
   * iptables-restore of `input` into `nf`, when the input is plain enough and every step
   * succeeds; false (with `nf` untouched) otherwise, for the caller to run iptablesRestore.
   */
  replay(nf: Netfilter, input: string, noflush: boolean): boolean {
    let steps = this.programs.get(input);
    if (steps === undefined) {
      steps = this.compile(input);
      this.programs.set(input, steps);
    }
    if (steps === null) return false;
    const commits: { name: TableName; chains: Map<string, Chain> }[] = [];
    let table: TableName | undefined;
    let staged: Map<string, Chain> | undefined;
    let jumps: string[] = [];
    for (const st of steps) {
      switch (st.op) {
        case 'table': {
          table = st.name;
          const base = noflush ? nf.tables.get(st.name) : undefined;
          staged = new Map();
          for (const c of TABLE_CHAINS[st.name])
            staged.set(c, {
              name: c,
              builtin: true,
              policy: 'ACCEPT',
              rules: [],
              pkts: 0,
              bytes: 0,
            });
          if (base) for (const [k, c] of base.chains) staged.set(k, { ...c, rules: [...c.rules] });
          break;
        }
        case 'chain': {
          const existing = staged!.get(st.name);
          if (existing?.builtin) {
            existing.policy = st.policy;
            existing.counted = true;
            if (st.counters) {
              existing.pkts = st.counters[0];
              existing.bytes = st.counters[1];
            }
          } else if (existing) existing.rules = [];
          else
            staged!.set(st.name, {
              name: st.name,
              builtin: false,
              policy: 'ACCEPT',
              rules: [],
              pkts: 0,
              bytes: 0,
            });
          break;
        }
        case 'append': {
          const chain = staged!.get(st.parsed.chain);
          if (!chain) return false;
          if (st.parsed.jumpTo !== undefined) jumps.push(st.parsed.jumpTo);
          chain.rules.push(st.parsed.rule);
          break;
        }
        case 'delete': {
          const c = staged!.get(st.name);
          if (!c || c.builtin) return false;
          staged!.delete(st.name);
          break;
        }
        case 'commit':
          for (const j of jumps) if (!staged!.has(j)) return false;
          jumps = [];
          commits.push({ name: table!, chains: staged! });
          table = undefined;
          staged = undefined;
          break;
      }
    }
    for (const c of commits) {
      const t = nf.table(c.name);
      t.chains.clear();
      for (const [k, v] of c.chains) t.chains.set(k, v);
    }
    return true;
  }

  /** The steps, or null when some line needs iptablesRestore itself. */
  private compile(input: string): readonly Step[] | null {
    const steps: Step[] = [];
    let table: TableName | undefined;
    for (const raw of input.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      if (line.startsWith('*')) {
        const name = line.slice(1);
        if (!TABLES.includes(name) || table) return null;
        table = name as TableName;
        steps.push({ op: 'table', name: table });
        continue;
      }
      if (!table) return null;
      if (line === 'COMMIT') {
        steps.push({ op: 'commit' });
        table = undefined;
        continue;
      }
      if (line.startsWith(':')) {
        const [name, policy, counters] = line.slice(1).split(/\s+/);
        if (!name) return null;
        const m = /^\[(\d+):(\d+)\]$/.exec(counters ?? '');
        steps.push({
          op: 'chain',
          name,
          policy: policy === 'DROP' ? 'DROP' : 'ACCEPT',
          counters: m ? [Number(m[1]), Number(m[2])] : undefined,
        });
        continue;
      }
      if (line.startsWith('-X ')) {
        const w = this.words(line);
        if (w.length !== 2) return null;
        steps.push({ op: 'delete', name: w[1]! });
        continue;
      }
      const parsed = this.share.parsedAppend(table, line, this.words);
      if (!parsed) return null;
      steps.push({ op: 'append', parsed });
    }
    return table ? null : steps;
  }
}

function parse(table: TableName, w: string[]): Parsed | null {
  const chain = w[1];
  if (w[0] !== '-A' || chain === undefined) return null;
  try {
    const { rule, jumpTo } = parseRule(w.slice(2));
    if (!targetAllowed(table, chain, rule.target) || kernelRefuses(rule)) return null;
    if (!rule.matches.every(shareable)) return null;
    return { chain, jumpTo, rule: shareRule(rule) };
  } catch (e) {
    if (e instanceof IptError) return null;
    throw e;
  }
}
