// Repro: an update that removes a declared field must delete it from every live instance
// (runtime/instances.ts asks the heap through the inspector). With about 10^5 or more instances
// it silently does nothing, and the update report says "done on 0 existing instances".
//
//   node bench/repro/live-instances.mjs
//
// Cause: liveInstances() hands the objects over with
//   Runtime.callFunctionOn({ functionDeclaration: 'function () { globalThis.__hotstate_instances.found.push(...this); }' })
// and `push(...this)` with ~10^5+ arguments throws RangeError (Maximum call stack size exceeded).
// An exception inside callFunctionOn comes back as `exceptionDetails` in the result, not as the
// callback's error, so `post` does not throw and `found` stays empty.
import { instrument, tempDir, writeModules } from '../lib.mjs';

const version = (withExtra) => `
export class Item {${withExtra ? '\n  extra = 7;' : ''}
  constructor(id) { this.id = id; }
}
export const items = [];
export function populate(n) { for (let i = 0; i < n; i++) items.push(new Item(i)); }
`;
for (const n of [1e4, 3e5]) {
  const dir = tempDir();
  const reports = [];
  const hot = `${dir}/item.mjs`;
  const v1 = await instrument(version(true), 'item.mjs', { hot });
  const v2 = await instrument(version(false), 'item.mjs', { hot });
  const urls = writeModules(dir, { 'v1.mjs': v1, 'v2.mjs': v2 });
  const m = await import(urls['v1.mjs']);
  m.populate(n);
  globalThis.__benchHot(hot).send = (_event, report) => reports.push(report);
  await import(urls['v2.mjs']); // removes the field `extra`
  const left = m.items.filter((item) => Object.hasOwn(item, 'extra')).length;
  const entry = reports.at(-1)?.entries.find((e) => e.name === 'Item.extra');
  console.log(`N=${n}: instances still holding the removed field: ${left}; report: ${entry?.outcome} (${entry?.reason})`);
}
