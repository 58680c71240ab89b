import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import type { ConsoleMessage, Page } from 'playwright-core';
import type { PluginOption } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hotstate } from '../plugin/vite.ts';
import { openPage, type PageProject } from './browser.ts';

/**
 * hotstate next to React Fast Refresh (`@vitejs/plugin-react`), in a real dev server and Chromium:
 * the React playground page (`playground/react.html`, copied to a temporary folder and edited
 * there). Fast Refresh keeps hook state across edits of a component; hotstate keeps the module
 * `let` store the component reads, which Fast Refresh alone resets. Both plugin orders.
 */
const repo = path.resolve(import.meta.dirname, '..');
const orders: Array<[string, () => PluginOption[]]> = [
  ['hotstate() before react()', () => [hotstate(), react()]],
  ['react() before hotstate()', () => [react(), hotstate()]],
];

interface Messages {
  /** Everything the page logged, as `type: text`. */
  all: string[];
  /** Console errors, and uncaught exceptions, except failed resource loads (the favicon). */
  errors: string[];
}

describe.each(orders)('React page with %s', (_name, plugins) => {
  let root: string;
  let project: PageProject | undefined;
  let page: Page;
  const messages: Messages = { all: [], errors: [] };

  const read = (name: string) => readFileSync(path.join(root, 'src/react', name), 'utf8');
  /** Replaces `from` by `to` in a source file. */
  async function edit(name: string, from: string, to: string): Promise<void> {
    const before = read(name);
    expect(before).toContain(from);
    await project!.write(`src/react/${name}`, before.replace(from, to));
  }
  /** Waits for the report hotstate's runtime logs in the page when it applied an update of `name`. */
  async function updated(name: string, since: number): Promise<void> {
    await expect
      .poll(() => messages.all.slice(since).some((text) => text.startsWith(`startGroupCollapsed: [hotstate] src/react/${name}`)), { timeout: 10_000 })
      .toBe(true);
  }
  const text = (selector: string) => page.textContent(selector);
  const marker = () => page.evaluate(() => (window as { marker?: string }).marker);

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-e2e-react-')));
    mkdirSync(path.join(root, 'src'));
    cpSync(path.join(repo, 'playground/react.html'), path.join(root, 'react.html'));
    cpSync(path.join(repo, 'playground/style.css'), path.join(root, 'style.css'));
    cpSync(path.join(repo, 'playground/src/react'), path.join(root, 'src/react'), { recursive: true });
    // `react` and `react-dom` resolve from the repository's dependencies.
    symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    project = await openPage(
      {
        root,
        cacheDir: path.join(root, '.vite'),
        // Pre-bundled at start-up: one discovered while the page loads would reload the page.
        optimizeDeps: { entries: ['react.html'], include: ['react', 'react-dom/client', 'react/jsx-dev-runtime'] },
        plugins: plugins(),
      },
      {
        url: 'react.html',
        listen: (page) => {
          page.on('console', (message: ConsoleMessage) => {
            messages.all.push(`${message.type()}: ${message.text()}`);
            if (message.type() === 'error' && !message.text().includes('Failed to load resource')) messages.errors.push(message.text());
          });
          page.on('pageerror', (error) => messages.errors.push(`uncaught: ${error.message}`));
        },
        ready: (page) => page.waitForSelector('#hook-count'),
      },
    );
    page = project.page;
  }, 60_000);

  afterAll(() => project?.close());

  test('an edit of the store module keeps its `let` and the hook state; the next click runs the new code', async () => {
    for (let i = 0; i < 3; i++) await page.click('#hook-inc');
    for (let i = 0; i < 2; i++) await page.click('#store-inc');
    expect(await text('#hook-count')).toBe('3');
    expect(await text('#store-clicks')).toBe('2');

    const since = messages.all.length;
    await edit('store.ts', 'clicks += 1;', 'clicks += 10;');
    await updated('store.ts', since);
    // Fast Refresh alone would re-run store.ts and App.tsx here: `clicks` back to 0.
    expect(await text('#store-clicks')).toBe('2');
    expect(await text('#hook-count')).toBe('3');
    await page.click('#store-inc');
    expect(await text('#store-clicks')).toBe('12');
    // The subscription taken before the edit still notifies (`listeners` is a kept `let`).
    await page.click('#store-inc');
    expect(await text('#store-clicks')).toBe('22');

    expect(await marker()).toBe('no reload');
    expect(messages.errors).toEqual([]);
  });

  // Fails until hotstate leaves components to Fast Refresh: hotstate gives `App` one identity
  // (the first version's function object, forwarding to the newest body), so the new version's
  // `$RefreshReg$(App, ...)` registers a function Fast Refresh already knows and is ignored, and
  // Fast Refresh has nothing to re-render. The new label shows only at the next render (below).
  test('an edit of the component re-renders it at once (Fast Refresh), keeping hook state and the store', async () => {
    const since = messages.all.length;
    await edit('App.tsx', 'id="hook-label">count is<', 'id="hook-label">hook count<');
    await updated('App.tsx', since);
    await page.waitForFunction(() => document.getElementById('hook-label')?.textContent === 'hook count', undefined, { timeout: 3_000 });
    expect(await text('#hook-count')).toBe('3');
    expect(await text('#store-clicks')).toBe('22');
    expect(await marker()).toBe('no reload');
  });

  test('after the component edit, hook state and the store survived and the component runs its new code', async () => {
    // With the fix this is already the case before the click; without it the click's render shows it.
    await page.click('#hook-inc');
    expect(await text('#hook-label')).toBe('hook count');
    expect(await text('#hook-count')).toBe('4');
    await page.click('#store-inc');
    expect(await text('#store-clicks')).toBe('32');

    // A second edit of each file: the state keeps going.
    let since = messages.all.length;
    await edit('store.ts', 'clicks += 10;', 'clicks += 100;');
    await updated('store.ts', since);
    await page.click('#store-inc');
    expect(await text('#store-clicks')).toBe('132');
    since = messages.all.length;
    await edit('App.tsx', 'setCount((n) => n + 1)', 'setCount((n) => n + 2)');
    await updated('App.tsx', since);
    // The button's handler is the one of the last render: after one render of the new version
    // (at once with Fast Refresh; without it, this click's render) each click adds 2.
    await page.click('#hook-inc');
    const count = Number(await text('#hook-count'));
    await page.click('#hook-inc');
    expect(Number(await text('#hook-count'))).toBe(count + 2);

    expect(await marker()).toBe('no reload');
    expect(messages.all.filter((line) => /Could not Fast Refresh|invalidate/.test(line))).toEqual([]);
    expect(messages.errors).toEqual([]);
  });
});
