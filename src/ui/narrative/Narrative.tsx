/**
 * The walkthrough: the scenario's steps with their text (markdown, rendered safely: no raw HTML),
 * their commands, the output the engine produced and the expectation checks; previous / next.
 */
import { memo } from 'react';
import Markdown from 'react-markdown';
import type { CommandView } from '../../worker/protocol';
import { CNI_MODELS, type CniModel, currentRun, currentStepNumber } from '../../store/appStore';
import { useApp, useAppStore } from '../StoreContext';

/** Markdown from scenario files: HTML is skipped, links open in a new tab. */
export const SafeMarkdown = memo(function SafeMarkdown({ text }: { text: string }) {
  return (
    <Markdown
      skipHtml
      components={{
        a: ({ href, children }) => (
          <a href={href} target="_blank" rel="noopener noreferrer">
            {children}
          </a>
        ),
      }}
    >
      {text}
    </Markdown>
  );
});

function Output({ cmd }: { cmd: CommandView }) {
  const text = cmd.output.map((o) => o.text).join('');
  const failed = cmd.checks.filter((c) => !c.ok);
  return (
    <>
      {text && (
        <pre className="cmd-output">
          {cmd.output.map((o, i) => (
            <span key={i} className={o.stream === 'stderr' ? 'stderr' : undefined}>
              {o.text}
            </span>
          ))}
        </pre>
      )}
      {cmd.exitCode !== 0 && <div className="exit-code">exit status {cmd.exitCode}</div>}
      {cmd.note && <p className="cmd-note">{cmd.note}</p>}
      {cmd.checks.length > 0 && (
        <ul className="checks" aria-label="Expectations">
          {cmd.checks.map((c, i) => (
            <li key={i} className={c.ok ? 'ok' : 'fail'}>
              <span aria-hidden="true">{c.ok ? '✓' : '✗'}</span>
              <span className="visually-hidden">{c.ok ? 'passed: ' : 'failed: '}</span> {c.what}
              {!c.ok && c.detail && <pre className="check-detail">{c.detail}</pre>}
            </li>
          ))}
        </ul>
      )}
      {failed.length > 0 && (
        <span className="visually-hidden">{failed.length} expectations failed</span>
      )}
    </>
  );
}

function StepDots() {
  const store = useAppStore();
  const scenario = useApp((s) => s.scenario);
  const step = useApp(currentStepNumber);
  const done = useApp((s) => s.stepsDone);
  const busy = useApp((s) => s.busy !== null);
  if (!scenario) return null;
  return (
    <ol className="step-dots" aria-label="Steps">
      {scenario.steps.map((st, i) => (
        <li key={i}>
          <button
            type="button"
            className={`dot${i + 1 === step ? ' current' : ''}${i < done ? ' done' : ''}`}
            aria-current={i + 1 === step ? 'step' : undefined}
            aria-label={`Step ${i + 1}: ${st.title}${i < done ? '' : ' (not run yet)'}`}
            title={`${i + 1}. ${st.title}`}
            disabled={busy}
            onClick={() => void store.getState().goToStep(i + 1)}
          />
        </li>
      ))}
    </ol>
  );
}

/** For cluster scenarios: the pod network, switchable to replay the same steps on another. */
function CniSwitch() {
  const store = useAppStore();
  const cni = useApp((s) => s.scenario?.cluster?.cni);
  const busy = useApp((s) => s.busy !== null);
  if (!cni) return null;
  return (
    <label className="cni-switch">
      <span>Pod network</span>
      <select
        value={cni}
        disabled={busy}
        onChange={(e) => void store.getState().replayWithCni(e.target.value as CniModel)}
      >
        {CNI_MODELS.map((m) => (
          <option key={m.id} value={m.id}>
            {m.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Narrative({ presenter = false }: { presenter?: boolean }) {
  const store = useAppStore();
  const scenario = useApp((s) => s.scenario);
  const step = useApp(currentStepNumber);
  const runs = useApp((s) => s.runs);
  const run = useApp(currentRun);
  const busy = useApp((s) => s.busy);
  const done = useApp((s) => s.stepsDone);
  if (!scenario) return <div className="narrative empty-state">Loading the scenario…</div>;
  const total = scenario.steps.length;
  const data = step > 0 ? scenario.steps[step - 1] : undefined;
  const view = runs.find((r) => r.kind === 'step' && r.stepIndex === step - 1)?.step;
  const nextRun = step < done;
  const nextLabel =
    step === 0
      ? 'Start'
      : step >= total
        ? 'All steps done'
        : nextRun
          ? `Step ${step + 1}`
          : `Run step ${step + 1}`;

  return (
    <div className={`narrative${presenter ? ' presenting' : ''}`}>
      <div className="narrative-scroll">
        {!presenter && (
          <header className="scenario-head">
            <p className="eyebrow">{scenario.source.article}</p>
            <h1 className="scenario-title">{scenario.title}</h1>
            <CniSwitch />
          </header>
        )}
        <div className="step-progress">
          <span className="step-count" aria-live="polite">
            {step === 0 ? `Introduction · ${total} steps` : `Step ${step} of ${total}`}
          </span>
          <StepDots />
        </div>

        {step === 0 ? (
          <section className="step intro" aria-label="Introduction">
            <p className="lead">{scenario.summary}</p>
            <dl className="kv intro-facts">
              <dt>Source</dt>
              <dd>
                {scenario.source.url ? (
                  <a href={scenario.source.url} target="_blank" rel="noopener noreferrer">
                    {scenario.source.article}
                  </a>
                ) : (
                  scenario.source.article
                )}
                {scenario.source.section && (
                  <span className="muted"> · {scenario.source.section}</span>
                )}
                {scenario.source.author && (
                  <span className="muted"> · {scenario.source.author}</span>
                )}
              </dd>
              <dt>Machines</dt>
              <dd>
                {scenario.hosts
                  .map((h) => `${h.name}${h.description ? ` (${h.description})` : ''}`)
                  .join(', ')}
              </dd>
            </dl>
            <ol className="step-list">
              {scenario.steps.map((st, i) => (
                <li key={i}>{st.title}</li>
              ))}
            </ol>
            <p className="hint">
              Every packet you will see is computed by a model of the Linux network stack. Type your
              own commands in the terminal at any point.
            </p>
          </section>
        ) : (
          data && (
            <section className="step" aria-label={`Step ${step}: ${data.title}`}>
              <h2 className="step-title">{data.title}</h2>
              <div className="markdown">
                <SafeMarkdown text={data.narrative} />
              </div>
              {!presenter && (
                <div className="commands">
                  {data.commands.map((c, i) => {
                    const cmd = typeof c === 'string' ? { run: c } : c;
                    const result = view?.commands[i];
                    return (
                      <div key={i} className="command">
                        <div className="cmd-line">
                          <span className="prompt">
                            {result?.host ?? cmd.on ?? data.on ?? scenario.hosts[0]!.name}#
                          </span>{' '}
                          <code>{cmd.run}</code>
                          {result && result.traceTo > result.traceFrom && run?.kind === 'step' && (
                            <button
                              type="button"
                              className="link-button show-traffic"
                              onClick={() =>
                                store
                                  .getState()
                                  .seekEvent(
                                    store.getState().playhead.run,
                                    result.traceFrom - run.traceFrom,
                                  )
                              }
                            >
                              {result.traceTo - result.traceFrom} events
                            </button>
                          )}
                        </div>
                        {result && <Output cmd={result} />}
                      </div>
                    );
                  })}
                  {view && view.checks.length > 0 && (
                    <ul className="checks" aria-label="Traffic expectations">
                      {view.checks.map((c, i) => (
                        <li key={i} className={c.ok ? 'ok' : 'fail'}>
                          <span aria-hidden="true">{c.ok ? '✓' : '✗'}</span> {c.what}
                        </li>
                      ))}
                    </ul>
                  )}
                </div>
              )}
            </section>
          )
        )}
        {run?.kind === 'exec' && !presenter && (
          <p className="hint">
            Showing the traffic of your command <code>{run.command?.run}</code>. Next and previous
            return to the walkthrough.
          </p>
        )}
      </div>
      <nav className="step-nav" aria-label="Walkthrough">
        <button
          type="button"
          className="button secondary"
          onClick={() => store.getState().prevStep()}
          disabled={step === 0 || busy !== null}
          aria-keyshortcuts="ArrowLeft PageUp"
        >
          ← Previous
        </button>
        <button
          type="button"
          className="button primary"
          onClick={() => void store.getState().nextStep()}
          disabled={step >= total || busy !== null}
          aria-keyshortcuts="ArrowRight PageDown"
        >
          {nextLabel} {step < total && '→'}
        </button>
      </nav>
    </div>
  );
}
