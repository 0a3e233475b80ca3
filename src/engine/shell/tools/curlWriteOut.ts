/**
 * curl 7.88.1's --write-out: `%{variable}` replaced from what the transfer did, `%%` a percent
 * sign, `\n`, `\r` and `\t` their characters (no other backslash escape: `\\` stays two
 * characters), `%{stdout}` / `%{stderr}` switching where the rest goes. An unknown variable is
 * warned about on stderr and left out. Held to curl 7.88.1 against a local server and a refused
 * port in a pl- namespace: after a failed connect the codes read 000, the ports 0 and the IPs
 * empty, the error message and exit code are there.
 */

/** What a transfer leaves for --write-out; times in seconds since the transfer began. */
export interface TransferInfo {
  readonly httpCode: number;
  readonly httpVersion: string;
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly localIp: string;
  readonly localPort: number;
  readonly numConnects: number;
  readonly exitCode: number;
  readonly errorMessage: string;
  readonly sizeDownload: number;
  readonly sizeHeader: number;
  readonly sizeRequest: number;
  readonly sizeUpload: number;
  readonly numHeaders: number;
  readonly contentType: string;
  readonly url: string;
  readonly method: string;
  readonly scheme: string;
  readonly filename: string;
  readonly timeNamelookup: number;
  readonly timeConnect: number;
  readonly timePretransfer: number;
  readonly timeStarttransfer: number;
  readonly timeTotal: number;
}

const seconds = (s: number) => s.toFixed(6);

/** The variables packet-life computes, each as curl formats it. */
const VARIABLES: Readonly<Record<string, (t: TransferInfo) => string>> = {
  content_type: (t) => t.contentType,
  errormsg: (t) => t.errorMessage,
  exitcode: (t) => String(t.exitCode),
  filename_effective: (t) => t.filename,
  http_code: (t) => String(t.httpCode).padStart(3, '0'),
  response_code: (t) => String(t.httpCode).padStart(3, '0'),
  http_connect: () => '000',
  http_version: (t) => t.httpVersion,
  local_ip: (t) => t.localIp,
  local_port: (t) => String(t.localPort),
  method: (t) => t.method,
  num_connects: (t) => String(t.numConnects),
  num_headers: (t) => String(t.numHeaders),
  num_redirects: () => '0',
  proxy_ssl_verify_result: () => '0',
  redirect_url: () => '',
  referer: () => '',
  remote_ip: (t) => t.remoteIp,
  remote_port: (t) => String(t.remotePort),
  scheme: (t) => t.scheme,
  size_download: (t) => String(t.sizeDownload),
  size_header: (t) => String(t.sizeHeader),
  size_request: (t) => String(t.sizeRequest),
  size_upload: (t) => String(t.sizeUpload),
  speed_download: (t) =>
    String(t.timeTotal > 0 ? Math.floor(t.sizeDownload / t.timeTotal) : t.sizeDownload),
  speed_upload: (t) =>
    String(t.timeTotal > 0 ? Math.floor(t.sizeUpload / t.timeTotal) : t.sizeUpload),
  ssl_verify_result: () => '0',
  time_appconnect: () => seconds(0),
  time_connect: (t) => seconds(t.timeConnect),
  time_namelookup: (t) => seconds(t.timeNamelookup),
  time_pretransfer: (t) => seconds(t.timePretransfer),
  time_redirect: () => seconds(0),
  time_starttransfer: (t) => seconds(t.timeStarttransfer),
  time_total: (t) => seconds(t.timeTotal),
  url: (t) => t.url,
  url_effective: (t) => t.url,
  urlnum: () => '0',
};

/** curl knows these, but packet-life does not compute them: said plainly rather than faked. */
const NOT_MODELLED = new Set(['json', 'header_json', 'onerror', 'ftp_entry_path']);

export interface WriteOut {
  readonly stdout: string;
  readonly stderr: string;
}

/** Expands a --write-out template for one finished (or failed) transfer. */
export function expandWriteOut(template: string, t: TransferInfo): WriteOut {
  let stdout = '';
  let stderr = '';
  let toErr = false;
  const put = (s: string) => {
    if (toErr) stderr += s;
    else stdout += s;
  };
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch === '%' && template[i + 1] === '%') {
      put('%');
      i++;
    } else if (ch === '%' && template[i + 1] === '{') {
      const end = template.indexOf('}', i + 2);
      if (end < 0) {
        put(template.slice(i));
        break;
      }
      const name = template.slice(i + 2, end);
      i = end;
      if (name === 'stdout') toErr = false;
      else if (name === 'stderr') toErr = true;
      else if (VARIABLES[name]) put(VARIABLES[name](t));
      else if (NOT_MODELLED.has(name))
        stderr += `packet-life: curl --write-out %{${name}} is not modelled\n`;
      else stderr += `curl: unknown --write-out variable: '${name}'\n`;
    } else if (ch === '\\' && 'nrt'.includes(template[i + 1] ?? '')) {
      put(template[i + 1] === 'n' ? '\n' : template[i + 1] === 'r' ? '\r' : '\t');
      i++;
    } else put(ch);
  }
  return { stdout, stderr };
}
