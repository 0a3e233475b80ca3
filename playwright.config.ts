import { defineConfig, devices } from '@playwright/test';
import { existsSync } from 'node:fs';

// Debian's Chromium matches @playwright/test 1.64.1's bundled build (156); see ecosystem-notes §E.
const chromium = process.env.PW_CHROMIUM_PATH ?? '/usr/bin/chromium';
// `npm run bench` serves a fresh build on a port of its own and names it here.
const perfBase = process.env.PERF_BASE_URL;
const launchOptions = existsSync(chromium)
  ? { executablePath: chromium, args: ['--disable-gpu', '--disable-quic'] }
  : {};

export default defineConfig({
  testDir: './e2e',
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  use: { baseURL: perfBase ?? 'http://127.0.0.1:4173', trace: 'retain-on-failure' },
  expect: { toHaveScreenshot: { maxDiffPixelRatio: 0.01, animations: 'disabled' } },
  projects: [
    {
      name: 'chromium',
      testIgnore: /\.bench\.ts$/,
      use: { ...devices['Desktop Chrome'], launchOptions },
    },
    // Speed figures, not tests: `PERF=1 npx playwright test --project=perf` (see e2e/perf.bench.ts).
    ...(process.env.PERF
      ? [
          {
            name: 'perf',
            testMatch: /perf\.bench\.ts$/,
            timeout: 300_000,
            use: {
              ...devices['Desktop Chrome'],
              viewport: { width: 1600, height: 900 },
              launchOptions,
              // Tracing snapshots the DOM from inside the page and would be measured with it.
              trace: 'off' as const,
            },
          },
        ]
      : []),
  ],
  webServer: perfBase
    ? undefined
    : {
        command: 'npm run build && npx vite preview --host 127.0.0.1 --port 4173 --strictPort',
        url: 'http://127.0.0.1:4173',
        reuseExistingServer: !process.env.CI,
        timeout: 120_000,
      },
});
