/**
 * The application store: one zustand store made of four slices (scenario, playback, selection,
 * ui), as DESIGN.md names them. It talks to the engine only through the worker client, keeps a
 * journal of what the engine has done (to replay it after a crash), and holds the one playhead
 * `(run, hop, progress)` that everything that moves reads.
 */
import { createStore, type StateCreator, type StoreApi } from 'zustand/vanilla';
import { subscribeWithSelector } from 'zustand/middleware';
import type { TopologySnapshot } from '../engine/sim/snapshot';
import type { TraceEvent } from '../engine/sim/trace';
import type { ScenarioError } from '../scenario/load';
import type { ScenarioData } from '../scenario/schema';
import type { CommandView, StepView } from '../worker/protocol';
import { DEFAULT_SCENARIO_ID, loadBuiltinDoc } from './catalog';
import { formatHash, type Route } from './deepLink';
import type { Answer, EngineFactory, EngineLike } from './engine';
import {
  type Hop,
  type HopSchedule,
  type Playhead,
  advance,
  eventAtProgress,
  groupHops,
  hopOfEvent,
  hopSchedule,
  nextHopIndex,
  prevHopIndex,
  progressOfEvent,
} from './hops';
import { LONG_LINK_CHARS, decodeShare, encodeShare, type SharedCommand } from './shareCodec';

// ---------------------------------------------------------------- types

export type CniModel = NonNullable<ScenarioData['cluster']>['cni'];

export const CNI_MODELS: readonly {
  readonly id: CniModel;
  readonly name: string;
  readonly label: string;
}[] = [
  { id: 'bridge', name: 'bridge', label: 'bridge · flat routes' },
  { id: 'flannel', name: 'Flannel', label: 'Flannel · VXLAN' },
  { id: 'calico', name: 'Calico', label: 'Calico · IP-in-IP' },
];

export type ScenarioSource =
  | { readonly kind: 'builtin'; readonly id: string }
  /** Opened from disk (file picker or drag and drop). */
  | { readonly kind: 'file'; readonly name: string }
  /** Carried in a `#z=` link. */
  | { readonly kind: 'link' };

/** What the engine has done since the scenario was loaded, in order: replayed after a crash. */
export type JournalEntry =
  | { readonly kind: 'step' }
  | { readonly kind: 'exec'; readonly host: string; readonly run: string };

/** One thing the engine ran whose traffic can be played: a scenario step or a typed command. */
export interface Run {
  /** Unique within the session. */
  readonly key: number;
  readonly kind: 'step' | 'exec';
  /** For a step: its index. For a command: how many steps had run before it. */
  readonly stepIndex: number;
  readonly step?: StepView;
  readonly command?: CommandView;
  readonly events: readonly TraceEvent[];
  /** Global trace position of `events[0]`. */
  readonly traceFrom: number;
  readonly hops: readonly Hop[];
  readonly schedules: readonly HopSchedule[];
  /** The world after the run. */
  readonly snapshot: TopologySnapshot;
}

export interface Busy {
  readonly label: string;
  readonly done: number;
  readonly total: number;
}

export type NoticeTone = 'info' | 'success' | 'warning' | 'error';
export interface Notice {
  readonly id: number;
  readonly tone: NoticeTone;
  readonly title: string;
  readonly text?: string;
}

export type LoadState = 'idle' | 'loading' | 'ready' | 'invalid' | 'failed';
export type DockTab = 'timeline' | 'terminal';
export type InspectorTab = 'packet' | 'device';

export interface CommandOutcome {
  readonly ok: boolean;
  readonly command?: CommandView;
  readonly error?: string;
}

export interface ScenarioSlice {
  source: ScenarioSource | null;
  /** The document as authored (what a share link carries). */
  doc: unknown;
  scenario: ScenarioData | null;
  loadState: LoadState;
  /** Precise errors (JSON path + message) when a document did not validate. */
  loadErrors: readonly ScenarioError[];
  /** What failed to load (a file name, "this link", a scenario id). */
  loadErrorSubject: string;
  bootSnapshot: TopologySnapshot | null;
  runs: readonly Run[];
  stepsDone: number;
  journal: readonly JournalEntry[];
  busy: Busy | null;
  /** `<version>.<data>` for scenarios that are not built in, so the URL can carry them. */
  linkPayload: string | null;

  openBuiltin(id: string, at?: Target): Promise<void>;
  openDocument(doc: unknown, source: ScenarioSource, at?: Target): Promise<void>;
  openFileText(name: string, text: string): Promise<void>;
  openLink(data: string, at?: Target): Promise<void>;
  navigate(route: Route): Promise<void>;
  nextStep(): Promise<void>;
  prevStep(): void;
  goToStep(step: number, hop?: number): Promise<void>;
  runCommand(host: string, line: string): Promise<CommandOutcome>;
  cancelBusy(): void;
  shareLink(base: string): Promise<{ url: string; warning?: string }>;
  /**
   * Reloads a cluster scenario with another CNI model and replays it up to the current step, so
   * the same flow can be watched on another pod network. The result is a new scenario (carried
   * in the link), since its paths no longer match what the narrative describes.
   */
  replayWithCni(model: CniModel): Promise<void>;
  debugCrash(): void;
}

export interface PlaybackSlice {
  playhead: Playhead;
  playing: boolean;
  /** Multiplier on the pacing in hops.ts. */
  speed: number;
  play(): void;
  pause(): void;
  togglePlay(): void;
  setSpeed(speed: number): void;
  nextHop(): void;
  prevHop(): void;
  /** Jumps to an event of a run (the timeline's rows). */
  seekEvent(run: number, eventIndex: number): void;
  /** Sets the position within the current run, 0–1 over its hops (the scrubber). */
  scrub(fraction: number): void;
  /** Advances playback by wall-clock milliseconds (called by the animation loop). */
  tick(dtMs: number): void;
}

export interface SelectionSlice {
  selectedDevice: number | null;
  selectDevice(id: number | null): void;
}

export interface UiSlice {
  presenter: boolean;
  galleryOpen: boolean;
  helpOpen: boolean;
  dock: DockTab;
  inspectorTab: InspectorTab;
  /** The inspector folded to a thin rail, leaving its width to the canvas (small screens). */
  inspectorCollapsed: boolean;
  notice: Notice | null;
  reducedMotion: boolean;
  /** Bumped to ask the canvas to fit everything in view (a counter, so repeats register). */
  fitRequest: number;
  /** Bumped to ask the terminal to take the keyboard focus. */
  terminalFocusRequest: number;
  requestFit(): void;
  openTerminal(): void;
  setPresenter(on: boolean): void;
  setGalleryOpen(open: boolean): void;
  setHelpOpen(open: boolean): void;
  setDock(tab: DockTab): void;
  setInspectorTab(tab: InspectorTab): void;
  setInspectorCollapsed(collapsed: boolean): void;
  setReducedMotion(on: boolean): void;
  notify(tone: NoticeTone, title: string, text?: string): void;
  dismissNotice(id?: number): void;
  clearLoadErrors(): void;
}

export type AppState = ScenarioSlice & PlaybackSlice & SelectionSlice & UiSlice;
export type AppStore = StoreApi<AppState> & {
  subscribe: StoreApi<AppState>['subscribe'] & {
    <U>(
      selector: (s: AppState) => U,
      listener: (u: U, prev: U) => void,
      options?: { equalityFn?: (a: U, b: U) => boolean; fireImmediately?: boolean },
    ): () => void;
  };
};

/** Where to land after loading: a step (1-based) and a hop within it (1-based). */
export interface Target {
  readonly step?: number;
  readonly hop?: number;
  /** Commands typed by whoever shared the link, replayed in order. */
  readonly commands?: readonly SharedCommand[];
}

export const SPEEDS = [0.25, 0.5, 1, 2, 4] as const;

// ---------------------------------------------------------------- derived values

/** The run under the playhead, if any. */
export function currentRun(s: Pick<AppState, 'runs' | 'playhead'>): Run | undefined {
  return s.playhead.run >= 0 ? s.runs[s.playhead.run] : undefined;
}

/** The hop under the playhead, if any. */
export function currentHop(s: Pick<AppState, 'runs' | 'playhead'>): Hop | undefined {
  return currentRun(s)?.hops[s.playhead.hop];
}

/** Index (within the current run's events) of the event under the playhead. */
export function currentEventIndex(s: Pick<AppState, 'runs' | 'playhead'>): number | undefined {
  const run = currentRun(s);
  const hop = run?.hops[s.playhead.hop];
  if (!run || !hop) return undefined;
  return eventAtProgress(hop, run.schedules[hop.index]!, s.playhead.progress);
}

export function currentEvent(s: Pick<AppState, 'runs' | 'playhead'>): TraceEvent | undefined {
  const i = currentEventIndex(s);
  return i === undefined ? undefined : currentRun(s)?.events[i];
}

/** The scenario step shown (1-based; 0 is the introduction before any step). */
export function currentStepNumber(s: Pick<AppState, 'runs' | 'playhead'>): number {
  const run = currentRun(s);
  if (!run) return 0;
  return run.kind === 'step' ? run.stepIndex + 1 : run.stepIndex;
}

/** The world as it stands at the playhead. */
export function currentSnapshot(
  s: Pick<AppState, 'runs' | 'playhead' | 'bootSnapshot'>,
): TopologySnapshot | null {
  return currentRun(s)?.snapshot ?? s.bootSnapshot;
}

/** The route (URL) for where the learner is. */
export function routeOf(
  s: Pick<AppState, 'source' | 'linkPayload' | 'runs' | 'playhead'>,
): Route | null {
  const step = currentStepNumber(s);
  const run = currentRun(s);
  const inStep =
    run?.kind === 'step' && run.hops.length > 0 && (s.playhead.hop > 0 || s.playhead.progress > 0);
  const hop = inStep ? s.playhead.hop + 1 : undefined;
  const pos = { ...(step > 0 ? { step } : {}), ...(step > 0 && hop ? { hop } : {}) };
  if (s.source?.kind === 'builtin') return { kind: 'scenario', id: s.source.id, ...pos };
  if (s.source && s.linkPayload) return { kind: 'payload', data: s.linkPayload, ...pos };
  return null;
}

/**
 * The share link for a state: the deep link for a built-in scenario as it ships, otherwise the
 * scenario itself (and the commands typed so far), compressed into the fragment.
 */
async function shareLinkFor(
  s: Pick<AppState, 'source' | 'doc' | 'journal' | 'linkPayload' | 'runs' | 'playhead'>,
  base: string,
): Promise<{ url: string; warning?: string }> {
  const typed: SharedCommand[] = [];
  let steps = 0;
  for (const e of s.journal) {
    if (e.kind === 'step') steps++;
    else typed.push({ afterStep: steps, host: e.host, run: e.run });
  }
  const route = routeOf(s);
  if (s.source?.kind === 'builtin' && typed.length === 0 && route)
    return { url: `${base}${formatHash(route)}` };
  // A scenario not built in, or one the learner changed by typing commands: carry it.
  const data = await encodeShare({ scenario: s.doc, commands: typed });
  const step = currentStepNumber(s);
  const hop = route?.kind === 'payload' || route?.kind === 'scenario' ? route.hop : undefined;
  const url = `${base}${formatHash({ kind: 'payload', data, ...(step ? { step } : {}), ...(step && hop && typed.length === 0 ? { hop } : {}) })}`;
  return url.length > LONG_LINK_CHARS
    ? {
        url,
        warning: `The link is ${url.length.toLocaleString('en-US')} characters long: it works in a browser, but chat tools may cut it.`,
      }
    : { url };
}

// ---------------------------------------------------------------- the store

class EngineCrashed extends Error {}

export interface StoreOptions {
  readonly engine: EngineFactory;
  /** How long a cancelled request may keep running before the worker is replaced (ms). */
  readonly hardCancelMs?: number;
}

function makeRun(
  key: number,
  kind: Run['kind'],
  stepIndex: number,
  events: readonly TraceEvent[],
  snapshot: TopologySnapshot,
  extra: { step?: StepView; command?: CommandView },
): Run {
  const hops = groupHops(events);
  return {
    key,
    kind,
    stepIndex,
    ...extra,
    events,
    // Positions in the world's trace (what CommandView.traceFrom/To count), not event seq numbers:
    // the two differ once a trace budget has dropped events.
    traceFrom: extra.step?.traceFrom ?? extra.command?.traceFrom ?? events[0]?.seq ?? 0,
    hops,
    schedules: hops.map((h) => hopSchedule(h, events)),
    snapshot,
  };
}

/**
 * Creates the store. The engine is created through `opts.engine` so tests can run the real
 * host in-process.
 */
export function createAppStore(opts: StoreOptions): AppStore {
  let runKey = 0;
  let noticeId = 0;
  /** Serialises engine work: one operation at a time, in order. */
  let queue: Promise<unknown> = Promise.resolve();
  let inFlight: { id: number; label: string } | undefined;
  let cancelRequested = false;
  let hardCancelTimer: ReturnType<typeof setTimeout> | undefined;
  let recovering = false;
  const crashTimes: number[] = [];
  /** Bumped on every load so stale operations stop touching the state. */
  let generation = 0;
  // Assigned by the scenario slice, which owns the recovery logic.
  let onCrashHandler: (message: string) => void = () => undefined;
  const engine: EngineLike = opts.engine((m) => onCrashHandler(m));

  const enqueue = <T>(op: () => Promise<T>): Promise<T> => {
    const p = queue.then(op, op);
    queue = p.catch(() => undefined);
    return p;
  };

  /** Sends one request; resolves with the answer, throws on `failed` or a crash. */
  const call = async (
    req: Parameters<EngineLike['request']>[0],
    label: string,
    onProgress?: (d: number, t: number) => void,
  ): Promise<Answer> => {
    const { id, answer } = engine.request(req, onProgress);
    inFlight = { id, label };
    try {
      const a = await answer;
      if (a.type === 'failed') throw new Error(a.message);
      return a;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/^engine (crashed|cancelled|restarted)/.test(msg)) throw new EngineCrashed(msg);
      throw e;
    } finally {
      inFlight = undefined;
    }
  };

  const store = createStore<AppState>()(
    subscribeWithSelector((set, get, api) => {
      const scenario = scenarioSlice(set, get, api);
      return {
        ...scenario,
        ...playbackSlice(set, get, api),
        ...selectionSlice(set, get, api),
        ...uiSlice(set, get, api),
      };
    }),
  ) as AppStore;

  // ------------------------------------------------------------ scenario slice

  function scenarioSlice(
    ...[set, get]: Parameters<StateCreator<AppState, [], [], ScenarioSlice>>
  ): ScenarioSlice {
    const notify = (tone: NoticeTone, title: string, text?: string) =>
      get().notify(tone, title, text);

    /** Reloads the document and replays the journal into a fresh worker. */
    const replay = async (reason: string): Promise<void> => {
      const s = get();
      if (s.doc === undefined || s.loadState !== 'ready') return;
      recovering = true;
      try {
        const loaded = await call({ type: 'load', doc: s.doc }, 'reloading the scenario');
        if (loaded.type !== 'loaded') throw new Error('the scenario no longer loads');
        let steps = 0;
        for (const entry of s.journal) {
          if (entry.kind === 'step') {
            steps++;
            await call({ type: 'step', count: steps }, `replaying step ${steps}`);
          } else
            await call(
              { type: 'exec', host: entry.host, command: entry.run },
              `replaying "${entry.run}"`,
            );
        }
        const what =
          s.journal.length === 0
            ? 'The scenario was reloaded'
            : `The scenario was reloaded and the ${s.journal.length} thing${s.journal.length > 1 ? 's' : ''} done so far replayed`;
        notify(
          reason === 'cancelled' ? 'info' : 'warning',
          reason === 'cancelled'
            ? 'Stopped.'
            : 'The engine stopped unexpectedly and was restarted.',
          `${reason === 'cancelled' ? 'The engine was restarted. ' : `(${reason}) `}${what}; the canvas and timeline are as they were.`,
        );
      } catch (e) {
        set({
          loadState: 'failed',
          loadErrorSubject: 'the scenario',
          loadErrors: [
            {
              path: '',
              message: `Could not restore the scenario after the engine restarted: ${e instanceof Error ? e.message : String(e)}`,
            },
          ],
        });
      } finally {
        recovering = false;
      }
    };

    onCrashHandler = (message: string) => {
      const now = Date.now();
      crashTimes.push(now);
      while (crashTimes.length && now - crashTimes[0]! > 20_000) crashTimes.shift();
      if (crashTimes.length > 3 || recovering) {
        engine.terminate();
        set({
          busy: null,
          loadState: 'failed',
          loadErrorSubject: 'the engine',
          loadErrors: [
            {
              path: '',
              message: `The engine keeps crashing (${message}). Reload the page to start again.`,
            },
          ],
        });
        return;
      }
      void enqueue(() => replay(message));
    };

    const appendRun = (run: Run, entry: JournalEntry) => {
      set((s) => ({
        runs: [...s.runs, run],
        journal: [...s.journal, entry],
        stepsDone: run.kind === 'step' ? s.stepsDone + 1 : s.stepsDone,
      }));
    };

    /** Runs the next scenario step in the engine; returns its run index or undefined. */
    const computeNextStep = async (gen: number): Promise<number | undefined> => {
      const s = get();
      if (!s.scenario || s.stepsDone >= s.scenario.steps.length) return undefined;
      const count = s.stepsDone + 1;
      const a = await call({ type: 'step', count }, `step ${count}`);
      if (gen !== generation) return undefined;
      if (a.type !== 'stepped') throw new Error(`unexpected answer ${a.type}`);
      const view = a.steps[a.steps.length - 1];
      if (!view) return undefined;
      appendRun(makeRun(runKey++, 'step', view.index, a.trace, a.snapshot, { step: view }), {
        kind: 'step',
      });
      return get().runs.length - 1;
    };

    const runIndexOfStep = (step: number): number =>
      get().runs.findIndex((r) => r.kind === 'step' && r.stepIndex === step - 1);

    /** Moves the playhead to a run; plays it if it has traffic and `autoplay`. */
    const landOn = (run: number, autoplay: boolean) => {
      const r = get().runs[run];
      set({
        playhead: { run, hop: 0, progress: 0 },
        playing: autoplay && !!r && r.hops.length > 0,
        selectedDevice: get().selectedDevice,
      });
      if (r && r.hops.length > 0 && autoplay) set({ inspectorTab: 'packet' });
    };

    /** Runs steps (and shared commands) until `step` have run; reports progress; honours cancel. */
    const runUntil = async (
      step: number,
      gen: number,
      commands: readonly SharedCommand[] = [],
    ): Promise<void> => {
      const s0 = get();
      const total = Math.min(step, s0.scenario?.steps.length ?? 0);
      const pending = [...commands];
      const start = s0.stepsDone;
      cancelRequested = false;
      const runCommandsDue = async () => {
        while (pending.length && pending[0]!.afterStep <= get().stepsDone) {
          const c = pending.shift()!;
          const a = await call({ type: 'exec', host: c.host, command: c.run }, `"${c.run}"`);
          if (gen !== generation) return;
          if (a.type === 'executed')
            appendRun(
              makeRun(runKey++, 'exec', get().stepsDone, a.trace, a.snapshot, {
                command: a.command,
              }),
              { kind: 'exec', host: c.host, run: c.run },
            );
        }
      };
      await runCommandsDue();
      while (get().stepsDone < total) {
        if (cancelRequested || gen !== generation) break;
        const n = get().stepsDone + 1;
        set({
          busy: {
            label: `Running step ${n} of ${total}`,
            done: n - 1 - start,
            total: total - start,
          },
        });
        await computeNextStep(gen);
        await runCommandsDue();
      }
      // The caller clears `busy` once the playhead is placed, so the URL never shows a half-way state.
    };

    const fail = (
      subject: string,
      errors: readonly ScenarioError[],
      state: LoadState = 'invalid',
    ) => {
      set({ loadState: state, loadErrors: errors, loadErrorSubject: subject, busy: null });
    };

    const loadInto = async (
      req: { type: 'load'; doc: unknown } | { type: 'loadText'; text: string },
      doc: unknown,
      source: ScenarioSource,
      subject: string,
      at: Target | undefined,
    ): Promise<void> => {
      const gen = ++generation;
      set({ busy: { label: 'Loading the scenario', done: 0, total: 1 } });
      let a: Answer;
      try {
        a = await call(req, 'loading the scenario');
      } catch (e) {
        if (e instanceof EngineCrashed) return;
        fail(
          subject,
          [{ path: '', message: e instanceof Error ? e.message : String(e) }],
          'failed',
        );
        return;
      }
      if (gen !== generation) return;
      if (a.type === 'invalid') {
        fail(subject, a.errors);
        // Keep whatever was showing before; the dialog explains what is wrong.
        return;
      }
      if (a.type !== 'loaded') return;
      const finalDoc = req.type === 'loadText' ? JSON.parse(req.text) : doc;
      set({
        source,
        doc: finalDoc,
        scenario: a.scenario,
        bootSnapshot: a.snapshot,
        loadState: 'ready',
        loadErrors: [],
        runs: [],
        stepsDone: 0,
        journal: [],
        playhead: { run: -1, hop: 0, progress: 0 },
        playing: false,
        selectedDevice: null,
        linkPayload: null,
        // Still busy while a deep link's steps run, so the URL is written once, at the target.
        busy:
          (at?.step ?? 0) > 0 || (at?.commands?.length ?? 0) > 0
            ? { label: 'Running the steps', done: 0, total: at?.step ?? 1 }
            : null,
      });
      if (source.kind !== 'builtin') {
        try {
          set({ linkPayload: await encodeShare({ scenario: finalDoc, commands: [] }) });
        } catch (e) {
          notify(
            'warning',
            'This scenario is too large to carry in a link.',
            `${e instanceof Error ? e.message : String(e)}. Reloading the page will not bring it back.`,
          );
        }
      }
      const step = at?.step ?? 0;
      const commands = at?.commands ?? [];
      const lastCommandStep = commands.reduce((m, c) => Math.max(m, c.afterStep), 0);
      if (step > 0 || commands.length > 0) {
        try {
          await runUntil(Math.max(step, lastCommandStep), gen, commands);
        } catch (e) {
          if (!(e instanceof EngineCrashed))
            notify('error', 'A step failed to run.', e instanceof Error ? e.message : String(e));
        }
        if (gen !== generation) return;
        placeAt(step, at?.hop, commands.length > 0 && !at?.hop);
        set({ busy: null });
      }
    };

    /** Puts the playhead at a step (1-based) and hop (1-based), paused. */
    const placeAt = (step: number, hop: number | undefined, preferLastRun = false) => {
      const s = get();
      if (preferLastRun && s.runs.length) {
        set({ playhead: { run: s.runs.length - 1, hop: 0, progress: 0 }, playing: false });
        return;
      }
      const clamped = Math.min(step, s.stepsDone);
      if (clamped <= 0) {
        set({ playhead: { run: -1, hop: 0, progress: 0 }, playing: false });
        return;
      }
      const run = runIndexOfStep(clamped);
      const r = s.runs[run];
      if (!r) return;
      if (hop && r.hops.length) {
        const h = Math.min(hop, r.hops.length) - 1;
        set({ playhead: { run, hop: h, progress: 1 }, playing: false, inspectorTab: 'packet' });
      } else set({ playhead: { run, hop: 0, progress: 0 }, playing: false });
    };

    return {
      source: null,
      doc: undefined,
      scenario: null,
      loadState: 'idle',
      loadErrors: [],
      loadErrorSubject: '',
      bootSnapshot: null,
      runs: [],
      stepsDone: 0,
      journal: [],
      busy: null,
      linkPayload: null,

      openBuiltin: (id, at) =>
        enqueue(async () => {
          set({ loadState: get().scenario ? get().loadState : 'loading' });
          const doc = await loadBuiltinDoc(id);
          if (doc === undefined) {
            notify(
              'error',
              `There is no built-in scenario "${id}".`,
              'Showing the default scenario instead. Open the gallery to pick another.',
            );
            if (id !== DEFAULT_SCENARIO_ID) {
              const d = await loadBuiltinDoc(DEFAULT_SCENARIO_ID);
              if (d !== undefined)
                await loadInto(
                  { type: 'load', doc: d },
                  d,
                  { kind: 'builtin', id: DEFAULT_SCENARIO_ID },
                  DEFAULT_SCENARIO_ID,
                  undefined,
                );
            }
            return;
          }
          await loadInto(
            { type: 'load', doc },
            doc,
            { kind: 'builtin', id },
            `the scenario "${id}"`,
            at,
          );
        }),

      openDocument: (doc, source, at) =>
        enqueue(() =>
          loadInto(
            { type: 'load', doc },
            doc,
            source,
            source.kind === 'file' ? source.name : 'this link',
            at,
          ),
        ),

      openFileText: (name, text) =>
        enqueue(async () => {
          if (text.length > 4 * 1024 * 1024) {
            fail(name, [
              {
                path: '',
                message: `the file is ${Math.round(text.length / 1024 / 1024)} MB; scenario files are a few KB`,
              },
            ]);
            return;
          }
          await loadInto(
            { type: 'loadText', text },
            undefined,
            { kind: 'file', name },
            name,
            undefined,
          );
        }),

      openLink: async (data, at) => {
        const decoded = await decodeShare(data);
        if (!decoded.ok) {
          notify(
            'error',
            'This link could not be opened.',
            `${decoded.message} Showing the default scenario instead.`,
          );
          if (!get().scenario) await get().openBuiltin(DEFAULT_SCENARIO_ID);
          return;
        }
        if (decoded.migratedFrom !== undefined)
          notify(
            'info',
            'This link uses an older format.',
            `It was upgraded from format ${decoded.migratedFrom}; share it again to get a current link.`,
          );
        await get().openDocument(
          decoded.payload.scenario,
          { kind: 'link' },
          { ...at, commands: decoded.payload.commands },
        );
      },

      navigate: async (route) => {
        const s = get();
        switch (route.kind) {
          case 'home':
            if (s.source?.kind === 'builtin' && s.source.id === DEFAULT_SCENARIO_ID)
              await s.goToStep(0);
            else await s.openBuiltin(DEFAULT_SCENARIO_ID);
            return;
          case 'scenario':
            if (s.source?.kind === 'builtin' && s.source.id === route.id && s.loadState === 'ready')
              await s.goToStep(route.step ?? 0, route.hop);
            else await s.openBuiltin(route.id, route);
            return;
          case 'payload':
            if (s.linkPayload === route.data && s.loadState === 'ready')
              await s.goToStep(route.step ?? 0, route.hop);
            else await s.openLink(route.data, route);
            return;
          case 'unknown':
            notify(
              'warning',
              'This link was not understood.',
              `"${route.hash.slice(0, 80)}" is not a packet-life address; showing the default scenario.`,
            );
            if (!s.scenario) await s.openBuiltin(DEFAULT_SCENARIO_ID);
            return;
        }
      },

      nextStep: () =>
        enqueue(async () => {
          const s = get();
          if (!s.scenario || s.loadState !== 'ready') return;
          const cur = currentStepNumber(s);
          const existing = runIndexOfStep(cur + 1);
          if (existing >= 0) {
            landOn(existing, true);
            return;
          }
          if (cur + 1 > s.scenario.steps.length) return;
          const gen = generation;
          set({ busy: { label: `Running step ${cur + 1}`, done: 0, total: 1 } });
          try {
            // Steps run in order: catch up any the playhead skipped (it never does today).
            while (get().stepsDone < cur + 1) {
              if (gen !== generation) return;
              const run = await computeNextStep(gen);
              if (run === undefined) break;
            }
          } catch (e) {
            if (!(e instanceof EngineCrashed))
              notify(
                'error',
                `Step ${cur + 1} failed to run.`,
                e instanceof Error ? e.message : String(e),
              );
            return;
          } finally {
            set({ busy: null });
          }
          const idx = runIndexOfStep(cur + 1);
          if (idx >= 0) landOn(idx, true);
        }),

      prevStep: () => {
        const s = get();
        const cur = currentStepNumber(s);
        const run = currentRun(s);
        // On a typed command, "previous" returns to the step it followed.
        const target = run?.kind === 'exec' ? cur : cur - 1;
        if (target <= 0) {
          set({ playhead: { run: -1, hop: 0, progress: 0 }, playing: false });
          return;
        }
        const idx = runIndexOfStep(target);
        if (idx >= 0) landOn(idx, false);
      },

      goToStep: (step, hop) =>
        enqueue(async () => {
          const s = get();
          if (!s.scenario) return;
          const target = Math.max(0, Math.min(step, s.scenario.steps.length));
          if (target > s.stepsDone) {
            try {
              await runUntil(target, generation);
            } catch (e) {
              set({ busy: null });
              if (!(e instanceof EngineCrashed))
                notify(
                  'error',
                  'A step failed to run.',
                  e instanceof Error ? e.message : String(e),
                );
              return;
            }
          }
          placeAt(target, hop);
          set({ busy: null });
        }),

      runCommand: (host, line) =>
        enqueue(async (): Promise<CommandOutcome> => {
          const s = get();
          if (!s.scenario || s.loadState !== 'ready')
            return { ok: false, error: 'no scenario is loaded' };
          const gen = generation;
          try {
            const a = await call({ type: 'exec', host, command: line }, `"${line}"`);
            if (gen !== generation) return { ok: false, error: 'the scenario changed' };
            if (a.type !== 'executed') return { ok: false, error: `unexpected answer ${a.type}` };
            const run = makeRun(runKey++, 'exec', get().stepsDone, a.trace, a.snapshot, {
              command: a.command,
            });
            appendRun(run, { kind: 'exec', host, run: line });
            landOn(get().runs.length - 1, true);
            return { ok: true, command: a.command };
          } catch (e) {
            if (e instanceof EngineCrashed)
              return {
                ok: false,
                error: `the engine stopped while running this command (${e.message}); it was restarted and the scenario restored`,
              };
            return { ok: false, error: e instanceof Error ? e.message : String(e) };
          }
        }),

      cancelBusy: () => {
        cancelRequested = true;
        const f = inFlight;
        if (!f) return;
        engine.cancel(f.id);
        clearTimeout(hardCancelTimer);
        hardCancelTimer = setTimeout(() => {
          if (inFlight && inFlight.id === f.id) {
            // The worker is inside one long step and cannot read the cancel: replace it.
            engine.restart('cancelled');
            set({ busy: null });
            void enqueue(() => replay('cancelled'));
          }
        }, opts.hardCancelMs ?? 800);
      },

      // Queued behind any load, deep-link replay or command still running: a link describes where
      // the learner will be once that work is done, never a half-way state (a Share pressed while
      // a deep link's steps replay used to copy an earlier step).
      shareLink: (base) => enqueue(() => shareLinkFor(get(), base)),

      replayWithCni: async (model) => {
        const s = get();
        const doc = s.doc as { cluster?: { cni?: string } } | undefined;
        if (!doc?.cluster || !s.scenario?.cluster) return;
        const was = s.scenario.cluster.cni;
        if (was === model) return;
        const next = structuredClone(doc) as { cluster: { cni?: string }; title?: string };
        next.cluster.cni = model;
        const step = Math.min(currentStepNumber(s), s.stepsDone);
        await get().openDocument(next, { kind: 'link' }, { step });
        const label = (m: CniModel) => CNI_MODELS.find((c) => c.id === m)?.name;
        if (get().scenario?.cluster?.cni === model)
          notify(
            'info',
            `Replayed on ${label(model)} instead of ${label(was)}.`,
            `The commands ran again on the new pod network. The text still describes ${label(was)}, so some paths and checks may differ: that difference is the point.`,
          );
      },

      debugCrash: () => {
        engine.request({ type: 'debugCrash' });
      },
    };
  }

  // ------------------------------------------------------------ playback slice

  function playbackSlice(
    ...[set, get]: Parameters<StateCreator<AppState, [], [], PlaybackSlice>>
  ): PlaybackSlice {
    const run = () => currentRun(get());
    return {
      playhead: { run: -1, hop: 0, progress: 0 },
      playing: false,
      speed: 1,
      play: () => {
        const r = run();
        if (!r || r.hops.length === 0) return;
        const { hop, progress } = get().playhead;
        // At the very end, play from the start again.
        if (nextHopIndex(r.hops, hop) === undefined && progress >= 1)
          set({ playhead: { run: get().playhead.run, hop: 0, progress: 0 } });
        set({ playing: true, inspectorTab: 'packet' });
      },
      pause: () => set({ playing: false }),
      togglePlay: () => (get().playing ? get().pause() : get().play()),
      setSpeed: (speed) => set({ speed }),
      nextHop: () => {
        const r = run();
        if (!r || r.hops.length === 0) return;
        const { hop, progress } = get().playhead;
        // The first press completes the current hop; the next moves on.
        if (progress < 1) {
          set({
            playhead: { ...get().playhead, progress: 1 },
            playing: false,
            inspectorTab: 'packet',
          });
          return;
        }
        const next = nextHopIndex(r.hops, hop);
        if (next !== undefined)
          set({
            playhead: { run: get().playhead.run, hop: next, progress: 1 },
            playing: false,
            inspectorTab: 'packet',
          });
      },
      prevHop: () => {
        const r = run();
        if (!r || r.hops.length === 0) return;
        const prev = prevHopIndex(r.hops, get().playhead.hop);
        if (prev !== undefined)
          set({
            playhead: { run: get().playhead.run, hop: prev, progress: 1 },
            playing: false,
            inspectorTab: 'packet',
          });
        else set({ playhead: { run: get().playhead.run, hop: 0, progress: 0 }, playing: false });
      },
      seekEvent: (runIndex, eventIndex) => {
        const r = get().runs[runIndex];
        if (!r || r.hops.length === 0) return;
        const h = hopOfEvent(r.hops, eventIndex);
        const hop = r.hops[h]!;
        const p = progressOfEvent(hop, r.schedules[h]!, eventIndex);
        // Land just after the event starts so it is the current one, with travel done.
        const progress = Math.max(p, r.schedules[h]!.travelEnd);
        set({
          playhead: { run: runIndex, hop: h, progress: eventIndex === hop.last ? 1 : progress },
          playing: false,
          inspectorTab: 'packet',
        });
      },
      scrub: (fraction) => {
        const r = run();
        if (!r || r.hops.length === 0) return;
        const x = Math.min(Math.max(fraction, 0), 1) * r.hops.length;
        const hop = Math.min(Math.floor(x), r.hops.length - 1);
        set({
          playhead: {
            run: get().playhead.run,
            hop: r.hops[hop]!.fan.start,
            progress: Math.min(x - hop, 1),
          },
          playing: false,
        });
      },
      tick: (dtMs) => {
        const s = get();
        const r = currentRun(s);
        if (!s.playing || !r) return;
        const { playhead, ended } = advance(
          s.playhead,
          dtMs,
          s.speed,
          r.hops,
          (i) => r.schedules[i]!,
        );
        set(ended ? { playhead, playing: false } : { playhead });
      },
    };
  }

  // ------------------------------------------------------------ selection + ui slices

  function selectionSlice(
    ...[set]: Parameters<StateCreator<AppState, [], [], SelectionSlice>>
  ): SelectionSlice {
    return {
      selectedDevice: null,
      selectDevice: (id) =>
        set(
          id === null ? { selectedDevice: null } : { selectedDevice: id, inspectorTab: 'device' },
        ),
    };
  }

  function uiSlice(...[set, get]: Parameters<StateCreator<AppState, [], [], UiSlice>>): UiSlice {
    return {
      presenter: false,
      galleryOpen: false,
      helpOpen: false,
      dock: 'timeline',
      inspectorTab: 'packet',
      inspectorCollapsed: false,
      notice: null,
      reducedMotion: false,
      fitRequest: 0,
      terminalFocusRequest: 0,
      requestFit: () => set((s) => ({ fitRequest: s.fitRequest + 1 })),
      openTerminal: () =>
        set((s) => ({ dock: 'terminal', terminalFocusRequest: s.terminalFocusRequest + 1 })),
      setPresenter: (presenter) => set({ presenter }),
      setGalleryOpen: (galleryOpen) => set({ galleryOpen }),
      setHelpOpen: (helpOpen) => set({ helpOpen }),
      setDock: (dock) => set({ dock }),
      setInspectorTab: (inspectorTab) => set({ inspectorTab }),
      setInspectorCollapsed: (inspectorCollapsed) => set({ inspectorCollapsed }),
      setReducedMotion: (reducedMotion) => set({ reducedMotion }),
      notify: (tone, title, text) =>
        set({ notice: { id: ++noticeId, tone, title, ...(text ? { text } : {}) } }),
      dismissNotice: (id) => {
        if (id === undefined || get().notice?.id === id) set({ notice: null });
      },
      clearLoadErrors: () =>
        set((s) => ({
          loadErrors: [],
          loadState: s.scenario ? 'ready' : s.loadState === 'invalid' ? 'idle' : s.loadState,
        })),
    };
  }

  return store;
}
