/** curl's request line and headers, as curl 7.88.1 sent them to `nc -l` on Debian 12 (checked in a pl- namespace). */
import { describe, expect, it } from 'vitest';
import { lab } from '../../testing/lab';

describe('curl', () => {
  it('lets -H replace its own headers: Host in place, User-Agent among the custom ones', () => {
    const l = lab();
    l.setup(['ip link set lo up', 'nc -l 8080 > /tmp/req &']);
    l.run(
      "curl -s -m 1 -H 'Host: foo.example' -H 'User-Agent: x/1' -H 'X-A: b' http://127.0.0.1:8080/",
    );
    expect(l.run('cat /tmp/req').stdout).toBe(
      'GET / HTTP/1.1\r\nHost: foo.example\r\nAccept: */*\r\nUser-Agent: x/1\r\nX-A: b\r\n\r\n',
    );
  });
});
