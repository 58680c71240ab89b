import type {
  FieldSchema,
  IncompatiblePolicy,
  ModuleSchema,
  ReportEntry,
} from './contract.ts';
import { HotstateError } from './errors.ts';
import { matchMigrations, type MigrationPlan } from './migrations.ts';
import { fieldKey, isState } from './schema.ts';
import { compareDeclaredTypes } from './types-compat.ts';
import type { MigrationModule } from './contract.ts';

/**
 * What an update does to each piece of state, decided before the new version's code runs, from
 * the committed schema and the incoming one. `reset` lists the store keys whose initializer must
 * run again; `entries` is the report.
 */
export interface UpdatePlan {
  reset: Map<string, string>;
  entries: ReportEntry[];
  /** The migrations this update applies; their targets are in `reset` (new initializers run first). */
  migrations: MigrationPlan;
  /** Targets whose type changed incompatibly and that no migration covers. */
  needsMigration: string[];
}

/** The update refused by `onIncompatible: 'reject'`. */
export class RejectedUpdate extends HotstateError {
  constructor(
    message: string,
    id: string,
    readonly needsMigration: string[],
  ) {
    super(message, id);
  }
}

function fieldLabel(className: string, field: FieldSchema): string {
  return `${className}.${field.static ? 'static ' : ''}${field.name}`;
}

/**
 * Compares two schemas. Throws a `HotstateError` when the policy is `reject` and a type changed
 * incompatibly: the caller runs this before anything is touched, so the old version keeps
 * running with its state.
 */
export function planUpdate(
  id: string,
  before: ModuleSchema | undefined,
  after: ModuleSchema,
  policy: IncompatiblePolicy,
  offered: MigrationModule[] = [],
): UpdatePlan {
  const plan: UpdatePlan = { reset: new Map(), entries: [], migrations: { chain: [], covered: new Map(), renamed: new Map(), notes: [] }, needsMigration: [] };
  if (before === undefined) return plan;
  const rejected: string[] = [];
  plan.migrations = matchMigrations(id, before, after, offered);
  const { covered, renamed } = plan.migrations;

  const judge = (key: string, label: string, old: { type?: string; init?: string } | undefined, now: { type?: string; init?: string }, forceReset: boolean): void => {
    const migration = covered.get(key);
    if (migration !== undefined) {
      plan.reset.set(key, `migrated by ${migration}`);
      plan.entries.push({ name: label, outcome: 'migrated', reason: `by ${migration}`, migration });
      return;
    }
    if (old === undefined) {
      plan.entries.push({ name: label, outcome: 'initialized', reason: 'new in this version' });
      return;
    }
    if (forceReset) {
      plan.reset.set(key, 'marked `@hotstate reset`');
      plan.entries.push({ name: label, outcome: 'reset', reason: 'marked `@hotstate reset`' });
      return;
    }
    const change = compareDeclaredTypes(old.type, now.type);
    if (change === 'incompatible') {
      const why = `declared type changed from \`${old.type}\` to \`${now.type}\``;
      plan.needsMigration.push(label);
      if (policy === 'reject') rejected.push(`\`${label}\`: ${why}`);
      else if (policy === 'reset') {
        plan.reset.set(key, why);
        plan.entries.push({ name: label, outcome: 'reset', reason: `${why}; it starts again from its new initializer (onIncompatible: 'reset')` });
      } else plan.entries.push({ name: label, outcome: 'kept', reason: `${why}; value kept as it is (onIncompatible: 'keep')` });
      return;
    }
    if (change === 'widened') {
      plan.entries.push({ name: label, outcome: 'kept', reason: `declared type widened from \`${old.type}\` to \`${now.type}\`; the value still fits` });
    } else if (old.init !== now.init) {
      plan.entries.push({
        name: label,
        outcome: 'kept',
        reason: 'initializer changed; the value was kept. Mark the declaration `// @hotstate reset` (or reload) to start from the new initializer',
      });
    } else plan.entries.push({ name: label, outcome: 'kept' });
  };

  const oldBindings = new Map(before.bindings.map((binding) => [binding.name, binding]));
  const newBindings = new Set<string>();
  for (const binding of after.bindings) {
    newBindings.add(binding.name);
    const old = oldBindings.get(binding.name);
    if (isState(binding)) judge(binding.name, binding.name, old !== undefined && isState(old) ? old : undefined, binding, binding.kind === 'reset');
    else if (binding.kind === 'const') {
      plan.entries.push({
        name: binding.name,
        outcome: 'recreated',
        reason: 'a `const` is code: the update evaluated it again. Mark it `// @hotstate keep` to keep its value across updates',
      });
    } else plan.entries.push({ name: binding.name, outcome: 'replaced' });
  }
  for (const old of before.bindings) {
    if (!newBindings.has(old.name) && old.kind !== 'const') {
      const reason = renamed.get(old.name) ?? (isState(old)
        ? 'no longer declared; its value was released'
        : 'no longer declared; references taken before this update fail with an error when called');
      plan.entries.push({ name: old.name, outcome: 'dropped', reason });
    }
  }

  const oldClasses = new Map(before.classes.map((cls) => [cls.name, cls]));
  for (const cls of after.classes) {
    const existed = oldClasses.has(cls.name);
    const oldFields = new Map((oldClasses.get(cls.name)?.fields ?? []).map((field) => [fieldKey(cls.name, field), field]));
    for (const field of cls.fields) {
      const key = fieldKey(cls.name, field);
      const label = fieldLabel(cls.name, field);
      judge(key, label, oldFields.get(key), field, false);
      const entry = plan.entries[plan.entries.length - 1]!;
      if (entry.outcome === 'initialized' && !field.static && existed) entry.reason = 'new in this version; existing instances get it on first access';
      if (entry.outcome === 'reset' && !field.static) entry.reason += '; existing instances get the new initializer on next access';
      oldFields.delete(key);
    }
    for (const [key, field] of oldFields) {
      const reason = renamed.get(key) ?? (field.static ? 'no longer declared' : 'no longer declared; deleted from existing instances');
      plan.entries.push({ name: fieldLabel(cls.name, field), outcome: 'dropped', reason });
    }
  }

  if (rejected.length > 0) {
    throw new RejectedUpdate(
      `update rejected (onIncompatible: 'reject'): ${rejected.join('; ')}. The previous version keeps running with its state. ` +
        `Complete the migration stub the dev server writes (or run \`npx hotstate migrate\`) and save it to apply this update with its migration; ` +
        `or keep the old type, or set onIncompatible to 'reset' to start these from their new initializers.` +
        (plan.migrations.notes.length > 0 ? ` Note: ${plan.migrations.notes.join('; ')}.` : ''),
      id,
      plan.needsMigration,
    );
  }
  return plan;
}
