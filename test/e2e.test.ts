import { cpSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { hotstate } from '../plugin/vite.ts';
import { openPage, type PageProject } from './browser.ts';

/**
 * The playground in a real Chromium: build up state by clicking, edit the sources on disk, and
 * check that the state survived, the new code runs, and the page never reloaded.
 */
const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-e2e-')));
const shots = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-e2e-shots-')));
let project: PageProject | undefined;
let page: Page;
const consoleErrors: string[] = [];

const read = (name: string) => readFileSync(path.join(root, 'src', name), 'utf8');
/** Writes a source file. */
const edit = (name: string, content: string) => project!.write(`src/${name}`, content);
/** Every update report the page logged (its console group titles), in order. */
const reports: string[] = [];
let reportsSeen = 0;
/** Waits for the next report (after those already seen) about `name` that matches `pattern`. */
async function updated(name: string, pattern: RegExp = /./): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const i = reports.findIndex((report, index) => index >= reportsSeen && report.includes(`src/${name}:`) && pattern.test(report));
    if (i !== -1) {
      reportsSeen = i + 1;
      return;
    }
    if (Date.now() > deadline) throw new Error(`no update report for src/${name} matching ${pattern} (reports: ${reports.join(' | ')})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const text = (selector: string) => page.textContent(selector);

beforeAll(async () => {
  cpSync(path.resolve(import.meta.dirname, '../playground'), root, { recursive: true, filter: (src) => !src.endsWith('vite.config.ts') });
  project = await openPage(
    { root, plugins: [hotstate({ indicator: true })] },
    {
      listen: (page) =>
        page.on('console', (message) => {
          if (message.type() === 'startGroupCollapsed' && message.text().startsWith('[hotstate] ')) reports.push(message.text());
          if (message.type() === 'error' && !message.text().includes('404')) consoleErrors.push(message.text());
        }),
      ready: (page) => page.waitForFunction(() => document.getElementById('created')?.textContent !== ''),
    },
  );
  page = project.page;
}, 60_000);

afterAll(() => project?.close());

test('state survives edits in the browser, new code runs, and the page never reloads', async () => {
  for (let i = 0; i < 3; i++) await page.click('#inc');
  await page.click('#add');
  await page.click('#add');
  await page.click('#tasks li >> nth=0');
  expect(await text('#count')).toBe('3');
  expect(await page.$$eval('#tasks li', (items) => items.map((item) => item.textContent))).toEqual(['1. task 1 (done)', '2. task 2']);

  await edit('counter.ts', read('counter.ts').replace('count += 1;', 'count += 10;'));
  await updated('counter.ts', /1 kept/);
  await page.click('#inc');
  expect(await text('#count')).toBe('13');

  await edit(
    'tasks.ts',
    read('tasks.ts')
      .replace('  readonly id = nextId++;', '  readonly id = nextId++;\n  priority = this.title.length;')
      .replace("`${this.id}. ${this.title}${this.#done ? ' (done)' : ''}`", "`#${this.id} ${this.title} p${this.priority}${this.#done ? ' ✓' : ''}`"),
  );
  await updated('tasks.ts', /initialized/);
  expect(await page.$$eval('#tasks li', (items) => items.map((item) => item.textContent))).toEqual(['#1 task 1 p6 ✓', '#2 task 2 p6']);

  await page.waitForFunction(() => /tick #\d+/.test(document.getElementById('clock')!.textContent!));
  await edit('clock.ts', read('clock.ts').replace('`tick #${ticks}', '`beat #${ticks}'));
  await updated('clock.ts');
  await page.waitForFunction(() => document.getElementById('clock')!.textContent!.startsWith('beat #'));
  expect(await text('#clock')).toMatch(/timers running: 1$/);

  const [created, kept] = [await text('#created'), await text('#kept')];
  await edit('theme.ts', read('theme.ts').replace('#0969da', '#8250df'));
  await updated('theme.ts');
  await page.waitForFunction((before) => document.getElementById('created')!.textContent !== before, created);
  expect(await text('#kept')).toBe(kept);

  expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe('no reload');
  const shot = path.join(shots, 'playground-after-edits.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot of the playground after the edits: ${shot}`);
  expect(consoleErrors).toEqual([]);
});

test('a broken edit shows the error overlay while the old code keeps running; the fix clears it', async () => {
  const good = read('counter.ts');
  const before = Number(await text('#count'));
  await edit('counter.ts', good.replace('count += 10;', 'count += ;'));
  await page.waitForSelector('vite-error-overlay');
  expect(await page.evaluate(() => document.querySelector('vite-error-overlay')!.shadowRoot!.textContent)).toMatch(/counter\.ts/);
  await page.evaluate(() => (document.getElementById('inc') as HTMLButtonElement).click());
  expect(Number(await text('#count'))).toBe(before + 10);

  await edit('counter.ts', good.replace('count += 10;', 'count += 100;'));
  await updated('counter.ts', /kept/);
  await page.waitForSelector('vite-error-overlay', { state: 'detached' });
  await page.click('#inc');
  expect(Number(await text('#count'))).toBe(before + 110);

  await edit('counter.ts', `${good.replace('count += 10;', 'count += 1000;')}\nthrow new Error('broken on purpose');\n`);
  await updated('counter.ts', /rolled back/);
  await page.waitForSelector('vite-error-overlay');
  expect(await page.evaluate(() => document.querySelector('vite-error-overlay')!.shadowRoot!.textContent)).toMatch(/rolled back update of src\/counter\.ts/);
  await page.evaluate(() => (document.getElementById('inc') as HTMLButtonElement).click());
  expect(Number(await text('#count'))).toBe(before + 210);

  await edit('counter.ts', good);
  await updated('counter.ts', /kept/);
  await page.waitForSelector('vite-error-overlay', { state: 'detached' });
  expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe('no reload');
});
