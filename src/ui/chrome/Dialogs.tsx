/** The load-error dialog (precise errors from the worker) and the keyboard help. */
import { SHORTCUTS } from '../keyboard';
import { Dialog } from './Dialog';
import { useApp, useAppStore } from '../StoreContext';

export function LoadErrors({ onOpenFile }: { onOpenFile: () => void }) {
  const store = useAppStore();
  const state = useApp((s) => s.loadState);
  const errors = useApp((s) => s.loadErrors);
  const subject = useApp((s) => s.loadErrorSubject);
  const hasScenario = useApp((s) => s.scenario !== null);
  const open = (state === 'invalid' || state === 'failed') && errors.length > 0;
  const title =
    state === 'failed'
      ? `Something went wrong with ${subject}`
      : `“${subject}” is not a valid scenario`;
  return (
    <Dialog
      open={open}
      onClose={() => store.getState().clearLoadErrors()}
      title={title}
      className="load-errors"
    >
      <p>
        {state === 'invalid'
          ? `${errors.length === 1 ? 'One problem' : `${errors.length} problems`} found. ${hasScenario ? 'The scenario you had open is still there.' : ''}`
          : 'The details:'}
      </p>
      <ul className="error-list">
        {errors.map((e, i) => (
          <li key={i}>
            {e.path ? (
              <code className="error-path">{e.path}</code>
            ) : (
              <code className="error-path">(top level)</code>
            )}
            <span className="error-message">{e.message}</span>
          </li>
        ))}
      </ul>
      <footer className="dialog-foot">
        <button
          type="button"
          className="button secondary"
          onClick={() => {
            store.getState().clearLoadErrors();
            onOpenFile();
          }}
        >
          Open another file…
        </button>
        <button
          type="button"
          className="button primary"
          onClick={() => store.getState().clearLoadErrors()}
        >
          Close
        </button>
      </footer>
    </Dialog>
  );
}

export function Help() {
  const store = useAppStore();
  const open = useApp((s) => s.helpOpen);
  return (
    <Dialog
      open={open}
      onClose={() => store.getState().setHelpOpen(false)}
      title="Keyboard shortcuts"
      className="help"
    >
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.what}>
              <td>
                {s.keys.map((k, i) => (
                  <span key={k}>
                    {i > 0 && <span className="muted"> or </span>}
                    <kbd>{k}</kbd>
                  </span>
                ))}
              </td>
              <td>{s.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">A presentation clicker works too: it sends PageUp and PageDown.</p>
    </Dialog>
  );
}
