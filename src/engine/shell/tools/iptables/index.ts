/**
 * iptables 1.8.9 (nf_tables), iptables-save and iptables-restore against the namespace's
 * netfilter tables.
 */
import type { Chain, Netfilter, NfTable, TableName } from '../../../linux/netfilter';
import { TABLE_CHAINS, setRuleFormatter } from '../../../linux/netfilter';
import { ipsetsOf } from '../../../linux/ipset';
import type { Tool, ToolContext } from '../../tool';
import {
  IPT_PREFIX,
  IptError,
  TRY_HELP,
  listRule,
  paramProblem,
  parseRule,
  ruleLine,
  sameRule,
  kernelRefuses,
  targetAllowed,
} from './rule';
import type { RestoreShare } from './restoreShare';

setRuleFormatter((_table, chain, r) => ruleLine(chain, r));

/** `-m set` names a set that must exist in the namespace. */
const ruleEnv = (nf: Netfilter) => ({
  setExists: (n: string) => ipsetsOf(nf.ns).get(n) !== undefined,
});

const TABLES: TableName[] = ['raw', 'mangle', 'nat', 'filter'];
/** iptables-save's table order (the nft backend's table enum). */
const SAVE_ORDER: TableName[] = ['mangle', 'raw', 'filter', 'nat'];

type Command =
  | { op: 'A' | 'I' | 'D' | 'R' | 'C'; chain: string; num?: number; ruleArgs: string[] }
  | { op: 'N' | 'X' | 'F' | 'Z' | 'L' | 'S'; chain?: string }
  | { op: 'P'; chain: string; policy: string }
  | { op: 'E'; chain: string; to: string };

interface Parsed {
  table: TableName;
  cmd: Command;
  numeric: boolean;
  verbose: boolean;
  exact: boolean;
  lineNumbers: boolean;
}

const LONG: Record<string, string> = {
  '--append': '-A',
  '--insert': '-I',
  '--delete': '-D',
  '--replace': '-R',
  '--check': '-C',
  '--new-chain': '-N',
  '--new': '-N',
  '--delete-chain': '-X',
  '--flush': '-F',
  '--zero': '-Z',
  '--list': '-L',
  '--list-rules': '-S',
  '--policy': '-P',
  '--rename-chain': '-E',
  '--table': '-t',
  '--numeric': '-n',
  '--verbose': '-v',
  '--exact': '-x',
  '--wait': '-w',
};

function parseArgs(argv: readonly string[]): Parsed {
  let table: string = 'filter';
  let cmd: Command | undefined;
  let numeric = false;
  let verbose = false;
  let exact = false;
  let lineNumbers = false;
  const rest: string[] = [];
  const setCmd = (c: Command) => {
    if (cmd) throw paramProblem('Cannot use -' + c.op + ' with -' + cmd.op);
    cmd = c;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    a = LONG[a] ?? a;
    // Bundled short flags: -nvL, -vnL …
    if (/^-[nvxL]{2,}$/.test(a)) {
      for (const f of a.slice(1)) {
        if (f === 'n') numeric = true;
        else if (f === 'v') verbose = true;
        else if (f === 'x') exact = true;
        else if (f === 'L')
          setCmd({
            op: 'L',
            chain: argv[i + 1] && !argv[i + 1]!.startsWith('-') ? argv[++i] : undefined,
          });
      }
      continue;
    }
    switch (a) {
      case '-t':
        table = argv[++i] ?? '';
        continue;
      case '-n':
        numeric = true;
        continue;
      case '-v':
        verbose = true;
        continue;
      case '-x':
        exact = true;
        continue;
      case '--line-numbers':
        lineNumbers = true;
        continue;
      case '-w':
      case '-W':
        if (argv[i + 1] && /^[0-9.]+$/.test(argv[i + 1]!)) i++;
        continue;
      case '-A':
      case '-D':
      case '-C': {
        const chain = argv[++i];
        if (chain === undefined) throw paramProblem(`option "${a}" requires an argument`);
        let num: number | undefined;
        if (a === '-D' && argv[i + 1] !== undefined && /^[0-9]+$/.test(argv[i + 1]!))
          num = Number(argv[++i]);
        setCmd({ op: a.slice(1) as 'A', chain, num, ruleArgs: [] });
        continue;
      }
      case '-I':
      case '-R': {
        const chain = argv[++i];
        if (chain === undefined) throw paramProblem(`option "${a}" requires an argument`);
        let num: number | undefined;
        if (argv[i + 1] !== undefined && /^[0-9]+$/.test(argv[i + 1]!)) num = Number(argv[++i]);
        if (a === '-R' && num === undefined) throw paramProblem('-R requires a rule number');
        setCmd({ op: a.slice(1) as 'I', chain, num, ruleArgs: [] });
        continue;
      }
      case '-N':
      case '-X':
      case '-F':
      case '-Z':
      case '-L':
      case '-S': {
        const next = argv[i + 1];
        const chain = next !== undefined && !next.startsWith('-') ? argv[++i] : undefined;
        if (a === '-N' && chain === undefined)
          throw paramProblem('option "-N" requires an argument');
        setCmd({ op: a.slice(1) as 'N', chain });
        continue;
      }
      case '-P': {
        const chain = argv[++i];
        const policy = argv[++i];
        if (chain === undefined || policy === undefined)
          throw paramProblem('-P requires a chain and a policy');
        setCmd({ op: 'P', chain, policy });
        continue;
      }
      case '-E': {
        const chain = argv[++i];
        const to = argv[++i];
        if (chain === undefined || to === undefined)
          throw paramProblem('-E requires old-chain-name and new-chain-name');
        setCmd({ op: 'E', chain, to });
        continue;
      }
      case '-h':
      case '--help':
        throw new IptError(
          0,
          'iptables v1.8.9\n\nUsage: iptables -[ACD] chain rule-specification [options]\n       iptables -I chain [rulenum] rule-specification [options]\n       iptables -R chain rulenum rule-specification [options]\n       iptables -D chain rulenum [options]\n       iptables -[LS] [chain [rulenum]] [options]\n       iptables -[FZ] [chain] [options]\n       iptables -[NX] chain\n       iptables -E old-chain-name new-chain-name\n       iptables -P chain target [options]\n       iptables -h (print this help information)\n',
        );
      case '-V':
      case '--version':
        throw new IptError(0, 'iptables v1.8.9 (nf_tables)\n');
      default:
        rest.push(a);
    }
  }
  if (!TABLES.includes(table as TableName)) {
    throw new IptError(
      3,
      `${IPT_PREFIX}table '${table}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.\n`,
    );
  }
  if (!cmd) {
    if (rest.length && rest[0]!.startsWith('-')) throw paramProblem(`unknown option "${rest[0]}"`);
    throw paramProblem('no command specified');
  }
  if ('ruleArgs' in cmd) cmd.ruleArgs = rest;
  else if (rest.length) throw paramProblem(`unknown option "${rest[0]}"`);
  return { table: table as TableName, cmd, numeric, verbose, exact, lineNumbers };
}

function chainOf(t: NfTable, name: string, forWrite = true): Chain {
  const c = t.chains.get(name);
  if (!c) {
    if (forWrite) throw new IptError(1, 'iptables: No chain/target/match by that name.\n');
    throw new IptError(
      1,
      `${IPT_PREFIX}chain \`${name}' in table \`${t.name}' is incompatible, use 'nft' tool.\n`,
    );
  }
  return c;
}

/** Runs one iptables command; returns stdout. */
export function runIptables(nf: Netfilter, argv: readonly string[]): string {
  const p = parseArgs(argv);
  const cmd = p.cmd;
  const writes = !['L', 'S', 'C'].includes(cmd.op);
  // Listing does not create a table; anything that writes does.
  const table = writes ? nf.table(p.table) : (nf.tables.get(p.table) ?? emptyTable(p.table));
  switch (cmd.op) {
    case 'A':
    case 'I':
    case 'R':
    case 'C':
    case 'D': {
      // A check only reads; every other command here changes the chain (its own copy, if shared).
      const found = chainOf(table, cmd.chain);
      const chain = cmd.op === 'C' ? found : table.own(cmd.chain)!;
      if (cmd.op === 'D' && cmd.num !== undefined && cmd.ruleArgs.length === 0) {
        if (cmd.num < 1 || cmd.num > chain.rules.length)
          throw new IptError(1, 'iptables: Index of deletion too big.\n');
        chain.rules.splice(cmd.num - 1, 1);
        return '';
      }
      const { rule, jumpTo } = parseRule(cmd.ruleArgs, ruleEnv(nf));
      if (jumpTo !== undefined && !table.chains.has(jumpTo))
        throw paramProblem(`Chain '${jumpTo}' does not exist`);
      if (cmd.op === 'C' || cmd.op === 'D') {
        const idx = chain.rules.findIndex((r) => sameRule(r, rule));
        if (idx < 0)
          throw new IptError(
            1,
            'iptables: Bad rule (does a matching rule exist in that chain?).\n',
          );
        if (cmd.op === 'D') chain.rules.splice(idx, 1);
        return '';
      }
      if (!targetAllowed(p.table, cmd.chain, rule.target) || kernelRefuses(rule)) {
        const what =
          cmd.op === 'A' ? 'RULE_APPEND' : cmd.op === 'I' ? 'RULE_INSERT' : 'RULE_REPLACE';
        throw new IptError(
          4,
          `${IPT_PREFIX} ${what} failed (Invalid argument): rule in chain ${cmd.chain}\n`,
        );
      }
      if (cmd.op === 'A') chain.rules.push(rule);
      else if (cmd.op === 'I') {
        const at = (cmd.num ?? 1) - 1;
        if (at > chain.rules.length)
          throw new IptError(1, 'iptables: Index of insertion too big.\n');
        chain.rules.splice(at, 0, rule);
      } else {
        const at = cmd.num! - 1;
        if (at < 0 || at >= chain.rules.length)
          throw new IptError(1, 'iptables: Index of replacement too big.\n');
        chain.rules[at] = rule;
      }
      return '';
    }
    case 'N':
      if (table.chains.has(cmd.chain!)) throw new IptError(1, 'iptables: Chain already exists.\n');
      if (cmd.chain!.length > 28)
        throw paramProblem(`chain name \`${cmd.chain}' too long (must be under 29 chars)`);
      table.chains.set(cmd.chain!, {
        name: cmd.chain!,
        builtin: false,
        policy: 'ACCEPT',
        rules: [],
        pkts: 0,
        bytes: 0,
      });
      return '';
    case 'X': {
      const targets =
        cmd.chain !== undefined
          ? [chainOf(table, cmd.chain)]
          : [...table.chains.values()].filter((c) => !c.builtin);
      for (const c of targets) {
        if (c.builtin)
          throw new IptError(1, `${IPT_PREFIX}Cannot delete built-in chain \`${c.name}'\n`);
        if (table.references(c.name) > 0 || c.rules.length > 0) {
          throw new IptError(
            4,
            `${IPT_PREFIX} CHAIN_DEL failed (Device or resource busy): chain ${c.name}\n`,
          );
        }
        table.chains.delete(c.name);
      }
      return '';
    }
    case 'F':
      for (const c of cmd.chain !== undefined ? [chainOf(table, cmd.chain)] : table.chains.values())
        table.own(c.name)!.rules = [];
      return '';
    case 'Z':
      for (const c of cmd.chain !== undefined
        ? [chainOf(table, cmd.chain)]
        : table.chains.values()) {
        if (c.pkts === 0 && c.bytes === 0 && c.rules.every((r) => r.pkts === 0 && r.bytes === 0)) {
          // Nothing to zero (a shared chain stays shared); a built-in chain still starts counting.
          if (c.builtin) c.counted = true;
          continue;
        }
        c.pkts = 0;
        c.bytes = 0;
        if (c.builtin) c.counted = true;
        for (const r of c.rules) {
          r.pkts = 0;
          r.bytes = 0;
        }
      }
      return '';
    case 'P': {
      const c = table.chains.get(cmd.chain);
      if (!c || !c.builtin) throw new IptError(1, 'iptables: Bad built-in chain name.\n');
      if (cmd.policy !== 'ACCEPT' && cmd.policy !== 'DROP')
        throw new IptError(1, "iptables: Bad policy name. Run `dmesg' for more information.\n");
      c.policy = cmd.policy;
      c.counted = true;
      return '';
    }
    case 'E': {
      const c = chainOf(table, cmd.chain);
      if (c.builtin)
        throw new IptError(1, `${IPT_PREFIX}Cannot rename built-in chain \`${c.name}'\n`);
      if (table.chains.has(cmd.to)) throw new IptError(1, 'iptables: File exists.\n');
      table.chains.delete(c.name);
      // A new chain object of its own (the old one may be shared with other namespaces).
      const renamed = { ...c, name: cmd.to, rules: [...c.rules] };
      table.chains.set(cmd.to, renamed);
      for (const ch of table.chains.values()) {
        if (!ch.rules.some((r) => r.target?.kind === 'jump' && r.target.chain === c.name)) continue;
        const mine = table.own(ch.name)!;
        mine.rules = mine.rules.map((r) =>
          r.target?.kind === 'jump' && r.target.chain === c.name
            ? { ...r, target: { ...r.target, chain: cmd.to } }
            : r,
        );
      }
      return '';
    }
    case 'S':
      return listRules(table, cmd.chain);
    case 'L':
      return listChains(table, cmd.chain, p);
  }
}

function emptyTable(name: TableName): NfTable {
  const chains = new Map<string, Chain>();
  for (const c of TABLE_CHAINS[name])
    chains.set(c, { name: c, builtin: true, policy: 'ACCEPT', rules: [], pkts: 0, bytes: 0 });
  return { name, chains, references: () => 0, empty: true } as unknown as NfTable;
}

/** Built-in chains in hook order, then user chains alphabetically (the nft backend's order). */
function orderedChains(t: NfTable): Chain[] {
  const builtin = TABLE_CHAINS[t.name].map((n) => t.chains.get(n)!).filter(Boolean);
  const user = [...t.chains.values()]
    .filter((c) => !c.builtin)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...builtin, ...user];
}

function listRules(t: NfTable, only?: string): string {
  const out: string[] = [];
  const chains = only !== undefined ? [chainOf(t, only, false)] : orderedChains(t);
  for (const c of chains) if (c.builtin) out.push(`-P ${c.name} ${c.policy}`);
  for (const c of chains) if (!c.builtin) out.push(`-N ${c.name}`);
  for (const c of chains) for (const r of c.rules) out.push(ruleLine(c.name, r));
  return out.length ? `${out.join('\n')}\n` : '';
}

function listChains(t: NfTable, only: string | undefined, p: Parsed): string {
  const blocks: string[] = [];
  const chains = only !== undefined ? [chainOf(t, only, false)] : orderedChains(t);
  for (const c of chains) {
    const lines: string[] = [];
    if (c.builtin) {
      lines.push(
        p.verbose
          ? `Chain ${c.name} (policy ${c.policy} ${c.pkts} packets, ${c.bytes} bytes)`
          : `Chain ${c.name} (policy ${c.policy})`,
      );
    } else lines.push(`Chain ${c.name} (${t.references(c.name)} references)`);
    // iptables' print_header: %5s %5s for pkts and bytes, %8s %10s with -x (rows use %8llu).
    const counts = p.exact ? '    pkts      bytes ' : ' pkts bytes ';
    const head = `${p.lineNumbers ? 'num  ' : ''}${p.verbose ? counts : ''}target     prot opt ${p.verbose ? 'in     out     ' : ''}source               destination         `;
    lines.push(head);
    c.rules.forEach((r, i) =>
      lines.push(
        listRule(r, {
          verbose: p.verbose,
          numeric: p.numeric,
          exact: p.exact,
          num: p.lineNumbers ? i + 1 : undefined,
        }),
      ),
    );
    blocks.push(lines.join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}

/** `Mon Nov 23 08:22:01 2026`, as iptables-save stamps its output. */
function ctime(unix: number): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = [
    'Jan',
    'Feb',
    'Mar',
    'Apr',
    'May',
    'Jun',
    'Jul',
    'Aug',
    'Sep',
    'Oct',
    'Nov',
    'Dec',
  ];
  const d = Math.floor(unix / 86400);
  const z = d + 719468;
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
  const s = Math.floor(unix) % 86400;
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${days[(((d + 4) % 7) + 7) % 7]} ${months[month - 1]} ${String(day).padStart(2)} ${p2(Math.floor(s / 3600))}:${p2(Math.floor((s % 3600) / 60))}:${p2(s % 60)} ${year}`;
}

export function iptablesSave(
  nf: Netfilter,
  opts: { counters: boolean; table?: string; unix: number },
): string {
  const out: string[] = [];
  const stamp = ctime(opts.unix);
  for (const name of SAVE_ORDER) {
    if (opts.table !== undefined && opts.table !== name) continue;
    const t = nf.tables.get(name);
    if (!t) continue;
    out.push(`# Generated by iptables-save v1.8.9 (nf_tables) on ${stamp}`);
    out.push(`*${name}`);
    const chains = orderedChains(t);
    for (const c of chains)
      out.push(`:${c.name} ${c.builtin ? c.policy : '-'} [${c.pkts}:${c.bytes}]`);
    for (const c of chains)
      for (const r of c.rules)
        out.push(`${opts.counters ? `[${r.pkts}:${r.bytes}] ` : ''}${ruleLine(c.name, r)}`);
    out.push('COMMIT');
    out.push(`# Completed on ${stamp}`);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** Splits a line of iptables-restore input into words, honouring double quotes. */
export function words(line: string): string[] {
  // What /"((?:[^"\\]|\\.)*)"|(\S+)/g finds, unescaping quoted words, read by hand: a
  // restore of thousands of rules splits every line.
  const out: string[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    if (isRegExpSpace(line.charCodeAt(i))) {
      i++;
      continue;
    }
    if (line.charCodeAt(i) === 34) {
      // A quoted word: up to the next unescaped quote, where a backslash takes any character
      // but a line terminator. Without its closing quote it is a plain word.
      let j = i + 1;
      let escaped = false;
      for (; j < n; j++) {
        const c = line.charCodeAt(j);
        if (c === 34) break;
        if (c === 92) {
          if (j + 1 >= n || isLineTerminator(line.charCodeAt(j + 1))) {
            j = n;
            break;
          }
          escaped = true;
          j++;
        }
      }
      if (j < n) {
        const inner = line.slice(i + 1, j);
        out.push(escaped ? inner.replace(/\\(.)/g, '$1') : inner);
        i = j + 1;
        continue;
      }
    }
    const start = i;
    while (i < n && !isRegExpSpace(line.charCodeAt(i))) i++;
    out.push(line.slice(start, i));
  }
  return out;
}

/** A line terminator, which a regular expression's "." does not match. */
function isLineTerminator(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

/** What a regular expression's \s matches. */
function isRegExpSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * iptables-restore: tables are replaced whole (unless --noflush), committed at COMMIT. `share`
 * lets restores of the same text in many namespaces parse each `-A` line once.
 */
export function iptablesRestore(
  nf: Netfilter,
  input: string,
  noflush: boolean,
  share?: RestoreShare,
): { ok: true } | { ok: false; error: string; code: number } {
  const lines = share ? share.split(input) : input.split('\n');
  const RESTORE_PREFIX = 'iptables-restore v1.8.9 (nf_tables): ';
  const RESTORE_HELP =
    "Try `iptables-restore -h' or 'iptables-restore --help' for more information.\n";
  // Jumps are resolved when the table is committed: a missing chain is reported at COMMIT.
  let jumps: string[] = [];
  let table: TableName | undefined;
  let staged: { chains: Map<string, Chain> } | undefined;
  const commits: { name: TableName; chains: Map<string, Chain> }[] = [];
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    const lineNo = n + 1;
    if (!line || line.startsWith('#')) continue;
    try {
      if (line.startsWith('*')) {
        const name = line.slice(1) as TableName;
        if (!TABLES.includes(name))
          return {
            ok: false,
            code: 1,
            error: `iptables-restore: unable to initialize table '${name}'\n\nError occurred at line: ${lineNo}\n${RESTORE_HELP}`,
          };
        table = name;
        const base = noflush ? nf.tables.get(name) : undefined;
        const chains = new Map<string, Chain>();
        for (const c of TABLE_CHAINS[name])
          chains.set(c, { name: c, builtin: true, policy: 'ACCEPT', rules: [], pkts: 0, bytes: 0 });
        if (base) for (const [k, c] of base.chains) chains.set(k, { ...c, rules: [...c.rules] });
        staged = { chains };
        continue;
      }
      if (!table || !staged)
        return {
          ok: false,
          code: 2,
          error: `${RESTORE_PREFIX}no command specified\nError occurred at line: ${lineNo}\n`,
        };
      if (line === 'COMMIT') {
        const missing = jumps.find((j) => !staged!.chains.has(j));
        if (missing !== undefined)
          return {
            ok: false,
            code: 2,
            error: `${RESTORE_PREFIX}Chain '${missing}' does not exist\nError occurred at line: ${lineNo}\n${RESTORE_HELP}`,
          };
        jumps = [];
        commits.push({ name: table, chains: staged.chains });
        table = undefined;
        staged = undefined;
        continue;
      }
      if (line.startsWith(':')) {
        const [name, policy, counters] = line.slice(1).split(/\s+/);
        const m = /^\[(\d+):(\d+)\]$/.exec(counters ?? '');
        const existing = staged.chains.get(name!);
        if (existing?.builtin) {
          existing.policy = policy === 'DROP' ? 'DROP' : 'ACCEPT';
          existing.counted = true;
          if (m) {
            existing.pkts = Number(m[1]);
            existing.bytes = Number(m[2]);
          }
        } else if (existing) {
          // A declared user chain is flushed (what --noflush callers such as kube-proxy rely on).
          existing.rules = [];
        } else
          staged.chains.set(name!, {
            name: name!,
            builtin: false,
            policy: 'ACCEPT',
            rules: [],
            pkts: 0,
            bytes: 0,
          });
        continue;
      }
      const shared = share?.append(table, line, words);
      const into = shared && staged.chains.get(shared.chain);
      if (shared && into) {
        if (shared.jumpTo !== undefined) jumps.push(shared.jumpTo);
        into.rules.push(shared.rule);
        continue;
      }
      let w = words(line);
      let counters: [number, number] | undefined;
      const cm = /^\[(\d+):(\d+)\]$/.exec(w[0] ?? '');
      if (cm) {
        counters = [Number(cm[1]), Number(cm[2])];
        w = w.slice(1);
      }
      const op = w[0];
      const chainName = w[1];
      const chain = chainName !== undefined ? staged.chains.get(chainName) : undefined;
      if ((op === '-A' || op === '-I') && chain) {
        // `-I chain N` inserts at rule N (1 when absent).
        const at = op === '-I' && /^[0-9]+$/.test(w[2] ?? '') ? Number(w[2]) : undefined;
        const { rule, jumpTo } = parseRule(w.slice(at !== undefined ? 3 : 2), ruleEnv(nf));
        if (jumpTo !== undefined) jumps.push(jumpTo);
        if (!targetAllowed(table, chain.name, rule.target) || kernelRefuses(rule))
          return {
            ok: false,
            code: 4,
            error: `${RESTORE_PREFIX}\nline ${lineNo}: RULE_${op === '-A' ? 'APPEND' : 'INSERT'} failed (Invalid argument): rule in chain ${chain.name}\n`,
          };
        if (counters) {
          rule.pkts = counters[0];
          rule.bytes = counters[1];
        }
        if (op === '-A') chain.rules.push(rule);
        else if (at !== undefined && at > 1) {
          if (at > chain.rules.length + 1)
            return {
              ok: false,
              code: 1,
              error: `iptables-restore: line ${lineNo} failed\n`,
            };
          chain.rules.splice(at - 1, 0, rule);
        } else chain.rules.unshift(rule);
        continue;
      }
      if (op === '-N' && chainName) {
        staged.chains.set(chainName, {
          name: chainName,
          builtin: false,
          policy: 'ACCEPT',
          rules: [],
          pkts: 0,
          bytes: 0,
        });
        continue;
      }
      if (op === '-X' && chainName !== undefined) {
        const c = staged.chains.get(chainName);
        if (!c || c.builtin)
          return { ok: false, code: 1, error: `iptables-restore: line ${lineNo} failed\n` };
        staged.chains.delete(chainName);
        continue;
      }
      if (op === '-F' || op === '-X') continue;
      return { ok: false, code: 1, error: `iptables-restore: line ${lineNo} failed\n` };
    } catch (e) {
      if (e instanceof IptError) {
        // iptables' own message, restated as iptables-restore words it.
        const msg = e.text
          .replace(TRY_HELP, '')
          .replace(/^iptables v1\.8\.9 \(nf_tables\): /, '')
          .replace(/\n$/, '');
        return {
          ok: false,
          code: e.code,
          error: `${RESTORE_PREFIX}${msg}\nError occurred at line: ${lineNo}\n${RESTORE_HELP}`,
        };
      }
      throw e;
    }
  }
  if (table)
    return {
      ok: false,
      code: 1,
      error: `iptables-restore: COMMIT expected at line ${lines.length}\n`,
    };
  for (const c of commits) nf.table(c.name).replaceChains(c.chains);
  return { ok: true };
}

function run(ctx: ToolContext, f: () => string): void {
  try {
    const out = f();
    if (out) ctx.proc.write(out);
    ctx.proc.exit(0);
  } catch (e) {
    if (!(e instanceof IptError)) throw e;
    if (e.code === 0) ctx.proc.write(e.text);
    else ctx.proc.writeErr(e.text);
    ctx.proc.exit(e.code);
  }
}

/**
 * iptables-nft's first request reads the rule set's generation id, which needs CAP_NET_ADMIN:
 * without it every command that touches the tables fails so (checked, exit 4).
 */
function requireNetAdmin(ctx: ToolContext, prog: string): void {
  if (!ctx.proc.caps.has('NET_ADMIN'))
    throw new IptError(
      4,
      `${prog} v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n`,
    );
}

export const iptables: Tool = (ctx) =>
  run(ctx, () => {
    const args = ctx.argv.slice(1);
    // -V and -h need no kernel.
    if (!args.some((a) => ['-V', '--version', '-h', '--help'].includes(a)))
      requireNetAdmin(ctx, 'iptables');
    return runIptables(ctx.proc.ns.netfilter, args);
  });

export const iptablesSaveTool: Tool = (ctx) =>
  run(ctx, () => {
    const args = ctx.argv.slice(1);
    requireNetAdmin(ctx, 'iptables-save');
    let table: string | undefined;
    let counters = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-c' || a === '--counters') counters = true;
      else if (a === '-t' || a === '--table') table = args[++i];
      else throw new IptError(2, `iptables-save: unrecognized option '${a}'\n`);
    }
    if (table !== undefined && !TABLES.includes(table as TableName))
      throw new IptError(
        1,
        `iptables-save v1.8.9 (nf_tables): Cannot initialize: Table does not exist (do you need to insmod?)\n`,
      );
    return iptablesSave(ctx.proc.ns.netfilter, {
      counters,
      table,
      unix: ctx.proc.host.world.unixNow(),
    });
  });

export const iptablesRestoreTool: Tool = (ctx) => {
  const args = ctx.argv.slice(1);
  if (!ctx.proc.caps.has('NET_ADMIN')) {
    ctx.proc.writeErr(
      'iptables-restore v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n',
    );
    ctx.proc.exit(4);
    return;
  }
  const noflush = args.includes('-n') || args.includes('--noflush');
  const file = args.find((a) => !a.startsWith('-'));
  let input = ctx.stdin;
  if (file !== undefined) {
    const r = ctx.proc.host.fs.readFile(
      file.startsWith('/') ? file : `${ctx.proc.cwd}/${file}`,
      ctx.proc.ns,
    );
    if (!r.ok) {
      ctx.proc.writeErr(`Can't open ${file}: No such file or directory\n`);
      ctx.proc.exit(1);
      return;
    }
    input = r.data;
  }
  const res = iptablesRestore(ctx.proc.ns.netfilter, input, noflush);
  if (!res.ok) {
    ctx.proc.writeErr(res.error);
    ctx.proc.exit(res.code);
    return;
  }
  ctx.proc.exit(0);
};
