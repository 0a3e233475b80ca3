/**
 * The application shell: top bar, narrative | canvas | inspector, and a dock with the timeline
 * and the terminal; presenter mode rearranges the same parts for a projector.
 */
import { Suspense, lazy, useEffect, useRef, useState } from 'react';
import { currentEvent, currentRun } from '../store/appStore';
import { Canvas } from './canvas/Canvas';
import { LoadErrors, Help } from './chrome/Dialogs';
import { Dialog } from './chrome/Dialog';
import { Gallery } from './gallery/Gallery';
import { HopDecisions, Inspector } from './inspector/Inspector';
import { keyAction, targetKind } from './keyboard';
import { Narrative } from './narrative/Narrative';
import { useApp, useAppStore } from './StoreContext';
import { Timeline, Transport } from './timeline/Timeline';

const TerminalPanel = lazy(() => import('./terminal/TerminalPanel'));

/** One requestAnimationFrame loop, running only while playing, advancing the store's playhead. */
function usePlaybackLoop() {
  const store = useAppStore();
  useEffect(() => {
    let raf = 0;
    let last = 0;
    const loop = (t: number) => {
      const dt = last ? Math.min(t - last, 100) : 16;
      last = t;
      store.getState().tick(dt);
      if (store.getState().playing) raf = requestAnimationFrame(loop);
      else {
        raf = 0;
        last = 0;
      }
    };
    const start = () => {
      if (!raf) {
        last = 0;
        raf = requestAnimationFrame(loop);
      }
    };
    if (store.getState().playing) start();
    const unsub = store.subscribe(
      (s) => s.playing,
      (playing) => playing && start(),
    );
    return () => {
      unsub();
      cancelAnimationFrame(raf);
    };
  }, [store]);
}

function useKeyboard() {
  const store = useAppStore();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const s = store.getState();
      if (document.querySelector('dialog[open]')) return;
      const action = keyAction({
        key: e.key,
        ctrlKey: e.ctrlKey,
        metaKey: e.metaKey,
        altKey: e.altKey,
        target: targetKind(document.activeElement),
        presenter: s.presenter,
      });
      if (!action) return;
      e.preventDefault();
      switch (action) {
        case 'nextStep':
          if (!s.busy) void s.nextStep();
          break;
        case 'prevStep':
          if (!s.busy) s.prevStep();
          break;
        case 'togglePlay':
          s.togglePlay();
          break;
        case 'nextHop':
          s.nextHop();
          break;
        case 'prevHop':
          s.prevHop();
          break;
        case 'togglePresenter':
          s.setPresenter(!s.presenter);
          break;
        case 'exitPresenter':
          s.setPresenter(false);
          break;
        case 'help':
          s.setHelpOpen(true);
          break;
        case 'fit':
          s.requestFit();
          break;
        case 'terminal':
          if (!s.presenter) s.openTerminal();
          break;
        case 'timeline':
          s.setDock('timeline');
          break;
        case 'inspector':
          s.setInspectorCollapsed(!s.inspectorCollapsed);
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);
}

function usePresenterFullscreen() {
  const store = useAppStore();
  const presenter = useApp((s) => s.presenter);
  useEffect(() => {
    if (presenter && !document.fullscreenElement)
      document.documentElement.requestFullscreen?.().catch(() => undefined);
    if (!presenter && document.fullscreenElement)
      void document.exitFullscreen?.().catch(() => undefined);
  }, [presenter]);
  useEffect(() => {
    const onChange = () => {
      if (!document.fullscreenElement && store.getState().presenter)
        store.getState().setPresenter(false);
    };
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, [store]);
}

function Brand() {
  return (
    <div className="brand">
      <svg viewBox="0 0 32 32" aria-hidden="true" className="brand-mark">
        <rect width="32" height="32" rx="7" fill="#0b3d6e" />
        <path
          d="M7 22h6l3-12 3 12h6"
          fill="none"
          stroke="#fff"
          strokeWidth="2.6"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
        <circle cx="16" cy="10" r="3.2" fill="#E69F00" />
      </svg>
      <span className="brand-name">packet-life</span>
    </div>
  );
}

function ShareButton() {
  const store = useAppStore();
  const [manual, setManual] = useState<string | null>(null);
  // Not while a scenario loads or a deep link's steps replay: the link would name a half-way view.
  const ready = useApp((s) => (s.loadState === 'ready' || s.scenario !== null) && s.busy === null);
  const share = async () => {
    const base = `${location.origin}${location.pathname}${location.search.replace(/[?&]debug\b/, '')}`;
    try {
      const { url, warning } = await store.getState().shareLink(base);
      try {
        await navigator.clipboard.writeText(url);
        store
          .getState()
          .notify(
            warning ? 'warning' : 'success',
            'Link copied to the clipboard.',
            warning ?? 'It opens this scenario at this step and hop.',
          );
      } catch {
        setManual(url);
      }
    } catch (e) {
      store
        .getState()
        .notify('error', 'Could not make a link.', e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <>
      <button type="button" className="button ghost" onClick={() => void share()} disabled={!ready}>
        <svg viewBox="0 0 20 20" aria-hidden="true">
          <path
            d="M8 12l4-4M7 9.5L5.5 11a2.5 2.5 0 003.5 3.5L10.5 13M13 10.5l1.5-1.5A2.5 2.5 0 0011 5.5L9.5 7"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.6"
            strokeLinecap="round"
          />
        </svg>
        Share
      </button>
      <Dialog
        open={manual !== null}
        onClose={() => setManual(null)}
        title="Copy this link"
        className="share"
      >
        <p>The browser did not allow copying to the clipboard. Select the link and copy it:</p>
        <input
          className="share-url"
          readOnly
          value={manual ?? ''}
          aria-label="Link to this view"
          onFocus={(e) => e.currentTarget.select()}
          autoFocus
        />
      </Dialog>
    </>
  );
}

function TopBar({ onOpenFile }: { onOpenFile: () => void }) {
  const store = useAppStore();
  const scenario = useApp((s) => s.scenario);
  const source = useApp((s) => s.source);
  return (
    <header className="topbar">
      <Brand />
      <div className="topbar-title">
        {scenario && (
          <>
            <span className="topbar-scenario">{scenario.title}</span>
            {source && source.kind !== 'builtin' && (
              <span className="tag">
                {source.kind === 'file' ? `from ${source.name}` : 'from a link'}
              </span>
            )}
          </>
        )}
      </div>
      <nav className="topbar-actions" aria-label="Application">
        <button
          type="button"
          className="button ghost"
          onClick={() => store.getState().setGalleryOpen(true)}
        >
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <rect
              x="3"
              y="3"
              width="6"
              height="6"
              rx="1.2"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.6"
            />
            <rect
              x="11"
              y="3"
              width="6"
              height="6"
              rx="1.2"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.6"
            />
            <rect
              x="3"
              y="11"
              width="6"
              height="6"
              rx="1.2"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.6"
            />
            <rect
              x="11"
              y="11"
              width="6"
              height="6"
              rx="1.2"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.6"
            />
          </svg>
          Scenarios
        </button>
        <button type="button" className="button ghost" onClick={onOpenFile}>
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <path
              d="M3 6.5V15a1 1 0 001 1h12a1 1 0 001-1V8a1 1 0 00-1-1H9.5L8 5H4a1 1 0 00-1 1.5z"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.6"
              strokeLinejoin="round"
            />
          </svg>
          Open file
        </button>
        <ShareButton />
        <button
          type="button"
          className="button ghost"
          onClick={() => store.getState().setPresenter(true)}
          aria-keyshortcuts="p"
        >
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <rect
              x="2.5"
              y="3.5"
              width="15"
              height="10"
              rx="1.2"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.6"
            />
            <path
              d="M10 13.5V17M7 17h6"
              stroke="currentColor"
              strokeWidth="1.6"
              strokeLinecap="round"
            />
          </svg>
          Present
        </button>
        <button
          type="button"
          className="icon-button"
          onClick={() => store.getState().setHelpOpen(true)}
          aria-label="Keyboard shortcuts"
          aria-keyshortcuts="?"
        >
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <circle cx="10" cy="10" r="7.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
            <path
              d="M7.8 8a2.3 2.3 0 114 1.5c-.8.6-1.8 1-1.8 2.2M10 14.3v.2"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.6"
              strokeLinecap="round"
            />
          </svg>
        </button>
      </nav>
    </header>
  );
}

function BusyBar() {
  const store = useAppStore();
  const busy = useApp((s) => s.busy);
  if (!busy) return null;
  const pct = busy.total > 0 ? Math.round((busy.done / busy.total) * 100) : 0;
  return (
    <div className="busy-bar" role="status" aria-live="polite">
      <div className="busy-track">
        <div className="busy-fill" style={{ width: `${Math.max(4, pct)}%` }} />
      </div>
      <span>{busy.label}…</span>
      <button
        type="button"
        className="button secondary small"
        onClick={() => store.getState().cancelBusy()}
      >
        Cancel
      </button>
    </div>
  );
}

function NoticeBanner() {
  const store = useAppStore();
  const notice = useApp((s) => s.notice);
  useEffect(() => {
    if (!notice || notice.tone === 'error' || notice.tone === 'warning') return;
    const t = setTimeout(() => store.getState().dismissNotice(notice.id), 6000);
    return () => clearTimeout(t);
  }, [notice, store]);
  if (!notice) return null;
  return (
    <div
      className={`notice notice-${notice.tone}`}
      role={notice.tone === 'error' ? 'alert' : 'status'}
    >
      <div>
        <strong>{notice.title}</strong>
        {notice.text && <span className="notice-text"> {notice.text}</span>}
      </div>
      <button
        type="button"
        className="icon-button"
        aria-label="Dismiss"
        onClick={() => store.getState().dismissNotice(notice.id)}
      >
        <svg viewBox="0 0 20 20" aria-hidden="true">
          <path
            d="M5 5l10 10M15 5L5 15"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinecap="round"
          />
        </svg>
      </button>
    </div>
  );
}

function RunSummary() {
  const store = useAppStore();
  const run = useApp(currentRun);
  const runIndex = useApp((s) => s.playhead.run);
  if (!run) return null;
  const delivered = run.events.filter((e) => e.final === 'delivered').length;
  const dropped = run.events.filter((e) => e.final === 'dropped').length;
  const what = run.kind === 'step' ? `Step ${run.stepIndex + 1}` : run.command?.run;
  const seekFirst = (final: 'delivered' | 'dropped') =>
    store.getState().seekEvent(
      runIndex,
      run.events.findIndex((e) => e.final === final),
    );
  return (
    <p className="run-summary">
      <span className="run-what">{what}</span>
      {run.events.length > 0 && (
        <>
          {' '}
          · {run.events.length} events · {run.hops.length} hops ·{' '}
          {delivered > 0 ? (
            <button
              type="button"
              className="link-button ok-text"
              onClick={() => seekFirst('delivered')}
              title="Show the first delivery"
            >
              {delivered} delivered
            </button>
          ) : (
            <span>0 delivered</span>
          )}
          {dropped > 0 && (
            <>
              {' '}
              ·{' '}
              <button
                type="button"
                className="link-button drop-text"
                onClick={() => seekFirst('dropped')}
                title="Show the first drop"
              >
                {dropped} dropped
              </button>
            </>
          )}
        </>
      )}
    </p>
  );
}

function Dock() {
  const store = useAppStore();
  const tab = useApp((s) => s.dock);
  // Loaded the first time it is opened, then kept (its history and scrollback survive tab switches).
  const terminalMounted = useApp((s) => s.terminalFocusRequest > 0);
  const tabs = [
    { id: 'timeline', label: 'Timeline' },
    { id: 'terminal', label: 'Terminal' },
  ] as const;
  return (
    <section className="dock" aria-label="Timeline and terminal">
      <div className="dock-head">
        <div className="tabs" role="tablist" aria-label="Dock">
          {tabs.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`dock-tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`dock-panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              className={`tab${tab === t.id ? ' active' : ''}`}
              onClick={() =>
                t.id === 'terminal'
                  ? store.getState().openTerminal()
                  : store.getState().setDock(t.id)
              }
              onKeyDown={(e) => {
                if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                  const next = t.id === 'timeline' ? 'terminal' : 'timeline';
                  if (next === 'terminal') store.getState().openTerminal();
                  else store.getState().setDock(next);
                  document.getElementById(`dock-tab-${next}`)?.focus();
                }
              }}
            >
              {t.label}
            </button>
          ))}
        </div>
        <Transport />
      </div>
      <div className="dock-body">
        <div
          id="dock-panel-timeline"
          role="tabpanel"
          aria-labelledby="dock-tab-timeline"
          className="dock-panel timeline-panel"
          hidden={tab !== 'timeline'}
        >
          <RunSummary />
          <div className="timeline-body">
            <Timeline />
          </div>
        </div>
        <div
          id="dock-panel-terminal"
          role="tabpanel"
          aria-labelledby="dock-tab-terminal"
          className="dock-panel"
          hidden={tab !== 'terminal'}
        >
          {terminalMounted && (
            <Suspense fallback={<p className="empty-state">Loading the terminal…</p>}>
              <TerminalPanel />
            </Suspense>
          )}
        </div>
      </div>
    </section>
  );
}

function PresenterNow() {
  const run = useApp(currentRun);
  const ev = useApp(currentEvent);
  if (!run || !run.hops.length || !ev) return null;
  return (
    <section className="presenter-now" aria-label="What is happening now">
      <h2 className="section-title">Now</h2>
      <p className="now-line">
        <code className="stage">{ev.stage}</code> <span>{ev.summary}</span>
      </p>
      <HopDecisions compact />
    </section>
  );
}

function PresenterSide() {
  const store = useAppStore();
  return (
    <aside className="presenter-side" aria-label="Presenter notes">
      <Narrative presenter />
      <PresenterNow />
      <div className="presenter-foot">
        <Transport compact />
        <button
          type="button"
          className="button secondary small"
          onClick={() => store.getState().setPresenter(false)}
          aria-keyshortcuts="Escape"
        >
          Exit
        </button>
      </div>
    </aside>
  );
}

export function App() {
  const store = useAppStore();
  const presenter = useApp((s) => s.presenter);
  const inspectorCollapsed = useApp((s) => s.inspectorCollapsed);
  const loadState = useApp((s) => s.loadState);
  const hasScenario = useApp((s) => s.scenario !== null);
  const fileRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  usePlaybackLoop();
  useKeyboard();
  usePresenterFullscreen();

  const openFile = () => fileRef.current?.click();
  const readFile = async (file: File) => {
    store.getState().setGalleryOpen(false);
    await store.getState().openFileText(file.name, await file.text());
  };

  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files');
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const over = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      const f = e.dataTransfer?.files[0];
      if (f) void readFile(f);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  });

  return (
    <div
      className={`app${presenter ? ' presenter' : ''}${inspectorCollapsed ? ' inspector-collapsed' : ''}`}
    >
      {/* Not a fragment link: the fragment is the app's address. */}
      <button
        type="button"
        className="skip-link"
        onClick={() =>
          (document.querySelector('.step-nav .primary') as HTMLElement | null)?.focus()
        }
      >
        Skip to the walkthrough
      </button>
      {!presenter && <TopBar onOpenFile={openFile} />}
      <BusyBar />
      <NoticeBanner />
      <main className="workspace">
        {!presenter && (
          <aside className="col-narrative" id="walkthrough" aria-label="Walkthrough">
            <Narrative />
          </aside>
        )}
        <section className="col-canvas" aria-label="Topology">
          {hasScenario ? (
            <Canvas />
          ) : (
            <div className="canvas-empty">
              {loadState === 'loading' || loadState === 'idle' ? (
                <p>Starting the engine…</p>
              ) : (
                <div>
                  <p>No scenario is open.</p>
                  <button
                    type="button"
                    className="button primary"
                    onClick={() => store.getState().setGalleryOpen(true)}
                  >
                    Choose a scenario
                  </button>
                </div>
              )}
            </div>
          )}
        </section>
        {presenter ? (
          <PresenterSide />
        ) : (
          <>
            <aside className="col-inspector" aria-label="Inspector">
              <Inspector />
            </aside>
            <Dock />
          </>
        )}
      </main>
      <input
        ref={fileRef}
        type="file"
        accept=".json,application/json"
        className="visually-hidden"
        tabIndex={-1}
        aria-label="Open a scenario file"
        onChange={(e) => {
          const f = e.currentTarget.files?.[0];
          e.currentTarget.value = '';
          if (f) void readFile(f);
        }}
      />
      <Gallery onOpenFile={openFile} />
      <LoadErrors onOpenFile={openFile} />
      <Help />
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div>Drop a scenario file to open it</div>
        </div>
      )}
    </div>
  );
}
