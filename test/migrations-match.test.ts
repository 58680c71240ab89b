import { describe, expect, test } from 'vitest';
import type { Migration, MigrationModule, ModuleSchema } from '../runtime/contract.ts';
import { captureOld, isPast, matchMigrations } from '../runtime/migrations.ts';

/** Which migrations an update applies, decided from the two versions' schemas (no type checker). */

const schema = (count: { type?: string; init?: string } | undefined, fields: Record<string, string> = {}): ModuleSchema => ({
  bindings: count === undefined ? [] : [{ name: 'count', kind: 'state', line: 1, ...count }],
  classes: [{ name: 'Task', line: 2, fields: Object.entries(fields).map(([name, type]) => ({ name: name.replace(/^static /, ''), static: name.startsWith('static '), type, line: 3 })) }],
});

const offer = (file: string, covers: Migration['covers']): MigrationModule => ({ file, migration: { module: 'src/a.ts', covers, state: () => ({}) } });
const step = (from: string, to: string) => ({ from, to, source: { from: `: ${from}`, to: `: ${to}` } });

describe('matching migrations to an update', () => {
  const ab = offer('m/0001-ab.ts', { count: step('A', 'B') });
  const bc = offer('m/0002-bc.ts', { count: step('B', 'C') });

  test('the migration written for exactly this change applies', () => {
    const plan = matchMigrations('src/a.ts', schema({ type: 'A' }), schema({ type: 'B' }), [bc, ab]);
    expect(plan.chain.map((m) => m.file)).toEqual(['m/0001-ab.ts']);
    expect(plan.covered).toEqual(new Map([['count', 'm/0001-ab.ts']]));
  });

  test('a chain applies in file order; the last one is named for the target', () => {
    const plan = matchMigrations('src/a.ts', schema({ type: 'A' }), schema({ type: 'C' }), [bc, ab]);
    expect(plan.chain.map((m) => m.file)).toEqual(['m/0001-ab.ts', 'm/0002-bc.ts']);
    expect(plan.covered.get('count')).toBe('m/0002-bc.ts');
  });

  test('a chain that stops short of the new version applies nothing, and says why', () => {
    const plan = matchMigrations('src/a.ts', schema({ type: 'A' }), schema({ type: 'D' }), [ab, bc]);
    expect(plan.chain).toEqual([]);
    expect(plan.notes[0]).toContain('lead to `: C`, but the new version declares `: D`');
  });

  test('no migration for another module, another starting point, or a target the new version lacks', () => {
    const other: MigrationModule = { file: 'm/x.ts', migration: { module: 'src/b.ts', covers: { count: step('A', 'B') } } };
    expect(matchMigrations('src/a.ts', schema({ type: 'A' }), schema({ type: 'B' }), [other]).chain).toEqual([]);
    expect(matchMigrations('src/a.ts', schema({ type: 'Z' }), schema({ type: 'B' }), [ab]).chain).toEqual([]);
    expect(matchMigrations('src/a.ts', schema({ type: 'A' }), schema(undefined), [ab]).chain).toEqual([]);
  });

  test('inferred types are matched by the initializer hash; renames by the old name', () => {
    const inferred = offer('m/0003.ts', { count: { from: 'number', to: 'string', source: { from: '= #aaaa', to: '= #bbbb' } } });
    expect(matchMigrations('src/a.ts', schema({ init: 'aaaa' }), schema({ init: 'bbbb' }), [inferred]).chain).toHaveLength(1);
    expect(matchMigrations('src/a.ts', schema({ init: 'aaaa' }), schema({ init: 'cccc' }), [inferred]).chain).toHaveLength(0);
    const rename = offer('m/0004.ts', { 'Task.status': { ...step('boolean', 'Status'), renamedFrom: 'Task.done' } });
    const plan = matchMigrations('src/a.ts', schema({ type: 'A' }, { done: 'boolean' }), schema({ type: 'A' }, { status: 'Status' }), [rename]);
    expect(plan.covered).toEqual(new Map([['Task.status', 'm/0004.ts']]));
    expect(plan.renamed).toEqual(new Map([['Task.done', 'renamed to `Task.status` by m/0004.ts']]));
  });

  test('a migration is past once the state declares what it leads to', () => {
    expect(isPast(ab.migration, schema({ type: 'B' }))).toBe(true);
    expect(isPast(ab.migration, schema({ type: 'A' }))).toBe(false);
    // A change the runtime cannot see (same annotation, e.g. a property added to an interface).
    const invisible = offer('m/0005.ts', { count: step('Item[]', 'Item[]') });
    expect(matchMigrations('src/a.ts', schema({ type: 'Item[]' }), schema({ type: 'Item[]' }), [invisible]).chain).toHaveLength(1);
  });

  test('where live instances cannot be reached, an instance migration rejects the update', () => {
    const withInstances: MigrationModule = { file: 'm/0006.ts', migration: { module: 'src/a.ts', covers: {}, instances: { Task: () => ({}) } } };
    class Task {}
    const source = {
      id: 'src/a.ts',
      cellValue: () => 1,
      stableClass: () => Task,
      readPrivate: () => undefined,
      liveInstances: () => undefined,
    };
    expect(() => captureOld(source, [withInstances], schema({ type: 'A' }, { done: 'boolean' }))).toThrow(
      /m\/0006\.ts transforms every live `Task` instance, but this environment cannot reach live instances/,
    );
  });
});
