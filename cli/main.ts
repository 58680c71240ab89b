import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { moduleId } from '../plugin/module-id.ts';
import { ConfigError } from '../schema/extract.ts';
import { checkProject } from './check.ts';
import { render, useColor, type Format } from './findings.ts';
import { migrateProject, parseRename, UsageError } from './migrate.ts';
import { DEFAULT_MIGRATIONS, DEFAULT_SNAPSHOT, projectOptions, readProject } from './project.ts';
import { instrument, INSTRUMENT_HELP } from './instrument.ts';
import { run, RUN_HELP } from './run.ts';

/**
 * The `hotstate` command. Exit status: 0 clean, 1 findings (`check`), 2 usage, configuration or
 * internal error. `run` resolves later: with a status when the program could not start, or with
 * `undefined` once it runs (the program owns its exit status from then on).
 */

const COMMON = `  --root <dir>          project root; module IDs are relative to it (default: the current directory)
  --project <file>      tsconfig that lists the project's files (default: <root>/tsconfig.json)
  --snapshot <file>     state schema snapshot (default: ${DEFAULT_SNAPSHOT})
  --migrations <dir>    migrations folder (default: ${DEFAULT_MIGRATIONS})
  -h, --help            show this help`;

const HELP: Record<string, string> = {
  run: RUN_HELP,
  instrument: INSTRUMENT_HELP,
  main: `Usage: hotstate <command> [options]

Commands:
  check      compare the state schema of the sources with the committed snapshot and migrations (changes no project file)
  migrate    write migration stubs for unsafe state changes and update the snapshot
  run        run a Node program, applying every saved change to it in-process (hot updates)
  instrument instrument JavaScript a compiler already emitted (tsc, including TypeScript 7), chaining its source maps

Run \`hotstate <command> --help\` for the options of a command.
`,
  check: `Usage: hotstate check [options]

Reads the state (module let/var, kept consts, class fields) of every module with the TypeScript
checker and compares it with the committed snapshot and the migrations. Changes no project file;
it keeps a cache of each module's analysis in node_modules/.cache/hotstate (delete it at will).

Options:
  --format <format>     text (default), json or github (GitHub Actions annotations)
${COMMON}

Exit status: 0 no findings, 1 findings, 2 usage, configuration or internal error.
Colors follow NO_COLOR / FORCE_COLOR and whether the output is a terminal.
`,
  migrate: `Usage: hotstate migrate [options]

Writes a migration stub for every unsafe state change that no migration covers yet (one file per
module, in the migrations folder), then rewrites the snapshot from the sources. Never prompts.

Options:
  --name <name>                  file name for the stub (default: from the module and bindings)
  --rename <module:old=new>      confirm a rename; repeatable (class fields: Class.old=Class.new)
${COMMON}
`,
};

const COMMON_OPTIONS = {
  root: { type: 'string' },
  project: { type: 'string' },
  snapshot: { type: 'string' },
  migrations: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function main(
  argv: string[],
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; env: NodeJS.ProcessEnv; cwd: string },
): number | Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (command === 'run') return run(rest, io);
  if (command === 'instrument') return instrument(rest, io);
  const fail = (message: string, help?: string): number => {
    io.stderr.write(`hotstate: ${message}\n${help !== undefined ? `\n${help}` : ''}`);
    return 2;
  };
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout).write(HELP.main!);
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    io.stdout.write(`${JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version}\n`);
    return 0;
  }
  if (command !== 'check' && command !== 'migrate') return fail(`unknown command \`${command}\`.`, HELP.main);

  let values: Record<string, unknown>;
  try {
    const parsed = parseArgs({
      args: rest,
      options: command === 'check' ? { ...COMMON_OPTIONS, format: { type: 'string' } } : { ...COMMON_OPTIONS, name: { type: 'string' }, rename: { type: 'string', multiple: true } },
      allowPositionals: false,
      strict: true,
    });
    values = parsed.values;
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}.`, HELP[command]);
  }
  if (values.help === true) {
    io.stdout.write(HELP[command]!);
    return 0;
  }

  try {
    const options = projectOptions(values as Record<string, string | undefined>, io.cwd);
    if (command === 'check') {
      const format = (values.format ?? 'text') as string;
      if (format !== 'text' && format !== 'json' && format !== 'github') return fail(`--format ${format}: expected text, json or github.`, HELP.check);
      const view = readProject(options);
      const findings = checkProject(view);
      const sources = new Map<string, string>();
      io.stdout.write(
        render(findings, format as Format, {
          root: options.root,
          color: useColor(io.stdout, io.env),
          source: (file) => {
            if (!sources.has(file)) {
              try {
                sources.set(file, readFileSync(file, 'utf8'));
              } catch {
                return undefined;
              }
            }
            return sources.get(file);
          },
        }),
      );
      return findings.some((f) => f.severity === 'error') ? 1 : 0;
    }
    const renames = ((values.rename ?? []) as string[]).map(parseRename);
    const view = readProject(options);
    const result = migrateProject(view, { name: values.name as string | undefined, renames });
    for (const note of result.notes) io.stderr.write(`hotstate: ${note}\n`);
    for (const file of result.written) io.stdout.write(`wrote ${file}: a migration stub; fill it in, then run \`npx hotstate check\`\n`);
    io.stdout.write(`wrote ${moduleId(options.root, options.snapshot)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, HELP[command]);
    if (error instanceof ConfigError) return fail(error.message.replace(/^\[hotstate\] /, ''));
    return fail(
      `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\nThis is a bug in hotstate; please report it with the command you ran.`,
    );
  }
}
