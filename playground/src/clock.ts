import { once } from 'hotstate/runtime';

/** State: how often `tick` ran, and how many timers are running right now. */
export let ticks = 0;
export let timers = 0;

/** Edit me (the text, or the step): the running timer calls the newest version. */
export function tick(): void {
  ticks += 1;
  document.getElementById('clock')!.textContent = `tick #${ticks} · timers running: ${timers}`;
}

// One timer, however many edits: `once` runs its setup on the first evaluation only, and its
// cleanup when a later version stops calling it.
once('clock', () => {
  timers += 1;
  const timer = setInterval(tick, 200);
  return () => {
    timers -= 1;
    clearInterval(timer);
  };
});
