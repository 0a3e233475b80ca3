/**
 * The kubelet's restarts, as Kubernetes 1.30 does them: an exited container shows Completed or
 * Error until the next PLEG relist (1 s); the first restart is immediate, later ones wait out a
 * back-off of 10 s, 20 s, 40 s … (5 min at most) from the last exit, checked when the pod
 * worker retries 10–15 s after each back-off (kuberuntime doBackOff, flowcontrol.Backoff,
 * podWorkers' backOffPeriod with jitter 0.5). The restart policy decides whether there is one.
 */
import { describe, expect, it } from 'vitest';
import { Shell } from '../shell/session';
import { after, seconds } from '../sim/time';
import type { ManifestData } from './objects';
import { testbed } from './testbed';

/** A busybox container left to its own sh: with no terminal and no input it exits 0 at once. */
const pod = (name: string, extra: Record<string, unknown> = {}): ManifestData =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name, image: 'busybox', ...extra }] },
  }) as ManifestData;

function bed(objects: ManifestData[]) {
  const { world, cluster } = testbed({ nodes: 2, objects });
  const sh = new Shell(world, world.host('kind-control-plane')!);
  const t0 = world.sched.now;
  /** Lets the world run until `s` seconds after the pods were applied. */
  const at = (s: number) => {
    world.sched.run(() => false, { maxEvents: 1_000_000, until: after(t0, seconds(s)) });
    world.sched.advanceTo(after(t0, seconds(s)));
  };
  const row = (name: string) =>
    sh
      .run(`kubectl get pod ${name}`)
      .stdout.trim()
      .split('\n')[1]!
      .split(/ {2,}/)
      .slice(1, 4)
      .join(' | ');
  return { world, cluster, sh, at, row };
}

describe('container restarts', () => {
  it('shows Completed until the kubelet looks, restarts once at once, then backs off', () => {
    const { cluster, at, row } = bed([pod('idle')]);
    const c = () => cluster.pods.get('default/idle')!.containers[0]!;
    at(0.5);
    expect(row('idle')).toBe('0/1 | Completed | 0');
    // The relist at 1 s: no back-off yet, so a restart at once (and another exit at once).
    at(1.5);
    expect(c().restarts).toBe(1);
    expect(row('idle')).toMatch(/^0\/1 \| Completed \| 1 \(1s ago\)$/);
    // The next relist finds it within the 10 s back-off that began at the first restart.
    at(2.5);
    expect(row('idle')).toMatch(/^0\/1 \| CrashLoopBackOff \| 1 \(1s ago\)$/);
    expect(c().message).toMatch(
      /^back-off 10s restarting failed container=idle pod=idle_default\([0-9a-f-]{36}\)$/,
    );
    // The worker retries 10–15 s later: past the 10 s, the second restart.
    at(11.9);
    expect(c().restarts).toBe(1);
    at(17.1);
    expect(c().restarts).toBe(2);
    // From then on each wait is at least twice the last: 20 s, then 40 s.
    const restartTimes: number[] = [];
    let seen = 2;
    for (let s = 17.1; s < 200; s += 0.5) {
      at(s);
      if (c().restarts > seen) {
        seen = c().restarts;
        restartTimes.push(s);
      }
    }
    expect(restartTimes.length).toBeGreaterThanOrEqual(2);
    expect(restartTimes[0]! - 17.1).toBeGreaterThanOrEqual(20);
    expect(restartTimes[1]! - restartTimes[0]!).toBeGreaterThanOrEqual(40);
    expect(restartTimes[1]! - restartTimes[0]!).toBeLessThan(40 + 16);
  });

  it('never restarts with restartPolicy Never: the pod ends Succeeded or Failed', () => {
    const { sh, at, row } = bed([
      {
        ...pod('done'),
        spec: { restartPolicy: 'Never', containers: [{ name: 'done', image: 'busybox' }] },
      } as ManifestData,
      {
        ...pod('fails'),
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'fails', image: 'busybox', command: ['cat', '/nonexistent'] }],
        },
      } as ManifestData,
    ]);
    at(60);
    expect(row('done')).toBe('0/1 | Completed | 0');
    expect(row('fails')).toBe('0/1 | Error | 0');
    expect(sh.run('kubectl get pod done -o jsonpath={.status.phase}').stdout).toBe('Succeeded');
    expect(sh.run('kubectl get pod fails -o jsonpath={.status.phase}').stdout).toBe('Failed');
    expect(
      sh.run(
        'kubectl get pod fails -o jsonpath={.status.containerStatuses[0].state.terminated.exitCode}',
      ).stdout,
    ).toBe('1');
  });

  it('restarts only failures with OnFailure, and shows the last exit in lastState', () => {
    const { sh, at, row } = bed([
      {
        ...pod('retry'),
        spec: {
          restartPolicy: 'OnFailure',
          containers: [{ name: 'retry', image: 'busybox', command: ['cat', '/nonexistent'] }],
        },
      } as ManifestData,
    ]);
    at(3);
    expect(row('retry')).toMatch(/^0\/1 \| CrashLoopBackOff \| 1 \(\d+s ago\)$/);
    expect(sh.run('kubectl get pod retry -o jsonpath={.status.phase}').stdout).toBe('Running');
    expect(
      sh.run(
        'kubectl get pod retry -o jsonpath={.status.containerStatuses[0].lastState.terminated.reason}',
      ).stdout,
    ).toBe('Error');
  });

  it("keeps each instance's output apart: kubectl logs for this one, --previous for the last", () => {
    const { sh, at } = bed([
      {
        ...pod('retry'),
        spec: {
          restartPolicy: 'OnFailure',
          containers: [{ name: 'retry', image: 'busybox', command: ['cat', '/nonexistent'] }],
        },
      } as ManifestData,
    ]);
    at(0.5);
    const first = sh.run('kubectl logs retry');
    expect(first.stdout).toMatch(/nonexistent/);
    expect(sh.run('kubectl logs -p retry')).toMatchObject({
      exitCode: 1,
      stderr:
        'Error from server (BadRequest): previous terminated container "retry" in pod "retry" not found\n',
    });
    at(3);
    // Restarted once: the current instance said the same once, not twice; the first is previous.
    expect(sh.run('kubectl logs retry').stdout).toBe(first.stdout);
    expect(sh.run('kubectl logs --previous retry').stdout).toBe(first.stdout);
  });

  it('leaves the last dead instance for crictl ps -a, beside the running one', () => {
    const { world, at } = bed([
      {
        ...pod('nap'),
        spec: { containers: [{ name: 'nap', image: 'busybox', command: ['sleep', '2'] }] },
      } as ManifestData,
    ]);
    // It sleeps 2 s, exits 0, and is restarted at once at the relist a second later.
    at(3.5);
    const node = new Shell(world, world.host('kind-worker')!);
    expect(node.run('crictl ps').stdout).toMatch(/ Running +nap +1 +[0-9a-f]{13} +nap\n$/);
    expect(node.run('crictl ps -a').stdout).toMatch(
      /([0-9a-f]{13}) .* Running +nap +1 +([0-9a-f]{13}) +nap\n[0-9a-f]{13} .* Exited +nap +0 +\2 +nap\n$/,
    );
  });
});
