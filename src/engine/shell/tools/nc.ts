/**
 * nc (netcat-openbsd 1.219): a TCP or UDP client (`nc HOST PORT`) or a one-shot listener
 * (`nc -l [-p] PORT`), copying stdin to the peer and the peer to stdout.
 */
import { type Ipv4, IPV4_ANY, formatIpv4, parseIpv4 } from '../../net/ipv4';
import { type TcpConnection, tcpConnect, tcpListen } from '../../linux/tcp';
import { STRERROR } from '../../linux/socket';
import { udpBind, udpClose, udpSend } from '../../linux/udp';
import { seconds } from '../../sim/time';
import type { Tool } from '../tool';
import { GAI_STRERROR, type GaiResult, getaddrinfo } from './resolve';

const USAGE = `usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]
\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]
\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]
\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]
\t  [destination] [port]
`;

export const nc: Tool = (ctx) => {
  const { proc } = ctx;
  let listen = false;
  let udp = false;
  let verbose = false;
  let zero = false;
  let keep = false;
  let shutdownOnEof = false;
  let timeout: number | undefined;
  let quitAfter: number | undefined;
  let srcPort: number | undefined;
  let inet = false;
  let numeric = false;
  const pos: string[] = [];
  const args = ctx.argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const f = a[j]!;
        const val = () => (a.length > j + 1 ? a.slice(j + 1) : args[++i]);
        if (f === 'l') listen = true;
        else if (f === 'u') udp = true;
        else if (f === 'v') verbose = true;
        else if (f === 'z') zero = true;
        else if (f === 'k') keep = true;
        else if (f === 'N') shutdownOnEof = true;
        else if (f === '4') inet = true;
        else if (f === 'n') numeric = true;
        else if (f === 'w' || f === 'q' || f === 'p') {
          const v = val();
          const n = Number(v);
          if (v === undefined || !/^[0-9]+$/.test(v)) {
            proc.writeErr(
              `nc: ${f === 'p' ? 'port' : 'timeout'} ${f === 'p' ? `number invalid: ${v}` : `invalid: ${v}`}\n`,
            );
            proc.exit(1);
            return;
          }
          if (f === 'w') timeout = n;
          else if (f === 'q') quitAfter = n;
          else srcPort = n;
          break;
        } else {
          proc.writeErr(`nc: invalid option -- '${f}'\n${USAGE}`);
          proc.exit(1);
          return;
        }
      }
    } else pos.push(a);
  }
  const ns = proc.ns;
  const done = (code: number) => proc.exit(code);
  if (listen) {
    const portText = srcPort !== undefined ? String(srcPort) : pos[pos.length - 1];
    const bindText = srcPort !== undefined ? pos[0] : pos.length > 1 ? pos[0] : undefined;
    if (portText === undefined || !/^[0-9]+$/.test(portText)) {
      proc.writeErr(USAGE);
      proc.exit(1);
      return;
    }
    const port = Number(portText);
    const bind = bindText !== undefined ? (parseIpv4(bindText) ?? IPV4_ANY) : IPV4_ANY;
    if (udp) {
      const s = udpBind(ns, bind, port, { onDatagram: (_f, data) => proc.write(data) });
      if (typeof s === 'string') {
        proc.writeErr(`nc: ${STRERROR[s]}\n`);
        done(1);
        return;
      }
      proc.onCleanup(() => udpClose(s));
      proc.interactiveTimeout = seconds(5);
      return;
    }
    if (verbose)
      proc.writeErr(`Listening on ${bind === IPV4_ANY ? '0.0.0.0' : formatIpv4(bind)} ${port}\n`);
    const l = tcpListen(
      ns,
      bind,
      port,
      (conn) => {
        if (!keep) l2?.close();
        if (verbose)
          proc.writeErr(`Connection received on ${formatIpv4(conn.remoteIp)} ${conn.remotePort}\n`);
        if (ctx.stdin) conn.send(ctx.stdin);
        return {
          onData: (_c, data) => proc.write(data),
          onEof: (c) => {
            c.close();
            if (!keep) done(0);
          },
          onError: () => {
            if (!keep) done(0);
          },
        };
      },
      1,
    );
    const l2 = typeof l === 'string' ? undefined : l;
    if (typeof l === 'string') {
      proc.writeErr(`nc: ${STRERROR[l]}\n`);
      done(1);
      return;
    }
    proc.onCleanup(() => l.close());
    proc.interactiveTimeout = seconds(5);
    return;
  }
  const [hostText, portText] = pos;
  if (hostText === undefined || portText === undefined) {
    proc.writeErr(USAGE);
    proc.exit(1);
    return;
  }
  // getaddrinfo(AF_UNSPEC): /etc/hosts, then A and AAAA over DNS.
  // -4: AF_INET, only A queries (checked); -n: AI_NUMERICHOST, a name is EAI_NONAME unasked.
  const lookup = (cb: (r: GaiResult) => void) =>
    numeric && parseIpv4(hostText) === undefined
      ? cb({ ok: false, error: 'EAI_NONAME' })
      : getaddrinfo(proc, hostText, { family: inet ? 'inet' : 'unspec' }, cb);
  lookup((r) => {
    if (!proc.running) return;
    if (!r.ok) {
      proc.writeErr(
        `nc: getaddrinfo for host "${hostText}" port ${portText}: ${GAI_STRERROR[r.error]}\n`,
      );
      done(1);
      return;
    }
    client(r.addrs[0]!, portText);
  });
  function client(dst: Ipv4, portText: string): void {
    const port = Number(portText);
    // A name is followed by the address it resolved to (checked: "Connection to web
    // (10.53.0.1) 80 port [tcp/http] succeeded!").
    const shown =
      parseIpv4(hostText!) === undefined ? `${hostText!} (${formatIpv4(dst)})` : hostText!;
    if (udp) {
      const s = udpBind(ns, IPV4_ANY, srcPort ?? 0, {
        onDatagram: (_f, data) => proc.write(data),
        onError: (errno) => {
          if (verbose) proc.writeErr(`nc: ${STRERROR[errno]}\n`);
        },
      });
      if (typeof s === 'string') {
        proc.writeErr(`nc: ${STRERROR[s]}\n`);
        done(1);
        return;
      }
      s.peer = { ip: dst, port };
      proc.onCleanup(() => udpClose(s));
      if (verbose)
        proc.writeErr(`Connection to ${shown} ${port} port [udp/${service(port)}] succeeded!\n`);
      if (ctx.stdin) {
        const err = udpSend(s, dst, port, ctx.stdin);
        if (err) {
          proc.writeErr(`nc: ${STRERROR[err]}\n`);
          done(1);
          return;
        }
      }
      if (zero) return done(0);
      if (timeout !== undefined) proc.after(seconds(timeout), 'udp timeout', () => done(0));
      else proc.interactiveTimeout = seconds(5);
      return;
    }
    let connected = false;
    const c = tcpConnect(ns, dst, port, {
      onConnected: (cc) => {
        connected = true;
        if (verbose || zero) {
          if (verbose)
            proc.writeErr(
              `Connection to ${shown} ${port} port [tcp/${service(port)}] succeeded!\n`,
            );
        }
        if (zero) {
          cc.close();
          done(0);
          return;
        }
        if (ctx.stdin) cc.send(ctx.stdin);
        // stdin is at EOF now: -N shuts down our side; -q N quits N seconds later.
        if (shutdownOnEof) cc.close();
        if (quitAfter !== undefined)
          proc.after(seconds(quitAfter), 'quit after EOF', () => done(0));
      },
      onData: (_c, data) => proc.write(data),
      onEof: (cc) => {
        cc.close();
        done(0);
      },
      onError: (_c, errno) => {
        if (!connected) {
          if (verbose || !zero)
            proc.writeErr(
              `nc: connect to ${hostText} port ${port} (tcp) failed: ${STRERROR[errno]}\n`,
            );
          done(1);
        } else done(1);
      },
    });
    if (typeof c === 'string') {
      proc.writeErr(`nc: connect to ${hostText} port ${port} (tcp) failed: ${STRERROR[c]}\n`);
      done(1);
      return;
    }
    const conn: TcpConnection = c;
    proc.onCleanup(() => {
      if (conn.state !== 'CLOSED' && !conn.closedByApp) conn.close();
    });
    if (timeout !== undefined) {
      proc.after(seconds(timeout), 'timeout', () => {
        if (!connected) {
          proc.writeErr(
            `nc: connect to ${hostText} port ${port} (tcp) timed out: Operation now in progress\n`,
          );
          conn.reset();
          done(1);
        } else done(0);
      });
    } else proc.interactiveTimeout = seconds(5);
  }
};

/** getservbyport() from Debian's /etc/services, for the ports the scenarios use; else "*". */
function service(port: number): string {
  const names: Record<number, string> = {
    22: 'ssh',
    53: 'domain',
    80: 'http',
    443: 'https',
    8080: 'http-alt',
  };
  return names[port] ?? '*';
}
