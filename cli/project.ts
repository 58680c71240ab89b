import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts = require('typescript');
import { assignability } from '../schema/assignable.ts';
import { diffStates, type Change } from '../schema/diff.ts';
import { extractProject, type Extracted } from '../schema/extract.ts';
import { DEFAULT_MIGRATIONS, readMigrations, type MalformedMigration, type MigrationFile } from '../schema/migrations.ts';
import { parseSnapshot, SnapshotError, type Snapshot } from '../schema/snapshot.ts';

/** Where a project keeps its state schema snapshot and migrations; shared by `check` and `migrate`. */
export interface ProjectOptions {
  root: string;
  tsconfig: string;
  snapshot: string;
  migrations: string;
}

export const DEFAULT_SNAPSHOT = 'hotstate/schema.json';
export { DEFAULT_MIGRATIONS };

export function projectOptions(values: { root?: string | undefined; project?: string | undefined; snapshot?: string | undefined; migrations?: string | undefined }, cwd: string): ProjectOptions {
  const root = path.resolve(cwd, values.root ?? '.');
  return {
    root,
    tsconfig: path.resolve(root, values.project ?? 'tsconfig.json'),
    snapshot: path.resolve(root, values.snapshot ?? DEFAULT_SNAPSHOT),
    migrations: path.resolve(root, values.migrations ?? DEFAULT_MIGRATIONS),
  };
}

/** Everything `check` and `migrate` compare: the sources' schema, the snapshot, the migrations and the diff. */
export interface ProjectView {
  options: ProjectOptions;
  extracted: Extracted;
  /** The committed snapshot; `null` when there is none; a `SnapshotError` when it is corrupt. */
  snapshot: Snapshot | null | SnapshotError;
  snapshotText: string | undefined;
  migrations: MigrationFile[];
  malformed: MalformedMigration[];
  /** Snapshot → sources; empty without a readable snapshot. */
  changes: Change[];
}

export function readProject(options: ProjectOptions): ProjectView {
  const { migrations, malformed } = readMigrations(options.migrations);
  const extracted = extractProject({
    root: options.root,
    tsconfig: options.tsconfig,
    skip: [path.relative(options.root, options.migrations)],
    extraRoots: migrations.map((m) => m.file),
    cache: true,
  });
  const snapshotText = existsSync(options.snapshot) ? readFileSync(options.snapshot, 'utf8') : undefined;
  let snapshot: ProjectView['snapshot'] = null;
  if (snapshotText !== undefined) {
    try {
      snapshot = parseSnapshot(snapshotText, path.relative(options.root, options.snapshot));
    } catch (error) {
      if (!(error instanceof SnapshotError)) throw error;
      snapshot = error;
    }
  }
  const changes = snapshot === null || snapshot instanceof SnapshotError ? [] : diffStates(snapshot.state, extracted.state, (pairs) => assignability(pairs, extracted.program));
  return { options, extracted, snapshot, snapshotText, migrations, malformed, changes };
}

/** Diagnostics that say a migration is wrong (unused names are left to the project's linter). */
const UNUSED = new Set([6133, 6138, 6192, 6196, 6198, 6199, 6205]);

/** Type errors in the migration files, from the project's program (they are among its roots). */
export function migrationDiagnostics(view: ProjectView): ts.Diagnostic[] {
  const program = view.extracted.program;
  return view.migrations.map((m) => m.file).flatMap((file) => {
    const sf = program.getSourceFile(file);
    if (sf === undefined) return [];
    return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].filter((d) => !UNUSED.has(d.code));
  });
}
