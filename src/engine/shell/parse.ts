/**
 * A parser for the bash subset walkthroughs use: words with quotes, $VAR, ${VAR}, $(…) and
 * backticks, assignments, redirections (including heredocs), pipes, &&, ||, ; and &, comments.
 * Errors read like bash's own ("syntax error near unexpected token `|'").
 */
import type {
  AndOr,
  Pipeline,
  Redirect,
  RedirOp,
  Script,
  SimpleCommand,
  Word,
  WordPart,
} from './ast';

export class ShellSyntaxError extends Error {}

type Token =
  | { kind: 'word'; word: Word; raw: string }
  | { kind: 'op'; op: string }
  | { kind: 'redir'; fd: number | undefined; op: RedirOp }
  | { kind: 'newline' };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

class Lexer {
  private i = 0;
  readonly tokens: Token[] = [];
  private pendingHeredocs: { delim: string; quoted: boolean; strip: boolean; index: number }[] = [];
  readonly heredocBodies = new Map<number, { body: string; quoted: boolean }>();

  constructor(private readonly s: string) {}

  run(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === ' ' || c === '\t') {
        this.i++;
        continue;
      }
      if (c === '\\' && s[this.i + 1] === '\n') {
        this.i += 2;
        continue;
      }
      if (c === '#') {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
        continue;
      }
      if (c === '\n') {
        this.i++;
        this.tokens.push({ kind: 'newline' });
        this.readHeredocBodies();
        continue;
      }
      const two = s.slice(this.i, this.i + 2);
      const three = s.slice(this.i, this.i + 3);
      if (two === '&&' || two === '||' || two === ';;') {
        this.tokens.push({ kind: 'op', op: two });
        this.i += 2;
        continue;
      }
      if (three === '&>>') {
        this.tokens.push({ kind: 'redir', fd: undefined, op: '&>>' });
        this.i += 3;
        continue;
      }
      if (two === '&>') {
        this.tokens.push({ kind: 'redir', fd: undefined, op: '&>' });
        this.i += 2;
        continue;
      }
      if (c === '|' || c === '&' || c === ';' || c === '(' || c === ')') {
        this.tokens.push({ kind: 'op', op: c });
        this.i++;
        continue;
      }
      if (c === '<' || c === '>') {
        this.readRedir(undefined);
        continue;
      }
      // A number directly followed by < or > is a file descriptor.
      const fdm = /^([0-9])([<>])/.exec(s.slice(this.i, this.i + 2));
      if (fdm) {
        this.i += 1;
        this.readRedir(Number(fdm[1]));
        continue;
      }
      this.readWord();
    }
    this.readHeredocBodies();
    if (this.pendingHeredocs.length > 0) {
      // bash warns and uses what it has; we do the same with an empty body.
      for (const h of this.pendingHeredocs)
        this.heredocBodies.set(h.index, { body: '', quoted: h.quoted });
      this.pendingHeredocs = [];
    }
  }

  private readRedir(fd: number | undefined): void {
    const s = this.s;
    const ops: RedirOp[] = ['<<<', '<<-', '<<', '>>', '>&', '<&', '<', '>'];
    const op = ops.find((o) => s.startsWith(o, this.i))!;
    this.i += op.length;
    if (s[this.i] === '|' && op === '>') this.i++; // >| clobber
    this.tokens.push({ kind: 'redir', fd, op });
    if (op === '<<' || op === '<<-') {
      while (s[this.i] === ' ' || s[this.i] === '\t') this.i++;
      const start = this.i;
      const w = this.readWordRaw();
      const raw = s.slice(start, this.i);
      const quoted = /['"\\]/.test(raw);
      const delim = w.parts
        .map((p) => (p.kind === 'lit' ? p.text : p.kind === 'var' ? `$${p.name}` : ''))
        .join('');
      this.tokens.push({ kind: 'word', word: w, raw });
      this.pendingHeredocs.push({
        delim,
        quoted,
        strip: op === '<<-',
        index: this.tokens.length - 2,
      });
    }
  }

  private readHeredocBodies(): void {
    const s = this.s;
    while (this.pendingHeredocs.length > 0) {
      const h = this.pendingHeredocs.shift()!;
      const lines: string[] = [];
      let found = false;
      while (this.i < s.length) {
        let end = s.indexOf('\n', this.i);
        if (end < 0) end = s.length;
        let line = s.slice(this.i, end);
        this.i = end + 1;
        if (h.strip) line = line.replace(/^\t+/, '');
        if (line === h.delim) {
          found = true;
          break;
        }
        lines.push(line);
      }
      if (!found && this.i > s.length) this.i = s.length;
      this.heredocBodies.set(h.index, {
        body: lines.length ? `${lines.join('\n')}\n` : '',
        quoted: h.quoted,
      });
    }
  }

  private readWord(): void {
    const start = this.i;
    const w = this.readWordRaw();
    this.tokens.push({ kind: 'word', word: w, raw: this.s.slice(start, this.i) });
  }

  /** Reads one word up to an unquoted metacharacter. */
  private readWordRaw(): Word {
    const s = this.s;
    const parts: WordPart[] = [];
    let lit = '';
    const flush = (quoted: boolean) => {
      if (lit) parts.push({ kind: 'lit', text: lit, quoted });
      lit = '';
    };
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (' \t\n|&;()<>'.includes(c)) break;
      if (c === '\\') {
        if (this.i + 1 < s.length) {
          flush(false);
          parts.push({ kind: 'lit', text: s[this.i + 1]!, quoted: true });
        }
        this.i += 2;
        continue;
      }
      if (c === "'") {
        flush(false);
        const end = s.indexOf("'", this.i + 1);
        if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
        parts.push({ kind: 'lit', text: s.slice(this.i + 1, end), quoted: true });
        this.i = end + 1;
        continue;
      }
      if (c === '"') {
        flush(false);
        this.i++;
        this.readDoubleQuoted(parts);
        continue;
      }
      if (c === '$' || c === '`') {
        const p = this.readDollar(false);
        if (p) {
          flush(false);
          parts.push(p);
          continue;
        }
      }
      lit += c;
      this.i++;
    }
    flush(false);
    return { parts };
  }

  private readDoubleQuoted(parts: WordPart[]): void {
    const s = this.s;
    let lit = '';
    const flush = () => {
      if (lit) parts.push({ kind: 'lit', text: lit, quoted: true });
      lit = '';
    };
    let closed = false;
    // An empty "" still makes a (quoted, empty) word.
    parts.push({ kind: 'lit', text: '', quoted: true });
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '"') {
        this.i++;
        closed = true;
        break;
      }
      if (c === '\\' && '$`"\\\n'.includes(s[this.i + 1] ?? '')) {
        if (s[this.i + 1] !== '\n') lit += s[this.i + 1];
        this.i += 2;
        continue;
      }
      if (c === '$' || c === '`') {
        const p = this.readDollar(true);
        if (p) {
          flush();
          parts.push(p);
          continue;
        }
      }
      lit += c;
      this.i++;
    }
    if (!closed) throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'');
    flush();
  }

  /** $NAME, ${NAME}, $(…), `…`, $?, $$, $!, $1… Returns undefined for a lone $. */
  private readDollar(quoted: boolean): WordPart | undefined {
    const s = this.s;
    if (s[this.i] === '`') {
      let j = this.i + 1;
      let src = '';
      while (j < s.length && s[j] !== '`') {
        if (s[j] === '\\' && '$`\\'.includes(s[j + 1] ?? '')) {
          src += s[j + 1];
          j += 2;
          continue;
        }
        src += s[j];
        j++;
      }
      if (j >= s.length)
        throw new ShellSyntaxError("unexpected EOF while looking for matching ``'");
      this.i = j + 1;
      return { kind: 'cmdsub', source: src, quoted };
    }
    const next = s[this.i + 1];
    if (next === '(') {
      if (s[this.i + 2] === '(')
        throw new ShellSyntaxError('arithmetic expansion $((…)) is not supported');
      let depth = 1;
      let j = this.i + 2;
      let inS = false;
      let inD = false;
      while (j < s.length && depth > 0) {
        const c = s[j]!;
        if (c === '\\' && !inS) {
          j += 2;
          continue;
        }
        if (c === "'" && !inD) inS = !inS;
        else if (c === '"' && !inS) inD = !inD;
        else if (!inS && !inD) {
          if (c === '(') depth++;
          else if (c === ')') depth--;
        }
        j++;
      }
      if (depth > 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `)'");
      const src = s.slice(this.i + 2, j - 1);
      this.i = j;
      return { kind: 'cmdsub', source: src, quoted };
    }
    if (next === '{') {
      const end = s.indexOf('}', this.i + 2);
      if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `}'");
      const name = s.slice(this.i + 2, end);
      if (!NAME.test(name) && !/^[0-9?$!#@*]$/.test(name))
        throw new ShellSyntaxError(`\${${name}}: bad substitution`);
      this.i = end + 1;
      return { kind: 'var', name, quoted };
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9?$!#@*]/.exec(s.slice(this.i + 1));
    if (!m) return undefined;
    this.i += 1 + m[0].length;
    return { kind: 'var', name: m[0], quoted };
  }
}

function tokenText(t: Token): string {
  switch (t.kind) {
    case 'word':
      return t.raw;
    case 'op':
      return t.op;
    case 'redir':
      return t.op;
    case 'newline':
      return 'newline';
  }
}

/** Parses a script (one or more lines). Throws ShellSyntaxError with bash's wording. */
export function parseScript(source: string): Script {
  const lx = new Lexer(source);
  lx.run();
  const toks = lx.tokens;
  let i = 0;
  const items: AndOr[] = [];
  const unexpected = (t: Token | undefined) =>
    new ShellSyntaxError(`syntax error near unexpected token \`${t ? tokenText(t) : 'newline'}'`);

  const parseSimple = (): SimpleCommand | undefined => {
    const assigns: { name: string; value: Word }[] = [];
    const words: Word[] = [];
    const redirects: Redirect[] = [];
    const raws: string[] = [];
    while (i < toks.length) {
      const t = toks[i]!;
      if (t.kind === 'word') {
        const first = t.word.parts[0];
        const eq =
          words.length === 0 && first?.kind === 'lit' && !first.quoted
            ? first.text.indexOf('=')
            : -1;
        if (eq > 0 && NAME.test(first!.kind === 'lit' ? first.text.slice(0, eq) : '')) {
          const lit = first as { kind: 'lit'; text: string; quoted: boolean };
          const rest: WordPart[] = [];
          if (lit.text.length > eq + 1)
            rest.push({ kind: 'lit', text: lit.text.slice(eq + 1), quoted: false });
          rest.push(...t.word.parts.slice(1));
          assigns.push({ name: lit.text.slice(0, eq), value: { parts: rest } });
        } else words.push(t.word);
        raws.push(t.raw);
        i++;
        continue;
      }
      if (t.kind === 'redir') {
        const idx = i;
        i++;
        const target = toks[i];
        if (!target || target.kind !== 'word') throw unexpected(target);
        raws.push(`${t.fd ?? ''}${t.op}${target.raw}`);
        i++;
        const fd = t.fd ?? (t.op.startsWith('<') ? 0 : 1);
        if (t.op === '<<' || t.op === '<<-') {
          redirects.push({
            fd,
            op: t.op,
            heredoc: lx.heredocBodies.get(idx) ?? { body: '', quoted: true },
          });
        } else redirects.push({ fd, op: t.op, target: target.word });
        continue;
      }
      break;
    }
    if (assigns.length === 0 && words.length === 0 && redirects.length === 0) return undefined;
    return { kind: 'simple', assigns, words, redirects, text: raws.join(' ') };
  };

  const parsePipeline = (): Pipeline | undefined => {
    let negate = false;
    const t0 = toks[i];
    if (t0?.kind === 'word' && t0.raw === '!') {
      negate = true;
      i++;
    }
    const t1 = toks[i];
    if (t1?.kind === 'op' && (t1.op === '(' || t1.op === ')')) {
      throw new ShellSyntaxError(
        t1.op === '('
          ? 'subshells ( … ) are not supported'
          : `syntax error near unexpected token \`)'`,
      );
    }
    const first = parseSimple();
    if (!first) return undefined;
    const commands = [first];
    while (toks[i]?.kind === 'op' && (toks[i] as { op: string }).op === '|') {
      i++;
      while (toks[i]?.kind === 'newline') i++;
      const next = parseSimple();
      if (!next) throw unexpected(toks[i]);
      commands.push(next);
    }
    return { commands, negate, text: commands.map((c) => c.text).join(' | ') };
  };

  while (i < toks.length) {
    const t = toks[i]!;
    if (t.kind === 'newline' || (t.kind === 'op' && t.op === ';' && items.length === 0 && false)) {
      i++;
      continue;
    }
    const first = parsePipeline();
    if (!first) throw unexpected(toks[i]);
    const rest: { op: '&&' | '||'; pipeline: Pipeline }[] = [];
    while (
      toks[i]?.kind === 'op' &&
      ((toks[i] as { op: string }).op === '&&' || (toks[i] as { op: string }).op === '||')
    ) {
      const op = (toks[i] as { op: '&&' | '||' }).op;
      i++;
      while (toks[i]?.kind === 'newline') i++;
      const p = parsePipeline();
      if (!p) throw unexpected(toks[i]);
      rest.push({ op, pipeline: p });
    }
    let background = false;
    const sep = toks[i];
    if (sep?.kind === 'op' && (sep.op === ';' || sep.op === '&')) {
      background = sep.op === '&';
      i++;
    } else if (sep && sep.kind !== 'newline') throw unexpected(sep);
    const text = [first.text, ...rest.map((r) => `${r.op} ${r.pipeline.text}`)].join(' ');
    items.push({ first, rest, background, text });
  }
  return { items };
}
