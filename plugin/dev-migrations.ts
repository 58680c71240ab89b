import path from 'node:path';
import { readMigrations, type MigrationFile } from '../schema/migrations.ts';
import { moduleId } from './module-id.ts';

/**
 * The dev server's view of the migrations folder. Each instrumented module imports its
 * implemented migrations (so a migration is hot-updatable like any module), which means the
 * folder is read at every transform; it is read once and again only after the watcher reported
 * a change in it. Stubs that still throw "not implemented" are left out: until the user fills
 * one in, the `onIncompatible` policy applies.
 */
export class MigrationFolder {
  #read: { migrations: MigrationFile[]; byModule: Map<string, MigrationFile[]> } | undefined;
  /** The last change refreshed: each environment (page, SSR) handles the same watcher event. */
  #refreshed: { file: string; timestamp: number; owners: string[] } | undefined;

  constructor(
    readonly root: string,
    readonly dir: string,
  ) {}

  contains(file: string): boolean {
    const relative = path.relative(this.dir, file);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  }

  #files(): { migrations: MigrationFile[]; byModule: Map<string, MigrationFile[]> } {
    if (this.#read === undefined) {
      const { migrations } = readMigrations(this.dir);
      const byModule = new Map<string, MigrationFile[]>();
      for (const migration of migrations) byModule.set(migration.module, [...(byModule.get(migration.module) ?? []), migration]);
      this.#read = { migrations, byModule };
    }
    return this.#read;
  }

  /**
   * Re-reads the folder after the watcher reported `file` (once per change, whichever environment
   * asks first); returns the module IDs whose migrations may have changed: the file's module
   * before and after.
   */
  refresh(file: string, timestamp: number): string[] {
    const last = this.#refreshed;
    if (last !== undefined && last.file === file && last.timestamp === timestamp) return last.owners;
    const owners = (): string[] => this.#files().migrations.filter((m) => path.resolve(m.file) === path.resolve(file)).map((m) => m.module);
    const before = owners();
    this.#read = undefined;
    const changed = [...new Set([...before, ...owners()])];
    this.#refreshed = { file, timestamp, owners: changed };
    return changed;
  }

  /** What the emitted code of module `id` imports: its implemented migrations, in file order. */
  forModule(id: string): Array<{ file: string; specifier: string }> {
    return (this.#files().byModule.get(id) ?? [])
      .filter((m) => m.notImplemented === undefined)
      .map((m) => ({ file: moduleId(this.root, m.file), specifier: m.file }));
  }

  /** Stubs of module `id` that are not implemented yet (root-relative). */
  stubsOf(id: string): string[] {
    return (this.#files().byModule.get(id) ?? []).filter((m) => m.notImplemented !== undefined).map((m) => moduleId(this.root, m.file));
  }
}
