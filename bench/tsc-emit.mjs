// What `hotstate/tsc` adds to a tsc build: a generated project of N modules compiled by the
// TypeScript compiler API as tsc does it (create the program, type-check, emit with source maps),
// without and with the transformer, each run in a fresh process, interleaved.
//
//   node bench/tsc-emit.mjs [--modules 100] [--rounds 7] [--no-build] [--dist <dir>] [--json]
//
// Each module is the `large` shape of bench/hmr-latency.mjs (433 lines: a counter, functions and
// 15 blocks of an interface, a class with a #private field, a getter and methods, a module `let`
// holding an instance, an exported arrow and a function); tsconfig: strict, ES2022, ESNext modules,
// bundler resolution, sourceMap, skipLibCheck. Per run the child reports the whole build (program,
// check, emit) and the emit alone, in ms; the table gives medians and the ratio of medians. The
// transform's per-process cache is cold in every run, as in a build from scratch.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildPrivate, distDir, median, table, tempDir } from './lib.mjs';
import { moduleSource } from './hmr-latency.mjs';

const here = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  // One build: node bench/tsc-emit.mjs --child <project> <plain|hotstate> <dist>
  const [, , , project, mode, dist] = process.argv;
  const { default: ts } = await import('typescript');
  const { hotstateTransformer } = await import(pathToFileURL(path.join(dist, 'plugin', 'tsc.js')).href);
  const start = performance.now();
  const config = ts.getParsedCommandLineOfConfigFile(path.join(project, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const program = ts.createProgram(config.fileNames, config.options);
  const errors = ts.getPreEmitDiagnostics(program);
  if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => project, getNewLine: () => '\n' }));
  const emitStart = performance.now();
  let written = 0;
  const transformers = mode === 'hotstate' ? { before: [hotstateTransformer({ ts, program, onDiagnostic: (d) => { throw new Error(String(d.messageText)); } })] } : undefined;
  program.emit(undefined, () => written++, undefined, false, transformers);
  const end = performance.now();
  process.stdout.write(JSON.stringify({ build: end - start, emit: end - emitStart, written }));
  process.exit(0);
}

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const modules = Number(opt('--modules', 100));
const rounds = Number(opt('--rounds', 7));
const dist = args.includes('--dist') ? path.resolve(opt('--dist')) : distDir();
if (!args.includes('--no-build') && !args.includes('--dist')) buildPrivate();

const project = tempDir('hotstate-tsc-emit-');
mkdirSync(path.join(project, 'src'), { recursive: true });
for (let i = 0; i < modules; i++) {
  writeFileSync(path.join(project, 'src', `m${i}.ts`), moduleSource('hot', 1, 'large').replace(/^\(globalThis as any\).*\n/gm, ''));
}
writeFileSync(
  path.join(project, 'tsconfig.json'),
  JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, sourceMap: true, skipLibCheck: true, rootDir: 'src', outDir: 'dist' }, include: ['src'] }),
);

const run = (mode) => JSON.parse(execFileSync(process.execPath, [here, '--child', project, mode, dist], { encoding: 'utf8', cwd: path.dirname(here) }));
run('plain');
run('hotstate');
const results = { plain: [], hotstate: [] };
for (let round = 0; round < rounds; round++) {
  for (const mode of round % 2 === 0 ? ['plain', 'hotstate'] : ['hotstate', 'plain']) results[mode].push(run(mode));
}
const med = (mode, key) => median(results[mode].map((r) => r[key]));
const summary = {
  modules,
  rounds,
  build: { plain: med('plain', 'build'), hotstate: med('hotstate', 'build') },
  emit: { plain: med('plain', 'emit'), hotstate: med('hotstate', 'emit') },
  perFile: (med('hotstate', 'emit') - med('plain', 'emit')) / modules,
};
if (args.includes('--json')) console.log(JSON.stringify(summary));
else {
  console.log(`## hotstate/tsc vs plain tsc: ${modules} modules of 433 lines, ${rounds} interleaved rounds (medians, ms)\n`);
  console.log(
    table(
      ['', 'plain', 'hotstate/tsc', 'ratio'],
      [
        ['whole build (program, check, emit)', summary.build.plain.toFixed(0), summary.build.hotstate.toFixed(0), (summary.build.hotstate / summary.build.plain).toFixed(2)],
        ['emit', summary.emit.plain.toFixed(0), summary.emit.hotstate.toFixed(0), (summary.emit.hotstate / summary.emit.plain).toFixed(2)],
      ],
    ),
  );
  console.log(`\nhotstate/tsc adds ${summary.perFile.toFixed(1)} ms of emit per module.`);
}
