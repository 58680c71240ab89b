import { describe, expect, test } from 'vitest';
import { CONTRACT_VERSION, type ModuleSchema, type UpdateReport } from '../runtime/contract.ts';
import { enter, enterQueued } from '../runtime/enter.ts';
import { Lineage, type HotContext, type LivenessMarker, type Version } from '../runtime/lineage.ts';

/**
 * The runtime store driven directly, the way emitted code drives it, through a double that checks
 * the lineage's invariants after every call (as magic-string's tests do for its own structure).
 */
class FakeHot implements HotContext {
  data: Record<string, unknown> = {};
  sent: UpdateReport[] = [];
  send(_event: string, report: UpdateReport): void {
    this.sent.push(report);
  }
}

function lineageOf(hot: FakeHot): Lineage {
  return hot.data.__hotstate as Lineage;
}

function checkInvariants(lineage: Lineage): void {
  const { current, pending } = lineage;
  if (current !== undefined && pending === undefined) expect(current.stale, 'the committed version is live').toBe(false);
  if (pending !== undefined) {
    expect(pending.stale, 'a pending version is live').toBe(false);
    if (current !== undefined) expect(current.stale, 'the version a pending one replaces is stale').toBe(true);
  }
  const stateNames = new Set(
    [pending, current].flatMap((v) => v?.meta.schema.bindings ?? []).filter((b) => b.kind === 'state' || b.kind === 'reset').map((b) => b.name),
  );
  for (const name of lineage.cells.keys()) expect(stateNames.has(name), `cell ${name} belongs to a state binding`).toBe(true);
  for (const [name, record] of lineage.functions) {
    if (!record.version.stale) expect(record.version === current || record.version === pending, `function ${name} is owned by a live version`).toBe(true);
  }
}

/** Wraps a version so every call is followed by an invariant check. */
function checked(version: Version): Version {
  return new Proxy(version, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function' || key === 'constructor') return value;
      return (...args: unknown[]) => {
        const result = Reflect.apply(value, target, args);
        checkInvariants(target.lineage);
        return result;
      };
    },
  });
}

const schema = (state: string[], extra: Partial<ModuleSchema> = {}): ModuleSchema => ({
  bindings: state.map((name, line) => ({ name, kind: 'state' as const, line })),
  classes: [],
  ...extra,
});

function load(hot: FakeHot | undefined, s: ModuleSchema, marker: LivenessMarker = {}): Version {
  return checked(enter(hot, { contract: CONTRACT_VERSION, id: 'src/m.ts', schema: s, onIncompatible: 'reset', staleGlobal: '__hs_test_stale' }, marker));
}

describe('runtime store', () => {
  test('a cell is initialized on the first evaluation and kept by an update', () => {
    const hot = new FakeHot();
    const v1 = load(hot, schema(['count']));
    const c1 = v1.cell('count');
    expect(c1.fresh).toBe(true);
    c1.init(0);
    c1.v = 5;
    v1.commit();
    expect(hot.sent).toEqual([]);

    const v2 = load(hot, schema(['count']));
    const c2 = v2.cell('count');
    expect(c2).toBe(c1);
    expect(c2.fresh).toBe(false);
    v2.commit();
    expect(hot.sent[0]).toMatchObject({ status: 'applied', entries: [{ name: 'count', outcome: 'kept' }] });
    expect(v1.stale).toBe(true);
  });

  test('without import.meta.hot every load is fresh', () => {
    const a = load(undefined, schema(['x']));
    a.cell('x').init(1);
    a.commit();
    expect(load(undefined, schema(['x'])).cell('x').fresh).toBe(true);
  });

  test('rollback restores values, functions, classes and liveness exactly', () => {
    const hot = new FakeHot();
    const m1: LivenessMarker = {};
    const v1 = load(hot, schema(['a']), m1);
    v1.cell('a').init({ n: 1 });
    const f1 = () => 'v1';
    v1.fn('f', f1);
    class K {
      m() {
        return 'v1';
      }
    }
    const stable = v1.cls('K', K, {});
    v1.commit();
    const before = { a: v1.cell('a').v, proto: Object.getOwnPropertyDescriptors(K.prototype) };

    const v2 = load(hot, schema(['a', 'b']));
    expect(m1.stale).toBe(true);
    v2.cell('a').v = 'clobbered';
    v2.cell('b').init(2);
    expect(v2.fn('f', () => 'v2')).toBe(f1);
    class K2 {
      m() {
        return 'v2';
      }
      extra() {}
    }
    expect(v2.cls('K', K2, {})).toBe(stable);
    expect(new K().m()).toBe('v2');
    v2.rollback();

    checkInvariants(lineageOf(hot));
    expect(m1.stale).toBe(false);
    expect(v1.stale).toBe(false);
    expect(lineageOf(hot).cells.get('a')!.v).toBe(before.a);
    expect(lineageOf(hot).cells.has('b')).toBe(false);
    expect(lineageOf(hot).functions.get('f')!.latest).toBe(f1);
    expect(Object.getOwnPropertyDescriptors(K.prototype)).toEqual(before.proto);
    expect(new K().m()).toBe('v1');
  });

  test('a random sequence of committed and failed updates never leaks a failed version', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const hot = new FakeHot();
    const names = ['a', 'b', 'c', '__proto__', 'constructor'];
    let committed = new Map<string, unknown>();
    for (let round = 0; round < 200; round++) {
      const present = names.filter(() => random() < 0.7);
      const version = load(hot, schema(present));
      for (const name of present) {
        const cell = version.cell(name);
        if (cell.fresh) cell.init(`init-${round}`);
        if (random() < 0.5) cell.v = `write-${round}-${name}`;
      }
      version.fn('f', () => round);
      if (random() < 0.3) {
        version.rollback();
        const lineage = lineageOf(hot);
        expect(new Map([...lineage.cells].map(([k, c]) => [k, c.v]))).toEqual(committed);
        expect((lineage.functions.get('f')?.latest as (() => number) | undefined)?.()).not.toBe(round);
      } else {
        version.commit();
        committed = new Map([...lineageOf(hot).cells].map(([k, c]) => [k, c.v]));
        expect([...committed.keys()].sort()).toEqual([...present].sort());
      }
      checkInvariants(lineageOf(hot));
    }
  });

  test('code emitted for another contract version is refused with a message that says what to do', () => {
    expect(() => enter(undefined, { contract: CONTRACT_VERSION + 1, id: 'src/m.ts', schema: schema([]), onIncompatible: 'reset', staleGlobal: '__hs_test_stale' }, {})).toThrow(
      new RegExp(
        `src/m\\.ts: this module was instrumented for runtime contract ${CONTRACT_VERSION + 1}, but the loaded hotstate/runtime speaks contract ${CONTRACT_VERSION} \\(the plugin is newer than the runtime\\)\\. Make sure one copy of hotstate is installed`,
      ),
    );
  });

  test("onIncompatible: 'reject' refuses before anything is touched", () => {
    const hot = new FakeHot();
    const typed = (type: string): ModuleSchema => ({ bindings: [{ name: 'n', kind: 'state', type, line: 1 }], classes: [] });
    const v1 = enter(hot, { contract: CONTRACT_VERSION, id: 'src/m.ts', schema: typed('number'), onIncompatible: 'reject', staleGlobal: '__hs_test_stale' }, {});
    v1.cell('n').init(1);
    v1.commit();
    expect(() => enter(hot, { contract: CONTRACT_VERSION, id: 'src/m.ts', schema: typed('string'), onIncompatible: 'reject', staleGlobal: '__hs_test_stale' }, {})).toThrow(
      /update rejected \(onIncompatible: 'reject'\): `n`: declared type changed from `number` to `string`/,
    );
    expect(lineageOf(hot).pending).toBeUndefined();
    expect(v1.stale).toBe(false);
  });

  test('versions with top-level await start one after another, in the order they arrived', async () => {
    const hot = new FakeHot();
    const meta = (n: number) => ({ contract: CONTRACT_VERSION, id: 'src/m.ts', schema: schema(['log']), onIncompatible: 'reset' as const, staleGlobal: `__hs_test_q${n}` });
    const events: string[] = [];
    const evaluate = async (n: number, ticks: number) => {
      const version = await enterQueued(hot, meta(n), {});
      events.push(`start ${n}`);
      const log = version.cell('log');
      if (log.fresh) log.init([]);
      for (let i = 0; i < ticks; i++) await new Promise((resolve) => setTimeout(resolve, 1));
      (log.v as number[]).push(n);
      events.push(`end ${n}`);
      version.commit();
    };
    await evaluate(1, 0);
    await Promise.all([evaluate(2, 5), evaluate(3, 1), evaluate(4, 0)]);
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3', 'start 4', 'end 4']);
    expect(lineageOf(hot).cells.get('log')!.v).toEqual([1, 2, 3, 4]);
    expect(hot.sent.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
  });

  test('a version without top-level await that arrives while one with it evaluates is refused, not interleaved', async () => {
    const hot = new FakeHot();
    const meta = (n: number) => ({ contract: CONTRACT_VERSION, id: 'src/m.ts', schema: schema([]), onIncompatible: 'reset' as const, staleGlobal: `__hs_test_r${n}` });
    load(hot, schema([])).commit();
    const slow = await enterQueued(hot, meta(2), {});
    expect(() => enter(hot, meta(3), {})).toThrow(/still evaluating; it was not applied\. Save the file again/);
    slow.commit();
    expect(lineageOf(hot).current).toBe(slow);
  });
});
