// Real headless Chromium for browser tests: Debian's `chromium` package driven by playwright-core (which never
// downloads a browser of its own). Without a Chromium on the machine the test is skipped with a visible notice,
// except under CI=true where a missing browser fails the run (.ci/run installs it).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((candidate): candidate is string => Boolean(candidate));

/** Where browser tests save their screenshots (ignored by git). */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

function chromiumPath(): string | undefined {
  return CANDIDATES.find((candidate) => existsSync(candidate));
}

/**
 * Launches headless Chromium, or skips the test (throws under CI=true) when none is installed. The flags keep
 * Chromium off the network: this machine's network is closed and background connections only make noise.
 */
export async function launchBrowser(t: TestContext): Promise<Browser | undefined> {
  const executablePath = chromiumPath();
  if (!executablePath) {
    const notice = `Chromium is not installed (looked at ${CANDIDATES.join(', ')}; apt-get install chromium)`;
    if (process.env.CI === 'true') throw new Error(`${notice}: browser tests cannot be skipped under CI=true`);
    console.warn(`NOTICE: ${notice}; skipping "${t.name}"`);
    t.skip(notice);
    return undefined;
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Collects the page's console errors and uncaught exceptions, so a test can assert there were none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error: Error) => errors.push(`page error: ${error.message}`));
  return errors;
}

/** Saves a full-page screenshot under test-results/screenshots/NAME.png and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
