import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { migrateProject } from '../cli/migrate.ts';
import { projectOptions, readProject } from '../cli/project.ts';
import type { UpdateReport } from '../runtime/contract.ts';
import { NOT_IMPLEMENTED } from '../schema/migrations.ts';
import { startProject, type Project } from './harness.ts';

/**
 * Migrations at run time, in a real Vite dev server and module runner: the plugin imports each
 * module's implemented migrations, and the runtime applies them inside the update's transaction.
 */

let project: Project | undefined;
afterEach(async () => {
  await project?.close();
  project = undefined;
});

const TASKS_V1 = `
export class Task {
  static made: number = 0;
  done: boolean = false;
  #title: string;
  constructor(title: string) { this.#title = title; Task.made++; }
  get title(): string { return this.#title; }
}
export let tasks: Task[] = [new Task('write'), new Task('test'), new Task('ship')];
export let total: number = 3;
export function show(): string { return tasks.map((t) => \`\${t.title}=\${t.done}\`).join(' '); }
`;

const TASKS_V2 = `
export type Status = 'open' | 'closed';
export class Task {
  static made: string = '';
  status: Status = 'open';
  #title: string;
  constructor(title: string) { this.#title = title; }
  get title(): string { return this.#title; }
  get label(): string { return \`\${this.#title} (\${this.status})\`; }
}
export let tasks: Task[] = [];
export let total: string = 'none';
export function show(): string { return tasks.map((t) => t.label).join(', ') + ' / ' + total; }
`;

/** A completed migration for TASKS_V1 → TASKS_V2, as `hotstate migrate` writes it (then filled in). */
const migration = (body: string): string => `
export const migration = {
  module: 'src/tasks.ts',
  covers: {
    total: { from: 'number', to: 'string', source: { from: ': number', to: ': string' } },
    'Task.static made': { from: 'number', to: 'string', source: { from: ': number', to: ': string' } },
    'Task.status': { from: 'boolean', to: '"closed" | "open"', renamedFrom: 'Task.done', source: { from: ': boolean', to: ': Status' } },
  },
  ${body}
};
`;

const COMPLETE = migration(`
  state(old: { total: number; tasks: unknown[] }) {
    return { total: \`\${old.total} tasks\` };
  },
  instances: {
    Task(old: { done: boolean }) {
      return { status: old.done ? 'closed' : 'open' };
    },
  },
  statics: {
    Task(old: { made: number }) {
      return { made: 'x'.repeat(old.made) };
    },
  },`);

describe('migrations at run time (module runner)', () => {
  test('a migration carries live instances and module state through a type change, inside the update', async () => {
    project = await startProject({ 'src/tasks.ts': TASKS_V1 }, { onIncompatible: 'reject' });
    const mod = await project.load('src/tasks.ts');
    const [write, testing, ship] = mod.tasks;
    testing.done = true;
    expect(mod.show()).toBe('write=false test=true ship=false');

    // The migration is written first (its module imports it from now on), then the code changes.
    const brought = await writeMigration(project, COMPLETE);
    expect(brought.entries.some((e) => e.outcome === 'migrated'), 'not before the change it covers').toBe(false);
    const report = await project.edit('src/tasks.ts', TASKS_V2);

    expect(report.status, report.error).toBe('applied');
    const outcome = (name: string) => report.entries.find((e) => e.name === name);
    expect(outcome('total')).toMatchObject({ outcome: 'migrated', migration: 'hotstate/migrations/0001-tasks.ts' });
    expect(outcome('Task.status')).toMatchObject({ outcome: 'migrated', migration: 'hotstate/migrations/0001-tasks.ts' });
    expect(outcome('Task.done')).toMatchObject({ outcome: 'dropped', reason: 'renamed to `Task.status` by hotstate/migrations/0001-tasks.ts; done on 3 existing instances' });

    // The same objects, transformed: no instance was replaced, private state kept.
    expect(mod.tasks).toEqual([write, testing, ship]);
    expect(mod.show()).toBe('write (open), test (closed), ship (open) / 3 tasks');
    expect(Object.hasOwn(testing, 'done')).toBe(false);
    expect(testing.status).toBe('closed');
    expect(mod.total).toBe('3 tasks');
    expect(mod.Task.made).toBe('xxx');
    // New instances come from the new constructor; the migration is not applied again later.
    mod.tasks.push(new mod.Task('review'));
    const later = await project.edit('src/tasks.ts', TASKS_V2.replace("' / '", "' | '"));
    expect(later.entries.some((e) => e.outcome === 'migrated')).toBe(false);
    expect(mod.show()).toBe('write (open), test (closed), ship (open), review (open) | 3 tasks');
    expect(project.printed.join('\n')).toContain('* total: migrated (by hotstate/migrations/0001-tasks.ts)');
  });

  test('a throwing migration rolls the whole update back; fixing the migration applies it', async () => {
    project = await startProject({ 'src/tasks.ts': TASKS_V1 }, { onIncompatible: 'reject' });
    const mod = await project.load('src/tasks.ts');
    const [first] = mod.tasks;
    first.done = true;
    await writeMigration(
      project,
      migration(`
  state(old: { total: number }) { return { total: String(old.total) }; },
  instances: { Task(old: { done: boolean }) { if (old.done) throw new Error('cannot convert a done task'); return { status: 'open' }; } },`),
    );
    const failed = await project.edit('src/tasks.ts', TASKS_V2);
    expect(failed.status).toBe('rolled-back');
    expect(failed.error).toContain('migration hotstate/migrations/0001-tasks.ts threw in instances.Task(): cannot convert a done task');
    // Nothing of the new version stuck: old code, old state, old instances.
    expect(mod.show()).toBe('write=true test=false ship=false');
    expect(mod.total).toBe(3);
    expect(first.done).toBe(true);
    expect('status' in first).toBe(false);

    // Saving a fixed migration re-runs the update of the module that imports it.
    const applied = await writeMigration(project, COMPLETE);
    expect(applied.status, applied.error).toBe('applied');
    expect(mod.show()).toBe('write (closed), test (open), ship (open) / 3 tasks');
  });

  test('a migration that returns what the new version does not declare rolls back, naming the file', async () => {
    project = await startProject({ 'src/tasks.ts': TASKS_V1 }, { onIncompatible: 'reject' });
    const mod = await project.load('src/tasks.ts');
    await writeMigration(project, migration(`state() { return { totl: 'typo' }; },`));
    const report = await project.edit('src/tasks.ts', TASKS_V2);
    expect(report.status).toBe('rolled-back');
    expect(report.error).toContain("migration hotstate/migrations/0001-tasks.ts: state() returned `totl`, which the new version does not declare (it has: tasks, total)");
    expect(mod.total).toBe(3);
  });

  test('without a migration the policy applies, and the dev server writes a stub and names it', async () => {
    const files = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', noEmit: true, allowImportingTsExtensions: true }, include: ['src', 'hotstate'] }),
      'src/counter.ts': 'export let count: number = 1;\nexport function read() { return count; }\n',
    };
    project = await startProject(files, { onIncompatible: 'reject' });
    // The committed snapshot the stub is diffed against, as `npx hotstate migrate` writes it.
    migrateProject(readProject(projectOptions({}, project.root)), { renames: [] });
    const mod = await project.load('src/counter.ts');
    mod.read();

    const v2 = 'export let count: string = "one";\nexport function read() { return count; }\n';
    const rejected = await project.edit('src/counter.ts', v2);
    expect(rejected.status).toBe('rejected');
    expect(rejected.needsMigration).toEqual(['count']);
    const stub = path.join(project.root, 'hotstate/migrations/0001-src-counter-count.ts');
    await waitFor(() => existsSync(stub) && readFileSync(stub, 'utf8').includes('export const migration'));
    expect(project.printed.join('\n')).toContain('migration stub hotstate/migrations/0001-src-counter-count.ts (fill it in and save it to migrate)');
    const text = readFileSync(stub, 'utf8');
    expect(text).toContain(NOT_IMPLEMENTED);
    expect(text).toContain(`"count": { from: "number", to: "string", source: { from: ": number", to: ": string" } }`);
    // The snapshot is left to `hotstate migrate`; only the stub was written.
    expect(readdirSync(path.join(project.root, 'hotstate/migrations'))).toEqual(['0001-src-counter-count.ts']);
    expect(mod.read()).toBe(1);

    // Filling the stub in applies the waiting update, with the migration.
    const filled = text.replace(/\/\/ Return the new values:[\s\S]*?throw new Error\([^;]*\);/, 'return { count: `#${old.count}` };');
    expect(filled).not.toContain(NOT_IMPLEMENTED);
    const applied = await writeMigration(project, filled, 'hotstate/migrations/0001-src-counter-count.ts', 'src/counter.ts');
    expect(applied.status, applied.error).toBe('applied');
    expect(applied.entries).toContainEqual({ name: 'count', outcome: 'migrated', reason: 'by hotstate/migrations/0001-src-counter-count.ts', migration: 'hotstate/migrations/0001-src-counter-count.ts' });
    expect(mod.read()).toBe('#1');
  }, 60_000);
});

/** Writes a migration file and waits for the update of the module it is for. */
async function writeMigration(p: Project, text: string, file = 'hotstate/migrations/0001-tasks.ts', id = 'src/tasks.ts'): Promise<UpdateReport> {
  const started = p.reports.length;
  await p.write({ [file]: text });
  await waitFor(() => p.reports.slice(started).some((r) => r.id === id), 10_000);
  return p.reports.slice(started).find((r) => r.id === id)!;
}

async function waitFor(probe: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

