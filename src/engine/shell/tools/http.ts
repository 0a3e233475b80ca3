/** HTTP/1.x message helpers shared by curl and the emulated servers. */
import type { TcpConnection } from '../../linux/tcp';

export interface HttpRequest {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: readonly [string, string][];
  readonly body: string;
}

/** Parses a request once its header block is complete; undefined while more bytes are needed. */
export function parseRequest(buf: string): HttpRequest | undefined | 'bad' {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [line, ...rest] = buf.slice(0, end).split('\r\n');
  const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(line ?? '');
  if (!m) return 'bad';
  const headers = rest.map((h): [string, string] => {
    const i = h.indexOf(':');
    return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
  });
  return { method: m[1]!, target: m[2]!, version: m[3]!, headers, body: buf.slice(end + 4) };
}

export interface HttpResponseHead {
  readonly version: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly [string, string][];
}

/** Splits a response into head and body once the head is complete. */
export function parseResponseHead(
  buf: string,
): { head: HttpResponseHead; bodyStart: number } | undefined | 'bad' {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [line, ...rest] = buf.slice(0, end).split('\r\n');
  const m = /^(HTTP\/[0-9.]+) ([0-9]{3}) ?(.*)$/.exec(line ?? '');
  if (!m) return 'bad';
  const headers = rest.map((h): [string, string] => {
    const i = h.indexOf(':');
    return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
  });
  return {
    head: { version: m[1]!, status: Number(m[2]), reason: m[3] ?? '', headers },
    bodyStart: end + 4,
  };
}

export function header(headers: readonly [string, string][], name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

export function formatHead(h: HttpResponseHead): string {
  return `${h.version} ${h.status} ${h.reason}\r\n${h.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/**
 * A server's read loop: gathers bytes into requests and hands each over with whether the client
 * wants the connection closed after it (Connection: close, or HTTP/1.0). A malformed request
 * closes the connection; so does the peer's FIN.
 */
export function readRequests(
  conn: TcpConnection,
  onRequest: (req: HttpRequest, close: boolean) => void,
): { onData(c: TcpConnection, data: string): void; onEof(): void } {
  let buf = '';
  return {
    onData: (_c, data) => {
      buf += data;
      const req = parseRequest(buf);
      if (req === undefined) return;
      if (req === 'bad') {
        conn.close();
        return;
      }
      buf = '';
      const close =
        header(req.headers, 'connection')?.toLowerCase() === 'close' || req.version === 'HTTP/1.0';
      onRequest(req, close);
    },
    onEof: () => conn.close(),
  };
}
