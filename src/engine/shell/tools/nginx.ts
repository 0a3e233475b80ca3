/**
 * nginx: the stock welcome page on port 80 over HTTP/1.1 with keep-alive. Running `nginx`
 * daemonizes: the command returns at once and a master process keeps listening.
 */
import { IPV4_ANY, formatIpv4 } from '../../net/ipv4';
import { Process } from '../../linux/process';
import type { NetNs } from '../../linux/netns';
import { type TcpConnection, tcpListen } from '../../linux/tcp';
import { httpDate, logDate } from '../../sim/clock';
import { seconds } from '../../sim/time';
import type { Tool } from '../tool';
import { formatHead, header, parseRequest } from './http';

export const NGINX_VERSION = '1.19.3';

/** The welcome page the nginx image served (615 bytes), as the walkthroughs show it. */
export const NGINX_WELCOME = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
    body {
        width: 35em;
        margin: 0 auto;
        font-family: Tahoma, Verdana, Arial, sans-serif;
    }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

const NOT_FOUND = `<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/${NGINX_VERSION}</center>\r\n</body>\r\n</html>\r\n`;

const ROOT = '/usr/share/nginx/html';

/**
 * Starts an nginx master in `ns` listening on port 80; returns an error text on failure. Its
 * process title is "nginx: master process " and the command line it was started with (the
 * image's is `nginx -g 'daemon off;'`).
 */
export function startNginx(
  proc: Process,
  ns: NetNs,
  port = 80,
  argv: readonly string[] = ['nginx'],
): string | undefined {
  const fs = proc.host.fs;
  if (!fs.exists(`${ROOT}/index.html`)) {
    fs.mkdirp(ROOT);
    fs.writeFile(`${ROOT}/index.html`, NGINX_WELCOME);
  }
  const master = new Process(
    proc.host,
    ns,
    [`nginx: master process ${argv.join(' ')}`],
    new Map(),
    '/',
  );
  master.sink = (c) => {
    fs.mkdirp('/var/log/nginx');
    fs.writeFile('/var/log/nginx/access.log', c.text, { append: true });
  };
  const l = tcpListen(ns, IPV4_ANY, port, (conn) => serveConn(master, conn));
  if (typeof l === 'string') {
    master.exit(1);
    return `nginx: [emerg] bind() to 0.0.0.0:${port} failed (98: Address already in use)\n`;
  }
  master.onCleanup(() => l.close());
  return undefined;
}

function serveConn(master: Process, conn: TcpConnection) {
  let buf = '';
  let idle = master.after(seconds(75), 'keepalive', () => conn.close());
  return {
    onData: (_c: TcpConnection, data: string) => {
      buf += data;
      for (;;) {
        const req = parseRequest(buf);
        if (req === undefined) return;
        master.cancel(idle);
        if (req === 'bad') {
          conn.close();
          return;
        }
        buf = '';
        const path = req.target.split('?')[0]!;
        const file =
          path === '/' || path === '/index.html'
            ? master.host.fs.readFile(`${ROOT}/index.html`, master.ns)
            : undefined;
        const date = httpDate(master.host.world.unixNow());
        const close =
          header(req.headers, 'connection')?.toLowerCase() === 'close' ||
          req.version === 'HTTP/1.0';
        const ok = file?.ok === true;
        const body = ok ? file.data : NOT_FOUND;
        const headers: [string, string][] = [
          ['Server', `nginx/${NGINX_VERSION}`],
          ['Date', date],
          ['Content-Type', 'text/html'],
          ['Content-Length', String(body.length)],
        ];
        if (ok) headers.push(['Last-Modified', 'Tue, 29 Sep 2020 14:12:31 GMT']);
        headers.push(['Connection', close ? 'close' : 'keep-alive']);
        if (ok) headers.push(['ETag', '"5f7340cf-267"'], ['Accept-Ranges', 'bytes']);
        // nginx writes the header and a small body with one writev: one segment on the wire.
        conn.send(
          formatHead({
            version: 'HTTP/1.1',
            status: ok ? 200 : 404,
            reason: ok ? 'OK' : 'Not Found',
            headers,
          }) + (req.method === 'HEAD' ? '' : body),
        );
        master.write(
          `${formatIpv4(conn.remoteIp)} - - [${logDate(master.host.world.unixNow()).replace(' ', ':')} +0000] "${req.method} ${req.target} ${req.version}" ${ok ? 200 : 404} ${body.length} "-" "${header(req.headers, 'user-agent') ?? '-'}"\n`,
        );
        if (close) conn.close();
        else idle = master.after(seconds(75), 'keepalive', () => conn.close());
      }
    },
    onEof: () => conn.close(),
  };
}

export const nginx: Tool = (ctx) => {
  const { proc } = ctx;
  const args = ctx.argv.slice(1);
  if (args[0] === '-v' || args[0] === '-V') {
    proc.writeErr(`nginx version: nginx/${NGINX_VERSION}\n`);
    proc.exit(0);
    return;
  }
  if (args[0] === '-s') {
    const sig = args[1];
    const masters = [...proc.host.processes.values()].filter(
      (p) => p.comm.startsWith('nginx: master') && p.ns === proc.ns,
    );
    if (masters.length === 0) {
      proc.writeErr(
        'nginx: [error] open() "/run/nginx.pid" failed (2: No such file or directory)\n',
      );
      proc.exit(1);
      return;
    }
    if (sig === 'stop' || sig === 'quit') for (const m of masters) m.signal('SIGTERM');
    proc.exit(0);
    return;
  }
  if (args.length > 0 && args[0] !== '-g') {
    proc.writeErr(`nginx: invalid option: "${args[0]}"\n`);
    proc.exit(1);
    return;
  }
  const err = startNginx(proc, proc.ns);
  if (err) {
    proc.writeErr(err);
    proc.exit(1);
    return;
  }
  proc.exit(0);
};
