import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { installApp, pack, REPO as repo, repoVersion } from './pack.ts';

/**
 * The package as a user gets it: `npm pack`, installed with Vite into a fresh app, configured with
 * `import hotstate from 'hotstate/vite'`, and a hot update seen keeping state in a subprocess.
 */

const CHECK = `
import { writeFileSync } from 'node:fs';
import { createServer, createServerModuleRunner } from 'vite';
const server = await createServer({ server: { middlewareMode: true, ws: false }, appType: 'custom', logLevel: 'silent' });
const runner = createServerModuleRunner(server.environments.ssr, { hmr: { logger: false } });
const reported = new Promise((resolve) => server.environments.ssr.hot.on('hotstate:report', resolve));
const mod = await runner.import('/src/counter.ts');
mod.inc(); mod.inc();
await new Promise((r) => setTimeout(r, 200));
writeFileSync('src/counter.ts', process.env.NEXT);
const report = await reported;
const result = { status: report.status, count: mod.count, after: mod.inc(), setups: mod.setups };
await new Promise((r) => setTimeout(r, 100)); // let Vite finish the update before closing
await runner.close(); await server.close();
console.log(JSON.stringify(result));
`;

test('npm pack → install into a fresh Vite app → hotstate/vite and hotstate/runtime work', { timeout: 240_000 }, () => {
  const shipped = pack().files;
  expect(shipped).toContain('dist/plugin/vite.js');
  expect(shipped).toContain('dist/plugin/vite.d.ts');
  expect(shipped).toContain('dist/runtime/index.js');
  expect(shipped.some((f) => f.startsWith('test/') || f.startsWith('plugin/'))).toBe(false);

  const app = installApp('app', [`vite@${repoVersion('vite')}`]);
  mkdirSync(path.join(app, 'src'), { recursive: true });

  writeFileSync(path.join(app, 'vite.config.ts'), `import { defineConfig } from 'vite';\nimport hotstate from 'hotstate/vite';\nexport default defineConfig({ plugins: [hotstate()] });\n`);
  const counter = (step: number) =>
    `import { once } from 'hotstate/runtime';\nexport let count: number = 0;\nexport let setups = 0;\nonce('setup', () => { setups++; });\nexport function inc() { count += ${step}; return count; }\n`;
  writeFileSync(path.join(app, 'src/counter.ts'), counter(1));
  writeFileSync(path.join(app, 'check.mjs'), CHECK);
  const out = execFileSync(process.execPath, ['check.mjs'], { cwd: app, encoding: 'utf8', env: { ...process.env, NEXT: counter(10) } });
  expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ status: 'applied', count: 2, after: 12, setups: 1 });

  // The exports are typed for a consumer's TypeScript (the repo's own compiler, strict).
  writeFileSync(
    path.join(app, 'src/typed.ts'),
    `/// <reference types="vite/client" />\n/// <reference types="hotstate/client" />\nimport hotstate, { type HotstateOptions } from 'hotstate/vite';\nimport { once, type UpdateReport } from 'hotstate/runtime';\n` +
      `const options: HotstateOptions = { onIncompatible: 'reject', indicator: true };\nexport const plugin = hotstate(options);\nonce('k', () => () => {});\n` +
      `import.meta.hot?.on('hotstate:update', (report) => { const r: UpdateReport = report; void r.status; });\n` +
      // These hold only if the types resolved and are precise (an unresolved type is `any`).
      `// @ts-expect-error: not a policy\nexport const bad: HotstateOptions = { onIncompatible: 'nope' };\n` +
      `// @ts-expect-error: once takes a key first\nonce(() => {});\n` +
      `import.meta.hot?.on('hotstate:update', (report) => {\n  // @ts-expect-error: a report has no such field\n  void report.nonexistent;\n});\n`,
  );
  writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'ESNext', moduleResolution: 'bundler', target: 'ES2022', noEmit: true, skipLibCheck: true, types: [] }, include: ['src/typed.ts'] }),
  );
  const typecheck = spawnSync(process.execPath, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app, encoding: 'utf8' });
  expect(typecheck.stdout + typecheck.stderr).toBe('');
  expect(typecheck.status).toBe(0);

  // The CLI, as `npx hotstate` in the app: record the state schema, then refuse an unsafe change.
  writeFileSync(path.join(app, 'tsconfig.state.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'ESNext', moduleResolution: 'bundler', target: 'ES2022', noEmit: true }, include: ['src/counter.ts'] }));
  const hotstateCli = (args: string[]) => spawnSync('npx', ['--no-install', 'hotstate', ...args, '--project', 'tsconfig.state.json'], { cwd: app, encoding: 'utf8' });
  expect(hotstateCli(['migrate'])).toMatchObject({ status: 0, stdout: 'wrote hotstate/schema.json\n' });
  expect(hotstateCli(['check'])).toMatchObject({ status: 0 });
  writeFileSync(path.join(app, 'src/counter.ts'), counter(1).replace('count: number = 0', "count: string = '0'").replace('count += 1', "count += '1'"));
  const check = hotstateCli(['check']);
  expect(check.status).toBe(1);
  expect(check.stdout).toContain('src/counter.ts:2:12 error HS201 incompatible-type');
});
