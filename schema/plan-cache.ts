import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModulePlan } from './extract.ts';

/**
 * What the analysis found in each module's text (`planModule`), kept across runs in
 * `<root>/node_modules/.cache/hotstate/modules.json`, so that an unchanged module is not parsed
 * again. An entry stands only for the same module ID, the same text (by SHA-256) and the same
 * hotstate code (a hash of its `plugin/` and `schema/` files and the oxc-parser version): a
 * changed file, or another hotstate, always gets a new plan. Without a `node_modules` folder in
 * the root there is no cache; one that cannot be read or written is ignored.
 */

const FORMAT = 'hotstate-modules/1';

export interface PlanCache {
  /** The plan of module `id` with this text: from the cache, or `compute`d and kept. */
  plan(id: string, text: string, compute: () => ModulePlan | null): ModulePlan | null;
  /** Writes the plans of this run, when any of them is new or the cache held others. */
  save(): void;
}

interface Stored {
  /** SHA-256 of the module's text. */
  text: string;
  plan: ModulePlan | null;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const NO_CACHE: PlanCache = { plan: (_id, _text, compute) => compute(), save: () => {} };

/** The cache of the project in `root`; none without a root. */
export function planCache(root: string | undefined): PlanCache {
  if (root === undefined || !existsSync(path.join(root, 'node_modules'))) return NO_CACHE;
  let code: string;
  try {
    code = codeHash();
  } catch {
    return NO_CACHE; // hotstate's own files cannot be read (a bundled copy): nothing to key by
  }
  const dir = path.join(root, 'node_modules', '.cache', 'hotstate');
  const file = path.join(dir, 'modules.json');
  const stored = readStored(file, code);
  const used = new Map<string, Stored>();
  let changed = false;
  return {
    plan(id, text, compute) {
      const hash = sha256(text);
      let entry = stored.get(id);
      if (entry?.text !== hash) {
        entry = { text: hash, plan: compute() };
        changed = true;
      }
      used.set(id, entry);
      return entry.plan;
    },
    save() {
      if (!changed && used.size === stored.size) return;
      // Written whole, then renamed: a concurrent run reads the old file or the new one.
      const temporary = `${file}.${process.pid}.tmp`;
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(temporary, JSON.stringify({ format: FORMAT, code, modules: Object.fromEntries(used) }));
        renameSync(temporary, file);
      } catch {
        // A read-only or full disk: the next run parses again.
        rmSync(temporary, { force: true });
      }
    },
  };
}

function readStored(file: string, code: string): Map<string, Stored> {
  const stored = new Map<string, Stored>();
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return stored;
  }
  const { format, code: storedCode, modules } = (data ?? {}) as { format?: unknown; code?: unknown; modules?: unknown };
  if (format !== FORMAT || storedCode !== code || typeof modules !== 'object' || modules === null) return stored;
  for (const [id, entry] of Object.entries(modules as Record<string, Partial<Stored>>)) {
    if (typeof entry?.text === 'string' && (entry.plan === null || isPlan(entry.plan))) stored.set(id, entry as Stored);
  }
  return stored;
}

const isPlan = (plan: unknown): plan is ModulePlan => {
  const p = plan as Partial<ModulePlan> | undefined;
  return Array.isArray(p?.bindings) && Array.isArray(p.classes) && Array.isArray(p.annotations?.bindings) && Array.isArray(p.annotations.fields);
};

/** Identifies the code that writes plans: hotstate's `plugin/` and `schema/` files, and the parser's version. */
function codeHash(): string {
  const hash = createHash('sha256');
  for (const folder of ['../plugin/', './']) {
    const dir = fileURLToPath(new URL(folder, import.meta.url));
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.isFile()) hash.update(`${folder}${entry.name}\0`).update(readFileSync(path.join(dir, entry.name)));
    }
  }
  hash.update(`oxc-parser@${(createRequire(import.meta.url)('oxc-parser/package.json') as { version: string }).version}`);
  return hash.digest('hex');
}
