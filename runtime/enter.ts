import { CONTRACT_VERSION, HOT_DATA_KEY, unpackSchema, type EmittedMeta, type ModuleMeta, type ModuleSchema } from './contract.ts';
import { HotstateError } from './errors.ts';
import { Lineage, Version, type HotContext, type LivenessMarker } from './lineage.ts';
import { planUpdate, RejectedUpdate, type UpdatePlan } from './schema-diff.ts';
import { captureOld, type Captured } from './migrations.ts';

/**
 * The module-level entry points of emitted code: `enter` (or `enterQueued` for modules with
 * top-level await) starts a version, `settle` is the accept callback. `lineage.ts` holds what
 * they create.
 */

export function lineageFor(hot: HotContext | undefined, id: string): Lineage {
  if (hot === undefined) return new Lineage(id);
  const existing = hot.data[HOT_DATA_KEY];
  if (existing instanceof Lineage) return existing;
  const lineage = new Lineage(id);
  hot.data[HOT_DATA_KEY] = lineage;
  return lineage;
}

/** Checks the contract, then unpacks the schema emitted code packed into a string. */
function checkMeta(meta: EmittedMeta | ModuleMeta): ModuleMeta {
  if (meta.contract !== CONTRACT_VERSION || typeof meta.staleGlobal !== 'string') {
    const newer = (meta.contract ?? 0) > CONTRACT_VERSION ? 'the plugin is newer than the runtime' : 'the runtime is newer than the plugin';
    throw new HotstateError(
      `this module was instrumented for runtime contract ${meta.contract}, but the loaded hotstate/runtime speaks contract ${CONTRACT_VERSION} (${newer}). ` +
        `Make sure one copy of hotstate is installed (npm ls hotstate), then restart the dev server.`,
      meta.id,
    );
  }
  return typeof meta.schema === 'string' ? { ...meta, schema: unpacked(meta.schema) } : (meta as ModuleMeta);
}

/**
 * Schemas unpacked lately, by their packed text. An edit inside a function or method leaves the
 * schema's text as it was, so the next version gets the same (never mutated) object, and
 * `planUpdate` the same pair of schemas as the version before it.
 */
const unpackedSchemas = new Map<string, ModuleSchema>();

function unpacked(packed: string): ModuleSchema {
  let schema = unpackedSchemas.get(packed);
  if (schema === undefined) {
    schema = unpackSchema(packed);
    if (unpackedSchemas.size >= 64) unpackedSchemas.delete(unpackedSchemas.keys().next().value!);
  } else unpackedSchemas.delete(packed);
  unpackedSchemas.set(packed, schema);
  return schema;
}

/** The last plan for an update to each schema (plans are not mutated): most edits repeat the one before. */
const plans = new WeakMap<ModuleSchema, { id: string; before: ModuleSchema | undefined; policy: ModuleMeta['onIncompatible']; plan: UpdatePlan }>();

function planFor(meta: ModuleMeta, before: ModuleSchema | undefined, offered: ReturnType<Lineage['offeredMigrations']>): UpdatePlan {
  if (offered.length > 0) return planUpdate(meta.id, before, meta.schema, meta.onIncompatible, offered);
  const last = plans.get(meta.schema);
  if (last !== undefined && last.id === meta.id && last.before === before && last.policy === meta.onIncompatible) return last.plan;
  const planned = planUpdate(meta.id, before, meta.schema, meta.onIncompatible, offered);
  plans.set(meta.schema, { id: meta.id, before, policy: meta.onIncompatible, plan: planned });
  return planned;
}

/**
 * Starts evaluating one version of a module: the first statement of every instrumented module.
 *
 * Emitted as `var __hs = __hotstate.enter(import.meta.hot, { contract, id, schema, ... }, __hs_live)`,
 * with the schema packed into a string (`packSchema`).
 * On a hot update the new version becomes current at once (so its own top-level code already
 * runs the new functions and methods), and every change it makes is logged so that a failure
 * before `commit()` restores the store, the classes and the functions exactly.
 */
export function enter(hot: HotContext | undefined, meta: EmittedMeta | ModuleMeta, marker: LivenessMarker): Version {
  const version = begin(hot, meta, marker, false);
  // A module without top-level await evaluates synchronously: if its version is still pending
  // once the current job is done, the evaluation threw. Roll back at once, whoever imported it.
  queueMicrotask(() => version.abandonIfPending());
  return version;
}

/**
 * `enter` for modules with top-level `await`: updates of one module wait for each other, in the
 * order they arrived, so each one starts from the state the previous one committed.
 */
export async function enterQueued(hot: HotContext | undefined, meta: EmittedMeta | ModuleMeta, marker: LivenessMarker): Promise<Version> {
  if (hot === undefined) return begin(hot, meta, marker, true);
  const lineage = lineageFor(hot, meta.id);
  const previous = lineage.queue;
  let release!: () => void;
  lineage.queue = new Promise<void>((resolve) => (release = resolve));
  await previous;
  try {
    const version = begin(hot, meta, marker, true);
    void version.settled.then(release);
    return version;
  } catch (error) {
    release();
    throw error;
  }
}

function begin(hot: HotContext | undefined, emitted: EmittedMeta | ModuleMeta, marker: LivenessMarker, async: boolean): Version {
  const meta = checkMeta(emitted);
  const lineage = lineageFor(hot, meta.id);
  const pending = lineage.pending;
  if (pending !== undefined) {
    if (pending.async) {
      throw new HotstateError(
        'an update arrived while the previous version (which uses top-level await) was still evaluating; it was not applied. Save the file again.',
        meta.id,
      );
    }
    pending.rollback();
  }
  lineage.hot = hot;
  lineage.failureReported = false;
  let plan: UpdatePlan;
  let captured: Captured;
  try {
    plan = planFor(meta, lineage.schema, lineage.offeredMigrations(meta));
    captured = captureOld(lineage, plan.migrations.chain, lineage.schema ?? meta.schema);
  } catch (error) {
    lineage.failure = {
      status: 'rejected',
      error: error instanceof Error ? error.message : String(error),
      ...(error instanceof RejectedUpdate ? { needsMigration: error.needsMigration } : {}),
    };
    throw error;
  }
  // Defined (false) from now on, so V8 folds the prologues' test of it to a constant.
  if (!(meta.staleGlobal in globalThis)) {
    Object.defineProperty(globalThis, meta.staleGlobal, { value: false, writable: true, enumerable: false, configurable: true });
  }
  const version = new Version(lineage, meta, plan, captured, marker, async);
  hot?.prune?.(() => lineage.dispose());
  return version;
}

/**
 * The accept callback, registered before `enter` so that it is in place even when `enter`
 * refuses a version: `import.meta.hot.accept((m) => __hotstate.settle(import.meta.hot, m))`.
 * Vite calls the previous version's callback with the new module namespace, or with `undefined`
 * when the new version failed to load or threw; then the failure is rolled back and reported.
 */
export function settle(hot: HotContext | undefined, mod: unknown): void {
  const lineage = hot?.data?.[HOT_DATA_KEY];
  if (mod !== undefined || !(lineage instanceof Lineage)) return;
  const failed = lineage.pending;
  if (failed !== undefined) failed.rollback();
  else if (lineage.failureReported) {
    lineage.failureReported = false;
    return;
  }
  const failure = lineage.failure ?? {
    status: 'rolled-back' as const,
    error: 'the new version failed to load or threw while evaluating (see the error above); the previous version keeps running with its state',
  };
  lineage.failure = undefined;
  lineage.report({ id: lineage.id, entries: [], ...failure });
}
