/**
 * curl 7.88.1: HTTP/1.1 GET (and friends) over the simulated TCP, with -v, -s/-S, -m,
 * --connect-timeout, -o, -i, -I, -H, -X, -d, and its exact error texts and exit codes.
 * https:// URLs connect to port 443 and speak HTTP in clear: TLS is not modelled.
 */
import { type Ipv4, IPV4_LOOPBACK, formatIpv4 } from '../../net/ipv4';
import { normalizePath } from '../../linux/fs';
import { type TcpConnection, tcpConnect } from '../../linux/tcp';
import { type Errno, STRERROR } from '../../linux/socket';
import { ms, seconds, us } from '../../sim/time';
import { expandWriteOut } from './curlWriteOut';
import type { Tool } from '../tool';
import { header, parseResponseHead } from './http';
import { getaddrinfo } from './resolve';

export const CURL_VERSION = '7.88.1';

const METER_HEAD =
  '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n' +
  '                                 Dload  Upload   Total   Spent    Left  Speed\n';

/** curl's max5data: a byte count or rate in at most five characters. */
function max5(n: number): string {
  const K = 1024;
  if (n < 100000) return String(Math.round(n));
  if (n < 10000 * K) return `${Math.floor(n / K)}k`;
  if (n < 100 * K * K) return `${(n / K / K).toFixed(1)}M`;
  return `${Math.floor(n / K / K)}M`;
}

function hms(ms: number): string {
  if (ms < 1000) return '--:--:--';
  const t = Math.floor(ms / 1000);
  return `${Math.floor(t / 3600)}:${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
}

/** One progress-meter line, as curl redraws it with a carriage return. */
export function meterLine(total: number | undefined, received: number, elapsedMs: number): string {
  const pct = total ? Math.floor((received * 100) / total) : received > 0 && total === 0 ? 100 : 0;
  const rate = elapsedMs > 0 ? (received * 1000) / elapsedMs : 0;
  return (
    `${String(pct).padStart(3)} ${max5(total ?? 0).padStart(5)}  ${String(pct).padStart(3)} ${max5(received).padStart(5)}` +
    `    0     0  ${max5(rate).padStart(5)}      0 --:--:-- ${hms(elapsedMs)} --:--:-- ${max5(rate).padStart(5)}`
  );
}

interface CurlOptions {
  verbose: boolean;
  silent: boolean;
  showError: boolean;
  maxTime?: number;
  connectTimeout?: number;
  output?: string;
  include: boolean;
  head: boolean;
  method?: string;
  data?: string;
  headers: string[];
  fail: boolean;
  writeOut?: string;
  url?: string;
  /** -4: getaddrinfo(AF_INET), so only A queries (checked). */
  ipv4: boolean;
}

interface ParsedUrl {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  path: string;
  hostHeader: string;
}

function parseUrl(raw: string): ParsedUrl | undefined {
  let rest = raw;
  let scheme: 'http' | 'https' = 'http';
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(rest);
  if (m) {
    const s = m[1]!.toLowerCase();
    if (s !== 'http' && s !== 'https') return undefined;
    scheme = s;
    rest = rest.slice(m[0].length);
  }
  const slash = rest.search(/[/?#]/);
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  let path = slash < 0 ? '/' : rest.slice(slash);
  if (path.startsWith('?')) path = `/${path}`;
  path = path.split('#')[0]!;
  const hp = /^([^:@/]+)(?::([0-9]*))?$/.exec(authority.replace(/^.*@/, ''));
  if (!hp || !hp[1]) return undefined;
  const port = hp[2] ? Number(hp[2]) : scheme === 'https' ? 443 : 80;
  if (port > 65535) return undefined;
  const defaultPort = scheme === 'https' ? 443 : 80;
  return {
    scheme,
    host: hp[1],
    port,
    path,
    hostHeader: port === defaultPort ? hp[1] : `${hp[1]}:${port}`,
  };
}

/** Splits bundled short options (`-sSv`, `-m2`) the way curl's getopt does. */
function unbundle(argv: readonly string[]): string[] {
  const out: string[] = [];
  const withArg = 'moXdHwe';
  for (const a of argv) {
    if (!/^-[A-Za-z]{2,}/.test(a) || a.startsWith('--')) {
      out.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j]!;
      out.push(`-${f}`);
      if (withArg.includes(f)) {
        if (j + 1 < a.length) out.push(a.slice(j + 1));
        break;
      }
    }
  }
  return out;
}

function parseArgs(raw: readonly string[]): CurlOptions | { error: string; code: number } {
  const argv = unbundle(raw);
  const o: CurlOptions = {
    verbose: false,
    silent: false,
    showError: false,
    include: false,
    head: false,
    headers: [],
    fail: false,
    ipv4: false,
  };
  const num = (v: string | undefined, name: string) => {
    const n = Number(v);
    if (v === undefined || Number.isNaN(n) || n < 0)
      return {
        error: `curl: option ${name}: expected a proper numerical parameter\ncurl: try 'curl --help' or 'curl --manual' for more information\n`,
        code: 2,
      };
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const take = () => argv[++i];
    if (a === '-v' || a === '--verbose') o.verbose = true;
    else if (a === '-s' || a === '--silent') o.silent = true;
    else if (a === '-S' || a === '--show-error') o.showError = true;
    else if (a === '-m' || a === '--max-time') {
      const n = num(take(), a);
      if (typeof n !== 'number') return n;
      o.maxTime = n;
    } else if (a === '--connect-timeout') {
      const n = num(take(), a);
      if (typeof n !== 'number') return n;
      o.connectTimeout = n;
    } else if (a === '-o' || a === '--output') o.output = take();
    else if (a === '-i' || a === '--include') o.include = true;
    else if (a === '-I' || a === '--head') o.head = true;
    else if (a === '-X' || a === '--request') o.method = take();
    else if (a === '-d' || a === '--data') o.data = take();
    else if (a === '-H' || a === '--header') o.headers.push(take() ?? '');
    else if (a === '-f' || a === '--fail') o.fail = true;
    else if (a === '-w' || a === '--write-out') o.writeOut = take();
    else if (a === '-4' || a === '--ipv4') o.ipv4 = true;
    else if (
      a === '-k' ||
      a === '--insecure' ||
      a === '-L' ||
      a === '--location' ||
      a === '-N' ||
      a === '--no-buffer'
    )
      continue;
    else if (a === '-V' || a === '--version')
      return {
        error: `curl ${CURL_VERSION} (x86_64-pc-linux-gnu) libcurl/${CURL_VERSION} OpenSSL/3.0.11 zlib/1.2.13\n`,
        code: 0,
      };
    else if (a.startsWith('-') && a.length > 1) {
      return {
        error: `curl: option ${a}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n`,
        code: 2,
      };
    } else o.url = a;
  }
  return o;
}

export const curl: Tool = (ctx) => {
  const { proc } = ctx;
  const parsed = parseArgs(ctx.argv.slice(1));
  if ('error' in parsed) {
    if (parsed.code === 0) proc.write(parsed.error);
    else proc.writeErr(parsed.error);
    proc.exit(parsed.code);
    return;
  }
  const o = parsed;
  // Without a terminal for the body, curl draws its progress meter on stderr.
  const meter = !ctx.stdoutIsTty && !o.silent;
  let meterTotal: number | undefined;
  let meterBytes = 0;
  let meterStart = proc.now;
  const meterEnd = () => {
    if (meter)
      proc.writeErr(`\r${meterLine(meterTotal, meterBytes, (proc.now - meterStart) / 1e6)}\n`);
  };
  const method = o.method ?? (o.head ? 'HEAD' : o.data !== undefined ? 'POST' : 'GET');
  // What --write-out reports: the transfer's milestones and sizes as they happen.
  const t0 = proc.now;
  const at: { lookup?: number; connect?: number; pretransfer?: number; firstByte?: number } = {};
  const xfer = {
    httpVersion: '0',
    scheme: '',
    conn: undefined as TcpConnection | undefined,
    sizeHeader: 0,
    numHeaders: 0,
    contentType: '',
    sizeRequest: 0,
    sizeUpload: 0,
    sizeDownload: 0,
  };
  let status = 0;
  const since = (t: number | undefined) => (t === undefined ? 0 : (t - t0) / 1e9);
  const writeOut = (exitCode: number, errorMessage: string) => {
    if (o.writeOut === undefined) return;
    const c = xfer.conn;
    const w = expandWriteOut(o.writeOut, {
      httpCode: status,
      httpVersion: xfer.httpVersion,
      remoteIp: c ? formatIpv4(c.remoteIp) : '',
      remotePort: c?.remotePort ?? 0,
      localIp: c ? formatIpv4(c.localIp) : '',
      localPort: c?.localPort ?? 0,
      numConnects: c ? 1 : 0,
      exitCode,
      errorMessage,
      sizeDownload: xfer.sizeDownload,
      sizeHeader: xfer.sizeHeader,
      sizeRequest: xfer.sizeRequest,
      sizeUpload: xfer.sizeUpload,
      numHeaders: xfer.numHeaders,
      contentType: xfer.contentType,
      url: o.url ?? '',
      method,
      scheme: xfer.scheme,
      filename: o.output ?? '',
      timeNamelookup: since(at.lookup),
      timeConnect: since(at.connect),
      timePretransfer: since(at.pretransfer),
      timeStarttransfer: since(at.firstByte),
      timeTotal: since(proc.now),
    });
    if (w.stdout) proc.write(w.stdout);
    if (w.stderr) proc.writeErr(w.stderr);
  };
  const fail = (code: number, message: string) => {
    meterEnd();
    if (!o.silent || o.showError) proc.writeErr(`curl: (${code}) ${message}\n`);
    writeOut(code, message);
    proc.exit(code);
  };
  if (o.url === undefined) {
    proc.writeErr(
      "curl: no URL specified!\ncurl: try 'curl --help' or 'curl --manual' for more information\n",
    );
    proc.exit(2);
    return;
  }
  const url = parseUrl(o.url);
  if (!url) {
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(o.url)?.[1];
    if (scheme) return fail(1, `Protocol "${scheme}" not supported or disabled in libcurl`);
    return fail(3, 'URL using bad/illegal format or missing URL');
  }
  const v = (line: string) => {
    if (o.verbose) proc.writeErr(`${line}\n`);
  };
  // curl resolves "localhost" itself, to 127.0.0.1 and ::1, whatever /etc/hosts says.
  const isLocalhost = url.host.toLowerCase() === 'localhost';
  let addrs: readonly Ipv4[] = [];
  let resolved = false;
  const start = proc.now;
  meterStart = start;
  const elapsedMs = () => Math.round((proc.now - start) / 1e6);
  if (meter) proc.writeErr(`${METER_HEAD}\r${meterLine(undefined, 0, 0)}`);
  const ns = proc.ns;
  let conn: TcpConnection | undefined;
  let connected = false;
  let received = 0;

  if (o.maxTime !== undefined) {
    proc.after(ms(o.maxTime * 1000 + 1), 'max-time', () => {
      conn?.reset();
      if (!resolved) {
        // The resolver thread is waited for with the limit itself (checked: exactly 2000 for -m 2).
        const waited = Math.round((o.maxTime ?? 0) * 1000);
        v(`* Resolving timed out after ${waited} milliseconds`);
        v('* Closing connection 0');
        return fail(28, `Resolving timed out after ${waited} milliseconds`);
      }
      if (!connected) return fail(28, `Connection timed out after ${elapsedMs()} milliseconds`);
      fail(
        28,
        `Operation timed out after ${elapsedMs()} milliseconds with ${received} bytes received`,
      );
    });
  }

  const tryConnect = (i: number, lastErr?: Errno): void => {
    const dst: Ipv4 | undefined = addrs[i];
    if (dst === undefined && isLocalhost && i === addrs.length) {
      // The ::1 attempt: IPv6 is not modelled; with lo up nothing listens there (our servers bind
      // IPv4), with lo down the address does not even exist.
      v(`*   Trying [::1]:${url.port}...`);
      if (ns.lo.adminUp) v(`* connect to ::1 port ${url.port} failed: Connection refused`);
      else v('* Immediate connect fail for ::1: Cannot assign requested address');
      tryConnect(i + 1, lastErr);
      return;
    }
    if (dst === undefined) {
      // The kernel giving up (ETIMEDOUT) still reads "Couldn't connect", with exit 28 (curl 7.88).
      const why = "Couldn't connect to server";
      v(`* Failed to connect to ${url.host} port ${url.port} after ${elapsedMs()} ms: ${why}`);
      v('* Closing connection 0');
      return fail(
        lastErr === 'ETIMEDOUT' ? 28 : 7,
        `Failed to connect to ${url.host} port ${url.port} after ${elapsedMs()} ms: ${why}`,
      );
    }
    v(`*   Trying ${formatIpv4(dst)}:${url.port}...`);
    const onFail = (errno: Errno) => {
      v(`* connect to ${formatIpv4(dst)} port ${url.port} failed: ${STRERROR[errno]}`);
      tryConnect(i + 1, errno);
    };
    let connectTimer: ReturnType<typeof proc.after> | undefined;
    const c = tcpConnect(ns, dst, url.port, {
      onConnected: () => {
        proc.cancel(connectTimer);
        connected = true;
        at.connect = proc.now;
        xfer.conn = c as TcpConnection;
        xfer.scheme = url.scheme.toUpperCase();
        // The peer the socket reached: 0.0.0.0 connects to this host as 127.0.0.1.
        v(
          `* Connected to ${url.host} (${formatIpv4((c as TcpConnection).remoteIp)}) port ${url.port} (#0)`,
        );
        sendRequest(c as TcpConnection);
      },
      onError: (_c, errno) => {
        proc.cancel(connectTimer);
        if (!proc.running) return;
        if (!connected) onFail(errno);
        else if (errno === 'ECONNRESET') fail(56, 'Recv failure: Connection reset by peer');
        else fail(56, `Recv failure: ${STRERROR[errno]}`);
      },
      onData: (_c, data) => onData(data),
      onEof: () => onEof(),
    });
    if (typeof c === 'string') {
      // connect() itself failed: curl words this differently from a refused handshake.
      v(`* Immediate connect fail for ${formatIpv4(dst)}: ${STRERROR[c]}`);
      tryConnect(i + 1, c);
      return;
    }
    conn = c;
    proc.onCleanup(() => {
      if (c.state !== 'CLOSED' && c.state !== 'TIME_WAIT' && !c.closedByApp) c.close();
    });
    if (o.connectTimeout !== undefined) {
      connectTimer = proc.after(ms(o.connectTimeout * 1000 + 1), 'connect-timeout', () => {
        c.reset();
        fail(
          28,
          `Failed to connect to ${url.host} port ${url.port} after ${elapsedMs()} ms: Timeout was reached`,
        );
      });
    }
  };

  const sendRequest = (c: TcpConnection) => {
    // A -H header named like one of curl's own replaces it: a custom Host takes the Host line's
    // place (curl keeps it as its host header); User-Agent and Accept go out with the other
    // custom headers instead of curl's.
    const custom = (name: string) =>
      o.headers.find((h) => h.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    const host = custom('Host');
    const lines = [`${method} ${url.path} HTTP/1.1`, host ?? `Host: ${url.hostHeader}`];
    if (!custom('User-Agent')) lines.push(`User-Agent: curl/${CURL_VERSION}`);
    if (!custom('Accept')) lines.push('Accept: */*');
    for (const h of o.headers) if (h !== host) lines.push(h);
    if (o.data !== undefined) {
      lines.push(
        `Content-Length: ${o.data.length}`,
        'Content-Type: application/x-www-form-urlencoded',
      );
    }
    for (const l of lines) v(`> ${l}`);
    v('> ');
    const request = `${lines.join('\r\n')}\r\n\r\n${o.data ?? ''}`;
    at.pretransfer = proc.now;
    xfer.sizeRequest = request.length;
    xfer.sizeUpload = o.data?.length ?? 0;
    c.send(request);
  };

  let buf = '';
  let headDone = false;
  let bodyStart = 0;
  let contentLength: number | undefined;
  let closeAfter = false;
  let finished = false;
  const bodyOut: string[] = [];

  const deliver = (text: string) => {
    if (!text) return;
    if (o.output !== undefined) bodyOut.push(text);
    else proc.write(text);
  };

  const onData = (data: string) => {
    if (finished) return;
    at.firstByte ??= proc.now;
    received += data.length;
    buf += data;
    if (!headDone) {
      const r = parseResponseHead(buf);
      if (r === undefined) return;
      if (r === 'bad') {
        finished = true;
        return fail(1, 'Received HTTP/0.9 when not allowed');
      }
      headDone = true;
      bodyStart = r.bodyStart;
      status = r.head.status;
      xfer.httpVersion = r.head.version === 'HTTP/1.0' ? '1' : '1.1';
      xfer.sizeHeader = r.bodyStart;
      xfer.numHeaders = r.head.headers.length;
      xfer.contentType = header(r.head.headers, 'content-type') ?? '';
      if (r.head.version === 'HTTP/1.0') v('* HTTP 1.0, assume close after body');
      v(`< ${r.head.version} ${r.head.status} ${r.head.reason}`);
      for (const [k, val] of r.head.headers) v(`< ${k}: ${val}`);
      v('< ');
      const cl = header(r.head.headers, 'content-length');
      contentLength = cl !== undefined ? Number(cl) : undefined;
      meterTotal = contentLength;
      closeAfter =
        r.head.version === 'HTTP/1.0' ||
        header(r.head.headers, 'connection')?.toLowerCase() === 'close';
      if (o.fail && status >= 400) {
        finished = true;
        conn?.close();
        return fail(22, `The requested URL returned error: ${status}`);
      }
      if (o.include || o.head) deliver(buf.slice(0, bodyStart));
      if (method === 'HEAD') contentLength = 0;
    }
    const body = buf.slice(bodyStart);
    buf = buf.slice(0, bodyStart);
    if (method !== 'HEAD') deliver(body);
    meterBytes += body.length;
    xfer.sizeDownload += body.length;
    // With -v and the body going somewhere other than a terminal, curl notes each chunk.
    if (o.verbose && !ctx.stdoutIsTty && body.length)
      proc.writeErr(`{ [${body.length} bytes data]\n`);
    bodyStart = buf.length;
    consumed += body.length;
    if (contentLength !== undefined && consumed >= contentLength) complete();
  };
  let consumed = 0;

  const complete = () => {
    if (finished) return;
    finished = true;
    if (o.output !== undefined) {
      const e = proc.host.fs.writeFile(normalizePath(o.output, proc.cwd), bodyOut.join(''));
      if (e) return fail(23, `Failure writing output to destination`);
    }
    meterEnd();
    if (closeAfter) v('* Closing connection 0');
    else v(`* Connection #0 to host ${url.host} left intact`);
    writeOut(0, '');
    // curl tidies up (and its process ends) a little after the last byte arrived.
    const c = conn;
    proc.after(us(100), 'cleanup', () => {
      c?.close();
      proc.exit(0);
    });
  };

  const onEof = () => {
    if (finished) return;
    if (!headDone) {
      finished = true;
      conn?.close();
      return fail(52, 'Empty reply from server');
    }
    if (contentLength !== undefined && consumed < contentLength) {
      finished = true;
      conn?.close();
      return fail(18, `transfer closed with ${contentLength - consumed} bytes remaining to read`);
    }
    complete();
  };

  proc.onSignal = (sig) => {
    if (sig === 'SIGINT') {
      conn?.reset();
      proc.exit(130);
      return true;
    }
    return false;
  };
  void seconds;
  if (isLocalhost) {
    resolved = true;
    at.lookup = proc.now;
    addrs = [IPV4_LOOPBACK];
    return tryConnect(0);
  }
  // The threaded resolver: getaddrinfo(AF_UNSPEC), A and AAAA over DNS when not in /etc/hosts.
  getaddrinfo(proc, url.host, { family: o.ipv4 ? 'inet' : 'unspec' }, (r) => {
    if (!proc.running) return;
    resolved = true;
    at.lookup = proc.now;
    if (!r.ok) {
      // Checked on Debian 12: the meter's first line stays unfinished before the error.
      v(`* Could not resolve host: ${url.host}`);
      v('* Closing connection 0');
      if (!o.silent || o.showError)
        proc.writeErr(`curl: (6) Could not resolve host: ${url.host}\n`);
      writeOut(6, `Could not resolve host: ${url.host}`);
      proc.exit(6);
      return;
    }
    addrs = r.addrs;
    tryConnect(0);
  });
};
