/**
 * Shortens a line of text to a width in pixels, with an ellipsis, by measuring it (canvas
 * `measureText`, cached). Device cards use it instead of `overflow: hidden` + `text-overflow`:
 * each clipped row would be a clip node of its own, and hundreds of them make every compositing
 * update of the page slower (see e2e/perf.bench.ts).
 */

let ctx: CanvasRenderingContext2D | null | undefined;
const widths = new Map<string, number>();

/** The width of `text` in `font`, in CSS pixels. */
export function textWidth(text: string, font: string): number {
  const key = `${font}|${text}`;
  const hit = widths.get(key);
  if (hit !== undefined) return hit;
  if (ctx === undefined)
    ctx =
      typeof document === 'undefined' ? null : document.createElement('canvas').getContext('2d');
  let w: number;
  if (ctx) {
    ctx.font = font;
    w = ctx.measureText(text).width;
  } else w = text.length * 0.62 * (parseFloat(/(\d+(?:\.\d+)?)px/.exec(font)?.[1] ?? '12') || 12);
  if (widths.size > 20_000) widths.clear();
  widths.set(key, w);
  return w;
}

/** The CSS font shorthand for a family variable of the page (`--mono`, `--sans`). */
const stacks = new Map<string, string>();

export function fontOf(weight: number, px: number, family: 'mono' | 'sans'): string {
  let stack = stacks.get(family);
  if (stack === undefined) {
    stack =
      typeof document === 'undefined'
        ? ''
        : getComputedStyle(document.documentElement).getPropertyValue(`--${family}`).trim();
    if (stack) stacks.set(family, stack);
  }
  return `${weight} ${px}px ${stack || (family === 'mono' ? 'monospace' : 'sans-serif')}`;
}

/**
 * `text` if it fits in `maxPx` in `font`, else its longest prefix that fits followed by "…".
 *
 * @example
 * fitText('peer: veth-clientbr-long', 90, fontOf(400, 11.5, 'sans')) // 'peer: veth-cli…'
 */
export function fitText(text: string, maxPx: number, font: string): string {
  if (maxPx <= 0) return '';
  if (textWidth(text, font) <= maxPx) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (textWidth(`${text.slice(0, mid)}…`, font) <= maxPx) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}
