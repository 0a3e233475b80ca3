/**
 * A shell started as a command: not modelled, and it says so with the way to run the same
 * commands; with nothing to read and no terminal it ends at once, as at end of input.
 */
import { describe, expect, it } from 'vitest';
import { lab } from '../../testing/lab';
import { testbed } from '../../k8s/testbed';
import { Shell } from '../session';

const NOT_MODELLED =
  /^packet-life: (bash|sh|zsh): a shell started from a command is not modelled; type the commands at this prompt instead \(in a network namespace: ip netns exec NAME COMMAND; in a pod: kubectl exec POD -- COMMAND\)\n$/;

describe('bash, sh and zsh', () => {
  it('say a second shell is not modelled, at the prompt and inside a namespace', () => {
    const l = lab();
    l.run('ip netns add pl-a');
    for (const cmd of ['bash', "bash -c 'echo hi'", 'ip netns exec pl-a bash', 'sh -c ls'])
      expect(l.run(cmd), cmd).toMatchObject({
        exitCode: 1,
        stdout: '',
        stderr: expect.stringMatching(NOT_MODELLED),
      });
  });

  it('in a pod: as the image has one or not, and a shell with nothing to read just ends', () => {
    const { world, cluster } = testbed({
      nodes: 2,
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'bb' },
          spec: { containers: [{ name: 'bb', image: 'busybox', command: ['sleep', '3600'] }] },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'echo' },
          spec: {
            containers: [{ name: 'echo', image: 'hashicorp/http-echo', args: ['-text=hi'] }],
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'idle' },
          spec: { containers: [{ name: 'idle', image: 'busybox' }] },
        },
      ],
    });
    const sh = new Shell(world, world.host('kind-control-plane')!);
    expect(sh.run('kubectl exec -it bb -- sh')).toMatchObject({
      exitCode: 1,
      stderr: expect.stringMatching(
        /^packet-life: sh: a shell started from a command is not modelled.*\ncommand terminated with exit code 1\n$/,
      ),
    });
    expect(sh.run('kubectl exec -it bb -- bash').stderr).toMatch(
      /exec: "bash": executable file not found in \$PATH: unknown\n$/,
    );
    expect(sh.run('kubectl exec -it echo -- sh').stderr).toMatch(
      /exec: "sh": executable file not found in \$PATH: unknown\n$/,
    );
    // busybox's own command is sh: with no terminal and no input it exits 0 at once (before,
    // without a sh, the container could not start), and the kubelet restarts it with back-off.
    expect(cluster.pods.get('default/idle')!.containers[0]!.reason).not.toBe('RunContainerError');
    expect(sh.run('kubectl get pod idle').stdout).toMatch(/idle +0\/1 +Completed +0 /);
    sh.run('sleep 3');
    expect(sh.run('kubectl get pod idle').stdout).toMatch(/idle +0\/1 +CrashLoopBackOff +1 /);
    expect(sh.run('kubectl logs idle')).toMatchObject({ exitCode: 0, stdout: '' });
  });
});
