/** Capture lines for tests: what tcpdump -nn -e -i DEV showed during a command. */
import { TcpdumpState, formatFrame } from '../shell/tools/tcpdump/format';
import type { CommandResult } from '../shell/session';
import type { World } from '../sim/world';

export function captureLinesOf(
  world: World,
  r: Pick<CommandResult, 'captureFrom' | 'captureTo'>,
  host: string,
  netns: string,
  dev: string,
): string[] {
  const st = new TcpdumpState();
  return world.captures
    .since(r.captureFrom)
    .slice(0, r.captureTo - r.captureFrom)
    .filter((c) => c.host === host && c.netns === netns && c.dev === dev)
    .map((c) => formatFrame(c.frame, { link: true, verbose: 0 }, st));
}
