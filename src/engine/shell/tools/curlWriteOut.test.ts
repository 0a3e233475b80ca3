/**
 * curl --write-out, held to curl 7.88.1 in a pl- namespace against `python3 -m http.server` on
 * 127.0.0.1:8000 (its index is 11737 bytes there; the model's page differs, so sizes are read
 * from the model's own server here) and against a refused port and an unresolvable name.
 */
import { describe, expect, it } from 'vitest';
import { lab } from '../../testing/lab';
import { expandWriteOut, type TransferInfo } from './curlWriteOut';

const info: TransferInfo = {
  httpCode: 200,
  httpVersion: '1',
  remoteIp: '127.0.0.1',
  remotePort: 8000,
  localIp: '127.0.0.1',
  localPort: 37260,
  numConnects: 1,
  exitCode: 0,
  errorMessage: '',
  sizeDownload: 11737,
  sizeHeader: 157,
  sizeRequest: 78,
  sizeUpload: 0,
  numHeaders: 4,
  contentType: 'text/html; charset=utf-8',
  url: 'http://127.0.0.1:8000/',
  method: 'GET',
  scheme: 'HTTP',
  filename: '/dev/null',
  timeNamelookup: 0.000029,
  timeConnect: 0.000247,
  timePretransfer: 0.00029,
  timeStarttransfer: 0.005645,
  timeTotal: 0.005759,
};

describe('curl --write-out', () => {
  it('expands variables, %%, and only the \\n \\r \\t escapes, as curl 7.88.1 did', () => {
    expect(
      expandWriteOut(
        '[%{http_code}] [%{remote_ip}] [%{remote_port}] [%{local_port}] [%{size_download}] [%{content_type}] [%{http_version}] [%{size_header}] [%{method}] [%{scheme}] [%{num_headers}] [%{speed_download}] [%{time_total}]\\n',
        info,
      ),
    ).toEqual({
      stdout:
        '[200] [127.0.0.1] [8000] [37260] [11737] [text/html; charset=utf-8] [1] [157] [GET] [HTTP] [4] [2038027] [0.005759]\n',
      stderr: '',
    });
    // a\tb\\c\rd% came out as a TAB b \ \ c CR d %.
    expect(expandWriteOut('a\\tb\\\\c\\rd%', info).stdout).toBe('a\tb\\\\c\rd%');
    // "%{ [%{time_total}" is one unknown variable named up to the first "}".
    expect(expandWriteOut('%% %{ [%{time_total}] [%{time_connect}]', info)).toEqual({
      stdout: '% ] [0.000247]',
      stderr: "curl: unknown --write-out variable: ' [%{time_total'\n",
    });
  });

  it('switches between stdout and stderr, and says which variables it does not model', () => {
    expect(expandWriteOut('%{stderr}err%{stdout}out\\n', info)).toEqual({
      stdout: 'out\n',
      stderr: 'err',
    });
    expect(expandWriteOut('%{json}', info).stderr).toBe(
      'packet-life: curl --write-out %{json} is not modelled\n',
    );
  });

  it('reports a transfer, a refused connection and an unknown host from the running curl', () => {
    const l = lab();
    l.setup(['ip link set lo up', 'python3 -m http.server 8000 --bind 127.0.0.1 &']);
    const page = l.run('curl -s http://127.0.0.1:8000/').stdout.length;
    const ok = l.run(
      "curl -s -o /dev/null -w '%{http_code} %{remote_ip}:%{remote_port} %{num_connects} %{size_download} %{size_request} %{exitcode} [%{errormsg}]\\n' http://127.0.0.1:8000/",
    );
    expect(ok).toMatchObject({ exitCode: 0, stdout: `200 127.0.0.1:8000 1 ${page} 78 0 []\n` });
    // A refused port: 000, no peer, the error and exit code (curl printed exactly this).
    expect(
      l.run(
        "curl -s -o /dev/null -w '[%{http_code}] [%{remote_ip}] [%{remote_port}] [%{num_connects}] [%{exitcode}] [%{errormsg}] [%{size_download}] [%{http_version}] [%{url_effective}] [%{method}] [%{scheme}]\\n' http://127.0.0.1:9/",
      ),
    ).toMatchObject({
      exitCode: 7,
      stdout:
        "[000] [] [0] [0] [7] [Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server] [0] [0] [http://127.0.0.1:9/] [GET] []\n",
    });
    // A POST counts its body in the request and the upload, as -d abc did (150 and 3 there).
    const post = l.run(
      "curl -s -o /dev/null -d abc -w '%{size_request} %{size_upload} %{filename_effective}' http://127.0.0.1:8000/",
    );
    expect(post.stdout).toBe('150 3 /dev/null');
    // The timings are in order and within the transfer.
    const [dns, tcp, pre, first, total] = l
      .run(
        "curl -s -o /dev/null -w '%{time_namelookup} %{time_connect} %{time_pretransfer} %{time_starttransfer} %{time_total}' http://localhost:8000/",
      )
      .stdout.split(' ')
      .map(Number);
    expect(dns! <= tcp! && tcp! <= pre! && pre! <= first! && first! <= total!).toBe(true);
    expect(total).toBeGreaterThan(0);
  });

  it('connects to this host for 0.0.0.0, and says so', () => {
    const l = lab();
    l.setup(['ip link set lo up', 'python3 -m http.server 8000 --bind 127.0.0.1 &']);
    const r = l.run("curl -sv -o /dev/null -w '%{remote_ip} %{http_code}\\n' http://0.0.0.0:8000/");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('127.0.0.1 200\n');
    expect(r.stderr).toContain('* Connected to 0.0.0.0 (127.0.0.1) port 8000 (#0)\n');
  });
});
