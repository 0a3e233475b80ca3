import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { canvasNode, expectStep, openApp, runInTerminal, shootBoth } from './helpers';

const vethPair = JSON.parse(readFileSync('scenarios/veth-pair.json', 'utf8')) as Record<
  string,
  unknown
>;

test.describe('keyboard and presenter', () => {
  test('can be used with the keyboard alone', async ({ page }) => {
    await openApp(page);
    // Tab reaches the controls, with a visible focus ring.
    await page.keyboard.press('Tab');
    await expect(page.locator(':focus')).toBeVisible();
    const outline = await page
      .locator(':focus')
      .evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).not.toBe('none');
    await page
      .locator('body')
      .click({ position: { x: 5, y: 790 } })
      .catch(() => undefined);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

    for (const n of [1, 2, 3, 4, 5]) {
      await page.keyboard.press('ArrowRight');
      await expectStep(page, n);
    }
    await page.keyboard.press(' ');
    await expect(page.getByRole('button', { name: /^(Play|Replay)$/ })).toBeVisible();
    await page.keyboard.press('[');
    await page.keyboard.press(']');
    await expect(page.locator('.hop-count')).toHaveText(/^Hop \d+ of \d+$/);
    await page.keyboard.press('PageUp');
    await expectStep(page, 4);
    await page.keyboard.press('PageDown');
    await expectStep(page, 5);

    // A device on the canvas is focusable; Enter selects it and the inspector shows its tables.
    await page.locator('.react-flow__node-device[aria-label^="veth-server,"]').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('tab', { name: 'Device', selected: true })).toBeVisible();
    await expect(page.locator('.device-panel')).toContainText(
      '10.0.0.0/24 dev veth-server proto kernel scope link src 10.0.0.12',
    );
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

    await page.keyboard.press('?');
    await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);

    // Presenter mode: chrome hidden, the narrative and the current decision large.
    await page.keyboard.press('p');
    await expect(page.locator('.app.presenter')).toBeVisible();
    await expect(page.locator('.topbar')).toHaveCount(0);
    await expect(page.locator('.presenter-side .step-title')).toHaveText('Ping across the cable');
    const size = await page
      .locator('.presenter-side .step-title')
      .evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    expect(size).toBeGreaterThanOrEqual(28);
    await page.keyboard.press(']');
    await page.keyboard.press(']');
    await expect(page.locator('.presenter-now')).toBeVisible();
    await shootBoth(page, '05-presenter');
    await page.keyboard.press('PageUp');
    await expect(page.locator('.presenter-side .step-title')).toHaveText(
      'Addresses, and switch both ends on',
    );
    await page.keyboard.press('Escape');
    await expect(page.locator('.topbar')).toBeVisible();
  });
});

test.describe('scenarios from files, links and the gallery', () => {
  test('opening a file with an error shows the precise error', async ({ page }) => {
    await openApp(page);
    const input = page.locator('input[type=file]');
    await input.setInputFiles({
      name: 'broken.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{\n  "version": 1,\n  "id": "broken",\n}\n'),
    });
    const dialog = page.getByRole('dialog', { name: /broken\.json/ });
    await expect(dialog).toContainText('not valid JSON (line 4, column 1)');

    const bad = {
      ...vethPair,
      titel: 'typo',
      steps: [{ title: 'x', narrative: 'y', commands: [{ run: 'ip link', on: 'nowhere' }] }],
    };
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await input.setInputFiles({
      name: 'typo.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(bad, null, 2)),
    });
    const d2 = page.getByRole('dialog', { name: /typo\.json/ });
    await expect(d2).toContainText('unknown field "titel"');
    await shootBoth(page, '06-file-error');
    await d2.getByRole('button', { name: 'Close', exact: true }).click();
    // The scenario that was open is still there.
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(
      'Two namespaces joined by a veth pair',
    );
  });

  test('a scenario opened from a file travels in the link', async ({ page }) => {
    await openApp(page);
    const mine = { ...vethPair, id: 'my-copy', title: 'My own copy of the veth pair' };
    await page.locator('input[type=file]').setInputFiles({
      name: 'mine.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(mine)),
    });
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(
      'My own copy of the veth pair',
    );
    await expect(page).toHaveURL(/#z=1\./);
    await page.getByRole('button', { name: /^Start/ }).click();
    await expectStep(page, 1);
    await expect(page).toHaveURL(/#z=1\.[A-Za-z0-9_-]+\?step=1$/);
    // The link alone reopens it, in a fresh page.
    const url = page.url();
    const other = await page.context().newPage();
    await other.goto(url);
    await expect(other.getByRole('heading', { level: 1 })).toHaveText(
      'My own copy of the veth pair',
    );
    await expectStep(other, 1);
    await other.close();
  });

  test('share copies a link that reopens the same view', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await openApp(page, '#/scenario/veth-pair?step=5&hop=2');
    // The heading shows while the link's five steps still replay in the worker; Share stays
    // disabled until the view has landed (it used to copy whichever step the replay was at).
    await expect(page.locator('.hop-count')).toHaveText(/^Hop 2 of \d+$/);
    await page.getByRole('button', { name: 'Share' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Link copied' })).toBeVisible();
    const link = await page.evaluate(() => navigator.clipboard.readText());
    expect(link).toMatch(/#\/scenario\/veth-pair\?step=5&hop=2$/);
    // After a typed command, the link carries the scenario and the command.
    await runInTerminal(page, 'ip link add br0 type bridge');
    await page.getByRole('button', { name: 'Share' }).click();
    await expect
      .poll(() => page.evaluate(() => navigator.clipboard.readText()))
      .toMatch(/#z=1\.[A-Za-z0-9_-]+\?step=5$/);
    const zlink = await page.evaluate(() => navigator.clipboard.readText());
    const other = await context.newPage();
    await other.goto(zlink);
    // A fresh worker boots and replays five steps and the command before br0 exists.
    await expect(canvasNode(other, 'br0')).toBeVisible({ timeout: 15_000 });
    await other.close();
  });

  test('an older link format is migrated, with a note', async ({ page }) => {
    // Version 0 links carried the scenario uncompressed.
    const v0 = Buffer.from(JSON.stringify({ ...vethPair, title: 'An old shared copy' })).toString(
      'base64url',
    );
    await openApp(page, `#z=0.${v0}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('An old shared copy');
    await expect(page.getByRole('status').filter({ hasText: 'older format' })).toBeVisible();
  });

  test('an unknown scenario id opens the default one with a clear message', async ({ page }) => {
    await openApp(page, '#/scenario/no-such-walkthrough');
    await expect(page.getByRole('alert')).toContainText(
      'There is no built-in scenario "no-such-walkthrough"',
    );
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(
      'Two namespaces joined by a veth pair',
    );
  });

  test('a broken link opens the default scenario with a clear message', async ({ page }) => {
    await openApp(page, '#z=1.AAAAthis-is-not-a-scenario');
    await expect(page.getByRole('alert')).toContainText('This link could not be opened');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(
      'Two namespaces joined by a veth pair',
    );
  });

  test('the gallery lists every scenario and opens one', async ({ page }) => {
    await openApp(page);
    await page.getByRole('button', { name: 'Scenarios' }).click();
    const gallery = page.getByRole('dialog', { name: 'Scenarios' });
    await expect(gallery.locator('.card')).not.toHaveCount(0);
    await expect(gallery.locator('.card.current')).toContainText(
      'Two namespaces joined by a veth pair',
    );
    await shootBoth(page, '07-gallery');
    const other = gallery.locator('.card:not(.current)').first();
    const title = (await other.locator('h3').textContent())!;
    await other.getByRole('button', { name: /^Open/ }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
    await expect(page).not.toHaveURL(/veth-pair/);
  });
});

test.describe('the engine worker', () => {
  test('a crashed worker is restarted and the scenario is kept', async ({ page }) => {
    await openApp(page, '?debug#/scenario/veth-pair?step=4');
    await expectStep(page, 4);
    await page.evaluate(() =>
      (window as unknown as { packetLife: { crashEngine(): void } }).packetLife.crashEngine(),
    );
    await expect(
      page
        .getByRole('alert')
        .or(page.getByRole('status'))
        .filter({ hasText: 'engine stopped unexpectedly' }),
    ).toBeVisible();
    // The world is as it was after step 4: the ping works.
    await runInTerminal(page, 'ip netns exec client ping -c 1 10.0.0.12');
    await expect(page.locator('.xterm-rows')).toContainText('1 packets transmitted, 1 received');
  });

  test('editing the address bar navigates', async ({ page }) => {
    await openApp(page);
    await page.evaluate(() => {
      location.hash = '#/scenario/veth-pair?step=5';
    });
    await expectStep(page, 5);
  });
});
