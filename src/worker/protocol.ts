/** The typed messages between the UI and the engine's Web Worker. */
import type { TopologySnapshot } from '../engine/sim/snapshot';
import type { TraceEvent } from '../engine/sim/trace';
import type { ScenarioError } from '../scenario/load';
import type { ScenarioData } from '../scenario/schema';
import type { Check } from '../scenario/expect';

export type ToWorker =
  /** Load a scenario document (raw JSON); validated and migrated in the worker. */
  | { readonly type: 'load'; readonly id: number; readonly doc: unknown }
  /** Run steps until `count` have run (the next one by default). */
  | { readonly type: 'step'; readonly id: number; readonly count?: number }
  /** Run a command typed by the learner on a host. */
  | { readonly type: 'exec'; readonly id: number; readonly host: string; readonly command: string }
  /** Stop a long request between steps. */
  | { readonly type: 'cancel'; readonly id: number }
  /**
   * Load a scenario file's text (as opened from disk or dropped on the page): parsed in the worker so
   * JSON syntax errors come back with a line and column, then validated like `load`.
   */
  | { readonly type: 'loadText'; readonly id: number; readonly text: string }
  /**
   * Testing aid: makes the worker throw outside any handler, as a real crash would, so the client's
   * restart-and-replay path can be exercised end to end. Nothing in the product sends it.
   */
  | { readonly type: 'debugCrash'; readonly id: number };

export interface OutputChunkView {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

export interface CommandView {
  readonly host: string;
  readonly run: string;
  readonly exitCode: number;
  readonly output: readonly OutputChunkView[];
  readonly note?: string;
  /** Positions in the trace (global indexes) of this command's events. */
  readonly traceFrom: number;
  readonly traceTo: number;
  readonly checks: readonly Check[];
}

export interface StepView {
  readonly index: number;
  readonly title: string;
  readonly ok: boolean;
  readonly commands: readonly CommandView[];
  readonly checks: readonly Check[];
  readonly traceFrom: number;
  readonly traceTo: number;
}

export type FromWorker =
  | {
      readonly type: 'loaded';
      readonly id: number;
      readonly scenario: ScenarioData;
      readonly snapshot: TopologySnapshot;
    }
  | { readonly type: 'invalid'; readonly id: number; readonly errors: readonly ScenarioError[] }
  | {
      readonly type: 'stepped';
      readonly id: number;
      readonly steps: readonly StepView[];
      /** Trace events produced by these steps, in order. */
      readonly trace: readonly TraceEvent[];
      readonly snapshot: TopologySnapshot;
    }
  | {
      readonly type: 'executed';
      readonly id: number;
      readonly command: CommandView;
      readonly trace: readonly TraceEvent[];
      readonly snapshot: TopologySnapshot;
    }
  | {
      readonly type: 'progress';
      readonly id: number;
      readonly done: number;
      readonly total: number;
    }
  | { readonly type: 'cancelled'; readonly id: number }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };
