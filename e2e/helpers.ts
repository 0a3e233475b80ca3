/** Shared steps for the end-to-end tests: everything is asserted from the page, as a learner sees it. */
import { type Locator, type Page, expect } from '@playwright/test';
import { mkdirSync } from 'node:fs';

export const SIZES = {
  laptop: { width: 1280, height: 800 },
  projector: { width: 1920, height: 1080 },
} as const;

const SHOTS = 'test-results/screenshots';

/**
 * Saves a screenshot of the current view at both sizes (laptop 1280×800, projector 1920×1080),
 * as `test-results/screenshots/<name>-1280x800.png` and `…-1920x1080.png`.
 */
export async function shootBoth(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const original = page.viewportSize();
  for (const size of [SIZES.laptop, SIZES.projector]) {
    await page.setViewportSize(size);
    // Let the canvas refit and the layout settle: the viewport's transform stops changing.
    await page.waitForTimeout(250);
    let last = '';
    for (let i = 0; i < 20; i++) {
      const now = await page.evaluate(
        () => document.querySelector('.react-flow__viewport')?.getAttribute('style') ?? '',
      );
      if (now === last) break;
      last = now;
      await page.waitForTimeout(150);
    }
    await page.screenshot({
      path: `${SHOTS}/${name}-${size.width}x${size.height}.png`,
      animations: 'disabled',
    });
  }
  if (original) await page.setViewportSize(original);
}

/** The walkthrough column. */
export const narrative = (page: Page): Locator => page.locator('.col-narrative');

export async function openApp(page: Page, hash = ''): Promise<void> {
  await page.setViewportSize(SIZES.laptop);
  await page.goto(`/${hash}`);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
}

/** Waits until step `n` of `total` is shown. */
export async function expectStep(page: Page, n: number, total = 5): Promise<void> {
  await expect(narrative(page).locator('.step-count')).toHaveText(
    n === 0 ? `Introduction · ${total} steps` : `Step ${n} of ${total}`,
  );
}

/** Types a command in the terminal (opening it if needed) and waits for the next prompt. */
export async function runInTerminal(page: Page, command: string): Promise<void> {
  const tab = page.getByRole('tab', { name: 'Terminal' });
  if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  const input = page.locator('.xterm-helper-textarea');
  await expect(input).toBeAttached();
  await input.focus();
  const rows = page.locator('.xterm-rows');
  const prompts = async () => ((await rows.textContent()) ?? '').split('root@').length;
  const before = await prompts();
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  await expect.poll(prompts, { timeout: 15_000 }).toBeGreaterThan(before);
}

/** Canvas node (device card, namespace, host) whose text contains `text`. */
export const canvasNode = (page: Page, text: string): Locator =>
  page.locator('.react-flow__node').filter({ hasText: text });
