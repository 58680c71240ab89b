import ts = require('typescript');
import { moduleId } from '../plugin/module-id.ts';
import { isUnsafe, targetLabel, type Change } from '../schema/diff.ts';
import { coveringMigration } from '../schema/migrations.ts';
import { SnapshotError } from '../schema/snapshot.ts';
import type { Position, TypeInfo } from '../schema/types.ts';
import type { Finding } from './findings.ts';
import { migrationDiagnostics, type ProjectView } from './project.ts';

/**
 * `hotstate check`: every way the committed snapshot and migrations disagree with the sources.
 * Read-only: it writes nothing but hotstate's cache (`node_modules/.cache/hotstate`), and runs
 * no user code.
 */
export function checkProject(view: ProjectView): Finding[] {
  const { options, extracted } = view;
  const findings: Finding[] = [];
  const snapshotFile = options.snapshot;
  const relSnapshot = moduleId(options.root, snapshotFile);

  if (view.snapshot === null) {
    findings.push({
      code: 'HS100',
      severity: 'error',
      file: snapshotFile,
      at: { line: 1, column: 1 },
      message: `no state schema snapshot at ${relSnapshot}. Run \`npx hotstate migrate\` to write it, and commit it.`,
    });
  } else if (view.snapshot instanceof SnapshotError) {
    findings.push({ code: 'HS101', severity: 'error', file: snapshotFile, at: view.snapshot.at, message: view.snapshot.message.replace(/^\[hotstate\] [^ ]+ /, '') });
  }

  const index = view.snapshot !== null && !(view.snapshot instanceof SnapshotError) ? view.snapshot.index : undefined;
  /** Where a change shows in the sources, or for removed state, in the snapshot. */
  const where = (change: Change): { file: string; at: Position } => {
    const locations = extracted.locations.get(change.module);
    if (change.after !== undefined && locations !== undefined) {
      const t = change.target;
      const at = t.kind === 'binding' ? locations.bindings[t.name] : locations.classes[t.cls]?.fields[t.key];
      if (at !== undefined) return { file: locations.file, at };
    }
    const t = change.target;
    const at = index === undefined ? { line: 1, column: 1 } : t.kind === 'binding' ? index.binding(change.module, t.name) : index.field(change.module, t.cls, t.key);
    return { file: snapshotFile, at };
  };

  for (const change of view.changes) {
    const label = `${change.module}: ${change.target.kind === 'binding' ? '' : 'field '}\`${targetLabel(change.target)}\``;
    if (isUnsafe(change)) {
      const covering = coveringMigration(view.migrations, change);
      if (covering !== undefined) {
        if (covering.migration.notImplemented !== undefined) {
          findings.push({
            code: 'HS301',
            severity: 'error',
            file: covering.migration.file,
            at: covering.migration.notImplemented,
            message: `the migration for ${label} is still a stub. Implement it (it returns the new value from the old state), then run \`npx hotstate check\` again.`,
          });
        }
        continue;
      }
      const before = change.before!;
      const after = change.after!;
      findings.push(
        change.change === 'rename'
          ? {
              code: 'HS202',
              severity: 'error',
              ...where(change),
              message:
                `${label} is new and \`${targetLabel(change.from!)}\` is gone, with a type its values fit (\`${before.type}\` → \`${after.type}\`): a rename? ` +
                `Confirm it with \`npx hotstate migrate --rename ${change.module}:${targetLabel(change.from!)}=${targetLabel(change.target)}\`, or run \`npx hotstate migrate\` and say in the stub what to do.`,
            }
          : {
              code: 'HS201',
              severity: 'error',
              ...where(change),
              message:
                `${label}: ${typeChange(before, after)}, which old values do not fit; on a hot update it would be reset and its state lost. ` +
                `Run \`npx hotstate migrate\` and fill in the migration stub it writes, or keep the old type.`,
            },
      );
      continue;
    }
    const what =
      change.change === 'added'
        ? `${label} is new`
        : change.change === 'removed'
          ? `${label} was removed (its value is dropped on update)`
          : change.change === 'initializer'
            ? `${label}: initializer changed`
            : change.change === 'widened'
              ? `${label}: ${typeChange(change.before!, change.after!).replace('changed', 'widened')}`
              : `${label}: ${change.change}`;
    findings.push({ code: 'HS102', severity: 'error', ...where(change), message: `${what}, and the snapshot does not say so yet. Run \`npx hotstate migrate\` to update ${relSnapshot}, and commit it.` });
  }

  for (const bad of view.malformed) {
    findings.push({ code: 'HS304', severity: 'error', file: bad.file, at: bad.at, message: `not a migration hotstate can read: ${bad.problem}.` });
  }
  const state = extracted.state.modules;
  for (const migration of view.migrations) {
    if (!(migration.module in state)) {
      findings.push({
        code: 'HS303',
        severity: 'error',
        file: migration.file,
        at: migration.at,
        message: `migration for ${migration.module}, which is no longer a module of this project (moved, deleted or excluded). Update its \`module\` or delete the file.`,
      });
      continue;
    }
    for (const covered of migration.covers) {
      if (!reachesCurrent(view, migration.module, covered.target, covered.to)) {
        findings.push({
          code: 'HS303',
          severity: 'error',
          file: migration.file,
          at: covered.at,
          message:
            `migration of ${migration.module}: \`${covered.target}\` produces \`${covered.to}\`, but the sources now declare \`${currentShape(view, migration.module, covered.target) ?? '(nothing: it was removed)'}\`, ` +
            `and no later migration leads there. Update this migration's \`covers\` and types, or delete it and run \`npx hotstate migrate\`.`,
        });
      }
    }
    if (migration.notImplemented !== undefined && !findings.some((f) => f.code === 'HS301' && f.file === migration.file)) {
      findings.push({ code: 'HS301', severity: 'error', file: migration.file, at: migration.notImplemented, message: `this migration is still a stub. Implement it, or delete it if it is not needed.` });
    }
  }
  for (const diagnostic of migrationDiagnostics(view)) {
    const file = diagnostic.file;
    const at = file !== undefined && diagnostic.start !== undefined ? file.getLineAndCharacterOfPosition(diagnostic.start) : { line: 0, character: 0 };
    findings.push({
      code: 'HS302',
      severity: 'error',
      file: file?.fileName ?? options.migrations,
      at: { line: at.line + 1, column: at.character + 1 },
      message: `the migration does not type-check: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')} (TS${diagnostic.code}).`,
    });
  }
  return findings;
}

/** `type changed from A to B`; when the names are the same (an interface changed), the shapes. */
function typeChange(before: TypeInfo, after: TypeInfo): string {
  return before.type === after.type
    ? `type \`${after.type}\` changed from \`${before.shape}\` to \`${after.shape}\``
    : `type changed from \`${before.type}\` to \`${after.type}\``;
}

function currentShape(view: ProjectView, module: string, target: string): string | undefined {
  const state = view.extracted.state.modules[module];
  if (state === undefined) return undefined;
  if (target in state.bindings) return state.bindings[target]!.shape;
  const dot = target.indexOf('.');
  return dot < 0 ? undefined : state.classes[target.slice(0, dot)]?.[target.slice(dot + 1)]?.shape;
}

/**
 * Whether a migration's result is still what the sources declare, directly or through later
 * migrations of the same target (A → B, then B → C, with C current). The type change the
 * snapshot has not recorded yet counts as current too.
 */
function reachesCurrent(view: ProjectView, module: string, target: string, shape: string): boolean {
  const current = currentShape(view, module, target);
  const seen = new Set<string>();
  const pending = [shape];
  while (pending.length > 0) {
    const s = pending.pop()!;
    if (s === current) return true;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const m of view.migrations) {
      if (m.module === module) for (const c of m.covers) if (c.target === target && c.from === s) pending.push(c.to);
    }
  }
  return false;
}
