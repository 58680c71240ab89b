import { mkdtempSync, realpathSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTree } from './files.ts';
import { build } from 'vite';
import { afterAll, expect, test } from 'vitest';
import { hotstate } from '../plugin/vite.ts';

const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-build-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('a production build with the plugin is byte-identical to one without it', async () => {
  mkdirSync(path.join(root, 'src'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><script type="module" src="/src/main.ts"></script>');
  writeFileSync(
    path.join(root, 'src/main.ts'),
    `import { Counter } from './counter.ts';\nexport let clicks: number = 0;\nconst c = new Counter();\ndocument.body.onclick = () => { clicks++; c.bump(); };\n`,
  );
  writeFileSync(path.join(root, 'src/counter.ts'), `export class Counter {\n  #n = 0;\n  static made = 0;\n  bump() { return ++this.#n; }\n}\n`);

  const run = async (outDir: string, plugins: ReturnType<typeof hotstate>[]) => {
    await build({ root, configFile: false, logLevel: 'silent', plugins, build: { outDir, sourcemap: true } });
    return readTree(path.join(root, outDir));
  };
  const plain = await run('dist-plain', []);
  const withPlugin = await run('dist-hotstate', [hotstate()]);
  expect(plain.size).toBeGreaterThan(1);
  expect([...withPlugin.keys()].sort()).toEqual([...plain.keys()].sort());
  for (const [file, content] of plain) expect(withPlugin.get(file)!.equals(content), file).toBe(true);
  expect([...plain.values()].some((content) => content.includes('clicks'))).toBe(true);
});
