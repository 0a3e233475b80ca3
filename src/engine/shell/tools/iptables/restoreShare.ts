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
 * shared -A lines, -X, COMMIT: what kube-proxy writes): the text is read once, the user chains
 * it declares are built once and shared whole, and each namespace replays the rest with
 * iptables-restore's semantics. Anything else, or any step that would fail in a namespace, is
 * left to iptablesRestore, which then reports it.
 */
import {
  type Chain,
  type Match,
  type Rule,
  TABLE_CHAINS,
  type Netfilter,
  type TableName,
  shareChain,
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

/** One table's part of a compiled restore: what each namespace does with it, in order. */
interface Section {
  readonly table: TableName;
  readonly ops: readonly Op[];
  /** Jump targets the section's rules name that it does not itself leave declared. */
  readonly needs: readonly string[];
}

type Op =
  /** A built-in chain's declaration: its policy (and counters) on the namespace's own copy. */
  | {
      readonly op: 'policy';
      readonly name: string;
      readonly policy: 'ACCEPT' | 'DROP';
      readonly counters?: readonly [number, number];
    }
  /** A user chain the section declares, holding the rules it ends the section with (shared). */
  | { readonly op: 'install'; readonly chain: Chain }
  /** A rule for a chain the section did not declare (built-in, or already in the namespace). */
  | { readonly op: 'append'; readonly chain: string; readonly rule: Rule }
  | { readonly op: 'delete'; readonly name: string };

const TABLES: readonly string[] = ['raw', 'mangle', 'nat', 'filter'];

/**
 * iptables-restore of one text into many namespaces (kube-proxy's sync on every node), read
 * once. A user chain the text declares ends up with the same rules in every namespace, so the
 * namespaces share that chain object (netfilter's shareChain: whoever changes it first gets a
 * copy of its own); a namespace does per-table work only for what depends on what it had
 * before: built-in chains, chains the text appends to without declaring, deletions and the
 * jump targets checked at COMMIT.
 */
export class RestoreReplay {
  private readonly programs = new Map<string, readonly Section[] | null>();

  constructor(
    private readonly share: RestoreShare,
    private readonly words: (line: string) => string[],
  ) {}

  /**
   * iptables-restore of `input` into `nf`, when the input is plain enough and every step
   * succeeds; false (with `nf` untouched) otherwise, for the caller to run iptablesRestore.
   */
  replay(nf: Netfilter, input: string, noflush: boolean): boolean {
    let sections = this.programs.get(input);
    if (sections === undefined) {
      sections = this.compile(input);
      this.programs.set(input, sections);
    }
    if (sections === null) return false;
    const commits: { name: TableName; chains: Map<string, Chain> }[] = [];
    for (const s of sections) {
      // The table's chains (built-in ones first, as a table always holds them), or fresh ones.
      const base = noflush ? nf.tables.get(s.table) : undefined;
      const staged = new Map<string, Chain>(base?.chains);
      // Chains this replay made or copied: the ones it may change in place.
      const mine = new Set<Chain>();
      if (!base)
        for (const name of TABLE_CHAINS[s.table]) {
          const c = emptyBuiltin(name);
          mine.add(c);
          staged.set(name, c);
        }
      const own = (c: Chain): Chain => {
        if (mine.has(c)) return c;
        const copy = { ...c, rules: [...c.rules] };
        staged.set(c.name, copy);
        mine.add(copy);
        return copy;
      };
      for (const op of s.ops) {
        switch (op.op) {
          case 'policy': {
            const c = own(staged.get(op.name)!);
            c.policy = op.policy;
            c.counted = true;
            if (op.counters) {
              c.pkts = op.counters[0];
              c.bytes = op.counters[1];
            }
            break;
          }
          case 'install':
            staged.set(op.chain.name, op.chain);
            break;
          case 'append': {
            const c = staged.get(op.chain);
            if (!c) return false;
            own(c).rules.push(op.rule);
            break;
          }
          case 'delete': {
            const c = staged.get(op.name);
            if (!c || c.builtin) return false;
            staged.delete(op.name);
            break;
          }
        }
      }
      for (const j of s.needs) if (!staged.has(j)) return false;
      commits.push({ name: s.table, chains: staged });
    }
    for (const c of commits) nf.table(c.name).replaceChains(c.chains);
    return true;
  }

  /** The sections, or null when some line needs iptablesRestore itself. */
  private compile(input: string): readonly Section[] | null {
    const sections: Section[] = [];
    let table: TableName | undefined;
    let ops: Op[] = [];
    // The user chains declared so far in this section and not deleted since, by name.
    const declared = new Map<string, Chain>();
    const jumps = new Set<string>();
    for (const raw of input.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      if (line.startsWith('*')) {
        const name = line.slice(1);
        if (!TABLES.includes(name) || table) return null;
        table = name as TableName;
        continue;
      }
      if (!table) return null;
      if (line === 'COMMIT') {
        sections.push({ table, ops, needs: [...jumps].filter((j) => !declared.has(j)) });
        table = undefined;
        ops = [];
        declared.clear();
        jumps.clear();
        continue;
      }
      if (line.startsWith(':')) {
        const [name, policy, counters] = line.slice(1).split(/\s+/);
        if (!name) return null;
        if (isBuiltin(table, name)) {
          const m = /^\[(\d+):(\d+)\]$/.exec(counters ?? '');
          ops.push({
            op: 'policy',
            name,
            policy: policy === 'DROP' ? 'DROP' : 'ACCEPT',
            counters: m ? [Number(m[1]), Number(m[2])] : undefined,
          });
        } else {
          // Declared, the chain is flushed (or made): from here on its rules are the text's.
          const chain = shareChain({
            name,
            builtin: false,
            policy: 'ACCEPT',
            rules: [],
            pkts: 0,
            bytes: 0,
          });
          declared.set(name, chain);
          ops.push({ op: 'install', chain });
        }
        continue;
      }
      if (line.startsWith('-X ')) {
        const w = this.words(line);
        if (w.length !== 2 || isBuiltin(table, w[1]!)) return null;
        declared.delete(w[1]!);
        ops.push({ op: 'delete', name: w[1]! });
        continue;
      }
      const parsed = this.share.parsedAppend(table, line, this.words);
      if (!parsed) return null;
      if (parsed.jumpTo !== undefined) jumps.add(parsed.jumpTo);
      const into = declared.get(parsed.chain);
      if (into) into.rules.push(parsed.rule);
      else ops.push({ op: 'append', chain: parsed.chain, rule: parsed.rule });
    }
    return table ? null : sections;
  }
}

const isBuiltin = (table: TableName, name: string) =>
  (TABLE_CHAINS[table] as readonly string[]).includes(name);

function emptyBuiltin(name: string): Chain {
  return { name, builtin: true, policy: 'ACCEPT', rules: [], pkts: 0, bytes: 0 };
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
