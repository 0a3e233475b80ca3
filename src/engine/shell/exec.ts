/**
 * Running a file by path (`./bridge`, `/opt/cni/bin/bridge`): a file whose content marks it as an
 * emulated binary runs that tool; anything else fails the way bash reports execve's errors.
 */
import type { Host } from '../linux/host';
import { BINARY_MAGIC, binaryIdOf } from './tools/cni/plugins';
import type { Tool } from './tool';
import { BINARIES } from './tools';

/** The tool an executable file at `path` stands for, if it is an emulated binary. */
export function binaryAt(host: Host, path: string): Tool | undefined {
  const st = host.fs.stat(path);
  if (st?.kind !== 'file') return undefined;
  const r = host.fs.readFile(path, host.rootNs);
  if (!r.ok) return undefined;
  const id = binaryIdOf(r.data);
  return id !== undefined ? BINARIES[id] : undefined;
}

/** Why executing `path` failed, as bash prints it after "bash: NAME: ", and the exit status. */
export function execFailure(host: Host, path: string): { text: string; code: number } {
  const st = host.fs.stat(path);
  if (!st) return { text: 'No such file or directory', code: 127 };
  if (st.kind === 'dir') return { text: 'Is a directory', code: 126 };
  const r = host.fs.readFile(path, host.rootNs);
  // Files the shell wrote are mode 0644; only emulated binaries are executable (0755).
  if (r.ok && r.data.startsWith(BINARY_MAGIC.slice(0, 4)))
    return { text: 'cannot execute binary file: Exec format error', code: 126 };
  return { text: 'Permission denied', code: 126 };
}
