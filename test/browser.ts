import { existsSync, rmSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type InlineConfig, type ViteDevServer } from 'vite';
import { writeFiles } from './files.ts';

/**
 * Debian's Chromium driven by playwright-core (test tools' own browser downloads are not used).
 * The executable is `$CHROMIUM_PATH`, else `/usr/bin/chromium`.
 */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}. The browser tests drive a real Chromium: install it ` +
        `(Debian: apt-get install -y chromium) or set CHROMIUM_PATH to its executable.`,
    );
  }
  return path;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    // Root in CI needs --no-sandbox; the rest keeps Chromium off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A Vite dev server on a project folder and a Chromium page open on it (see `openPage`). */
export interface PageProject {
  server: ViteDevServer;
  browser: Browser;
  page: Page;
  /** Writes a file under the root, spaced so that the file watcher sees each write (it folds changes within ~100 ms). */
  write(name: string, content: string): Promise<void>;
  /** Closes the page, the browser and the server, and removes the project folder. */
  close(): Promise<void>;
}

/**
 * Serves `config.root` with a Vite dev server and opens `url` (relative to it) in Chromium:
 * `listen` attaches the page's listeners before it loads; then the page has loaded (`ready`) and
 * carries `window.marker = 'no reload'`, which a reload would lose.
 */
export async function openPage(
  config: InlineConfig & { root: string },
  { url = '', listen = () => {}, ready }: { url?: string; listen?: (page: Page) => void; ready: (page: Page) => Promise<unknown> },
): Promise<PageProject> {
  const server = await createServer({ configFile: false, logLevel: 'silent', server: { port: 0 }, ...config });
  await server.listen();
  const browser = await launchChromium();
  const page = await browser.newPage();
  listen(page);
  await page.goto(`${server.resolvedUrls!.local[0]!}${url}`);
  await ready(page);
  await page.evaluate(() => ((window as { marker?: string }).marker = 'no reload'));
  let lastWrite = 0;
  return {
    server,
    browser,
    page,
    async write(name, content) {
      const wait = lastWrite + 200 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      writeFiles(config.root, { [name]: content });
      lastWrite = Date.now();
    },
    async close() {
      await browser.close();
      await server.close();
      rmSync(config.root, { recursive: true, force: true });
    },
  };
}
