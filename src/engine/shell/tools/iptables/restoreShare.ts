/**
 * Parsed `-A` lines shared between iptables-restore runs of the same text in many namespaces
 * (kube-proxy writing one ruleset to every node). Each restore gets its own copy of a rule, with
 * its own counters; what the copies share (addresses, matches, the target) never changes after
 * parsing. Only rules made of stateless matches are shared (not nth, limit or set, which keep
 * state or look at the namespace): the restore parses the others itself, as it does lines that
 * fail to parse (so their errors read as before).
 */
import type { Match, Rule, TableName } from '../../../linux/netfilter';
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
   * The rule an `-A CHAIN …` line appends (a fresh copy, counters zero) and the chain it names,
   * or undefined when the restore should read the line itself (any other command, counters,
   * an error to report).
   */
  append(
    table: TableName,
    line: string,
    words: (line: string) => string[],
  ): { chain: string; jumpTo?: string; rule: Rule } | undefined {
    let lines = this.parsed.get(table);
    if (!lines) this.parsed.set(table, (lines = new Map()));
    let p = lines.get(line);
    if (p === undefined) {
      p = parse(table, words(line));
      lines.set(line, p);
    }
    if (p === null) return undefined;
    return { chain: p.chain, jumpTo: p.jumpTo, rule: { ...p.rule, pkts: 0, bytes: 0 } };
  }
}

function parse(table: TableName, w: string[]): Parsed | null {
  const chain = w[1];
  if (w[0] !== '-A' || chain === undefined) return null;
  try {
    const { rule, jumpTo } = parseRule(w.slice(2));
    if (!targetAllowed(table, chain, rule.target) || kernelRefuses(rule)) return null;
    if (!rule.matches.every(shareable)) return null;
    return { chain, jumpTo, rule };
  } catch (e) {
    if (e instanceof IptError) return null;
    throw e;
  }
}
