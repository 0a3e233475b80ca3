/**
 * Keyboard shortcuts, as a pure mapping from a key event to an action (tested in Node), and the
 * list the help dialog shows. A clicker sends PageUp/PageDown; the same keys move between steps.
 */

export type KeyAction =
  | 'nextStep'
  | 'prevStep'
  | 'togglePlay'
  | 'nextHop'
  | 'prevHop'
  | 'togglePresenter'
  | 'exitPresenter'
  | 'help'
  | 'fit'
  | 'terminal'
  | 'timeline'
  | 'inspector';

export interface KeyInput {
  readonly key: string;
  readonly ctrlKey?: boolean;
  readonly metaKey?: boolean;
  readonly altKey?: boolean;
  /** What has focus: typing surfaces get every key; controls keep Space/Enter/arrows for themselves. */
  readonly target: 'text' | 'control' | 'other';
  readonly presenter?: boolean;
}

export function keyAction(e: KeyInput): KeyAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.target === 'text') return null;
  switch (e.key) {
    case 'PageDown':
      return 'nextStep';
    case 'PageUp':
      return 'prevStep';
    case 'ArrowRight':
      return e.target === 'control' ? null : 'nextStep';
    case 'ArrowLeft':
      return e.target === 'control' ? null : 'prevStep';
    case ' ':
    case 'Spacebar':
      return e.target === 'control' ? null : 'togglePlay';
    case ']':
      return 'nextHop';
    case '[':
      return 'prevHop';
    case 'p':
    case 'P':
      return 'togglePresenter';
    case 'Escape':
      return e.presenter ? 'exitPresenter' : null;
    case '?':
      return 'help';
    case 'f':
      return 'fit';
    case 't':
      return 'terminal';
    case 'l':
      return 'timeline';
    case 'i':
      return 'inspector';
    default:
      return null;
  }
}

/** Classifies the focused element for {@link keyAction}. */
export function targetKind(el: Element | null): KeyInput['target'] {
  if (!el) return 'other';
  if (el.closest('.xterm')) return 'text';
  // A focused canvas node: Enter and Space select it (React Flow's own keyboard support).
  if (el.closest('.react-flow__node')) return 'control';
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || (el as HTMLElement).isContentEditable) return 'text';
  if (tag === 'INPUT') {
    const type = (el as HTMLInputElement).type;
    return type === 'range' || type === 'checkbox' || type === 'radio' || type === 'button'
      ? 'control'
      : 'text';
  }
  if (tag === 'SELECT') return 'text';
  if (
    tag === 'BUTTON' ||
    tag === 'A' ||
    tag === 'SUMMARY' ||
    el.getAttribute('role') === 'listbox' ||
    el.getAttribute('role') === 'tab'
  )
    return 'control';
  return 'other';
}

export const SHORTCUTS: readonly { readonly keys: readonly string[]; readonly what: string }[] = [
  { keys: ['→', 'PageDown'], what: 'Next step (runs it the first time)' },
  { keys: ['←', 'PageUp'], what: 'Previous step' },
  { keys: ['Space'], what: 'Play or pause the packet' },
  { keys: [']'], what: 'Next hop' },
  { keys: ['['], what: 'Previous hop' },
  { keys: ['↑', '↓'], what: 'Previous / next event (in the timeline)' },
  { keys: ['f'], what: 'Fit the whole topology in view' },
  { keys: ['t'], what: 'Open the terminal' },
  { keys: ['l'], what: 'Show the timeline' },
  { keys: ['i'], what: 'Hide or show the inspector (more room for the canvas)' },
  { keys: ['p'], what: 'Presenter mode on / off' },
  { keys: ['Esc'], what: 'Leave presenter mode, close a dialog' },
  { keys: ['?'], what: 'This list' },
];
