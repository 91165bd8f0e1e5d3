/**
 * Debian's Chromium, headless, driven by playwright-core (never a
 * downloaded browser): installed on first use by scripts/test-services.
 * Keeps what the page logs, so a test can check that the Content-Security-Policy
 * refused nothing, and saves one screenshot per page into a folder.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ensureChromium } from '../../../scripts/test-services/chromium.ts';

export interface ConsoleBrowser {
  page: Page;
  context: BrowserContext;
  /** Errors the page logged or threw (CSP refusals among them). */
  problems: string[];
  /** A full-page screenshot as `<folder>/<name>.png`. */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowser(shotsDir: string): Promise<ConsoleBrowser> {
  const executablePath = await ensureChromium();
  const browser: Browser = await chromium.launch({ executablePath, headless: true });
  try {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    mkdirSync(shotsDir, { recursive: true });
    return {
      page,
      context,
      problems,
      shot: async (name) => {
        await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
      },
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** Copies the screenshots somewhere a person looks at them. */
export function copyShots(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true });
}
