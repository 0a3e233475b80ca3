/**
 * The kubelet and its container runtime on one node: a pod's sandbox is a network namespace
 * named `cni-<uuid>` under /var/run/netns (as containerd names it), held by the pause process;
 * the CNI plugin wires it; the pod's containers are processes in that same namespace, so they
 * share its interfaces and reach each other over localhost.
 */
import type { Ipv4 } from '../net/ipv4';
import type { NetNs } from '../linux/netns';
import { Process } from '../linux/process';
import { CONTAINER_CAPS, CONTAINER_READONLY_PATHS, unshareNs } from '../linux/namespaces';
import { linkSetUp, netnsDestroy } from '../linux/rtnl';
import { seconds } from '../sim/time';
import { type CniCluster, type CniNode, cniInvoke } from './cni';
import { type ClusterImage, type ToolLookup, startContainer } from './images';
import { writePodFiles } from './clusterDns';
import { uuid4 } from './names';
import type { PodSpecData } from './objects';

export interface ContainerStatus {
  readonly name: string;
  /** A 64-hex container id, as crictl shows its first 13 characters. */
  id: string;
  state: 'running' | 'waiting' | 'terminated';
  reason?: string;
  message?: string;
  restarts: number;
  startedAt?: number;
  /** How the container's process ended (state terminated). */
  exit?: ContainerExit;
  /** How the previous instance ended, once the container has been restarted (lastState). */
  last?: ContainerExit;
  proc?: Process;
  /** What this instance of the container wrote to stdout and stderr (`kubectl logs`). */
  logs: string[];
}

export interface ContainerExit {
  readonly code: number;
  /** Completed for 0, Error otherwise (as containerd reports it). */
  readonly reason: 'Completed' | 'Error';
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly id: string;
  /** What that instance wrote (`kubectl logs --previous` once it has been restarted). */
  readonly logs: readonly string[];
}

/** The kubelet's container restart back-off (flowcontrol.Backoff): 10 s, doubling, 5 min at most. */
const BACKOFF_INITIAL = 10;
const BACKOFF_MAX = 300;
/** PLEG relists the runtime's containers every second: how late the kubelet sees an exit. */
const PLEG_RELIST = 1;
/** A pod worker whose sync failed (a back-off, say) is retried after 10 s, plus up to 50%. */
const WORKER_BACKOFF = 10;

/** Go's time.Duration.String for whole seconds: 10s, 1m20s, 5m0s. */
function goDuration(s: number): string {
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

export interface PodSandbox {
  /** The sandbox (pause container) id: 64 hex. */
  readonly id: string;
  readonly netnsName: string;
  readonly ns: NetNs;
  readonly pause: Process;
  readonly created: number;
}

/** What the kubelet needs to know about a pod it runs. */
export interface KubeletPod {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly spec: PodSpecData;
  sandbox?: PodSandbox;
  containers: ContainerStatus[];
  podIP?: Ipv4;
  /** Why the sandbox could not be created (FailedCreatePodSandBox), if it could not. */
  sandboxError?: string;
}

export class Kubelet {
  /** Per container (pod uid/name): the current back-off and when it was last advanced. */
  private readonly backoff = new Map<string, { backoff: number; lastUpdate: number }>();

  constructor(
    readonly cluster: CniCluster,
    readonly node: CniNode,
    private readonly tools: ToolLookup,
    /** Called whenever a pod's readiness may have changed (EndpointSlices, kube-proxy follow). */
    private readonly changed: () => void,
    private readonly opts: { clusterDNS?: Ipv4; clusterImage?: ClusterImage } = {},
  ) {}

  get host() {
    return this.node.host;
  }

  /** RunPodSandbox, then CreateContainer/StartContainer for each container. */
  runPod(pod: KubeletPod): void {
    const host = this.host;
    const world = host.world;
    if (pod.spec.hostNetwork) {
      pod.podIP = this.node.nodeIP;
      pod.containers = pod.spec.containers.map((c) => this.start(pod, host.rootNs, c.name));
      return;
    }
    const netnsName = `cni-${uuid4(world.rng)}`;
    const ns = host.createNetns(netnsName);
    // containerd bind-mounts the namespace at /var/run/netns/<name>, where `ip netns` finds it.
    host.named.set(netnsName, ns);
    host.fs.bindNetns(`/var/run/netns/${netnsName}`, ns);
    linkSetUp(ns.lo, true);
    const pause = new Process(host, ns, ['/pause'], new Map(), '/');
    // runc gives the sandbox its own mount, UTS, IPC and PID namespaces (in the kernel's order of
    // creation); the network one is the cni- namespace above.
    pause.spaces = unshareNs(host, host.initSpaces, ['mnt', 'uts', 'ipc', 'pid']);
    pause.container = {
      name: 'pause',
      pod: { name: pod.name, namespace: pod.namespace },
      sandbox: true,
    };
    const sandbox: PodSandbox = {
      id: world.rng.hex(32),
      netnsName,
      ns,
      pause,
      created: world.unixNow(),
    };
    const r = cniInvoke(
      this.cluster,
      this.node,
      'ADD',
      sandbox.id,
      `/var/run/netns/${netnsName}`,
      ns,
      `${pod.namespace}.${pod.name}`,
    );
    if (!r.ok) {
      pod.sandboxError = `Failed to create pod sandbox: plugin type="${this.cluster.model === 'calico' ? 'calico' : 'bridge'}" failed (add): ${r.output.trim()}`;
      pause.exit(0);
      host.named.delete(netnsName);
      host.fs.remove(`/var/run/netns/${netnsName}`);
      netnsDestroy(host, ns);
      return;
    }
    pod.sandbox = sandbox;
    pod.podIP = r.ip;
    if (r.ip !== undefined)
      writePodFiles(host, ns, pod.name, pod.namespace, r.ip, this.opts.clusterDNS);
    pod.containers = pod.spec.containers.map((c) => this.start(pod, ns, c.name));
  }

  private start(
    pod: KubeletPod,
    ns: NetNs,
    name: string,
    restarts = 0,
    last?: ContainerExit,
  ): ContainerStatus {
    const world = this.host.world;
    const spec = pod.spec.containers.find((c) => c.name === name)!;
    const status: ContainerStatus = {
      name,
      id: world.rng.hex(32),
      state: 'waiting',
      restarts,
      ...(last ? { last } : {}),
      logs: [],
    };
    const r = startContainer(
      this.host,
      ns,
      spec,
      this.tools,
      this.opts.clusterImage,
      pod.spec.hostNetwork ? undefined : pod.name,
    );
    if (!r.ok) {
      status.reason = r.reason;
      status.message = r.message;
      return status;
    }
    status.state = 'running';
    status.startedAt = world.unixNow();
    status.proc = r.proc;
    r.proc.container = {
      name,
      image: spec.image,
      pod: { name: pod.name, namespace: pod.namespace },
    };
    // containerd's WithPodNamespaces: the sandbox's network, IPC and UTS namespaces; a mount and
    // a PID namespace of its own, and (cgroup v2, unprivileged) a cgroup namespace. A
    // hostNetwork pod's sandbox (not modelled as a process) keeps the node's network and UTS.
    const base = pod.sandbox?.pause.spaces ?? this.host.initSpaces;
    r.proc.spaces = unshareNs(
      this.host,
      base,
      pod.sandbox ? ['mnt', 'pid', 'cgroup'] : ['mnt', 'ipc', 'pid', 'cgroup'],
      { readOnly: CONTAINER_READONLY_PATHS },
    );
    // An unprivileged container: no CAP_NET_ADMIN, so it cannot change its own network.
    r.proc.caps = CONTAINER_CAPS;
    // The runtime collects the container's output (nginx's image links its logs to stdout).
    for (const c of r.proc.output.splice(0)) status.logs.push(c.text);
    const prev = r.proc.sink;
    r.proc.sink = (c) => {
      prev?.(c);
      status.logs.push(c.text);
    };
    r.proc.onExit(() => this.exited(pod, status, ns));
    return status;
  }

  /**
   * A container's process ended. It shows as terminated (Completed or Error) until the kubelet
   * notices at its next PLEG relist; then, unless the restart policy says otherwise, the pod
   * worker restarts it under the container's back-off.
   */
  private exited(pod: KubeletPod, status: ContainerStatus, ns: NetNs): void {
    if (status.state !== 'running') return;
    if (!pod.spec.hostNetwork && !pod.sandbox?.pause.running) return;
    const code = status.proc?.exitCode ?? 0;
    const world = this.host.world;
    status.state = 'terminated';
    status.exit = {
      code,
      reason: code === 0 ? 'Completed' : 'Error',
      startedAt: status.startedAt ?? world.unixNow(),
      finishedAt: world.unixNow(),
      id: status.id,
      logs: status.logs,
    };
    status.reason = status.exit.reason;
    status.proc = undefined;
    this.changed();
    const policy = pod.spec.restartPolicy ?? 'Always';
    if (policy === 'Never' || (policy === 'OnFailure' && code === 0)) return;
    this.later(pod, PLEG_RELIST, () => this.syncContainer(pod, status, ns));
  }

  /**
   * The pod worker's sync for an exited container (doBackOff): the first exit restarts at once;
   * after that, while less than the back-off has passed since the last exit the container waits
   * in CrashLoopBackOff and the worker tries again 10–15 s later; once it has passed, the back-off
   * doubles (up to 5 min) and the container starts again. A back-off unused for 10 min resets.
   */
  private syncContainer(pod: KubeletPod, status: ContainerStatus, ns: NetNs): void {
    const i = pod.containers.indexOf(status);
    const exit = status.exit;
    if (i < 0 || !exit || (!pod.spec.hostNetwork && !pod.sandbox?.pause.running)) return;
    const world = this.host.world;
    const now = world.unixNow();
    const key = `${pod.uid}/${status.name}`;
    const entry = this.backoff.get(key);
    const expired = entry !== undefined && exit.finishedAt - entry.lastUpdate > 2 * BACKOFF_MAX;
    if (entry && !expired && now - exit.finishedAt < entry.backoff) {
      status.state = 'waiting';
      status.reason = 'CrashLoopBackOff';
      status.message = `back-off ${goDuration(entry.backoff)} restarting failed container=${status.name} pod=${pod.name}_${pod.namespace}(${pod.uid})`;
      status.last = exit;
      this.changed();
      const retry = WORKER_BACKOFF * (1 + 0.5 * world.rng.float());
      this.later(pod, retry, () => this.syncContainer(pod, status, ns));
      return;
    }
    this.backoff.set(key, {
      backoff: !entry || expired ? BACKOFF_INITIAL : Math.min(entry.backoff * 2, BACKOFF_MAX),
      lastUpdate: now,
    });
    pod.containers[i] = this.start(pod, ns, status.name, status.restarts + 1, exit);
    this.changed();
  }

  /** Runs `f` after `delay` seconds, unless the pod's sandbox is gone by then. */
  private later(pod: KubeletPod, delay: number, f: () => void): void {
    const anchor = pod.sandbox?.pause;
    if (anchor) anchor.after(seconds(delay), 'kubelet pod sync', f);
    else this.host.world.sched.schedule(seconds(delay), 'kubelet pod sync', f);
  }

  /** StopPodSandbox and RemovePodSandbox: containers, CNI DEL, pause, the namespace. */
  killPod(pod: KubeletPod): void {
    for (const c of pod.containers) {
      c.state = 'terminated';
      c.proc?.signal('SIGTERM');
      c.proc?.signal('SIGKILL');
    }
    const sb = pod.sandbox;
    if (!sb) return;
    cniInvoke(
      this.cluster,
      this.node,
      'DEL',
      sb.id,
      `/var/run/netns/${sb.netnsName}`,
      sb.ns,
      `${pod.namespace}.${pod.name}`,
    );
    sb.pause.exit(0);
    this.host.named.delete(sb.netnsName);
    this.host.fs.remove(`/var/run/netns/${sb.netnsName}`);
    if (!this.host.nsInUse(sb.ns)) netnsDestroy(this.host, sb.ns);
    pod.sandbox = undefined;
  }
}
