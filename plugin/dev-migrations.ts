import path from 'node:path';
import { readMigrations, type MalformedMigration, type MigrationFile } from '../schema/migrations.ts';
import { moduleId } from './module-id.ts';

/**
 * The dev server's view of the migrations folder. Each instrumented module imports its
 * implemented migrations (so a migration is hot-updatable like any module), which means the
 * folder is read at every transform; it is read once and again only after the watcher reported
 * a change in it. Stubs that still throw "not implemented" are left out: until the user fills
 * one in, the `onIncompatible` policy applies.
 */
export class MigrationFolder {
  #read: { migrations: MigrationFile[]; malformed: MalformedMigration[] } | undefined;

  constructor(
    readonly root: string,
    readonly dir: string,
  ) {}

  contains(file: string): boolean {
    const relative = path.relative(this.dir, file);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  }

  #files(): { migrations: MigrationFile[]; malformed: MalformedMigration[] } {
    return (this.#read ??= readMigrations(this.dir));
  }

  /** Re-reads the folder; returns the module IDs whose migrations may have changed. */
  refresh(file: string): string[] {
    const owners = (): string[] => this.#files().migrations.filter((m) => path.resolve(m.file) === path.resolve(file)).map((m) => m.module);
    const before = owners();
    this.#read = undefined;
    return [...new Set([...before, ...owners()])];
  }

  /** Malformed files in the folder, for the dev server's log. */
  malformed(): MalformedMigration[] {
    return this.#files().malformed;
  }

  /** What the emitted code of module `id` imports: its implemented migrations, in file order. */
  forModule(id: string): Array<{ file: string; specifier: string }> {
    return this.#files()
      .migrations.filter((m) => m.module === id && m.notImplemented === undefined)
      .map((m) => ({ file: moduleId(this.root, m.file), specifier: m.file }));
  }

  /** Stubs of module `id` that are not implemented yet (root-relative). */
  stubsOf(id: string): string[] {
    return this.#files()
      .migrations.filter((m) => m.module === id && m.notImplemented !== undefined)
      .map((m) => moduleId(this.root, m.file));
  }
}
