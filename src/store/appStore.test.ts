import { describe, expect, it } from 'vitest';
import vethPair from '../../scenarios/veth-pair.json';
import {
  createAppStore,
  currentEvent,
  currentRun,
  currentSnapshot,
  currentStepNumber,
  routeOf,
} from './appStore';
import { formatHash } from './deepLink';
import { decodeShare } from './shareCodec';
import { type TestEngine, testEngineFactory } from './testEngine';

function setup() {
  const sink: { engine?: TestEngine } = {};
  const store = createAppStore({ engine: testEngineFactory(sink), hardCancelMs: 50 });
  return { store, engine: () => sink.engine! };
}

const devices = (snap: ReturnType<typeof currentSnapshot>) =>
  snap?.hosts.flatMap((h) => h.namespaces.flatMap((n) => n.devices.map((d) => d.name))) ?? [];

describe('app store', () => {
  it('loads the default scenario and walks it to the delivered ping', async () => {
    const { store } = setup();
    await store.getState().openBuiltin('veth-pair');
    let s = store.getState();
    expect(s.loadState).toBe('ready');
    expect(s.scenario?.title).toBe(vethPair.title);
    expect(currentStepNumber(s)).toBe(0);
    for (let i = 0; i < vethPair.steps.length; i++) await store.getState().nextStep();
    s = store.getState();
    expect(s.stepsDone).toBe(vethPair.steps.length);
    expect(currentStepNumber(s)).toBe(vethPair.steps.length);
    const run = currentRun(s)!;
    expect(run.step?.ok).toBe(true);
    expect(run.hops.length).toBeGreaterThan(5);
    expect(run.events.some((e) => e.final === 'delivered')).toBe(true);
    // a step with traffic starts playing
    expect(s.playing).toBe(true);
    s.tick(1e9);
    expect(store.getState().playing).toBe(false);
    expect(currentEvent(store.getState())?.final).toBe('delivered');
  });

  it('goes back and forward between steps without rerunning them', async () => {
    const { store, engine } = setup();
    await store.getState().openBuiltin('veth-pair');
    await store.getState().goToStep(3);
    const steps = engine().log.filter((t) => t === 'step').length;
    store.getState().prevStep();
    expect(currentStepNumber(store.getState())).toBe(2);
    expect(devices(currentSnapshot(store.getState()))).toContain('veth-client');
    await store.getState().nextStep();
    expect(currentStepNumber(store.getState())).toBe(3);
    expect(engine().log.filter((t) => t === 'step').length).toBe(steps);
  });

  it('opens a deep link at its step and hop, paused', async () => {
    const { store } = setup();
    await store.getState().navigate({ kind: 'scenario', id: 'veth-pair', step: 5, hop: 3 });
    const s = store.getState();
    expect(s.stepsDone).toBe(5);
    expect(s.playhead).toEqual({ run: 4, hop: 2, progress: 1 });
    expect(s.playing).toBe(false);
    expect(formatHash(routeOf(s)!)).toBe('#/scenario/veth-pair?step=5&hop=3');
  });

  it('runs a typed command and the canvas gets the new device', async () => {
    const { store } = setup();
    await store.getState().openBuiltin('veth-pair');
    const r = await store.getState().runCommand('master', 'ip link add br0 type bridge');
    expect(r.ok).toBe(true);
    const s = store.getState();
    expect(currentRun(s)?.kind).toBe('exec');
    expect(devices(currentSnapshot(s))).toContain('br0');
  });

  it('reports a failed ARP as a drop with its reason', async () => {
    const { store } = setup();
    await store.getState().openBuiltin('veth-pair', { step: 5 });
    const r = await store
      .getState()
      .runCommand('master', 'ip netns exec client ping -c 1 10.0.0.99');
    expect(r.ok).toBe(true);
    const drop = currentRun(store.getState())!.events.find(
      (e) => e.final === 'dropped' && e.decision?.kind === 'drop',
    );
    expect(drop?.decision).toMatchObject({ kind: 'drop', reason: 'NEIGH_FAILED' });
  });

  it('restarts a crashed engine and replays what was done', async () => {
    const { store, engine } = setup();
    await store.getState().openBuiltin('veth-pair', { step: 4 });
    engine().crash('out of memory');
    // the replay is queued before this command, so the world is back at step 4
    const r = await store
      .getState()
      .runCommand('master', 'ip netns exec client ping -c 1 10.0.0.12');
    expect(r.ok).toBe(true);
    expect(r.command?.exitCode).toBe(0);
    const s = store.getState();
    expect(s.notice?.title).toMatch(/restarted/);
    expect(s.runs.length).toBe(5);
  });

  it('shows precise errors for a bad file and keeps the current scenario', async () => {
    const { store } = setup();
    await store.getState().openBuiltin('veth-pair');
    await store.getState().openFileText('broken.json', '{\n  "version": 1,\n  "id": "x",\n}');
    let s = store.getState();
    expect(s.loadState).toBe('invalid');
    expect(s.loadErrorSubject).toBe('broken.json');
    expect(s.loadErrors[0]?.message).toMatch(/line 4/);
    expect(s.scenario?.id).toBe('veth-pair');

    const bad = {
      ...vethPair,
      titel: 'typo',
      steps: [{ ...vethPair.steps[0], commands: [{ run: 'ip netns list', on: 'nowhere' }] }],
    };
    await store.getState().openFileText('typo.json', JSON.stringify(bad));
    s = store.getState();
    expect(s.loadErrors.map((e) => e.path)).toContain('');
    expect(s.loadErrors.some((e) => /titel/.test(e.message))).toBe(true);
    s.clearLoadErrors();
    expect(store.getState().loadState).toBe('ready');
  });

  it('opens a valid file and puts it in the URL', async () => {
    const { store } = setup();
    await store
      .getState()
      .openFileText('mine.json', JSON.stringify({ ...vethPair, id: 'mine', title: 'Mine' }));
    const s = store.getState();
    expect(s.source).toEqual({ kind: 'file', name: 'mine.json' });
    expect(s.linkPayload).toMatch(/^1\./);
    expect(formatHash(routeOf(s)!)).toMatch(/^#z=1\./);
  });

  it('a link asked for while a deep link replays names where the replay lands', async () => {
    const { store } = setup();
    // Not awaited: Share pressed while the steps still run must not copy a half-way view.
    const opening = store.getState().openBuiltin('veth-pair', { step: 5, hop: 2 });
    const link = store.getState().shareLink('https://x/');
    await opening;
    expect((await link).url).toBe('https://x/#/scenario/veth-pair?step=5&hop=2');
  });

  it('shares a deep link, or the scenario with the typed commands', async () => {
    const { store } = setup();
    await store.getState().openBuiltin('veth-pair', { step: 5 });
    expect((await store.getState().shareLink('https://x/')).url).toBe(
      'https://x/#/scenario/veth-pair?step=5',
    );
    await store.getState().runCommand('master', 'ip link add br0 type bridge');
    const { url } = await store.getState().shareLink('https://x/');
    const m = /#z=([^?]+)\?step=5$/.exec(url);
    expect(m).not.toBeNull();
    const decoded = await decodeShare(m![1]!);
    expect(decoded.ok && decoded.payload.commands).toEqual([
      { afterStep: 5, host: 'master', run: 'ip link add br0 type bridge' },
    ]);

    // …and that link opens with the command replayed
    const other = setup().store;
    await other.getState().navigate({ kind: 'payload', data: m![1]!, step: 5 });
    const o = other.getState();
    expect(o.source).toEqual({ kind: 'link' });
    expect(o.runs.map((r) => r.kind)).toEqual(['step', 'step', 'step', 'step', 'step', 'exec']);
    expect(devices(currentSnapshot(o))).toContain('br0');
  });

  it('falls back to the default scenario for a broken link', async () => {
    const { store } = setup();
    await store.getState().navigate({ kind: 'payload', data: '1.AAAA' });
    const s = store.getState();
    expect(s.notice?.tone).toBe('error');
    expect(s.scenario?.id).toBe('veth-pair');
  });

  it('steps hop by hop and jumps to any event', async () => {
    const { store } = setup();
    await store.getState().openBuiltin('veth-pair', { step: 5 });
    store.getState().seekEvent(4, 0);
    expect(store.getState().playhead).toMatchObject({ run: 4, hop: 0 });
    store.getState().nextHop();
    expect(store.getState().playhead).toEqual({ run: 4, hop: 0, progress: 1 });
    store.getState().nextHop();
    expect(store.getState().playhead.hop).toBe(1);
    store.getState().prevHop();
    expect(store.getState().playhead.hop).toBe(0);
    const run = currentRun(store.getState())!;
    const lastDelivered = run.events.findLastIndex((e) => e.final === 'delivered');
    store.getState().seekEvent(4, lastDelivered);
    expect(currentEvent(store.getState())).toBe(run.events[lastDelivered]);
  });
});

describe('long runs', () => {
  it('report progress and stop between steps when cancelled', async () => {
    const { store } = setup();
    await store.getState().openBuiltin('veth-pair');
    const seen: string[] = [];
    const unsub = store.subscribe(
      (s) => s.busy,
      (b) => b && seen.push(`${b.done}/${b.total}`),
    );
    const going = store.getState().goToStep(5);
    // cancel once the second step is under way
    await new Promise<void>((resolve) => {
      const u = store.subscribe(
        (s) => s.stepsDone,
        (n) => {
          if (n >= 1) {
            store.getState().cancelBusy();
            u();
            resolve();
          }
        },
      );
    });
    await going;
    unsub();
    const s = store.getState();
    expect(s.busy).toBeNull();
    expect(s.stepsDone).toBeGreaterThanOrEqual(1);
    expect(s.stepsDone).toBeLessThan(5);
    expect(seen[0]).toBe('0/5');
    // the world is intact: the next step still runs
    await s.nextStep();
    expect(store.getState().loadState).toBe('ready');
  });
});
