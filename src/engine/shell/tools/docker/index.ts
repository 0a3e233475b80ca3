/**
 * `docker` (CLI 20.10, as packaged by Debian 12) against the host's simulated daemon:
 * run, inspect, ps, stop, rm, logs. Errors are the CLI's and the daemon's own texts.
 */
import {
  type Container,
  DOCKER_VERSION,
  type DockerEngine,
  IMAGES,
  type PortMapping,
  dockerOf,
} from '../../../runtime/docker';
import { formatIpv4 } from '../../../net/ipv4';
import { civilFromUnix } from '../../../sim/clock';
import type { Tool, ToolContext } from '../../tool';
import { type Json, TemplateError, renderTemplate } from './template';

class DockerExit extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(text);
  }
}

const RUN_HELP = "See 'docker run --help'.\n";

/** RFC 3339 with nanoseconds, as the daemon stamps times. */
export function rfc3339(unix: number): string {
  if (unix === 0) return '0001-01-01T00:00:00Z';
  const whole = Math.floor(unix);
  const c = civilFromUnix(whole);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const iso = `${c.year}-${p2(c.month)}-${p2(c.day)}T${p2(c.hour)}:${p2(c.minute)}:${p2(c.second)}`;
  const ns = Math.round((unix - whole) * 1e9);
  return ns ? `${iso}.${String(ns).padStart(9, '0').replace(/0+$/, '')}Z` : `${iso}Z`;
}

/** go-units HumanDuration. */
export function humanDuration(secs: number): string {
  const s = Math.floor(secs);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(secs / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.floor(secs / 3600 + 0.5);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  const days = Math.floor(secs / 86400);
  if (h < 24 * 7 * 2) return `${days} days`;
  return `${Math.floor(days / 7)} weeks`;
}

function portKey(p: number): string {
  return `${p}/tcp`;
}

/** The subset of `docker inspect` this model can fill in truthfully, in the daemon's field order. */
export function inspectJson(e: DockerEngine, c: Container): { [k: string]: Json } {
  const running = c.state === 'running';
  const bridged = c.ip !== undefined;
  const exposed = [...IMAGES[c.image].exposed, ...c.ports.map((p) => p.containerPort)];
  const ports: { [k: string]: Json } = {};
  const bindings: { [k: string]: Json } = {};
  for (const p of [...new Set(exposed)].sort((a, b) => a - b)) {
    const pub = c.ports.filter((m) => m.containerPort === p);
    if (pub.length)
      bindings[portKey(p)] = pub.map((m) => ({ HostIp: '', HostPort: String(m.hostPort) }));
    if (bridged)
      ports[portKey(p)] = pub.length
        ? pub.flatMap((m) => [
            { HostIp: '0.0.0.0', HostPort: String(m.hostPort) },
            { HostIp: '::', HostPort: String(m.hostPort) },
          ])
        : null;
  }
  const ip = c.ip !== undefined ? formatIpv4(c.ip) : '';
  const gw = bridged ? formatIpv4(e.gateway) : '';
  const plen = bridged ? e.subnet.len : 0;
  const mac = c.mac ?? '';
  const networks: { [k: string]: Json } = {};
  if (c.networkMode === 'default' || c.networkMode === 'bridge' || c.networkMode === 'none') {
    const name = c.networkMode === 'none' ? 'none' : 'bridge';
    networks[name] = {
      IPAMConfig: null,
      Links: null,
      Aliases: null,
      NetworkID: '',
      EndpointID: running ? (c.endpointId ?? '') : '',
      Gateway: gw,
      IPAddress: ip,
      IPPrefixLen: plen,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      MacAddress: mac,
      DriverOpts: null,
    };
  }
  return {
    Id: c.id,
    Created: rfc3339(c.created),
    Path: c.path,
    Args: [...c.args],
    State: {
      Status: running ? 'running' : 'exited',
      Running: running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: running ? (c.init?.pid ?? 0) : 0,
      ExitCode: running ? 0 : c.exitCode,
      Error: '',
      StartedAt: rfc3339(c.startedAt),
      FinishedAt: rfc3339(c.finishedAt ?? 0),
    },
    Name: `/${c.name}`,
    HostConfig: {
      NetworkMode: c.networkMode,
      PortBindings: bindings,
      AutoRemove: c.autoRemove,
    },
    Config: {
      Hostname: c.id.slice(0, 12),
      Image: c.imageRef,
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: c.sandbox?.id ?? '',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: ports,
      SandboxKey: c.sandbox?.key ?? '',
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: bridged ? (c.endpointId ?? '') : '',
      Gateway: gw,
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: ip,
      IPPrefixLen: plen,
      IPv6Gateway: '',
      MacAddress: mac,
      Networks: networks,
    },
  };
}

/** `docker ps` columns, laid out by Go's tabwriter (minwidth 10, padding 3). */
export function psTable(e: DockerEngine, all: boolean, now: number): string {
  const rows: string[][] = [
    ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
  ];
  const list = e.containers.filter((c) => all || c.state === 'running').reverse();
  for (const c of list) {
    const full = [c.path, ...c.args].join(' ');
    const cmd = full.length > 20 ? `${[...full].slice(0, 19).join('')}…` : full;
    const status =
      c.state === 'running'
        ? `Up ${humanDuration(now - c.startedAt)}`
        : `Exited (${c.exitCode}) ${humanDuration(now - (c.finishedAt ?? now))} ago`;
    const ports =
      c.state !== 'running' || c.ip === undefined
        ? ''
        : [
            ...c.ports.flatMap((p) => [
              `0.0.0.0:${p.hostPort}->${p.containerPort}/tcp`,
              `:::${p.hostPort}->${p.containerPort}/tcp`,
            ]),
            ...IMAGES[c.image].exposed
              .filter((x) => !c.ports.some((p) => p.containerPort === x))
              .map((x) => `${x}/tcp`),
          ].join(', ');
    rows.push([
      c.id.slice(0, 12),
      c.imageRef,
      `"${cmd}"`,
      `${humanDuration(now - c.created)} ago`,
      status,
      ports,
      c.name,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(10, ...rows.map((r) => r[i]!.length + 3)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('')
        .trimEnd(),
    )
    .map((l) => `${l}\n`)
    .join('');
}

function needEngine(ctx: ToolContext): DockerEngine {
  const e = dockerOf(ctx.proc.host);
  if (!e)
    throw new DockerExit(
      1,
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
    );
  return e;
}

/** Splits `--opt=value` and `--opt value`; returns the value and the next index. */
function optValue(args: readonly string[], i: number, cmd: string): [string, number] {
  const a = args[i]!;
  const eq = a.indexOf('=');
  if (a.startsWith('--') && eq > 0) return [a.slice(eq + 1), i];
  const v = args[i + 1];
  if (v === undefined)
    throw new DockerExit(
      125,
      `flag needs an argument: ${a.startsWith('--') ? `--${a.slice(2)}` : `'${a.slice(1)}' in ${a}`}\nSee 'docker ${cmd} --help'.\n`,
    );
  return [v, i + 1];
}

function parsePublish(spec: string): PortMapping {
  const m = /^(?:(?:0\.0\.0\.0):)?([0-9]+):([0-9]+)(?:\/tcp)?$/.exec(spec);
  if (!m)
    throw new DockerExit(
      125,
      `docker: packet-life publishes TCP ports as -p HOSTPORT:CONTAINERPORT, not "${spec}".\n${RUN_HELP}`,
    );
  const hostPort = Number(m[1]);
  const containerPort = Number(m[2]);
  if (hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535)
    throw new DockerExit(125, `docker: Invalid hostPort: ${m[1]}.\n${RUN_HELP}`);
  return { hostPort, containerPort };
}

function run(ctx: ToolContext, args: readonly string[]): void {
  let detach = false;
  let name: string | undefined;
  let rm = false;
  let network: string | undefined;
  const ports: PortMapping[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-') break;
    const flag = a.split('=')[0]!;
    if (flag === '-d' || flag === '--detach') detach = true;
    else if (flag === '--rm') rm = true;
    else if (flag === '--name') [name, i] = optValue(args, i, 'run');
    else if (flag === '--network' || flag === '--net') [network, i] = optValue(args, i, 'run');
    else if (flag === '-p' || flag === '--publish') {
      let v: string;
      [v, i] = optValue(args, i, 'run');
      ports.push(parsePublish(v));
    } else if (/^-[a-z]{2,}$/.test(a) && [...a.slice(1)].every((f) => f === 'd')) detach = true;
    else if (a.startsWith('--')) throw new DockerExit(125, `unknown flag: ${flag}\n${RUN_HELP}`);
    else throw new DockerExit(125, `unknown shorthand flag: '${a[1]}' in ${a}\n${RUN_HELP}`);
  }
  const image = args[i];
  if (image === undefined)
    throw new DockerExit(
      125,
      `"docker run" requires at least 1 argument.\nSee 'docker run --help'.\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun a command in a new container\n`,
    );
  if (name !== undefined && !/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name))
    throw new DockerExit(
      125,
      `docker: Error response from daemon: Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed.\n${RUN_HELP}`,
    );
  if (!detach)
    throw new DockerExit(
      125,
      `docker: packet-life runs containers detached only: add -d (an attached container would hold the terminal).\n${RUN_HELP}`,
    );
  const e = needEngine(ctx);
  const r = e.run(
    {
      image,
      name: name?.replace(/^\//, ''),
      autoRemove: rm,
      network,
      ports,
      cmd: args.slice(i + 1),
    },
    ctx.proc,
  );
  if (!r.ok) throw new DockerExit(r.code, r.stderr);
  if (r.pullLog) ctx.proc.writeErr(r.pullLog);
  ctx.proc.write(`${r.container.id}\n`);
  ctx.proc.exit(0);
}

function inspect(ctx: ToolContext, args: readonly string[]): void {
  let format: string | undefined;
  const refs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const flag = a.split('=')[0]!;
    if (flag === '-f' || flag === '--format') [format, i] = optValue(args, i, 'inspect');
    else if (a.startsWith('-f') && a.length > 2) format = a.slice(2);
    else if (flag === '--type') [, i] = optValue(args, i, 'inspect');
    else if (a.startsWith('-'))
      throw new DockerExit(
        125,
        a.startsWith('--')
          ? `unknown flag: ${flag}\nSee 'docker inspect --help'.\n`
          : `unknown shorthand flag: '${a[1]}' in ${a}\nSee 'docker inspect --help'.\n`,
      );
    else refs.push(a);
  }
  if (refs.length === 0)
    throw new DockerExit(
      1,
      `"docker inspect" requires at least 1 argument.\nSee 'docker inspect --help'.\n\nUsage:  docker inspect [OPTIONS] NAME|ID [NAME|ID...]\n\nReturn low-level information on Docker objects\n`,
    );
  const e = needEngine(ctx);
  const found: { [k: string]: Json }[] = [];
  const errors: string[] = [];
  for (const r of refs) {
    const c = e.find(r);
    if (c) found.push(inspectJson(e, c));
    else errors.push(`Error: No such object: ${r}\n`);
  }
  if (format !== undefined) {
    let out = '';
    try {
      for (const o of found) out += `${renderTemplate(format, o)}\n`;
    } catch (err) {
      if (err instanceof TemplateError)
        throw new DockerExit(64, `Template parsing error: ${err.message}\n`);
      throw err;
    }
    ctx.proc.write(out);
  } else {
    ctx.proc.write(`${found.length ? JSON.stringify(found, null, 4) : '[]'}\n`);
  }
  if (errors.length) throw new DockerExit(1, errors.join(''));
  ctx.proc.exit(0);
}

function ps(ctx: ToolContext, args: readonly string[]): void {
  let all = false;
  let quiet = false;
  for (const a of args) {
    if (a === '-a' || a === '--all') all = true;
    else if (a === '-q' || a === '--quiet') quiet = true;
    else if (/^-[aq]+$/.test(a)) {
      all ||= a.includes('a');
      quiet ||= a.includes('q');
    } else
      throw new DockerExit(
        125,
        a.startsWith('--')
          ? `unknown flag: ${a}\nSee 'docker ps --help'.\n`
          : `unknown shorthand flag: '${a[1] ?? ''}' in ${a}\nSee 'docker ps --help'.\n`,
      );
  }
  const e = needEngine(ctx);
  if (quiet) {
    const ids = e.containers
      .filter((c) => all || c.state === 'running')
      .reverse()
      .map((c) => `${c.id.slice(0, 12)}\n`);
    ctx.proc.write(ids.join(''));
  } else ctx.proc.write(psTable(e, all, ctx.proc.host.world.unixNow()));
  ctx.proc.exit(0);
}

function stopOrRm(ctx: ToolContext, cmd: 'stop' | 'rm', args: readonly string[]): void {
  const force = cmd === 'rm' && args.some((a) => a === '-f' || a === '--force');
  const refs = args.filter((a) => !a.startsWith('-'));
  const bad = args.find(
    (a) => a.startsWith('-') && !(cmd === 'rm' && (a === '-f' || a === '--force')),
  );
  if (bad !== undefined)
    throw new DockerExit(
      125,
      `unknown ${bad.startsWith('--') ? `flag: ${bad}` : `shorthand flag: '${bad[1] ?? ''}' in ${bad}`}\nSee 'docker ${cmd} --help'.\n`,
    );
  if (refs.length === 0)
    throw new DockerExit(
      1,
      `"docker ${cmd}" requires at least 1 argument.\nSee 'docker ${cmd} --help'.\n\nUsage:  docker ${cmd} [OPTIONS] CONTAINER [CONTAINER...]\n\n${cmd === 'stop' ? 'Stop one or more running containers' : 'Remove one or more containers'}\n`,
    );
  const e = needEngine(ctx);
  let code = 0;
  for (const r of refs) {
    const c = e.find(r);
    if (!c) {
      ctx.proc.writeErr(
        cmd === 'stop'
          ? `Error response from daemon: No such container: ${r}\n`
          : `Error: No such container: ${r}\n`,
      );
      code = 1;
      continue;
    }
    if (cmd === 'stop') e.stop(c);
    else {
      if (c.state === 'running' && !force) {
        ctx.proc.writeErr(
          `Error response from daemon: You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove\n`,
        );
        code = 1;
        continue;
      }
      if (c.state === 'running') e.stop(c);
      e.remove(c);
    }
    ctx.proc.write(`${r}\n`);
  }
  ctx.proc.exit(code);
}

function logs(ctx: ToolContext, args: readonly string[]): void {
  const ref = args.find((a) => !a.startsWith('-'));
  if (ref === undefined)
    throw new DockerExit(
      1,
      `"docker logs" requires exactly 1 argument.\nSee 'docker logs --help'.\n\nUsage:  docker logs [OPTIONS] CONTAINER\n\nFetch the logs of a container\n`,
    );
  const e = needEngine(ctx);
  const c = e.find(ref);
  if (!c) throw new DockerExit(1, `Error: No such container: ${ref}\n`);
  ctx.proc.write(c.logs.join(''));
  ctx.proc.exit(0);
}

export const docker: Tool = (ctx) => {
  const args = ctx.argv.slice(1);
  const sub = args[0];
  try {
    if (sub === undefined || sub === '--help') {
      ctx.proc.write(
        'Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\npacket-life emulates: run, inspect, ps, stop, rm, logs, version\n',
      );
      ctx.proc.exit(0);
      return;
    }
    const rest = args.slice(1);
    switch (sub) {
      case 'run':
        return run(ctx, rest);
      case 'inspect':
        return inspect(ctx, rest);
      case 'ps':
        return ps(ctx, rest);
      case 'stop':
      case 'rm':
        return stopOrRm(ctx, sub, rest);
      case 'logs':
        return logs(ctx, rest);
      case '--version':
      case 'version':
        ctx.proc.write(`Docker version ${DOCKER_VERSION}, build 297e128\n`);
        ctx.proc.exit(0);
        return;
      default:
        throw new DockerExit(
          1,
          sub.startsWith('-')
            ? `unknown ${sub.startsWith('--') ? `flag: ${sub}` : `shorthand flag: '${sub[1] ?? ''}' in ${sub}`}\nSee 'docker --help'.\n`
            : `docker: '${sub}' is not a docker command.\nSee 'docker --help'\n`,
        );
    }
  } catch (err) {
    if (!(err instanceof DockerExit)) throw err;
    ctx.proc.writeErr(err.text);
    ctx.proc.exit(err.code);
  }
};
