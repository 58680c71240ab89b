import { useState, useSyncExternalStore } from 'react';
import { click, getClicks, subscribe } from './store.ts';

/**
 * A component with hook state (`useState`) that also reads the module store in `store.ts`.
 * Edit the label below and save: Fast Refresh re-renders with the new label, the hook count stays.
 */
export function App() {
  const [count, setCount] = useState(0);
  const clicks = useSyncExternalStore(subscribe, getClicks);
  return (
    <>
      <section>
        <h2>Hook state</h2>
        <p>
          Click a few times, then edit the label in <code>playground/src/react/App.tsx</code> (<code>count is</code>) and
          save: the new label appears and the count stays (Fast Refresh keeps <code>useState</code>; hotstate
          leaves components and hooks to it).
        </p>
        <p>
          <button id="hook-inc" onClick={() => setCount((n) => n + 1)}>+</button>{' '}
          <output id="hook-label">count is</output> <output id="hook-count">{count}</output>
        </p>
      </section>
      <section>
        <h2>Module store</h2>
        <p>
          Click a few times, then edit the step in <code>click</code> in <code>playground/src/react/store.ts</code>{' '}
          (<code>clicks += 1</code> → <code>clicks += 10</code>) and save: the number stays (hotstate keeps the
          module <code>let</code>) and the next click adds the new step.
        </p>
        <p>
          <button id="store-inc" onClick={click}>click</button> <output id="store-clicks">{clicks}</output>
        </p>
      </section>
    </>
  );
}
