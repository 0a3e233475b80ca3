/**
 * The engine host: owns one scenario session and answers protocol messages. Pure enough to test
 * in Node; engine.worker.ts only wires it to postMessage.
 */
import { snapshot } from '../engine/sim/snapshot';
import type { CommandResult } from '../engine/shell/session';
import { loadScenario, parseJson } from '../scenario/load';
import { ScenarioSession, type StepRun } from '../scenario/run';
import type { CommandView, FromWorker, StepView, ToWorker } from './protocol';

function commandView(
  host: string,
  run: string,
  r: CommandResult,
  checks: CommandView['checks'] = [],
): CommandView {
  return {
    host,
    run,
    exitCode: r.exitCode,
    output: r.output.map((o) => ({ stream: o.stream, text: o.text })),
    note: r.note,
    traceFrom: r.traceFrom,
    traceTo: r.traceTo,
    checks,
  };
}

function stepView(s: StepRun): StepView {
  return {
    index: s.index,
    title: s.title,
    ok: s.ok,
    commands: s.commands.map((c) => commandView(c.host, c.run, c.result, c.checks)),
    checks: s.checks,
    traceFrom: s.traceFrom,
    traceTo: s.traceTo,
  };
}

export interface EngineHost {
  /** Handles one message; `emit` may be called several times (progress, then the answer). */
  handle(msg: ToWorker, emit: (m: FromWorker) => void): void;
}

export function createHost(): EngineHost {
  let session: ScenarioSession | undefined;
  const cancelled = new Set<number>();
  return {
    handle(msg, emit) {
      try {
        switch (msg.type) {
          case 'cancel':
            cancelled.add(msg.id);
            return;
          case 'debugCrash':
            // Thrown from a timer so it escapes handle()'s try/catch and reaches the worker's onerror.
            setTimeout(() => {
              throw new Error('debug crash requested');
            }, 0);
            return;
          case 'loadText':
          case 'load': {
            let doc: unknown;
            if (msg.type === 'loadText') {
              const parsed = parseJson(msg.text);
              if (!parsed.ok) {
                emit({ type: 'invalid', id: msg.id, errors: parsed.errors });
                return;
              }
              doc = parsed.value;
            } else doc = msg.doc;
            const loaded = loadScenario(doc);
            if (!loaded.ok) {
              emit({ type: 'invalid', id: msg.id, errors: loaded.errors });
              return;
            }
            const started = ScenarioSession.start(loaded.scenario);
            if (!started.ok) {
              emit({ type: 'invalid', id: msg.id, errors: started.errors });
              return;
            }
            session = started.session;
            emit({
              type: 'loaded',
              id: msg.id,
              scenario: loaded.scenario,
              snapshot: snapshot(session.world),
            });
            return;
          }
          case 'step': {
            if (!session) throw new Error('no scenario loaded');
            const s = session;
            const target = Math.min(msg.count ?? s.nextStep + 1, s.scenario.steps.length);
            const from = s.world.trace.length;
            const steps: StepView[] = [];
            const total = target - s.nextStep;
            while (s.nextStep < target) {
              if (cancelled.has(msg.id)) {
                cancelled.delete(msg.id);
                emit({ type: 'cancelled', id: msg.id });
                return;
              }
              steps.push(stepView(s.runNextStep()));
              if (total > 1) emit({ type: 'progress', id: msg.id, done: steps.length, total });
            }
            emit({
              type: 'stepped',
              id: msg.id,
              steps,
              trace: s.world.trace.since(from),
              snapshot: snapshot(s.world),
            });
            return;
          }
          case 'exec': {
            if (!session) throw new Error('no scenario loaded');
            if (!session.shells.has(msg.host)) throw new Error(`no host "${msg.host}"`);
            const r = session.exec(msg.host, msg.command);
            emit({
              type: 'executed',
              id: msg.id,
              command: commandView(msg.host, msg.command, r),
              trace: session.world.trace.since(r.traceFrom).slice(0, r.traceTo - r.traceFrom),
              snapshot: snapshot(session.world),
            });
            return;
          }
        }
      } catch (e) {
        emit({ type: 'failed', id: msg.id, message: e instanceof Error ? e.message : String(e) });
      }
    },
  };
}
