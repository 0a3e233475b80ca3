/**
 * `packet-life exec … -- CMD…`: the words after `--` as one command line for the simulated
 * shell. A single argument is a command line as typed (`-- 'ip route | grep default'`); several
 * are words, each quoted where the shell would split or expand it, so `-w '%{http_code} x'`
 * reaches the command as one argument, as it would through `kubectl exec` or `ssh`-less tools.
 */

/** A word as the shell reads back exactly: bare when safe, else in single quotes (a bare A=b
 * first would be an assignment). */
export function quoteWord(w: string): string {
  if (/^[A-Za-z0-9_@%+:,./-]+$/.test(w)) return w;
  return `'${w.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(argv: readonly string[]): string {
  if (argv.length === 1) return argv[0]!;
  return argv.map(quoteWord).join(' ');
}
