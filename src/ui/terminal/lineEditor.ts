/**
 * Line editing and history for the terminal (xterm is a display, not a shell). A pure state
 * machine: raw input from xterm's onData in, new state and what to do out; `render` produces the
 * escape sequences that redraw the line.
 */

export interface LineState {
  readonly buffer: string;
  /** Cursor position within the buffer (0…length). */
  readonly cursor: number;
  /** Commands entered, oldest first. */
  readonly history: readonly string[];
  /** Position while browsing history (history.length = the line being edited). */
  readonly historyIndex: number;
  /** The line being edited before browsing history started. */
  readonly draft: string;
}

export type Key =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind:
        | 'enter'
        | 'backspace'
        | 'delete'
        | 'left'
        | 'right'
        | 'home'
        | 'end'
        | 'up'
        | 'down'
        | 'tab';
    }
  | { readonly kind: 'ctrl'; readonly key: 'a' | 'c' | 'd' | 'e' | 'k' | 'l' | 'u' | 'w' };

export type Effect =
  | { readonly kind: 'submit'; readonly line: string }
  | { readonly kind: 'interrupt' }
  | { readonly kind: 'clear' }
  | { readonly kind: 'bell' };

export const HISTORY_MAX = 200;

export function emptyLine(history: readonly string[] = []): LineState {
  return { buffer: '', cursor: 0, history, historyIndex: history.length, draft: '' };
}

const CSI: Record<string, Key['kind']> = {
  '\x1b[A': 'up',
  '\x1b[B': 'down',
  '\x1b[C': 'right',
  '\x1b[D': 'left',
  '\x1b[H': 'home',
  '\x1b[F': 'end',
  '\x1bOH': 'home',
  '\x1bOF': 'end',
  '\x1b[1~': 'home',
  '\x1b[4~': 'end',
  '\x1b[3~': 'delete',
};

/** Splits xterm input (keystrokes or a paste) into keys. */
export function parseInput(data: string): Key[] {
  const keys: Key[] = [];
  let text = '';
  const flush = () => {
    if (text) keys.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < data.length; i++) {
    const ch = data[i]!;
    if (ch === '\x1b') {
      flush();
      const seq = Object.keys(CSI).find((s) => data.startsWith(s, i));
      if (seq) {
        keys.push({ kind: CSI[seq]! } as Key);
        i += seq.length - 1;
      } else {
        // Unknown escape sequence: skip it (ESC [ params final-byte).
        // eslint-disable-next-line no-control-regex -- terminal escape sequences are control characters
        const m = /^\x1b\[[0-9;]*[A-Za-z~]/.exec(data.slice(i));
        if (m) i += m[0].length - 1;
      }
      continue;
    }
    const code = ch.charCodeAt(0);
    if (ch === '\r' || ch === '\n') {
      flush();
      // \r\n in a paste is one line break
      if (ch === '\r' && data[i + 1] === '\n') i++;
      keys.push({ kind: 'enter' });
    } else if (ch === '\x7f' || ch === '\b') {
      flush();
      keys.push({ kind: 'backspace' });
    } else if (ch === '\t') {
      flush();
      keys.push({ kind: 'tab' });
    } else if (code < 32) {
      flush();
      const letter = String.fromCharCode(code + 96);
      if ('acdeklu w'.includes(letter) && letter !== ' ')
        keys.push({ kind: 'ctrl', key: letter as 'a' });
    } else text += ch;
  }
  flush();
  return keys;
}

function wordStart(s: string, cursor: number): number {
  let i = cursor;
  while (i > 0 && s[i - 1] === ' ') i--;
  while (i > 0 && s[i - 1] !== ' ') i--;
  return i;
}

/** Applies one key. */
export function applyKey(st: LineState, key: Key): { state: LineState; effect?: Effect } {
  const set = (buffer: string, cursor: number): LineState => ({ ...st, buffer, cursor });
  const { buffer: b, cursor: c } = st;
  switch (key.kind) {
    case 'text': {
      // eslint-disable-next-line no-control-regex -- strip control characters from typed text
      const t = key.text.replace(/[\x00-\x1f]/g, '');
      return { state: set(b.slice(0, c) + t + b.slice(c), c + t.length) };
    }
    case 'enter': {
      const line = b;
      const trimmed = line.trim();
      const history =
        trimmed && st.history[st.history.length - 1] !== line
          ? [...st.history, line].slice(-HISTORY_MAX)
          : st.history;
      return { state: emptyLine(history), effect: { kind: 'submit', line } };
    }
    case 'backspace':
      return c === 0
        ? { state: st, effect: { kind: 'bell' } }
        : { state: set(b.slice(0, c - 1) + b.slice(c), c - 1) };
    case 'delete':
      return c === b.length ? { state: st } : { state: set(b.slice(0, c) + b.slice(c + 1), c) };
    case 'left':
      return { state: set(b, Math.max(0, c - 1)) };
    case 'right':
      return { state: set(b, Math.min(b.length, c + 1)) };
    case 'home':
      return { state: set(b, 0) };
    case 'end':
      return { state: set(b, b.length) };
    case 'up': {
      if (st.historyIndex === 0) return { state: st, effect: { kind: 'bell' } };
      const historyIndex = st.historyIndex - 1;
      const draft = st.historyIndex === st.history.length ? b : st.draft;
      const line = st.history[historyIndex]!;
      return { state: { ...st, buffer: line, cursor: line.length, historyIndex, draft } };
    }
    case 'down': {
      if (st.historyIndex >= st.history.length) return { state: st, effect: { kind: 'bell' } };
      const historyIndex = st.historyIndex + 1;
      const line = historyIndex === st.history.length ? st.draft : st.history[historyIndex]!;
      return { state: { ...st, buffer: line, cursor: line.length, historyIndex } };
    }
    case 'tab':
      return { state: st, effect: { kind: 'bell' } };
    case 'ctrl':
      switch (key.key) {
        case 'a':
          return { state: set(b, 0) };
        case 'e':
          return { state: set(b, b.length) };
        case 'u':
          return { state: set(b.slice(c), 0) };
        case 'k':
          return { state: set(b.slice(0, c), c) };
        case 'w': {
          const w = wordStart(b, c);
          return { state: set(b.slice(0, w) + b.slice(c), w) };
        }
        case 'c':
          return { state: emptyLine(st.history), effect: { kind: 'interrupt' } };
        case 'l':
          return { state: st, effect: { kind: 'clear' } };
        case 'd':
          return b.length === 0
            ? { state: st, effect: { kind: 'bell' } }
            : applyKey(st, { kind: 'delete' });
      }
  }
}

/**
 * Escape sequences that redraw the prompt and line and put the cursor in place (single-line
 * editing: long lines wrap but stay correct as long as they fit the terminal's width).
 */
export function render(prompt: string, st: LineState): string {
  const back = st.buffer.length - st.cursor;
  return `\r\x1b[K${prompt}${st.buffer}${back > 0 ? `\x1b[${back}D` : ''}`;
}
