import { describe, expect, it } from 'vitest';
import { bootDocker } from '../../../runtime/docker';
import { lab } from '../../../testing/lab';
import { seconds } from '../../../sim/time';
import { humanDuration } from './index';
import { TemplateError, renderTemplate } from './template';

function dockerHost(images?: ('nginx' | 'busybox' | 'kubernetes/pause')[]) {
  const l = lab({ hosts: [{ name: 'h', ipForward: true }] });
  bootDocker(l.world.host('h')!, { images });
  return l;
}

describe('docker run', () => {
  it('prints a 64-hex id drawn from the seeded generator', () => {
    const a = dockerHost().run('docker run -d --name web --rm nginx');
    const b = dockerHost().run('docker run -d --name web --rm nginx');
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(b.stdout).toBe(a.stdout);
  });

  it('refuses a name in use, an unknown image and a missing container to join', () => {
    const l = dockerHost();
    const id = l.run('docker run -d --name web nginx').stdout.trim();
    const dup = l.run('docker run -d --name web nginx');
    expect(dup.exitCode).toBe(125);
    expect(dup.stderr).toBe(
      `docker: Error response from daemon: Conflict. The container name "/web" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.\nSee 'docker run --help'.\n`,
    );
    const unknown = l.run('docker run -d nosuchimage');
    expect(unknown.exitCode).toBe(125);
    expect(unknown.stderr).toBe(
      "Unable to find image 'nosuchimage:latest' locally\ndocker: Error response from daemon: pull access denied for nosuchimage, repository does not exist or may require 'docker login': denied: requested access to the resource is denied.\nSee 'docker run --help'.\n",
    );
    expect(l.run('docker run -d --network container:nope nginx').stderr).toContain(
      'No such container: nope',
    );
    expect(l.run('docker run -d --bogus nginx').stderr).toBe(
      "unknown flag: --bogus\nSee 'docker run --help'.\n",
    );
  });

  it('pulls kubernetes/pause the first time, as the article shows', () => {
    const l = dockerHost(['nginx', 'busybox']);
    const r = l.run('docker run --name pause_demo -d --rm --network none kubernetes/pause');
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(
      "Unable to find image 'kubernetes/pause:latest' locally\nlatest: Pulling from kubernetes/pause\n4f4fb700ef54: Pull complete\nb9c8ec465f6b: Pull complete\nDigest: sha256:b31bfb4d0213f254d361e0079deaaebefa4f82ba7aa76ef82e90b4935ad5b105\nStatus: Downloaded newer image for kubernetes/pause:latest\n",
    );
    expect(l.run('docker run -d --network none kubernetes/pause').stderr).toBe('');
  });

  it('--network none gives a namespace with only lo, up', () => {
    const l = dockerHost();
    l.run('docker run --name pp -d --rm --network none kubernetes/pause');
    const key = l
      .run("docker inspect pp --format '{{ .NetworkSettings.SandboxKey }}'")
      .stdout.trim();
    expect(key).toMatch(/^\/var\/run\/docker\/netns\/[0-9a-f]{12}$/);
    expect(l.run("docker inspect -f '{{.NetworkSettings.IPAddress}}' pp").stdout).toBe('\n');
    l.run(`ln -s ${key} /var/run/netns/pp`);
    expect(l.run('ip netns exec pp ip link').stdout).toBe(
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n',
    );
  });

  it('--network container:X joins X: same namespace, nginx listening in it', () => {
    const l = dockerHost();
    l.run('docker run --name pp -d --rm kubernetes/pause');
    expect(l.run('docker run --name ww -d --rm --network container:pp nginx').exitCode).toBe(0);
    expect(
      l.run("docker inspect -f '{{.NetworkSettings.SandboxKey}}|{{.HostConfig.NetworkMode}}' ww")
        .stdout,
    ).toBe('|container:pp\n');
    const ip = l.run("docker inspect -f '{{.NetworkSettings.IPAddress}}' pp").stdout.trim();
    expect(ip).toBe('172.17.0.2');
    expect(l.run(`curl -s ${ip}`).stdout).toContain('Welcome to nginx!');
  });
});

describe('docker inspect', () => {
  it('evaluates the article templates with and without spaces, and a few more', () => {
    const l = dockerHost();
    l.run('docker run -d --name web --rm nginx');
    l.run('WEB_IP=`docker inspect -f "{{ .NetworkSettings.IPAddress }}" web`');
    expect(l.run('echo $WEB_IP').stdout).toBe('172.17.0.2\n');
    expect(l.run("docker inspect --format='{{.NetworkSettings.IPAddress}}' web").stdout).toBe(
      '172.17.0.2\n',
    );
    const pid = l.run("docker inspect -f '{{.State.Pid}}' web").stdout.trim();
    expect(l.world.host('h')!.processes.get(Number(pid))?.comm).toMatch(/^nginx: master/);
    expect(
      l.run("docker inspect -f '{{range .NetworkSettings.Networks}}{{.MacAddress}}{{end}}' web")
        .stdout,
    ).toBe('02:42:ac:11:00:02\n');
    expect(l.run("docker inspect -f '{{json .NetworkSettings.Ports}}' web").stdout).toBe(
      '{"80/tcp":null}\n',
    );
    expect(l.run("docker inspect -f '{{.NetworkSettings.Nope}}' web").stdout).toBe('<no value>\n');
    const bad = l.run("docker inspect -f '{{nope .Id}}' web");
    expect(bad.exitCode).toBe(64);
    expect(bad.stderr).toBe('Template parsing error: template: :1: function "nope" not defined\n');
  });

  it('prints JSON for the fields it models, and errors for missing objects', () => {
    const l = dockerHost();
    l.run('docker run -d --name web -p 8080:80 nginx');
    const r = l.run('docker inspect web');
    const j = JSON.parse(r.stdout) as {
      Name: string;
      NetworkSettings: { IPAddress: string; Ports: unknown; Gateway: string };
    }[];
    expect(j[0]!.Name).toBe('/web');
    expect(j[0]!.NetworkSettings.Gateway).toBe('172.17.0.1');
    expect(j[0]!.NetworkSettings.Ports).toEqual({
      '80/tcp': [
        { HostIp: '0.0.0.0', HostPort: '8080' },
        { HostIp: '::', HostPort: '8080' },
      ],
    });
    expect(r.stdout).toMatch(/^\[\n {4}\{\n {8}"Id": "[0-9a-f]{64}",\n/);
    const missing = l.run('docker inspect nope');
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toBe('[]\n');
    expect(missing.stderr).toBe('Error: No such object: nope\n');
  });
});

describe('docker ps, stop, rm, logs', () => {
  it('lays out docker ps like the CLI and follows containers through stop and rm', () => {
    const l = dockerHost();
    const id = l.run('docker run -d --name web nginx').stdout.slice(0, 12);
    l.world.pass(seconds(65));
    expect(l.run('docker ps').stdout).toBe(
      `CONTAINER ID   IMAGE     COMMAND                  CREATED              STATUS              PORTS     NAMES\n${id}   nginx     "/docker-entrypoint.…"   About a minute ago   Up About a minute   80/tcp    web\n`,
    );
    expect(l.run('docker rm web').stderr).toBe(
      `Error response from daemon: You cannot remove a running container ${l.run("docker inspect -f '{{.Id}}' web").stdout.trim()}. Stop the container before attempting removal or force remove\n`,
    );
    expect(l.run('docker stop web').stdout).toBe('web\n');
    expect(l.run('docker ps -a').stdout).toContain('Exited (0) Less than a second ago');
    expect(l.run('docker ps -q').stdout).toBe('');
    expect(l.run('docker rm web').stdout).toBe('web\n');
    expect(l.run('docker rm web').stderr).toBe('Error: No such container: web\n');
    expect(l.run('docker stop web').stderr).toBe(
      'Error response from daemon: No such container: web\n',
    );
  });

  it('--rm removes the container and its namespace link stops working', () => {
    const l = dockerHost();
    l.run('docker run -d --name web --rm nginx');
    l.run(
      "ln -sv $(docker inspect web --format '{{ .NetworkSettings.SandboxKey }}') /var/run/netns/web",
    );
    expect(l.run('ip netns list').stdout).toBe('web (id: 0)\n');
    l.run('docker stop web');
    expect(l.run('docker ps -a').stdout).toBe(
      'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n',
    );
    expect(l.run('ip netns exec web ip addr').exitCode).toBe(255);
  });

  it('busybox sh exits at once without a terminal; nginx access lines go to docker logs', () => {
    const l = dockerHost();
    l.run('docker run -d --name bb busybox');
    l.world.pass(seconds(1));
    expect(l.run('docker ps -a').stdout).toContain('Exited (0)');
    l.run('docker run -d --name web nginx');
    l.run('curl -s 172.17.0.2 >/dev/null');
    expect(l.run('docker logs web').stdout).toMatch(
      /^172\.17\.0\.1 - - \[15\/Jan\/2024:10:00:0[0-9] \+0000\] "GET \/ HTTP\/1\.1" 200 612 "-" "curl\/7\.88\.1"\n$/,
    );
  });

  it('rejects one-character names, as the daemon does', () => {
    expect(dockerHost().run('docker run -d --name p nginx').stderr).toBe(
      "docker: Error response from daemon: Invalid container name (p), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed.\nSee 'docker run --help'.\n",
    );
  });

  it('without a daemon the CLI cannot connect', () => {
    const l = lab({ hosts: [{ name: 'plain' }] });
    const r = l.run('docker ps');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
    );
  });
});

describe('template and durations', () => {
  it('formats maps the Go way and rejects unknown functions', () => {
    expect(renderTemplate('{{.A}}', { A: { b: [1, 'x'], a: null } })).toBe('map[a:<nil> b:[1 x]]');
    expect(() => renderTemplate('{{ bogus }}', {})).toThrow(TemplateError);
  });

  it('HumanDuration', () => {
    expect(humanDuration(0.5)).toBe('Less than a second');
    expect(humanDuration(1)).toBe('1 second');
    expect(humanDuration(59)).toBe('59 seconds');
    expect(humanDuration(61)).toBe('About a minute');
    expect(humanDuration(600)).toBe('10 minutes');
    expect(humanDuration(3600)).toBe('About an hour');
  });
});
