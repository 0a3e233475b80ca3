/**
 * The transport (play/pause, hop by hop, scrubber, speed) and the event list of the current run:
 * time, place, device, kernel function, what happened. The list is windowed (only visible rows
 * are rendered), so a trace of thousands of events stays fast.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { TraceEvent } from '../../engine/sim/trace';
import {
  type AppState,
  SPEEDS,
  currentEventIndex,
  currentRun,
  type Run,
} from '../../store/appStore';
import { nextHopIndex } from '../../store/hops';
import { useApp, useAppStore, usePacedApp } from '../StoreContext';
import { flowColor, formatOffset, netnsName, podsByNetns, truncate } from '../format';

const ROW = 28;

type Row =
  | { kind: 'command'; host: string; run: string; count: number }
  | { kind: 'event'; index: number; ev: TraceEvent };

function rowsOf(run: Run): Row[] {
  const rows: Row[] = [];
  const commands = run.step?.commands ?? (run.command ? [run.command] : []);
  const withTraffic = commands.filter((c) => c.traceTo > c.traceFrom);
  if (withTraffic.length <= 1 && run.kind === 'exec') {
    run.events.forEach((ev, index) => rows.push({ kind: 'event', index, ev }));
    return rows;
  }
  for (const c of withTraffic) {
    rows.push({ kind: 'command', host: c.host, run: c.run, count: c.traceTo - c.traceFrom });
    for (let g = c.traceFrom; g < c.traceTo; g++) {
      const index = g - run.traceFrom;
      const ev = run.events[index];
      if (ev) rows.push({ kind: 'event', index, ev });
    }
  }
  return rows;
}

export function Transport({ compact = false }: { compact?: boolean }) {
  const store = useAppStore();
  const run = useApp(currentRun);
  const playing = useApp((s) => s.playing);
  const hop = useApp((s) => s.playhead.hop);
  const speed = useApp((s) => s.speed);
  const atEnd = useApp((s) => {
    const r = currentRun(s);
    return (
      !r ||
      !r.hops.length ||
      (nextHopIndex(r.hops, s.playhead.hop) === undefined && s.playhead.progress >= 1)
    );
  });
  const scrubRef = useRef<HTMLInputElement>(null);
  const hops = run?.hops.length ?? 0;
  const disabled = hops === 0;

  // The scrubber follows the playhead without re-rendering; while playing it is updated a few
  // times a second, not every frame (each update repaints the dock).
  useEffect(() => {
    let last = 0;
    const set = () => {
      const s = store.getState();
      const r = currentRun(s);
      const el = scrubRef.current;
      if (!el || !r || !r.hops.length) return;
      const now = performance.now();
      if (s.playing && now - last < 150) return;
      last = now;
      el.value = String(
        Math.round(((s.playhead.hop + s.playhead.progress) / r.hops.length) * 1000),
      );
    };
    set();
    return store.subscribe((s) => s.playhead, set);
  }, [store]);

  return (
    <div className={`transport${compact ? ' compact' : ''}`}>
      <button
        type="button"
        className="icon-button"
        onClick={() => store.getState().prevHop()}
        disabled={disabled}
        aria-label="Previous hop"
        aria-keyshortcuts="["
        title="Previous hop  ["
      >
        <svg viewBox="0 0 20 20" aria-hidden="true">
          <path
            d="M5 4v12M15 4l-8 6 8 6z"
            fill="currentColor"
            stroke="currentColor"
            strokeWidth="1.5"
            strokeLinejoin="round"
          />
        </svg>
      </button>
      <button
        type="button"
        className="icon-button play"
        onClick={() => store.getState().togglePlay()}
        disabled={disabled}
        aria-label={playing ? 'Pause' : atEnd ? 'Replay' : 'Play'}
        aria-keyshortcuts="Space"
        title={`${playing ? 'Pause' : 'Play'}  Space`}
      >
        {playing ? (
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <rect x="5" y="4" width="3.5" height="12" rx="1" fill="currentColor" />
            <rect x="11.5" y="4" width="3.5" height="12" rx="1" fill="currentColor" />
          </svg>
        ) : (
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <path d="M6 4l10 6-10 6z" fill="currentColor" />
          </svg>
        )}
      </button>
      <button
        type="button"
        className="icon-button"
        onClick={() => store.getState().nextHop()}
        disabled={disabled}
        aria-label="Next hop"
        aria-keyshortcuts="]"
        title="Next hop  ]"
      >
        <svg viewBox="0 0 20 20" aria-hidden="true">
          <path
            d="M15 4v12M5 4l8 6-8 6z"
            fill="currentColor"
            stroke="currentColor"
            strokeWidth="1.5"
            strokeLinejoin="round"
          />
        </svg>
      </button>
      <span className="hop-count" aria-live="polite">
        {disabled ? 'No packets' : `Hop ${hop + 1} of ${hops}`}
      </span>
      <input
        ref={scrubRef}
        hidden={compact}
        className="scrubber"
        type="range"
        min={0}
        max={1000}
        defaultValue={0}
        disabled={disabled}
        aria-label="Position in this step's traffic"
        onChange={(e) => store.getState().scrub(Number(e.currentTarget.value) / 1000)}
      />
      <label className="speed">
        <span className={compact ? 'visually-hidden' : ''}>Speed</span>
        <select
          value={speed}
          onChange={(e) => store.getState().setSpeed(Number(e.currentTarget.value))}
          aria-label="Playback speed"
        >
          {SPEEDS.map((v) => (
            <option key={v} value={v}>
              {v}×
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

const currentHop = (s: AppState) => currentRun(s)?.hops[s.playhead.hop];

export function Timeline() {
  const store = useAppStore();
  const runIndex = useApp((s) => s.playhead.run);
  const run = useApp(currentRun);
  const current = usePacedApp(currentEventIndex);
  const hop = usePacedApp(currentHop);
  const rows = useMemo(() => (run ? rowsOf(run) : []), [run]);
  const pods = podsByNetns(run?.snapshot);
  const listRef = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 400 });

  useEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setScroll({ top: el.scrollTop, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, [run]);

  const rowOfEvent = useMemo(() => {
    const m = new Map<number, number>();
    rows.forEach((r, i) => r.kind === 'event' && m.set(r.index, i));
    return m;
  }, [rows]);

  // Keep the current event in view.
  useEffect(() => {
    const el = listRef.current;
    if (!el || current === undefined) return;
    const r = rowOfEvent.get(current);
    if (r === undefined) return;
    const top = r * ROW;
    if (top < el.scrollTop || top + ROW > el.scrollTop + el.clientHeight)
      el.scrollTop = Math.max(0, top - el.clientHeight / 3);
  }, [current, rowOfEvent]);

  if (!run)
    return (
      <p className="empty-state">
        The events of a step appear here once it has run: every function the packet passes through,
        with the decisions taken.
      </p>
    );
  if (!run.events.length)
    return (
      <p className="empty-state">
        {run.kind === 'step'
          ? `Step ${run.stepIndex + 1} sent no packets.`
          : `"${run.command?.run}" sent no packets.`}{' '}
        The canvas shows what it changed.
      </p>
    );

  const first = Math.max(0, Math.floor(scroll.top / ROW) - 8);
  const last = Math.min(rows.length, Math.ceil((scroll.top + scroll.height) / ROW) + 8);
  const t0 = run.events[0]!.time;
  const seek = (index: number) => store.getState().seekEvent(runIndex, index);
  const move = (delta: number) => {
    const next = Math.min(Math.max((current ?? -1) + delta, 0), run.events.length - 1);
    seek(next);
  };

  return (
    <div
      ref={listRef}
      className="event-list"
      role="listbox"
      tabIndex={0}
      aria-label={`Events of ${run.kind === 'step' ? `step ${run.stepIndex + 1}` : `"${run.command?.run}"`}`}
      aria-activedescendant={current !== undefined ? `ev-${run.key}-${current}` : undefined}
      onScroll={(e) =>
        setScroll({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })
      }
      onKeyDown={(e) => {
        if (e.key === 'ArrowDown') move(1);
        else if (e.key === 'ArrowUp') move(-1);
        else if (e.key === 'Home') seek(0);
        else if (e.key === 'End') seek(run.events.length - 1);
        else return;
        e.preventDefault();
      }}
    >
      <div style={{ height: rows.length * ROW, position: 'relative' }}>
        {rows.slice(first, last).map((row, k) => {
          const i = first + k;
          const style = { top: i * ROW, height: ROW };
          if (row.kind === 'command')
            return (
              <div key={`c${i}`} className="ev-command" style={style} role="presentation">
                <span className="prompt">{row.host}$</span> <code>{row.run}</code>{' '}
                <span className="muted">· {row.count} events</span>
              </div>
            );
          const ev = row.ev;
          const isCurrent = row.index === current;
          const inHop = hop !== undefined && row.index >= hop.first && row.index <= hop.last;
          const c = flowColor(ev.flowId);
          return (
            <div
              key={row.index}
              id={`ev-${run.key}-${row.index}`}
              role="option"
              aria-selected={isCurrent}
              className={`ev-row${isCurrent ? ' current' : ''}${inHop ? ' in-hop' : ''}${ev.final ? ` final-${ev.final}` : ''}`}
              style={style}
              onClick={() => seek(row.index)}
            >
              <span
                className="ev-flow"
                style={{ background: c.fill }}
                title={`flow ${ev.flowId} (${c.name})`}
              />
              <span className="ev-time">{formatOffset(ev.time - t0)}</span>
              <span
                className="ev-place"
                title={pods.has(ev.where.netnsId) ? `netns ${ev.where.netns}` : undefined}
              >
                {ev.where.segment
                  ? `network ${ev.where.segment}`
                  : `${ev.where.host} · ${netnsName(ev.where, pods)}`}
              </span>
              <span className="ev-dev">{ev.where.dev ?? ''}</span>
              <code className="ev-stage">{ev.stage}</code>
              <span className="ev-summary">{truncate(ev.summary, 140)}</span>
              <span className="ev-badges">
                {ev.decision && ev.decision.kind !== 'drop' && ev.decision.kind !== 'note' && (
                  <span className="badge badge-decision">
                    {ev.decision.kind === 'neigh'
                      ? 'ARP'
                      : ev.decision.kind === 'fdb'
                        ? 'FDB'
                        : ev.decision.kind}
                  </span>
                )}
                {ev.final === 'delivered' && (
                  <span className="badge badge-delivered">delivered</span>
                )}
                {ev.final === 'dropped' && (
                  <span className="badge badge-dropped">
                    dropped{ev.decision?.kind === 'drop' ? ` · ${ev.decision.reason}` : ''}
                  </span>
                )}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
