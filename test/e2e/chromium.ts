import { existsSync } from "node:fs";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** Debian's chromium (never a downloaded browser); CI installs it and must run the page tests. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === "true") throw new Error(`chromium is missing at ${CHROMIUM}: CI installs Debian's chromium package (.ci/run)`);
if (!hasChromium) console.warn(`ops page tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

/** Headless Chromium with one page of the given viewport. */
export async function openPage(width: number, height: number): Promise<{ browser: Browser; page: Page }> {
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  return { browser, page };
}
