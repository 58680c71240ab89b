// Repro: after one hot update of a module with a class, every `new C()` gives the instance a
// hidden class (V8 map) of its own and takes ~2 µs.
//
//   npm run bench -- --quick   (or any run: it builds bench/.build/dist), then
//   node --allow-natives-syntax bench/repro/new-after-update.mjs
//
// Cause: after the update the stable (first) class's constructor prologue forwards to
// `Reflect.construct(latest, args, newTarget = stable)` (runtime/lineage.ts, Version.construct).
// With a new.target whose initial map belongs to another constructor, V8 11.3 (Node 20) derives
// a fresh map for every construction (JSFunction::GetDerivedMap has no cache here).
import { instrument, tempDir, writeModules } from '../lib.mjs';

const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)');
const src = `
export class Point {
  x = 0;
  y = 0;
  constructor(x, y) { this.x = x; this.y = y; }
}
`;
const dir = tempDir();
const code = await instrument(src, 'point.mjs', { hot: `${dir}/point.mjs` });
const urls = writeModules(dir, { 'v1.mjs': code, 'v2.mjs': code });
const { Point } = await import(urls['v1.mjs']);

const time = (label) => {
  const t0 = performance.now();
  for (let i = 0; i < 1e5; i++) new Point(i, i);
  console.log(`${label}: ${(((performance.now() - t0) * 1e6) / 1e5).toFixed(1)} ns per new`);
};
console.log('before the update: two instances share a map:', haveSameMap(new Point(1, 2), new Point(3, 4)));
time('before the update');
await import(urls['v2.mjs']); // the same source again: a hot update that changes nothing
console.log('after the update:  two instances share a map:', haveSameMap(new Point(1, 2), new Point(3, 4)));
time('after the update');
