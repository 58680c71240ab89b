import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { moduleId } from '../plugin/module-id.ts';
import { isUnsafe, targetLabel, type Change } from '../schema/diff.ts';
import { coveringMigration, migrationStub, stubFileName } from '../schema/migrations.ts';
import { serializeSnapshot, SnapshotError } from '../schema/snapshot.ts';
import type { ModuleState } from '../schema/types.ts';
import type { ProjectView } from './project.ts';

/** A confirmed rename from the command line: `--rename src/a.ts:total=count`. */
export interface Rename {
  module: string;
  from: string;
  to: string;
}

export class UsageError extends Error {}

export function parseRename(text: string): Rename {
  const match = /^(.+):([^:=]+)=([^:=]+)$/.exec(text);
  if (match === null) throw new UsageError(`--rename ${text}: expected <module>:<old name>=<new name>, e.g. --rename src/counter.ts:total=count (class fields: Task.old=Task.new)`);
  return { module: match[1]!, from: match[2]!, to: match[3]! };
}

export interface MigrateResult {
  /** Files written, relative to the root. */
  written: string[];
  snapshotWritten: boolean;
  notes: string[];
}

/**
 * `hotstate migrate`: a stub for every unsafe change no migration covers yet (one file per
 * module), confirmed renames written out, then the snapshot rewritten from the sources.
 */
export function migrateProject(
  view: ProjectView,
  options: {
    name?: string | undefined;
    renames: Rename[];
    /** Only these modules get stubs (the dev server writes one for the module an update touched). */
    modules?: string[];
    /** The stub's file name, decided by the caller (the dev server names it in the update report first). */
    fileName?: string;
    /** Rewrite the snapshot too. @default true */
    snapshot?: boolean;
  },
): MigrateResult {
  const { root, migrations: dir, snapshot } = view.options;
  const rel = (file: string): string => moduleId(root, file);
  const notes: string[] = [];
  if (view.snapshot instanceof SnapshotError) {
    notes.push(`${rel(snapshot)} was corrupt (${view.snapshot.problem}); it is written again from the sources, so changes since the last good snapshot get no stubs.`);
  }

  let changes = view.changes;
  for (const rename of options.renames) {
    const removedIndex = changes.findIndex((c) => c.module === rename.module && c.change === 'removed' && targetLabel(c.target) === rename.from);
    const added = changes.find((c) => c.module === rename.module && (c.change === 'added' || c.change === 'rename') && targetLabel(c.target) === rename.to);
    const paired = changes.find((c) => c.module === rename.module && c.change === 'rename' && targetLabel(c.target) === rename.to && c.from !== undefined && targetLabel(c.from) === rename.from);
    if (paired === undefined && (removedIndex < 0 || added === undefined)) {
      throw new UsageError(`--rename ${rename.module}:${rename.from}=${rename.to}: the snapshot has no removed \`${rename.from}\` and the sources no new \`${rename.to}\` in ${rename.module}. Run \`npx hotstate check\` to see the changes.`);
    }
    if (paired !== undefined) {
      changes = changes.map((c) => (c === paired ? { ...c, confirmed: true as const } : c));
      continue;
    }
    const removed = changes[removedIndex]!;
    changes = changes.filter((c) => c !== removed && c !== added);
    changes.push({ module: rename.module, target: added!.target, change: 'rename', before: removed.before!, after: added!.after!, from: removed.target, confirmed: true });
  }

  const pending = changes.filter(
    (c) => isUnsafe(c) && coveringMigration(view.migrations, c) === undefined && (options.modules === undefined || options.modules.includes(c.module)),
  );
  const byModule = new Map<string, Change[]>();
  for (const change of pending) byModule.set(change.module, [...(byModule.get(change.module) ?? []), change]);
  const before = view.snapshot !== null && !(view.snapshot instanceof SnapshotError) ? view.snapshot.state : { modules: {} };
  const empty: ModuleState = { bindings: {}, classes: {} };
  const written: string[] = [];
  for (const [module, list] of [...byModule].sort(([a], [b]) => (a < b ? -1 : 1))) {
    mkdirSync(dir, { recursive: true });
    const fileName = options.fileName ?? stubFileName(dir, options.name ?? `${module.replace(/\.[^./]+$/, '')}-${list.map((c) => targetLabel(c.target)).join('-')}`);
    const file = path.join(dir, fileName);
    writeFileSync(file, migrationStub(module, list, before.modules[module] ?? empty, view.extracted.state.modules[module] ?? empty));
    written.push(rel(file));
  }
  if (options.snapshot === false) return { written, snapshotWritten: false, notes };
  mkdirSync(path.dirname(snapshot), { recursive: true });
  writeFileSync(snapshot, serializeSnapshot(view.extracted.state));
  return { written, snapshotWritten: true, notes };
}

