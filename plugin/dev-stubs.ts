import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'vite';
import type { UpdateReport } from '../runtime/contract.ts';
import { stubFileName } from '../schema/migrations.ts';
import type { MigrationFolder } from './dev-migrations.ts';
import { moduleId } from './module-id.ts';

/**
 * Writes a migration stub when an update changed a type incompatibly and no migration covers it.
 *
 * The update itself never waits for this: the report is logged at once, naming the stub's file,
 * and the stub is written afterwards, in the same way as `npx hotstate migrate` writes it (a
 * TypeScript program of the project diffed against the committed snapshot) but for this one
 * module and without rewriting the snapshot. TypeScript is loaded the first time this happens.
 */
export class StubWriter {
  readonly #folder: MigrationFolder;
  readonly #logger: Logger;
  readonly #tsconfig: string;
  /** Module ID → the stub being written for it (browser and SSR may report the same update). */
  readonly #pending = new Map<string, string>();

  constructor(folder: MigrationFolder, logger: Logger, tsconfig = 'tsconfig.json') {
    this.#folder = folder;
    this.#logger = logger;
    this.#tsconfig = tsconfig;
  }

  /** Starts writing a stub if the report needs one; returns the report naming it. */
  request(report: UpdateReport): UpdateReport {
    const targets = report.needsMigration ?? [];
    if (targets.length === 0) return report;
    const id = report.id;
    let file = this.#pending.get(id);
    if (file === undefined) {
      const name = stubFileName(this.#folder.dir, `${id.replace(/\.[^./]+$/, '')}-${targets.join('-')}`);
      file = moduleId(this.#folder.root, path.join(this.#folder.dir, name));
      this.#pending.set(id, file);
      const stub = file;
      setTimeout(() => void this.#write(id, name, stub).finally(() => this.#pending.delete(id)), 0);
    }
    const note = `migration stub ${file} (fill it in and save it to migrate)`;
    const named = new Set(targets);
    return {
      ...report,
      entries: report.entries.map((entry) => (named.has(entry.name) ? { ...entry, reason: `${entry.reason}; ${note}` } : entry)),
      ...(report.status === 'rejected' ? { error: `${report.error} Written for it: ${note}.` } : {}),
    };
  }

  async #write(id: string, fileName: string, file: string): Promise<void> {
    const root = this.#folder.root;
    const say = (text: string): void => this.#logger.warn(`[hotstate] ${id}: ${text}`, { timestamp: true });
    try {
      const { projectOptions, readProject } = await import('../cli/project.ts');
      const { migrateProject } = await import('../cli/migrate.ts');
      const options = projectOptions({ root, project: this.#tsconfig, migrations: this.#folder.dir }, root);
      if (!existsSync(options.snapshot)) {
        say(
          `no migration stub written: there is no schema snapshot (${moduleId(root, options.snapshot)}) to compare with. ` +
            'Run `npx hotstate migrate` once (and commit it) so that stubs can be written.',
        );
        return;
      }
      if (!existsSync(options.tsconfig)) {
        say(`no migration stub written: ${moduleId(root, options.tsconfig)} does not exist (set the plugin's \`tsconfig\` option).`);
        return;
      }
      const result = migrateProject(readProject(options), { renames: [], modules: [id], fileName, snapshot: false });
      if (result.written.length > 0) {
        this.#logger.info(`[hotstate] ${id}: wrote migration stub ${file}; fill it in and save it.`, { timestamp: true });
        return;
      }
      const stubs = this.#folder.stubsOf(id);
      say(
        stubs.length > 0
          ? `no new migration stub: the change is covered by ${stubs.join(', ')}, which is not implemented yet.`
          : `no migration stub written: compared with the snapshot, no unsafe change of this module is left uncovered. Run \`npx hotstate check\` to see why.`,
      );
    } catch (error) {
      this.#logger.error(
        `[hotstate] ${id}: could not write a migration stub: ${error instanceof Error ? error.message : String(error)}. Run \`npx hotstate migrate\` to write it.`,
        { timestamp: true },
      );
    }
  }
}
