/**
 * python3 — only `python3 -m http.server` is modelled: Python 3.11's SimpleHTTPRequestHandler
 * serving a directory over HTTP/1.0 (listing, index.html, files, 404, the redirect to a slash),
 * logging each request to stderr.
 */
import { IPV4_ANY, IPV4_LOOPBACK, formatIpv4, parseIpv4 } from '../../net/ipv4';
import { ipRouteOutput, isOutputError } from '../../linux/route';
import { normalizePath } from '../../linux/fs';
import { type TcpConnection, tcpListen } from '../../linux/tcp';
import type { Process } from '../../linux/process';
import { httpDate, logDate } from '../../sim/clock';
import type { Tool } from '../tool';
import { us } from '../../sim/time';
import { type HttpRequest, formatHead, parseRequest } from './http';

export const PYTHON_VERSION = '3.11.2';

export const python3: Tool = (ctx) => {
  const { proc } = ctx;
  const args = ctx.argv.slice(1);
  if (args[0] === '--version' || args[0] === '-V') {
    proc.write(`Python ${PYTHON_VERSION}\n`);
    proc.exit(0);
    return;
  }
  if (args[0] !== '-m' || args[1] !== 'http.server') {
    proc.writeErr(
      'packet-life: only `python3 -m http.server [PORT] [--bind ADDR] [--directory DIR]` is modelled\n',
    );
    proc.exit(2);
    return;
  }
  let port = 8000;
  let bind = IPV4_ANY;
  let bound = false;
  let dir = proc.cwd;
  const rest = args.slice(2);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--bind' || a === '-b') {
      const v = parseIpv4(rest[++i] ?? '');
      if (v === undefined) return usageError(proc, `argument -b/--bind: expected one argument`);
      bind = v;
      bound = true;
    } else if (a === '--directory' || a === '-d') dir = normalizePath(rest[++i] ?? '.', proc.cwd);
    else if (/^[0-9]+$/.test(a)) port = Number(a);
    else return usageError(proc, `argument port: invalid int value: '${a}'`);
  }
  // Without --bind, http.server takes the first of getaddrinfo(None, port, AI_PASSIVE). glibc
  // sorts 0.0.0.0 first only when a socket could reach it, i.e. when 127.0.0.1 routes (lo has
  // been up in this namespace); otherwise the server listens dual-stack on ::, and IPv4 clients
  // appear as ::ffff:a.b.c.d (checked on Debian 12, Python 3.11).
  const dualStack = !bound && isOutputError(ipRouteOutput(proc.ns, IPV4_LOOPBACK));
  const listener = tcpListen(proc.ns, bind, port, (conn) => serve(proc, conn, dir, dualStack));
  if (typeof listener === 'string') {
    proc.writeErr(
      `Traceback (most recent call last):\n  File "<frozen runpy>", line 198, in _run_module_as_main\n  File "<frozen runpy>", line 88, in _run_code\n  File "/usr/lib/python3.11/http/server.py", line 1313, in <module>\n    test(\n  File "/usr/lib/python3.11/http/server.py", line 1260, in test\n    with ServerClass(addr, HandlerClass) as httpd:\n         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\nOSError: [Errno ${listener === 'EADDRINUSE' ? '98] Address already in use' : '99] Cannot assign requested address'}\n`,
    );
    proc.exit(1);
    return;
  }
  proc.onCleanup(() => listener.close());
  const host = dualStack ? '::' : bind === IPV4_ANY ? '0.0.0.0' : formatIpv4(bind);
  const urlHost = dualStack ? '[::]' : host;
  // http.server flushes this line even when stdout is a file (nohup.out shows it at once).
  proc.write(`Serving HTTP on ${host} port ${port} (http://${urlHost}:${port}/) ...\n`);
  proc.onSignal = (sig) => {
    if (sig === 'SIGINT') {
      proc.writeErr('\nKeyboard interrupt received, exiting.\n');
      proc.exit(0);
      return true;
    }
    return false;
  };
};

function usageError(proc: Process, msg: string): void {
  proc.writeErr(
    `usage: server.py [-h] [--cgi] [-b ADDRESS] [-d DIRECTORY] [-p VERSION] [port]\nserver.py: error: ${msg}\n`,
  );
  proc.exit(2);
}

/** One connection: read the request, answer, close (HTTP/1.0). */
function serve(proc: Process, conn: TcpConnection, root: string, dualStack: boolean) {
  let buf = '';
  let done = false;
  return {
    onData: (_c: TcpConnection, data: string) => {
      if (done) return;
      buf += data;
      const req = parseRequest(buf);
      if (req === undefined) return;
      done = true;
      respond(proc, conn, root, req === 'bad' ? undefined : req, dualStack);
    },
    onEof: () => {
      if (!done) conn.close();
    },
  };
}

function respond(
  proc: Process,
  conn: TcpConnection,
  root: string,
  req: HttpRequest | undefined,
  dualStack: boolean,
): void {
  const world = proc.host.world;
  const date = httpDate(world.unixNow());
  const client = `${dualStack ? '::ffff:' : ''}${formatIpv4(conn.remoteIp)}`;
  const common: [string, string][] = [
    ['Server', `SimpleHTTP/0.6 Python/${PYTHON_VERSION}`],
    ['Date', date],
  ];
  const send = (
    status: number,
    reason: string,
    headers: [string, string][],
    body: string,
    logSize = '-',
  ) => {
    proc.writeErr(
      `${client} - - [${logDate(world.unixNow())}] "${req ? `${req.method} ${req.target} ${req.version}` : ''}" ${status} ${logSize}\n`,
    );
    // Python writes the header block, then the body, then closes: three system calls about
    // 100 µs and 70 µs apart (medians of ten requests between two namespaces on the reference
    // machine), long enough for a nearby peer's ACK to come back in between.
    conn.send(
      formatHead({ version: 'HTTP/1.0', status, reason, headers: [...common, ...headers] }),
    );
    proc.after(us(100), 'write body', () => {
      if (req?.method !== 'HEAD' && body) conn.send(body);
      proc.after(us(70), 'close', () => conn.close());
    });
  };
  if (!req) {
    send(
      400,
      'Bad request syntax',
      [
        ['Connection', 'close'],
        ['Content-Type', 'text/html;charset=utf-8'],
        ['Content-Length', '0'],
      ],
      '',
    );
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const body = errorPage(
      501,
      `Unsupported method ('${req.method}')`,
      'Server does not support this operation.',
    );
    send(
      501,
      'Unsupported method',
      [
        ['Connection', 'close'],
        ['Content-Type', 'text/html;charset=utf-8'],
        ['Content-Length', String(body.length)],
      ],
      body,
    );
    return;
  }
  const path = decodeURIComponent(req.target.split('?')[0]!.split('#')[0]!);
  const fsPath = normalizePath(`.${path}`, root);
  const fs = proc.host.fs;
  const st = fs.stat(fsPath);
  if (st?.kind === 'dir') {
    if (!path.endsWith('/')) {
      send(
        301,
        'Moved Permanently',
        [
          ['Location', `${path}/`],
          ['Content-Length', '0'],
        ],
        '',
      );
      return;
    }
    const index = fs.readFile(`${fsPath}/index.html`, proc.ns);
    if (index.ok) {
      send(
        200,
        'OK',
        [
          ['Content-type', 'text/html'],
          ['Content-Length', String(index.data.length)],
          ['Last-Modified', date],
        ],
        index.data,
      );
      return;
    }
    const names = fs.list(fsPath, proc.ns);
    const body = listing(
      path,
      Array.isArray(names) ? names : [],
      (n) => fs.stat(`${fsPath}/${n}`, false)?.kind,
    );
    send(
      200,
      'OK',
      [
        ['Content-type', 'text/html; charset=utf-8'],
        ['Content-Length', String(body.length)],
      ],
      body,
    );
    return;
  }
  const file = fs.readFile(fsPath, proc.ns);
  if (!file.ok) {
    const body = errorPage(404, 'File not found', 'Nothing matches the given URI.');
    send(
      404,
      'File not found',
      [
        ['Connection', 'close'],
        ['Content-Type', 'text/html;charset=utf-8'],
        ['Content-Length', String(body.length)],
      ],
      body,
    );
    return;
  }
  send(
    200,
    'OK',
    [
      ['Content-type', guessType(fsPath)],
      ['Content-Length', String(file.data.length)],
      ['Last-Modified', date],
    ],
    file.data,
  );
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** SimpleHTTPRequestHandler.list_directory in Debian's Python 3.11. */
export function listing(
  path: string,
  names: string[],
  kind: (n: string) => string | undefined,
): string {
  const title = `Directory listing for ${escapeHtml(path)}`;
  const r: string[] = [
    '<!DOCTYPE HTML>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${title}</title>\n</head>`,
    `<body>\n<h1>${title}</h1>`,
    '<hr>\n<ul>',
  ];
  for (const name of [...names].sort((a, b) =>
    a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0,
  )) {
    const k = kind(name);
    const display = k === 'dir' ? `${name}/` : k === 'symlink' ? `${name}@` : name;
    const link = k === 'dir' ? `${name}/` : name;
    r.push(`<li><a href="${encodeURI(link)}">${escapeHtml(display)}</a></li>`);
  }
  r.push('</ul>\n<hr>\n</body>\n</html>\n');
  return r.join('\n');
}

/** BaseHTTPRequestHandler.error_message_format */
function errorPage(code: number, message: string, explain: string): string {
  return `<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: ${code}</p>
        <p>Message: ${message}.</p>
        <p>Error code explanation: ${code} - ${explain}</p>
    </body>
</html>
`;
}

function guessType(path: string): string {
  if (path.endsWith('.html') || path.endsWith('.htm')) return 'text/html';
  if (path.endsWith('.txt') || path.endsWith('.conf')) return 'text/plain';
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.css')) return 'text/css';
  if (path.endsWith('.js')) return 'text/javascript';
  return 'application/octet-stream';
}
