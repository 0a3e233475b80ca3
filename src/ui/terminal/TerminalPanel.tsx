/**
 * The terminal: xterm.js as the display, our line editor for input, the engine for every command.
 * Loaded lazily (xterm is ~90 KB gzip), the first time the terminal tab opens.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { useApp, useAppStore } from '../StoreContext';
import { type LineState, applyKey, emptyLine, parseInput, render } from './lineEditor';

const GREEN = '\x1b[1;32m';
const BLUE = '\x1b[1;34m';
const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';

const prompt = (host: string) => `${GREEN}root@${host}${RESET}:${BLUE}~${RESET}# `;

export default function TerminalPanel() {
  const store = useAppStore();
  const scenario = useApp((s) => s.scenario);
  const doc = useApp((s) => s.doc);
  const focusRequest = useApp((s) => s.terminalFocusRequest);
  const hosts = (scenario?.hosts ?? []).filter((h) => !h.external).map((h) => h.name);
  const [host, setHost] = useState<string>('');
  const current = hosts.includes(host) ? host : (hosts[0] ?? '');
  const hostRef = useRef(current);
  const termRef = useRef<Terminal | null>(null);
  const elRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    hostRef.current = current;
  }, [current]);

  useEffect(() => {
    const el = elRef.current;
    if (!el) return;
    const term = new Terminal({
      fontFamily:
        '"JetBrains Mono", "DejaVu Sans Mono", ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      fontSize: 13,
      lineHeight: 1.15,
      cursorBlink: true,
      convertEol: true,
      scrollback: 5000,
      allowProposedApi: false,
      screenReaderMode: false,
      theme: {
        background: '#111820',
        foreground: '#e6edf3',
        cursor: '#e6edf3',
        selectionBackground: '#3b5670',
        black: '#111820',
        blue: '#6cb6ff',
        green: '#7ee787',
        red: '#ff7b72',
      },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    termRef.current = term;
    const refit = () => {
      try {
        if (el.clientWidth > 0 && el.clientHeight > 0) fit.fit();
      } catch {
        /* not visible yet */
      }
    };
    refit();
    const ro = new ResizeObserver(refit);
    ro.observe(el);

    let line: LineState = emptyLine();
    let busy = false;
    const queue: string[] = [];
    term.write(
      `${DIM}A simulated shell: every command runs in packet-life's model of Linux, on the host picked above.${RESET}\r\n`,
    );
    term.write(
      `${DIM}Try: ip addr · ip route · ip netns exec client ping -c 1 10.0.0.12 · ip link add br0 type bridge${RESET}\r\n`,
    );
    term.write(prompt(hostRef.current));

    const runLine = async (text: string) => {
      const h = hostRef.current;
      if (text.trim() === 'clear') {
        term.clear();
        term.write(`\x1b[2K\r${prompt(h)}`);
        return;
      }
      if (text.trim() === '') {
        term.write(prompt(h));
        return;
      }
      busy = true;
      const r = await store.getState().runCommand(h, text);
      if (r.ok && r.command) {
        let out = '';
        for (const o of r.command.output) out += o.stream === 'stderr' ? `${o.text}` : o.text;
        if (out) term.write(out.endsWith('\n') ? out : `${out}\n`);
      } else term.write(`${RED}packet-life: ${r.error ?? 'the command could not run'}${RESET}\n`);
      busy = false;
      term.write(prompt(hostRef.current));
      const next = queue.shift();
      if (next !== undefined) {
        term.write(next);
        term.write('\r\n');
        void runLine(next);
      }
    };

    const sub = term.onData((data) => {
      for (const key of parseInput(data)) {
        if (busy) {
          // Lines typed or pasted while a command runs wait their turn.
          if (key.kind === 'enter') {
            queue.push(line.buffer);
            line = emptyLine(line.buffer.trim() ? [...line.history, line.buffer] : line.history);
          } else line = applyKey(line, key).state;
          continue;
        }
        const { state, effect } = applyKey(line, key);
        line = state;
        if (effect?.kind === 'submit') {
          term.write('\r\n');
          void runLine(effect.line);
          continue;
        }
        if (effect?.kind === 'interrupt') {
          term.write('^C\r\n');
          term.write(prompt(hostRef.current));
          continue;
        }
        if (effect?.kind === 'clear') {
          term.clear();
        }
        if (effect?.kind === 'bell') continue;
        term.write(render(prompt(hostRef.current), line));
      }
    });
    return () => {
      sub.dispose();
      ro.disconnect();
      term.dispose();
      termRef.current = null;
    };
    // A new scenario gets a fresh terminal.
  }, [store, doc]);

  useEffect(() => {
    if (focusRequest > 0) termRef.current?.focus();
  }, [focusRequest]);

  return (
    <div className="terminal-panel">
      <div className="terminal-bar">
        <label>
          <span>Host</span>
          <select
            value={current}
            onChange={(e) => {
              setHost(e.currentTarget.value);
              hostRef.current = e.currentTarget.value;
              const term = termRef.current;
              if (term) {
                term.write(`\r\n${prompt(e.currentTarget.value)}`);
                term.focus();
              }
            }}
            aria-label="Host the commands run on"
          >
            {hosts.map((h) => (
              <option key={h} value={h}>
                {h}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small">
          ↑/↓ history · Ctrl-A/E/U/K/W editing · Ctrl-L clears · traffic plays on the canvas
        </span>
      </div>
      <div ref={elRef} className="terminal-host" aria-label={`Terminal on ${current}`} />
    </div>
  );
}
