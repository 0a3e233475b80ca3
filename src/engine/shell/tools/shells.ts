/**
 * bash, sh and zsh as commands. The prompt a learner types at is itself the shell; a second
 * shell, whether to read a script (`bash -c …`, a script on stdin) or to open a prompt inside a
 * namespace or a container (`ip netns exec NS bash`, `kubectl exec -it POD -- sh`), is not
 * modelled, and says so with the way to run the same commands. A shell given nothing to read
 * (no arguments, empty stdin, no terminal: a container whose image runs `sh`) ends at once with
 * status 0, as a real one does at end of input.
 */
import type { Tool } from '../tool';

function shell(name: string): Tool {
  return (ctx) => {
    const { proc } = ctx;
    const args = ctx.argv.slice(1);
    if (args.length === 0 && ctx.stdin === '' && !ctx.stdoutIsTty) {
      proc.exit(0);
      return;
    }
    proc.writeErr(
      `packet-life: ${name}: a shell started from a command is not modelled; type the commands ` +
        'at this prompt instead (in a network namespace: ip netns exec NAME COMMAND; in a pod: ' +
        'kubectl exec POD -- COMMAND)\n',
    );
    proc.exit(1);
  };
}

export const bash = shell('bash');
export const sh = shell('sh');
export const zsh = shell('zsh');
