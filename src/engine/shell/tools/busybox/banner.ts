/**
 * The BusyBox build the applets were checked against (Debian's busybox 1.35.0, whose ping and
 * nslookup match the 1.36/1.37 the images ship); usage texts start with its banner.
 */
export const BUSYBOX_BANNER = 'BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.';

/** bb_show_usage: the banner, a blank line and the applet's usage, all on stderr. */
export function busyboxUsage(usage: string): string {
  return `${BUSYBOX_BANNER}\n\n${usage}`;
}
