import { count, increment } from './counter.ts';
import { Task, tasks } from './tasks.ts';
import { once } from 'hotstate/runtime';
import './clock.ts';
import { firstLoadedAt, theme } from './theme.ts';

const $ = (id: string) => document.getElementById(id)!;

export function render(): void {
  $('count').textContent = String(count);
  $('created').textContent = theme.createdAt;
  $('kept').textContent = firstLoadedAt;
  document.body.style.setProperty('--accent', theme.accent);
  const list = $('tasks');
  list.replaceChildren(
    ...tasks.map((task) => {
      const item = document.createElement('li');
      item.textContent = task.label;
      item.onclick = () => (task.finish(), render());
      return item;
    }),
  );
}

// Listeners are attached once; `render` and `increment` are late-bound, so edits apply to them.
once('listeners', () => {
  $('inc').onclick = () => (increment(), render());
  $('add').onclick = () => (tasks.push(new Task(`task ${tasks.length + 1}`)), render());
});

if (import.meta.hot) import.meta.hot.on('hotstate:update', () => render());
render();
