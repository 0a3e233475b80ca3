/**
 * The cluster model end to end: controllers, kubelet sandboxes wired by the CNI plugin, kube-proxy
 * rewriting its rules as pods come and go, and the same pod → Service request under each CNI
 * model with its own path on the wire.
 */
import { describe, expect, it } from 'vitest';
import { Shell } from '../shell/session';
import { captureLinesOf } from '../testing/capture';
import type { CniModelName } from './cni';
import type { ManifestData } from './objects';
import { testbed } from './testbed';

const deployment = (replicas: number): ManifestData => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'echo',
            image: 'hashicorp/http-echo',
            args: ['-text=hello', '-listen=:8080'],
            ports: [{ containerPort: 8080, name: 'http' }],
          },
        ],
      },
    },
  },
});

const service: ManifestData = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web' },
  spec: {
    selector: { app: 'web' },
    clusterIP: '10.96.100.10',
    ports: [{ port: 80, targetPort: 'http' }],
  },
};

const client = (node: string): ManifestData => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'client' },
  spec: {
    nodeName: node,
    containers: [{ name: 'curl', image: 'curlimages/curl', command: ['sleep', 'infinity'] }],
  },
});

function bed(cni: CniModelName = 'bridge', replicas = 3) {
  const { world, cluster } = testbed({
    nodes: 3,
    cni,
    objects: [deployment(replicas), service, client('kind-worker')],
  });
  const sh = (host = 'kind-control-plane') => new Shell(world, world.host(host)!);
  return { world, cluster, sh };
}

describe('controllers and the kubelet', () => {
  it('turns a Deployment into pods with generated names, spread over the workers', () => {
    const { cluster } = bed();
    const web = cluster.podList().filter((p) => p.name.startsWith('web-'));
    expect(web).toHaveLength(3);
    for (const p of web)
      expect(p.name).toMatch(
        /^web-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/,
      );
    expect(new Set(web.map((p) => p.labels['pod-template-hash'])).size).toBe(1);
    const nodes = web.map((p) => p.nodeName).sort();
    expect(nodes).toEqual(['kind-worker', 'kind-worker', 'kind-worker2']);
    for (const p of web) {
      const i = p.nodeName === 'kind-worker' ? 1 : 2;
      expect(p.podIP !== undefined && p.podIP >>> 8 === ((10 << 16) | (244 << 8) | i)).toBe(true);
    }
  });

  it('gives each pod a cni-<uuid> namespace held by pause, wired to cni0 by the bridge plugin', () => {
    const { cluster, sh } = bed();
    const node = sh('kind-worker');
    const list = node.run('ip netns list').stdout;
    const onNode = cluster.podList().filter((p) => p.nodeName === 'kind-worker');
    for (const p of onNode) {
      expect(list).toContain(p.sandbox!.netnsName);
      expect(p.sandbox!.netnsName).toMatch(
        /^cni-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(p.sandbox!.pause.comm).toBe('/pause');
    }
    expect(node.run('ls /var/run/netns').stdout.trim().split('\n').sort()).toEqual(
      onNode.map((p) => p.sandbox!.netnsName).sort(),
    );
    const ns = onNode[0]!.sandbox!.netnsName;
    expect(node.run(`ip netns exec ${ns} ip route`).stdout).toBe(
      `default via 10.244.1.1 dev eth0 \n10.244.1.0/24 dev eth0 proto kernel scope link src ${node.run(`ip netns exec ${ns} ip -br -4 addr show eth0`).stdout.split(/\s+/)[2]!.replace('/24', '')} \n`,
    );
    expect(node.run('ip route').stdout).toBe(
      '10.244.0.0/24 via 172.18.0.2 dev eth0 \n' +
        '10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1 \n' +
        '10.244.2.0/24 via 172.18.0.4 dev eth0 \n' +
        '172.18.0.0/16 dev eth0 proto kernel scope link src 172.18.0.3 \n',
    );
    expect(node.run('cat /var/lib/cni/networks/bridge/last_reserved_ip').stdout).toBe('10.244.1.4');
    const pods = node.run('crictl pods').stdout.split('\n');
    expect(pods[0]).toMatch(
      /^POD ID {14}CREATED {18}STATE {15}NAME {19}NAMESPACE {11}ATTEMPT {13}RUNTIME$/,
    );
    expect(pods[1]).toMatch(/^[0-9a-f]{13} {7}Less than a second ago {3}Ready {15}client /);
  });

  it('lets the containers of one pod talk over localhost', () => {
    const { cluster, sh } = bed();
    const r = cluster.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'multi-container-pod' },
      spec: {
        containers: [
          { name: 'nginx', image: 'nginx' },
          { name: 'sidecar', image: 'nicolaka/netshoot', command: ['sleep', '3600'] },
        ],
      },
    });
    expect(r.ok).toBe(true);
    const cp = sh();
    const ex = cp.run('kubectl exec multi-container-pod -c sidecar -- curl -s localhost');
    expect(ex.exitCode).toBe(0);
    expect(ex.stdout).toContain('<title>Welcome to nginx!</title>');
    // On the node: one namespace, three processes (pause, nginx, sleep), pause's first.
    const mc = cluster.pods.get('default/multi-container-pod')!;
    const sandbox = mc.sandbox!;
    const lsns = sh(mc.nodeName).run('lsns -t net').stdout.split('\n');
    expect(lsns[0]).toBe(
      '        NS TYPE NPROCS  PID USER     NETNSID NSFS                                                COMMAND',
    );
    // The initial namespace has the number kernel 6.18 fixes for init_net.
    expect(lsns[1]).toMatch(/^4026531833 net +\d+ +1 root +unassigned +\/sbin\/init$/);
    expect(lsns.find((l) => l.includes(sandbox.netnsName))).toMatch(
      new RegExp(
        `^40265\\d{5} net {7}3 +${sandbox.pause.pid} 65535 +\\d+ /run/netns/${sandbox.netnsName} /pause$`,
      ),
    );
    // The article's lsns -p: nginx is in no network namespace of its own but in the pause's
    // (with its UTS and IPC ones, containerd's WithPodNamespaces), with mount, PID and (cgroup
    // v2) cgroup namespaces of its own; time and user are the node's.
    const nginx = mc.containers.find((c) => c.name === 'nginx')!.proc!;
    const byPid = sh(mc.nodeName).run(`lsns -p ${nginx.pid}`).stdout.split('\n');
    expect(byPid[0]).toMatch(/^ {8}NS TYPE +NPROCS +PID USER +COMMAND$/);
    expect(
      byPid.slice(1, -1).map((r) => {
        const m = /^\d+ (\S+) +\d+ +(\d+) (\S+) +(.*)$/.exec(r)!;
        return `${m[1]} ${m[2] === String(nginx.pid) ? 'nginx' : m[2] === String(sandbox.pause.pid) ? 'pause' : m[2]} ${m[3]} ${m[4]}`;
      }),
    ).toEqual([
      'time 1 root /sbin/init',
      'user 1 root /sbin/init',
      'net pause 65535 /pause',
      'uts pause 65535 /pause',
      'ipc pause 65535 /pause',
      `mnt nginx root ${nginx.argv.join(' ')}`,
      `pid nginx root ${nginx.argv.join(' ')}`,
      `cgroup nginx root ${nginx.argv.join(' ')}`,
    ]);
    // kubectl exec enters the container's namespaces: while it runs, the sidecar's mount
    // namespace has two processes. Inside, its own PID namespace hides the node's processes.
    const sidecar = mc.containers.find((c) => c.name === 'sidecar')!.proc!;
    cp.run('kubectl exec multi-container-pod -c sidecar -- sleep 30 &');
    expect(sh(mc.nodeName).run('lsns -t mnt -o NS,NPROCS,PID').stdout).toMatch(
      new RegExp(`\\n40265\\d{5} +2 +${sidecar.pid}\\n`),
    );
    expect(cp.run('kubectl exec multi-container-pod -c sidecar -- lsns').stderr).toMatch(
      /^packet-life: lsns inside a container \(its own PID namespace\) is not modelled/,
    );
    const ip = cp.run('kubectl get pod multi-container-pod -o jsonpath={.status.podIP}').stdout;
    expect(
      cp.run('kubectl exec multi-container-pod -c sidecar -- ip -br -4 addr show eth0'),
    ).toMatchObject({ stdout: expect.stringContaining(`${ip}/24`), exitCode: 0 });
    // The nginx image (Debian slim) has curl but no iproute2.
    expect(cp.run('kubectl exec multi-container-pod -- ip -br -4 addr show eth0')).toMatchObject({
      exitCode: 1,
      stdout: '',
      stderr: expect.stringMatching(
        /^Defaulted container "nginx" out of: nginx, sidecar\nerror: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "ip": executable file not found in \$PATH: unknown\n$/,
      ),
    });
    expect(cp.run('kubectl exec multi-container-pod -- curl -s localhost').stdout).toContain(
      '<title>Welcome to nginx!</title>',
    );
  });

  it('finds only what each image holds: BusyBox has no curl, http-echo nothing but itself', () => {
    const { cluster, sh } = bed();
    for (const [name, image] of [
      ['bb', 'busybox'],
      ['echo', 'hashicorp/http-echo'],
    ] as const)
      expect(
        cluster.apply({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: {
            containers: [
              image === 'busybox'
                ? { name, image, command: ['sleep', '3600'] }
                : { name, image, args: ['-text=hi'] },
            ],
          },
        }).ok,
      ).toBe(true);
    const cp = sh();
    const notFound = (cmd: string) =>
      expect.stringMatching(
        new RegExp(`exec: "${cmd}": executable file not found in \\$PATH: unknown\n$`),
      );
    expect(cp.run('kubectl exec bb -- curl -s http://10.96.0.1/')).toMatchObject({
      exitCode: 1,
      stderr: notFound('curl'),
    });
    // The pod's UTS namespace names it after the pod; ip netns exec on the node keeps the node's.
    expect(cp.run('kubectl exec bb -- hostname')).toMatchObject({ exitCode: 0, stdout: 'bb\n' });
    const bb = cluster.pods.get('default/bb')!;
    expect(sh(bb.nodeName).run(`ip netns exec ${bb.sandbox!.netnsName} hostname`).stdout).toBe(
      `${bb.nodeName}\n`,
    );
    expect(cp.run('kubectl exec echo -- cat /etc/hostname')).toMatchObject({
      exitCode: 1,
      stderr: notFound('cat'),
    });
    // A container whose command the image lacks does not start.
    expect(
      cluster.apply({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'bb-curl' },
        spec: { containers: [{ name: 'c', image: 'busybox', command: ['curl', 'http://web/'] }] },
      }).ok,
    ).toBe(true);
    expect(cp.run('kubectl get pod bb-curl').stdout).toMatch(/bb-curl +0\/1 +RunContainerError/);
  });
});

describe('kube-proxy follows the pods', () => {
  it('rewrites the Service chains when a pod is deleted and replaced', () => {
    const { cluster, sh } = bed();
    const cp = sh();
    const before = cp.run('iptables-save -t nat').stdout;
    const victim = cluster.podList().find((p) => p.name.startsWith('web-'))!;
    const oldIp = victim.podIP!;
    const del = cp.run(`kubectl delete pod ${victim.name}`);
    expect(del.stdout).toBe(`pod "${victim.name}" deleted\n`);
    const web = cluster.podList().filter((p) => p.name.startsWith('web-'));
    expect(web).toHaveLength(3);
    expect(web.some((p) => p.name === victim.name)).toBe(false);
    const fresh = web.find((p) => !before.includes(`${fmt(p.podIP!)}:8080`))!;
    expect(fresh.podIP).not.toBe(oldIp);
    const after = cp.run('iptables-save -t nat').stdout;
    expect(after).not.toContain(`--to-destination ${fmt(oldIp)}:8080`);
    expect(after).toContain(`--to-destination ${fmt(fresh.podIP!)}:8080`);
  });

  it('scales to zero and REJECTs, then back', () => {
    const { sh } = bed();
    const cp = sh();
    expect(cp.run('kubectl scale deployment web --replicas=0').stdout).toBe(
      'deployment.apps/web scaled\n',
    );
    expect(cp.run('iptables -S KUBE-SERVICES').stdout).toContain(
      '-A KUBE-SERVICES -d 10.96.100.10/32 -p tcp -m comment --comment "default/web has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
    );
    const r = cp.run('kubectl exec client -- curl -s -m 2 http://10.96.100.10/');
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toBe('command terminated with exit code 7\n');
    cp.run('kubectl scale deploy/web --replicas=2');
    expect(
      cp
        .run(
          'kubectl get endpointslices -l kubernetes.io/service-name=web -o jsonpath={.items[0].endpoints[*].addresses[0]}',
        )
        .stdout.split(' '),
    ).toHaveLength(2);
  });
});

describe('kubectl', () => {
  it('applies manifests from a file and reports what changed', () => {
    const { world, sh } = bed();
    const cp = sh();
    world
      .host('kind-control-plane')!
      .fs.writeFile(
        '/root/app.yaml',
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: cart\n  namespace: shop\n  labels: {app: cart}\nspec:\n  containers:\n  - name: nginx\n    image: nginx\n',
      );
    expect(cp.run('kubectl apply -f app.yaml').stdout).toBe(
      'namespace/shop created\npod/cart created\n',
    );
    expect(cp.run('kubectl apply -f app.yaml').stdout).toBe(
      'namespace/shop unchanged\npod/cart unchanged\n',
    );
    expect(cp.run('kubectl get pods -n shop').stdout).toMatch(
      /^NAME {3}READY {3}STATUS {4}RESTARTS {3}AGE\ncart {3}1\/1 {5}Running {3}0 {10}\d+s\n$/,
    );
    expect(cp.run('kubectl get pods -n nowhere')).toMatchObject({
      stdout: '',
      stderr: 'No resources found in nowhere namespace.\n',
    });
    expect(cp.run('kubectl get pod nope')).toMatchObject({
      exitCode: 1,
      stderr: 'Error from server (NotFound): pods "nope" not found\n',
    });
    world
      .host('kind-control-plane')!
      .fs.writeFile(
        '/root/bad.yaml',
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containerz: []\n',
      );
    expect(cp.run('kubectl apply -f bad.yaml').stderr).toBe(
      'Error from server (BadRequest): error when creating "bad.yaml": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containerz"\n',
    );
    world
      .host('kind-control-plane')!
      .fs.writeFile(
        '/root/crd.yaml',
        'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n',
      );
    expect(cp.run('kubectl apply -f crd.yaml')).toMatchObject({
      exitCode: 1,
      stderr:
        'error: resource mapping not found for name: "w" namespace: "" from "crd.yaml": no matches for kind "Widget" in version "example.com/v1"\nensure CRDs are installed first\n',
    });
    expect(cp.run('kubectl apply -f missing.yaml').stderr).toBe(
      'error: the path "missing.yaml" does not exist\n',
    );
  });

  it('answers for what it does not model, and off the cluster has no server', () => {
    const { sh } = bed();
    const cp = sh();
    expect(cp.run('kubectl version').stdout).toBe(
      'Client Version: v1.30.0\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\nServer Version: v1.30.0\n',
    );
    expect(cp.run('kubectl gte pods')).toMatchObject({
      exitCode: 1,
      stderr:
        'error: unknown command "gte" for "kubectl"\n\nDid you mean this?\n\tget\n\nRun \'kubectl --help\' for usage.\n',
    });
    expect(cp.run('kubectl frob').stderr).toBe(
      'error: unknown command "frob" for "kubectl"\nRun \'kubectl --help\' for usage.\n',
    );
    expect(cp.run('kubectl describe pod client')).toMatchObject({
      exitCode: 1,
      stderr: expect.stringContaining('packet-life does not model "kubectl describe"'),
    });
  });

  it('prints services and nodes as kubectl does', () => {
    const { sh } = bed();
    const cp = sh();
    expect(cp.run('kubectl get svc').stdout).toMatch(
      /^NAME {9}TYPE {8}CLUSTER-IP {5}EXTERNAL-IP {3}PORT\(S\) {3}AGE\nkubernetes {3}ClusterIP {3}10\.96\.0\.1 {6}<none> {8}443\/TCP {3}\d+s\nweb {10}ClusterIP {3}10\.96\.100\.10 {3}<none> {8}80\/TCP {4}\d+s\n$/,
    );
    expect(
      cp.run('kubectl get nodes -o jsonpath={.items[*].status.addresses[0].address}').stdout,
    ).toBe('172.18.0.2 172.18.0.3 172.18.0.4');
    expect(sh('kind-worker').run('kubectl get ns').stdout.split('\n')[0]).toBe(
      'NAME              STATUS   AGE',
    );
    // --no-headers: the rows alone, their columns only as wide as the rows need.
    expect(cp.run('kubectl get svc --no-headers').stdout).toMatch(
      /^kubernetes {3}ClusterIP {3}10\.96\.0\.1 {6}<none> {3}443\/TCP {3}\d+s\nweb {10}ClusterIP {3}10\.96\.100\.10 {3}<none> {3}80\/TCP {4}\d+s\n$/,
    );
  });

  it("points a flag error at the subcommand's help, after checking the command exists", () => {
    const { sh } = bed();
    const cp = sh();
    expect(cp.run('kubectl get pods --bogus')).toMatchObject({
      exitCode: 1,
      stderr: "error: unknown flag: --bogus\nSee 'kubectl get --help' for usage.\n",
    });
    expect(cp.run('kubectl get pods -o').stderr).toBe(
      "error: flag needs an argument: 'o' in -o\nSee 'kubectl get --help' for usage.\n",
    );
    expect(cp.run('kubectl frob --bogus').stderr).toBe(
      'error: unknown command "frob" for "kubectl"\nRun \'kubectl --help\' for usage.\n',
    );
  });
});

function fmt(a: number): string {
  return [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
}

describe('one pod → Service request under each CNI model', () => {
  for (const cni of ['bridge', 'flannel', 'calico'] as const) {
    it(`${cni}: DNAT on the client's node, the reply rewritten back, its own path between nodes`, () => {
      const { cluster, world, sh } = bed(cni, 1);
      // kind's nodes route everything else to the docker network's gateway; Calico's proxy ARP
      // for 169.254.1.1 answers only for addresses the node has a route to.
      for (const n of cluster.nodes) sh(n.name).run('ip route add default via 172.18.0.1');
      const backend = cluster.podList().find((p) => p.name.startsWith('web-'))!;
      expect(backend.nodeName).toBe('kind-worker');
      // Move the one backend to the other worker so the request must cross nodes.
      const cp = sh();
      cp.run(`kubectl delete pod ${backend.name}`);
      const moved = cluster.podList().find((p) => p.name.startsWith('web-'))!;
      expect(moved.nodeName).toBe('kind-worker2');
      const w1 = sh('kind-worker');
      const r = w1.run('kubectl exec client -- curl -s http://10.96.100.10/');
      expect(r.stdout).toBe('hello\n');
      const clientIp = fmt(cluster.pods.get('default/client')!.podIP!);
      const be = fmt(moved.podIP!);
      const ct = w1.run('conntrack -L -p tcp --dport 80');
      expect(ct.stdout).toMatch(
        new RegExp(
          `src=${clientIp.replace(/\./g, '\\.')} dst=10\\.96\\.100\\.10 sport=\\d+ dport=80 src=${be.replace(/\./g, '\\.')} dst=${clientIp.replace(/\./g, '\\.')} sport=8080`,
        ),
      );
      const eth0 = captureLinesOf(world, r, 'kind-worker', 'root', 'eth0').join('\n');
      if (cni === 'bridge') {
        expect(eth0).toContain(`${clientIp}.`);
        expect(eth0).toContain(`> ${be}.8080: Flags [S]`);
        expect(eth0).not.toContain('OTV');
      } else if (cni === 'calico') {
        expect(eth0).toMatch(
          new RegExp(
            `172\\.18\\.0\\.3 > 172\\.18\\.0\\.4: ${clientIp.replace(/\./g, '\\.')}\\.\\d+ > ${be.replace(/\./g, '\\.')}\\.8080: Flags \\[S\\]`,
          ),
        );
        const tunl = captureLinesOf(world, r, 'kind-worker', 'root', 'tunl0').join('\n');
        expect(tunl).toContain(`> ${be}.8080: Flags [S]`);
      } else {
        expect(eth0).toMatch(
          /172\.18\.0\.3\.\d+ > 172\.18\.0\.4\.8472: OTV, flags \[I\] \(0x08\), overlay 0, instance 1\n.*> .*10\.244\.2\.\d+\.8080: Flags \[S\]/,
        );
        const fl = captureLinesOf(world, r, 'kind-worker', 'root', 'flannel.1').join('\n');
        expect(fl).toContain(`> ${be}.8080: Flags [S]`);
      }
      // Never does the Service address leave the node: DNAT happened before routing.
      expect(eth0).not.toContain('10.96.100.10');
    });
  }
});

describe('cluster DNS', () => {
  it('resolves a Service name through CoreDNS behind kube-dns, by a traced UDP exchange', () => {
    const { cluster, world, sh } = bed('bridge', 1);
    const w1 = sh('kind-worker');
    expect(w1.run('kubectl exec client -- cat /etc/resolv.conf').stdout).toBe(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(w1.run('kubectl get svc -n kube-system kube-dns').stdout).toMatch(
      /kube-dns +ClusterIP +10\.96\.0\.10 +<none> +53\/UDP,53\/TCP,9153\/TCP /,
    );
    const dnsPods = cluster.podList('kube-system').map((p) => fmt(p.podIP!));
    expect(dnsPods).toHaveLength(2);
    const r = w1.run('kubectl exec client -- curl -s http://web/');
    expect(r.stdout).toBe('hello\n');
    const eth0 = captureLinesOf(world, r, 'kind-worker', 'root', 'eth0').join('\n');
    // ndots:5 puts the first search domain first; the query was DNATed to a CoreDNS pod.
    expect(eth0).toMatch(
      new RegExp(
        `10\\.244\\.1\\.\\d+\\.\\d+ > (${dnsPods.join('|').replace(/\./g, '\\.')})\\.53: \\d+\\+ A\\? web\\.default\\.svc\\.cluster\\.local\\.`,
      ),
    );
    expect(eth0).not.toContain('10.96.0.10');
    // The client is curlimages/curl: BusyBox's nslookup puts a dotless name under each search
    // domain (never as given), asks A and AAAA for all at once and prints each reply.
    const ns = w1.run('kubectl exec client -- nslookup web');
    const nx = (n: string) => `** server can't find ${n}: NXDOMAIN\n\n`;
    expect(ns.stdout).toBe(
      'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tweb.default.svc.cluster.local\nAddress: 10.96.100.10\n\n' +
        nx('web.svc.cluster.local') +
        nx('web.cluster.local') +
        '\n' +
        nx('web.svc.cluster.local') +
        nx('web.cluster.local'),
    );
    expect(ns.exitCode).toBe(1);
    expect(w1.run('kubectl exec client -- curl -sS http://nope/')).toMatchObject({
      exitCode: 6,
      stderr: 'curl: (6) Could not resolve host: nope\ncommand terminated with exit code 6\n',
    });
  });
});
