/**
 * A recursive-descent rendering of libpcap 1.10's grammar.y for the primitives the simulator
 * evaluates. Two properties of that grammar matter for what users see:
 *
 * - `and` and `or` have the same precedence and group left to right: `a or b and c` is
 *   `(a or b) and c`.
 * - A bare address, number or name after `and`/`or`/`not`/`(` takes the qualifiers of the
 *   primitive before it (`host a or b`, `port 80 or 8080`); with none to take ("tcp or 80",
 *   "(port 80) or 81") it is "syntax error in filter expression", while malformed syntax is
 *   "can't parse filter expression: syntax error".
 */
import type { Arith, ArithOp, FilterNode, Layer, RelOp } from './filterAst';
import {
  type AddrQual,
  type DirQual,
  FilterError,
  QERR,
  type Qual,
  and,
  fail,
  genEcode,
  genMcode,
  genMcode6,
  genNcode,
  genScode,
  lengthNode,
  notModelled,
  or,
  protoAbbrev,
} from './filterGen';
import { type Token, lex } from './filterLex';

/** A parse that does not fit the grammar; an alternative may still fit. */
class NoParse extends Error {}

interface Parsed {
  readonly node: FilterNode;
  /** The qualifiers a following bare id inherits. */
  readonly q: Qual;
}

/** Protocol keywords (grammar.y's pname); 'link' covers ether, ppp, fddi, … */
const PNAMES = new Set([
  'link', 'ip', 'arp', 'rarp', 'sctp', 'tcp', 'udp', 'icmp', 'igmp', 'igrp', 'pim', 'vrrp', 'carp',
  'atalk', 'aarp', 'decnet', 'lat', 'sca', 'moprc', 'mopdl', 'ip6', 'icmp6', 'ah', 'esp', 'iso',
  'esis', 'isis', 'l1', 'l2', 'iih', 'lsp', 'snp', 'csnp', 'psnp', 'clnp', 'stp', 'ipx', 'netbeui',
  'radio',
]); // prettier-ignore

const LOAD_LAYERS: ReadonlySet<string> = new Set<Layer>([
  'link', 'ip', 'arp', 'rarp', 'ip6', 'icmp6', 'tcp', 'udp', 'sctp', 'icmp', 'igmp', 'igrp', 'pim',
  'vrrp', 'carp', 'ah', 'esp',
]); // prettier-ignore

const ADDR_QUALS = new Set(['host', 'net', 'port', 'portrange']);
const NON_DIR_ADDR_QUALS = new Set(['proto', 'protochain', 'gateway']);
const DIRS = new Set(['src', 'dst']);
/** Keywords of primitives the simulator does not evaluate (VLAN tags, 802.11, ATM, pf, …). */
const UNMODELLED = new Set([
  'byte', 'broadcast', 'multicast', 'inbound', 'outbound', 'ifindex', 'vlan', 'mpls', 'pppoed',
  'pppoes', 'geneve', 'type', 'subtype', 'dir', 'addr1', 'addr2', 'addr3', 'addr4', 'ra', 'ta',
  'lane', 'llc', 'metac', 'bcc', 'oam', 'oamf4', 'oamf4ec', 'oamf4sc', 'sc', 'ilmic', 'vpi', 'vci',
  'connectmsg', 'metaconnect', 'ifname', 'rset', 'rnr', 'srnr', 'reason', 'action', 'fisu', 'lssu',
  'msu', 'hfisu', 'hlssu', 'hmsu', 'sio', 'opc', 'dpc', 'sls', 'hsio', 'hopc', 'hdpc', 'hsls',
]); // prettier-ignore

const RELOPS = new Set(['>', '>=', '=', '!=', '<', '<=']);
const ARITH_PRECEDENCE: Readonly<Record<string, number>> = {
  '|': 1, '^': 1, '&': 2, '<<': 3, '>>': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5,
}; // prettier-ignore

export function parseExpression(text: string, cooked: boolean): FilterNode {
  const parser = new Parser(lex(text), cooked);
  try {
    return parser.program();
  } catch (e) {
    if (e instanceof NoParse) fail("can't parse filter expression: syntax error");
    throw e;
  }
}

class Parser {
  private pos = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly cooked: boolean,
  ) {}

  program(): FilterNode {
    if (this.peek().k === 'eof') return { t: 'true' };
    const { node } = this.expr(QERR);
    if (this.peek().k !== 'eof') throw new NoParse();
    return node;
  }

  // --- tokens ------------------------------------------------------------------------------

  /** The token at `ahead`; a lexical error surfaces as soon as the parser looks at it. */
  private peek(ahead = 0): Token {
    const t = this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
    if (t.k === 'error') {
      if (t.v === 'syntax') throw new NoParse();
      fail(t.v);
    }
    return t;
  }

  private next(): Token {
    const t = this.peek();
    this.pos++;
    return t;
  }

  private isKw(v: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.k === 'kw' && t.v === v;
  }

  private isOp(v: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.k === 'op' && t.v === v;
  }

  private kwAt(ahead = 0): string | undefined {
    const t = this.peek(ahead);
    return t.k === 'kw' ? t.v : undefined;
  }

  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new NoParse();
    this.pos++;
  }

  private expectNum(): number {
    const t = this.next();
    if (t.k !== 'num') throw new NoParse();
    return t.v;
  }

  /** Runs an alternative; if it does not parse, rewinds and returns undefined. */
  private attempt<T>(alternative: () => T): T | undefined {
    const saved = this.pos;
    try {
      return alternative();
    } catch (e) {
      if (!(e instanceof NoParse)) throw e;
      this.pos = saved;
      return undefined;
    }
  }

  // --- expressions -------------------------------------------------------------------------

  /** expr: term, then any number of (and|or) (term|id), left to right at equal precedence. */
  private expr(ctx: Qual): Parsed {
    let left = this.term(ctx);
    for (let op = this.kwAt(); op === 'and' || op === 'or'; op = this.kwAt()) {
      this.pos++;
      const q = left.q;
      const right = this.attempt(() => this.term(q)) ?? this.id(q);
      left = {
        node: op === 'and' ? and(left.node, right.node) : or(left.node, right.node),
        q: right.q,
      };
    }
    return left;
  }

  private term(ctx: Qual): Parsed {
    if (this.isKw('not')) {
      this.pos++;
      const inner = this.term(ctx);
      return { node: { t: 'not', a: inner.node }, q: inner.q };
    }
    return this.rterm(ctx);
  }

  private rterm(ctx: Qual): Parsed {
    const t = this.peek();
    if (t.k === 'op' && t.v === '(')
      return this.attempt(() => this.parenExpr(ctx)) ?? this.relation();
    if (t.k === 'num' || (t.k === 'op' && t.v === '-')) return this.relation();
    if (t.k !== 'kw') throw new NoParse();
    return this.keywordTerm(t.v);
  }

  /** `( expr )`: what follows inherits the qualifiers from before the parenthesis. */
  private parenExpr(ctx: Qual): Parsed {
    this.expectOp('(');
    const inner = this.expr(ctx);
    this.expectOp(')');
    return { node: inner.node, q: ctx };
  }

  private keywordTerm(kw: string): Parsed {
    if (PNAMES.has(kw)) return this.protocolTerm(kw);
    if (DIRS.has(kw) || ADDR_QUALS.has(kw) || NON_DIR_ADDR_QUALS.has(kw)) return this.headAndId();
    if (kw === 'len') return this.relation();
    if (kw === 'less' || kw === 'greater') {
      this.pos++;
      return { node: lengthNode(kw === 'less' ? '<=' : '>=', this.expectNum()), q: QERR };
    }
    if (UNMODELLED.has(kw)) notModelled(kw);
    throw new NoParse();
  }

  /** A protocol keyword: a load (`tcp[13]`), the start of a head (`tcp port`), or alone. */
  private protocolTerm(kw: string): Parsed {
    if (this.isOp('[', 1)) return this.relation();
    const after = this.kwAt(1);
    if (
      after !== undefined &&
      (DIRS.has(after) || ADDR_QUALS.has(after) || NON_DIR_ADDR_QUALS.has(after))
    ) {
      return this.headAndId();
    }
    if (after === 'broadcast' || after === 'multicast') notModelled(after);
    this.pos++;
    return { node: protoAbbrev(kw), q: QERR };
  }

  private headAndId(): Parsed {
    const q = this.head();
    return { node: this.id(q).node, q };
  }

  /** head: [protocol] [src|dst|src or dst|src and dst] [host|net|port|portrange], or proto. */
  private head(): Qual {
    const first = this.kwAt();
    const proto = first !== undefined && PNAMES.has(first) ? (this.pos++, first) : 'default';
    const dir = this.dirQual();
    let addr: AddrQual = 'default';
    const kw = this.kwAt();
    if (kw !== undefined && ADDR_QUALS.has(kw)) addr = kw as AddrQual;
    else if (kw !== undefined && dir === 'default' && NON_DIR_ADDR_QUALS.has(kw))
      addr = kw as AddrQual;
    if (addr !== 'default') this.pos++;
    if (dir === 'default' && addr === 'default') throw new NoParse();
    return { proto, dir, addr };
  }

  /** `src or dst` is one qualifier: after `src`, an `or`/`and` must be followed by `dst`. */
  private dirQual(): DirQual {
    const d = this.kwAt();
    if (d !== 'src' && d !== 'dst') return 'default';
    this.pos++;
    const conj = this.kwAt();
    if (conj !== 'and' && conj !== 'or') return d;
    if (!this.isKw(d === 'src' ? 'dst' : 'src', 1)) throw new NoParse();
    this.pos += 2;
    return conj;
  }

  // --- ids: addresses, numbers and names -----------------------------------------------------

  private id(q: Qual): Parsed {
    const t = this.peek();
    if (t.k === 'kw' && t.v === 'not') {
      this.pos++;
      const inner = this.id(q);
      return { node: { t: 'not', a: inner.node }, q: inner.q };
    }
    if (t.k === 'op' && t.v === '(') return this.parenIds(q);
    this.pos++;
    switch (t.k) {
      case 'num':
        return { node: genNcode(q, undefined, t.v), q };
      case 'hid':
        return { node: this.dottedAddress(q, t.v), q };
      case 'hid6':
        return {
          node: genMcode6(q, t.v, this.isOp('/') ? (this.pos++, this.expectNum()) : 128),
          q,
        };
      case 'eid':
        return { node: genEcode(q, t.v, this.cooked), q };
      case 'id':
        return { node: genScode(q, t.v, this.cooked), q };
      default:
        throw new NoParse();
    }
  }

  /** `( id and id or … )`: every id takes the qualifiers from before the parenthesis. */
  private parenIds(q: Qual): Parsed {
    this.expectOp('(');
    let node = this.id(q).node;
    for (let op = this.kwAt(); op === 'and' || op === 'or'; op = this.kwAt()) {
      this.pos++;
      const right = this.id(q).node;
      node = op === 'and' ? and(node, right) : or(node, right);
    }
    this.expectOp(')');
    return { node, q };
  }

  private dottedAddress(q: Qual, text: string): FilterNode {
    if (this.isOp('/')) {
      this.pos++;
      return genMcode(q, text, undefined, this.expectNum());
    }
    if (this.isKw('mask')) {
      this.pos++;
      const m = this.next();
      if (m.k !== 'hid') throw new NoParse();
      return genMcode(q, text, m.v, 0);
    }
    if (
      q.addr === 'port' ||
      q.addr === 'portrange' ||
      q.addr === 'proto' ||
      q.addr === 'protochain'
    ) {
      fail(`'${q.addr}' modifier applied to ip host`);
    }
    return genNcode(q, text, 0);
  }

  // --- relations: arithmetic on packet bytes -------------------------------------------------

  private relation(): Parsed {
    const a = this.arith(1);
    const op = this.peek();
    if (op.k !== 'op' || !RELOPS.has(op.v)) throw new NoParse();
    this.pos++;
    const b = this.arith(1);
    return { node: { t: 'rel', op: op.v as RelOp, a, b }, q: QERR };
  }

  /** Precedence climbing over grammar.y's arithmetic operators. */
  private arith(minPrecedence: number): Arith {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t.k === 'op' ? ARITH_PRECEDENCE[t.v] : undefined;
      if (t.k !== 'op' || prec === undefined || prec < minPrecedence) return left;
      this.pos++;
      const right = this.arith(prec + 1);
      left = checkedBinary(t.v as ArithOp, left, right);
    }
  }

  private unary(): Arith {
    const t = this.peek();
    if (t.k === 'op' && t.v === '-') {
      this.pos++;
      return { t: 'neg', a: this.unary() };
    }
    if (t.k === 'num') {
      this.pos++;
      return { t: 'num', v: t.v };
    }
    if (t.k === 'kw' && t.v === 'len') {
      this.pos++;
      return { t: 'len' };
    }
    if (t.k === 'op' && t.v === '(') {
      this.pos++;
      const inner = this.arith(1);
      this.expectOp(')');
      return inner;
    }
    if (t.k === 'kw' && PNAMES.has(t.v) && this.isOp('[', 1)) return this.load(t.v);
    throw new NoParse();
  }

  /** proto[offset] or proto[offset:size]. */
  private load(layer: string): Arith {
    this.pos += 2;
    const offset = this.arith(1);
    let size = 1;
    if (this.isOp(':')) {
      this.pos++;
      size = this.expectNum();
    }
    this.expectOp(']');
    if (size !== 1 && size !== 2 && size !== 4) fail('data size must be 1, 2, or 4');
    if (!LOAD_LAYERS.has(layer)) notModelled(`${layer}[]`);
    return { t: 'load', layer: layer as Layer, offset, size };
  }
}

/** gencode.c refuses a constant division by zero and shifts of 32 bits or more. */
function checkedBinary(op: ArithOp, a: Arith, b: Arith): Arith {
  if (b.t === 'num') {
    if (op === '/' && b.v === 0) fail('division by zero');
    if (op === '%' && b.v === 0) fail('modulus by zero');
    if ((op === '<<' || op === '>>') && b.v > 31) fail('shift by more than 31 bits');
  }
  return { t: 'bin', op, a, b };
}

export { FilterError };
